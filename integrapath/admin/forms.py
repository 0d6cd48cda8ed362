"""Forms for managing accounts and organisations."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..accounts.models import OrganisationKind
from ..forms import MultiCheckboxField
from ..i18n import labelled_choices, locale_choices
from ..pathway.models import ServiceArea
from ..security import Role


def _optional_choice(choices):
    return [("", _l("Any")), *choices]


class OrganisationChoiceMixin:
    organisation_id = SelectField(
        _l("Organisation"),
        coerce=lambda value: int(value) if value else None,
        description=_l("Required for course provider staff."),
    )

    def validate_organisation_id(self, field) -> None:
        if self.role.data == Role.PROVIDER and not field.data:
            raise ValidationError(_l("Choose the course provider this person works for."))


STAFF_ROLES = (Role.ADMIN, Role.CASEWORKER, Role.PROVIDER)


def _staff_role_choices():
    return [(role.value, role.label) for role in STAFF_ROLES]


class UserCreateForm(OrganisationChoiceMixin, FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=160)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    # Newcomers get their account from their case file, so that it is linked to it.
    role = SelectField(
        _l("Role"),
        choices=_staff_role_choices,
        description=_l("Newcomers get their account from their case file (Portal access)."),
    )
    preferred_locale = SelectField(_l("Preferred language"), choices=locale_choices)
    submit = SubmitField(_l("Create account"))


class UserRoleForm(OrganisationChoiceMixin, FlaskForm):
    role = SelectField(_l("Role"), choices=_staff_role_choices)
    submit = SubmitField(_l("Save role"))


class ActionForm(FlaskForm):
    """An empty form for button-only actions, so that they carry a CSRF token."""


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"), choices=lambda: _optional_choice(labelled_choices(Role)), default=""
    )
    status = SelectField(
        _l("Status"),
        default="",
        choices=lambda: [
            ("", _l("Any")),
            ("active", _l("Active")),
            ("awaiting", _l("Awaiting activation")),
            ("inactive", _l("Deactivated")),
        ],
    )


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name of the organisation"), validators=[DataRequired(), Length(max=160)])
    kind = SelectField(_l("Kind"), choices=lambda: labelled_choices(OrganisationKind))
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    service_areas = MultiCheckboxField(
        _l("Service areas of a partner service"),
        choices=lambda: labelled_choices(ServiceArea),
        description=_l(
            "Only for partner services: what caseworkers may refer newcomers to them for."
        ),
    )
    submit = SubmitField(_l("Save organisation"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[], default="")
    actor = StringField(_l("Performed by (e-mail)"), validators=[Optional(), Length(max=254)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class NeedToKnowForm(FlaskForm):
    """Whether caseworkers open every file of the municipality or only their team's."""

    need_to_know = RadioField(
        _l("Caseworkers open"),
        choices=[
            ("all", _l("every case file of the municipality")),
            ("assigned", _l("only the files assigned to them or to a colleague of their office")),
        ],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Save"))

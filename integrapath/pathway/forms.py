"""Forms of the pathway: moving a case, ticking milestones, keeping the checklists, the
integration plan, and referring a case to partner services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import Select, html_params

from ..cases.models import Stage
from ..forms import optional_int
from ..i18n import SUPPORTED_LOCALES, labelled_choices, local_today, locale_name
from .models import ActionStatus, MilestoneRule, ReferralStatus, Responsibility
from .services import ActionData


class StageMoveForm(FlaskForm):
    to_stage = SelectField(_l("Move to"), choices=lambda: labelled_choices(Stage))
    reason = StringField(
        _l("Reason"),
        validators=[Length(max=500)],
        description=_l("Needed to go back, or to move on while required milestones are missing."),
    )
    submit = SubmitField(_l("Move the case"))


class AdvanceForm(FlaskForm):
    """The one button that confirms a case ready to advance."""

    submit = SubmitField(_l("Confirm and advance"))


class TickForm(FlaskForm):
    met_on = DateField(_l("Met on"), validators=[DataRequired()], default=local_today)
    submit = SubmitField(_l("Mark as met"))


class ButtonForm(FlaskForm):
    """An empty form for button-only actions (untick, reorder, retire)."""


class InactivityForm(FlaskForm):
    inactivity_weeks = IntegerField(
        _l("Weeks without activity before a case shows on the caseworker's day"),
        validators=[DataRequired(), NumberRange(min=1, max=104)],
    )
    submit = SubmitField(_l("Save setting"))


# -- referrals to partner services ------------------------------------------------------------


class GroupedSelect(Select):
    """Options in groups (``<optgroup>``) after an empty first one that asks for a choice."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        options = [self.render_option("", field.blank, not field.data)]
        for group, choices in field.iter_groups():
            options.append(f"<optgroup {html_params(label=group)}>")
            options += [
                self.render_option(value, label, selected, **render_kw)
                for value, label, selected, render_kw in choices
            ]
            options.append("</optgroup>")
        select = f"<select {html_params(name=field.name, **kwargs)}>{''.join(options)}</select>"
        return Markup(select)  # noqa: S704 - html_params and render_option escape


class GroupedSelectField(SelectField):
    """A select of ``{group label: [(value, label)]}`` choices, empty until one is chosen."""

    widget = GroupedSelect()

    def __init__(self, label=None, validators=None, blank="", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.blank = blank

    def pre_validate(self, form):
        if self.data:  # nothing chosen: the required check says so, once
            super().pre_validate(form)


class ReferralForm(FlaskForm):
    # One choice per partner service and area it covers ("housing:12"), grouped by area, so
    # that no script is needed to match the two; the view fills the choices.
    partner = GroupedSelectField(
        _l("Partner service"),
        choices={},
        validators=[DataRequired()],
        blank=_l("Choose a partner service"),
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Seen only by caseworkers, never by partner services or the newcomer."),
    )
    sent_on = DateField(_l("Sent on"), validators=[DataRequired()], default=local_today)
    answer_expected_on = DateField(_l("Answer expected by"), validators=[Optional()])
    action = SelectField(_l("For the plan action"), coerce=optional_int, validators=[Optional()])
    submit = SubmitField(_l("Record the referral"))

    def chosen(self) -> tuple[str, int]:
        """The service area and the partner's id of the chosen option."""
        area, _, partner_id = self.partner.data.partition(":")
        return area, int(partner_id)


class ReferralStatusForm(FlaskForm):
    to_status = SelectField(_l("New status"), choices=lambda: labelled_choices(ReferralStatus))
    on = DateField(_l("Date"), validators=[DataRequired()], default=local_today)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save"))


class ReferralDaysForm(FlaskForm):
    referral_answer_days = IntegerField(
        _l("Days a partner service has to answer a referral"),
        validators=[DataRequired(), NumberRange(min=1, max=365)],
        description=_l("A caseworker may set another date on each referral."),
    )
    submit = SubmitField(_l("Save setting"))


# -- end of referrals -------------------------------------------------------------------------


class MilestoneForm(FlaskForm):
    stage = SelectField(_l("Stage"), choices=lambda: labelled_choices(Stage))
    rule = SelectField(_l("Met when"), choices=lambda: labelled_choices(MilestoneRule))
    required = BooleanField(_l("Required to move on to the next stage"), default=True)
    submit = SubmitField(_l("Save milestone"))

    def names(self) -> dict[str, str]:
        return {code: self[f"name_{code}"].data or "" for code in SUPPORTED_LOCALES}


# One name field per supported locale, labelled with the language's own name.
for _code in SUPPORTED_LOCALES:
    setattr(
        MilestoneForm,
        f"name_{_code}",
        StringField(locale_name(_code), validators=[Length(max=160)]),
    )


# -- the integration plan ---------------------------------------------------------------------


class GoalForm(FlaskForm):
    text = TextAreaField(
        _l("Goal"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("What the newcomer wants to reach, in words you both agree on."),
    )
    submit = SubmitField(_l("Save the goal"))


class PlanActionForm(FlaskForm):
    text = TextAreaField(
        _l("Action to take"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("One step towards the goal."),
    )
    responsible = SelectField(_l("Who does it"), choices=lambda: labelled_choices(Responsibility))
    due_on = DateField(_l("Due on"), validators=[DataRequired()])
    # Choices of the municipality, set by the view.
    offering_id = SelectField(_l("Course run"), coerce=optional_int)
    milestone_id = SelectField(_l("Milestone"), coerce=optional_int)
    submit = SubmitField(_l("Save the action"))

    def action_data(self) -> ActionData:
        return ActionData(
            self.text.data,
            Responsibility(self.responsible.data),
            self.due_on.data,
            self.offering_id.data,
            self.milestone_id.data,
        )


class ActionStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=lambda: labelled_choices(ActionStatus))
    submit = SubmitField(_l("Save the status"))


class AgreePlanForm(FlaskForm):
    agreed_on = DateField(_l("Agreed on"), validators=[DataRequired()], default=local_today)
    submit = SubmitField(_l("Record the agreement"))

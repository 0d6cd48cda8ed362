"""Forms of the pathway: moving a case, ticking milestones, and keeping the checklists."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange

from ..cases.models import Stage
from ..i18n import SUPPORTED_LOCALES, labelled_choices, local_today, locale_name
from .models import MilestoneRule


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

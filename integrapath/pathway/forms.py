"""Forms of the pathway: moving a case, ticking milestones, keeping the checklists, and the
integration plan."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange

from ..cases.models import Stage
from ..forms import optional_int
from ..i18n import SUPPORTED_LOCALES, labelled_choices, local_today, locale_name
from .models import ActionStatus, MilestoneRule, Responsibility
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

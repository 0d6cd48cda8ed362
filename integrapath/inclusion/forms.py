"""Forms of the housing, health access, civic participation and children's education sections."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..i18n import labelled_choices, local_today
from .models import CIVIC_STATUSES, HEALTH_STATUSES, ChildEducationStage, HousingSituation


def yes_no(value):
    """Coerce a yes/no/not-known select to True, False or None."""
    return {"yes": True, "no": False}.get(value) if not isinstance(value, bool) else value


def _yes_no_choices(not_known: bool):
    choices = [("yes", _l("Yes")), ("no", _l("No"))]
    return [("", _l("Not known")), *choices] if not_known else choices


def _since_field():
    return DateField(_l("Since"), validators=[DataRequired()], default=local_today)


def _note_field():
    return StringField(_l("Note (optional)"), validators=[Length(max=300)])


class HousingForm(FlaskForm):
    situation = SelectField(
        _l("Housing situation"), choices=lambda: labelled_choices(HousingSituation)
    )
    adequate = SelectField(
        _l("Adequate for the household's size"),
        choices=lambda: _yes_no_choices(not_known=True),
        coerce=yes_no,
    )
    since = _since_field()
    note = _note_field()
    household = BooleanField(_l("The same for the linked family members' files"), default=True)
    submit = SubmitField(_l("Record housing"))


def _status_form(statuses, submit_label):
    class StatusForm(FlaskForm):
        status = SelectField(
            _l("What"), choices=lambda: [(status.value, status.label) for status in statuses]
        )
        holds = SelectField(
            _l("Yes or no"), choices=lambda: _yes_no_choices(not_known=False), coerce=yes_no
        )
        since = _since_field()
        note = _note_field()
        submit = SubmitField(submit_label)

    return StatusForm


HealthForm = _status_form(HEALTH_STATUSES, _l("Record health access"))
CivicForm = _status_form(CIVIC_STATUSES, _l("Record status or participation"))


class ChildEducationForm(FlaskForm):
    # Choices are the children of the household: "self" for the person of the file.
    child = SelectField(_l("Child"), validators=[DataRequired()])
    stage = SelectField(_l("Education"), choices=lambda: labelled_choices(ChildEducationStage))
    since = _since_field()
    note = _note_field()
    submit = SubmitField(_l("Record education"))

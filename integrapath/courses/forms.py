"""Forms for the course catalogue, offerings, sessions, enrolment, attendance and results."""

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import MultiCheckboxField, optional_int
from ..i18n import SUPPORTED_LOCALES, labelled_choices, language_choices, locale_name
from ..widgets import OptionListSelect
from .models import CefrLevel, CourseType


def weekday_choices() -> list[tuple[str, str]]:
    """ISO weekdays (1 = Monday) named as the reader's language names them (CLDR)."""
    names = get_day_names("wide", locale=get_locale())
    return [(str(day), names[day - 1]) for day in range(1, 8)]


def _blank(choices, label=None):
    return [("", label or _l("None")), *choices]


def _level(value):
    return CefrLevel(value) if value else None


class CourseForm(FlaskForm):
    organisation_id = SelectField(_l("Course provider"), coerce=optional_int)
    course_type = SelectField(_l("Type of course"), choices=lambda: labelled_choices(CourseType))
    locale = SelectField(
        _l("Language of the title and description"),
        choices=lambda: [(code, locale_name(code)) for code in SUPPORTED_LOCALES],
        description=_l("Save once per language to offer the course in several languages."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    hours = IntegerField(_l("Hours"), validators=[InputRequired(), NumberRange(min=1, max=2000)])
    target_language = SelectField(
        _l("Target language (language courses)"),
        choices=lambda: _blank(language_choices()),
        widget=OptionListSelect(),
    )
    entry_level = SelectField(
        _l("Entry level"), choices=lambda: _blank(labelled_choices(CefrLevel)), coerce=_level
    )
    target_level = SelectField(
        _l("Target level"), choices=lambda: _blank(labelled_choices(CefrLevel)), coerce=_level
    )
    submit = SubmitField(_l("Save course"))

    def course_values(self) -> dict:
        return {
            "course_type": CourseType(self.course_type.data),
            "hours": self.hours.data,
            "target_language": self.target_language.data or None,
            "entry_level": self.entry_level.data,
            "target_level": self.target_level.data,
        }


class OfferingDetailsForm(FlaskForm):
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    online = BooleanField(_l("Online"))
    capacity = IntegerField(_l("Places"), validators=[InputRequired(), NumberRange(min=1, max=500)])
    instruction_languages = SelectMultipleField(
        _l("Languages of instruction"),
        choices=language_choices,
        validators=[DataRequired()],
        description=_l("Hold Ctrl (or ⌘) to choose several."),
        widget=OptionListSelect(multiple=True),
    )
    childcare = BooleanField(_l("Childcare offered"))
    attendance_threshold = IntegerField(
        _l("Attendance threshold in percent"),
        default=80,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    submit = SubmitField(_l("Save"))

    def offering_values(self) -> dict:
        return {
            "place": (self.place.data or "").strip() or None,
            "online": bool(self.online.data),
            "capacity": self.capacity.data,
            "instruction_languages": " ".join(self.instruction_languages.data),
            "childcare": bool(self.childcare.data),
            "attendance_threshold": self.attendance_threshold.data,
        }


class OfferingForm(OfferingDetailsForm):
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    end_date = DateField(_l("End date"), validators=[InputRequired()])
    weekdays = MultiCheckboxField(
        _l("Weekly on"),
        choices=weekday_choices,
        validators=[DataRequired()],
    )
    starts_at = TimeField(_l("From"), validators=[InputRequired()])
    ends_at = TimeField(_l("To"), validators=[InputRequired()])
    submit = SubmitField(_l("Schedule the course"))

    def offering_values(self) -> dict:
        return {
            **super().offering_values(),
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "weekday_numbers": [int(day) for day in self.weekdays.data],
            "starts_at": self.starts_at.data,
            "ends_at": self.ends_at.data,
        }


class SessionForm(FlaskForm):
    date = DateField(_l("Date"), validators=[InputRequired()])
    starts_at = TimeField(_l("From"), validators=[InputRequired()])
    ends_at = TimeField(_l("To"), validators=[InputRequired()])
    submit = SubmitField(_l("Save session"))


class CancelSessionForm(FlaskForm):
    reason = StringField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Cancel this session"))


class EnrolForm(FlaskForm):
    reference = StringField(
        _l("Reference of the case file"), validators=[DataRequired(), Length(max=32)]
    )
    submit = SubmitField(_l("Enrol"))


class EnrolCaseForm(FlaskForm):
    # The list holds a few runs (ENROL_CHOICES); a run chosen from the page is checked where
    # it counts: in the caseworker's scope (the view) and not over, not joined (the service).
    offering_id = SelectField(
        _l("Course"),
        coerce=optional_int,
        validators=[DataRequired()],
        validate_choice=False,
        description=_l(
            "The courses that fit and the next ones with places free. For another course, open "
            "it from all courses and enrol the person there with their case reference."
        ),
    )
    submit = SubmitField(_l("Enrol"))


class LeaveForm(FlaskForm):
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Take off the course"))


class ResultForm(FlaskForm):
    passed = SelectField(
        _l("Result"),
        choices=lambda: [("yes", _l("Passed")), ("no", _l("Did not pass"))],
        validators=[DataRequired()],
    )
    level_reached = SelectField(
        _l("Level reached"), choices=lambda: _blank(labelled_choices(CefrLevel)), coerce=_level
    )
    certificate_number = StringField(
        _l("Certificate number"), validators=[Optional(), Length(max=80)]
    )
    certificate_issuer = StringField(
        _l("Certificate issued by"), validators=[Optional(), Length(max=160)]
    )
    result_on = DateField(_l("Date of the result"), validators=[Optional()])
    submit = SubmitField(_l("Save result"))


class AttendanceUploadForm(FlaskForm):
    file = FileField(_l("Attendance file (CSV or spreadsheet)"), validators=[FileRequired()])
    submit = SubmitField(_l("Check the file"))

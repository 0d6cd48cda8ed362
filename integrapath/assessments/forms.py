"""Forms of the assessment sections and of the skills profile page."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
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
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import optional_int
from ..i18n import country_choices, labelled_choices, language_choices, local_digits
from ..widgets import OptionListSelect
from .models import (
    PARTICIPATION_NEEDS,
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    DigitalSkills,
    LanguageSkill,
    MeasureKind,
    MeasureStatus,
    RecognitionState,
)
from .reference import isced_field_choices, isced_level_choices

ALL_SKILLS = "all"


def host_languages_first() -> list[tuple[str, str]]:
    """Languages by name, the municipality's host language first."""
    host = current_user.municipality.default_locale.split("_")[0]
    languages = language_choices()
    return [pair for pair in languages if pair[0] == host] + [
        pair for pair in languages if pair[0] != host
    ]


def _optional(choices):
    return [("", _l("Not known")), *choices]


class AssessmentForm(FlaskForm):
    language = SelectField(_l("Language"), choices=host_languages_first, widget=OptionListSelect())
    skill = SelectField(
        _l("Skill"),
        choices=lambda: [(ALL_SKILLS, _l("All five skills")), *labelled_choices(LanguageSkill)],
    )
    level = SelectField(_l("Level"), choices=lambda: labelled_choices(CefrLevel))
    assessed_on = DateField(_l("Date"), validators=[DataRequired()])
    source = SelectField(_l("Source"), choices=lambda: labelled_choices(AssessmentSource))
    certificate_number = StringField(
        _l("Certificate number"),
        validators=[Optional(), Length(max=60)],
        description=_l("For a certified exam."),
    )
    certificate_issuer = StringField(
        _l("Certificate issued by"), validators=[Optional(), Length(max=120)]
    )
    organisation = StringField(
        _l("Assessing organisation"), validators=[Optional(), Length(max=120)]
    )
    note = StringField(_l("Note on the assessment"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record level"))


class QualificationForm(FlaskForm):
    title = StringField(_l("Qualification"), validators=[DataRequired(), Length(max=200)])
    institution = StringField(_l("Institution"), validators=[Optional(), Length(max=200)])
    country = SelectField(
        _l("Country"), choices=lambda: _optional(country_choices()), widget=OptionListSelect()
    )
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(1940, 2100)])
    isced_field = SelectField(
        _l("Field of education (ISCED-F 2013)"), choices=lambda: _optional(isced_field_choices())
    )
    isced_level = SelectField(
        _l("Level of education (ISCED 2011)"),
        choices=lambda: _optional(isced_level_choices()),
        coerce=optional_int,
    )
    eqf_level = SelectField(
        _l("EQF level"),
        choices=lambda: _optional([(level, local_digits(level)) for level in range(1, 9)]),
        coerce=optional_int,
    )
    regulated = BooleanField(_l("Regulated profession"))
    documents_available = BooleanField(_l("Documents available"))
    submit = SubmitField(_l("Add qualification"))

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "institution": (self.institution.data or "").strip() or None,
            "country": self.country.data or None,
            "year": self.year.data,
            "isced_field": self.isced_field.data or None,
            "isced_level": self.isced_level.data,
            "eqf_level": self.eqf_level.data,
            "regulated": self.regulated.data,
            "documents_available": self.documents_available.data,
        }


class RecognitionStepForm(FlaskForm):
    to_state = SelectField(_l("New state"), choices=lambda: labelled_choices(RecognitionState))
    on = DateField(_l("Date"), validators=[DataRequired()])
    authority = StringField(_l("Competent authority"), validators=[Optional(), Length(max=200)])
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=60)])
    note = StringField(_l("Decision or note"), validators=[Optional(), Length(max=1000)])
    measure = SelectField(
        _l("Compensation measure"),
        choices=lambda: [("", _l("None")), *labelled_choices(MeasureKind)],
    )
    submit = SubmitField(_l("Record step"))


class MeasureStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=lambda: labelled_choices(MeasureStatus))
    submit = SubmitField(_l("Save"))


class EmploymentForm(FlaskForm):
    status = SelectField(_l("Status"), choices=lambda: labelled_choices(ActivityStatus))
    since = DateField(_l("Since"), validators=[DataRequired()])
    isco_code = StringField(
        _l("Occupation (ISCO-08 code)"),
        validators=[Optional(), Length(max=4)],
        description=_l("Needed when employed. Find the code on the skills profile page."),
    )
    submit = SubmitField(_l("Record status"))


class SkillsProfileForm(FlaskForm):
    digital_skills = SelectField(
        _l("Digital skills"), choices=lambda: _optional(labelled_choices(DigitalSkills))
    )
    driving_licences = StringField(
        _l("Driving licence categories"),
        validators=[Optional(), Length(max=60)],
        description=_l("For example B, C1."),
    )
    other_skills = TextAreaField(_l("Other skills"), validators=[Optional(), Length(max=1000)])
    job_aspirations = TextAreaField(
        _l("Job aspirations"), validators=[Optional(), Length(max=1000)]
    )
    needs_childcare = BooleanField(PARTICIPATION_NEEDS["needs_childcare"])
    needs_health = BooleanField(PARTICIPATION_NEEDS["needs_health"])
    needs_psychosocial = BooleanField(PARTICIPATION_NEEDS["needs_psychosocial"])
    needs_transport = BooleanField(PARTICIPATION_NEEDS["needs_transport"])
    needs_digital_access = BooleanField(PARTICIPATION_NEEDS["needs_digital_access"])
    submit = SubmitField(_l("Save profile"))

    def values(self) -> dict:
        values = {name: self[name].data for name in PARTICIPATION_NEEDS}
        values["digital_skills"] = self.digital_skills.data or None
        for name in ("driving_licences", "other_skills", "job_aspirations"):
            values[name] = (self[name].data or "").strip() or None
        return values


class EducationForm(FlaskForm):
    isced_level = SelectField(
        _l("Level of education (ISCED 2011)"), choices=isced_level_choices, coerce=int
    )
    isced_field = SelectField(
        _l("Field of education (ISCED-F 2013)"), choices=lambda: _optional(isced_field_choices())
    )
    country = SelectField(
        _l("Country"), choices=lambda: _optional(country_choices()), widget=OptionListSelect()
    )
    years = IntegerField(_l("Years"), validators=[Optional(), NumberRange(0, 40)])
    submit = SubmitField(_l("Add education"))

    def values(self) -> dict:
        return {
            "isced_level": self.isced_level.data,
            "isced_field": self.isced_field.data or None,
            "country": self.country.data or None,
            "years": self.years.data,
        }


class WorkExperienceForm(FlaskForm):
    isco_code = SelectField(_l("Occupation"), choices=[], validate_choice=False)
    sector = StringField(_l("Sector"), validators=[Optional(), Length(max=120)])
    country = SelectField(
        _l("Country"), choices=lambda: _optional(country_choices()), widget=OptionListSelect()
    )
    years = IntegerField(_l("Years"), validators=[Optional(), NumberRange(0, 60)])
    submit = SubmitField(_l("Add work experience"))

    def values(self) -> dict:
        return {
            "isco_code": self.isco_code.data or None,
            "sector": (self.sector.data or "").strip() or None,
            "country": self.country.data or None,
            "years": self.years.data,
        }

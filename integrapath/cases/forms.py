"""Forms for case files. The registration form also checks each row of an import."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import Select

from ..errors import RuleBroken, show_on_form
from ..forms import optional_int, phone_number
from ..i18n import (
    SUPPORTED_LOCALES,
    country_choices,
    labelled_choices,
    language_choices,
    local_digits,
    local_today,
    locale_name,
)
from ..widgets import OptionListSelect
from .models import (
    SENSITIVE_FLAGS,
    ClosingReason,
    ConsentMethod,
    ConsentPurpose,
    NoteCategory,
    Relation,
    ResidenceCategory,
    Sex,
    Stage,
)
from .services import CASE_FIELDS, CaseData, check_case_dates

FIRST_BIRTH_YEAR = 1900


def _none_choice(choices, label=None):
    return [("", label or _l("Not known")), *choices]


def date_required(form, field) -> None:
    """Require a date, leaving WTForms' 'not a valid date' message for bad input."""
    if not field.raw_data or not (field.raw_data[0] or "").strip():
        field.errors[:] = []
        raise StopValidation(_l("Enter a date."))
    if field.data is None:
        raise StopValidation()


def not_in_future(form, field) -> None:
    if field.data and field.data > local_today():
        raise ValidationError(_l("This date cannot be in the future."))


class CaseForm(FlaskForm):
    """Registration and editing of a case file."""

    given_names = StringField(_l("Given names"), validators=[DataRequired(), Length(max=120)])
    family_name = StringField(_l("Family name"), validators=[DataRequired(), Length(max=120)])
    given_names_latin = StringField(
        _l("Given names in Latin letters"),
        validators=[Optional(), Length(max=120)],
        description=_l("Only if the name is written in another script, as in the passport."),
    )
    family_name_latin = StringField(
        _l("Family name in Latin letters"), validators=[Optional(), Length(max=120)]
    )
    date_of_birth = DateField(_l("Date of birth"), validators=[date_required])
    sex = SelectField(_l("Sex"), choices=lambda: labelled_choices(Sex))
    country_of_birth = SelectField(
        _l("Country of birth"),
        choices=lambda: _none_choice(country_choices()),
        widget=OptionListSelect(),
    )
    nationalities = SelectMultipleField(
        _l("Nationalities"),
        choices=country_choices,
        description=_l("Choose one or more; hold Ctrl (or ⌘) to choose several."),
        widget=OptionListSelect(multiple=True),
    )
    mother_tongue = SelectField(
        _l("Mother tongue"),
        choices=lambda: _none_choice(language_choices()),
        widget=OptionListSelect(),
    )
    languages = SelectMultipleField(
        _l("Other languages spoken"),
        choices=language_choices,
        description=_l("Hold Ctrl (or ⌘) to choose several."),
        widget=OptionListSelect(multiple=True),
    )
    preferred_language = SelectField(
        _l("Preferred language for letters and the portal"),
        choices=lambda: [(code, locale_name(code)) for code in SUPPORTED_LOCALES],
    )
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), phone_number()],
    )
    email = StringField(_l("E-mail address"), validators=[Optional(), Email(), Length(max=254)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    residence_category = SelectField(
        _l("Residence category"), choices=lambda: labelled_choices(ResidenceCategory)
    )
    permit_number = StringField(
        _l("Residence permit number"), validators=[Optional(), Length(max=40)]
    )
    permit_issued_on = DateField(_l("Permit issued on"), validators=[Optional()])
    permit_expires_on = DateField(_l("Permit expires on"), validators=[Optional()])
    arrived_in_country_on = DateField(_l("Arrival in the country"), validators=[Optional()])
    arrived_in_municipality_on = DateField(
        _l("Arrival in the municipality"), validators=[Optional()]
    )
    caseworker_id = SelectField(_l("Caseworker"), coerce=optional_int)
    stage = SelectField(
        _l("Starting stage"),
        choices=lambda: labelled_choices(Stage),
        default=Stage.ARRIVAL.value,
        description=_l("Usually pre-departure or arrival."),
    )
    unaccompanied_minor = BooleanField(SENSITIVE_FLAGS["unaccompanied_minor"])
    disability = BooleanField(SENSITIVE_FLAGS["disability"])
    health_need = BooleanField(SENSITIVE_FLAGS["health_need"])
    psychosocial_need = BooleanField(SENSITIVE_FLAGS["psychosocial_need"])
    single_parent = BooleanField(SENSITIVE_FLAGS["single_parent"])
    trafficking_victim = BooleanField(SENSITIVE_FLAGS["trafficking_victim"])
    version = HiddenField()
    confirm_new_person = BooleanField(
        _l("I have checked the files above: this is a different person.")
    )
    submit = SubmitField(_l("Save case file"))

    def validate(self, extra_validators=None) -> bool:
        """Check the fields, then the date rules of a case file (kept in the service)."""
        if not super().validate(extra_validators):
            return False
        try:
            check_case_dates(self.case_data().values, local_today())
        except RuleBroken as error:
            show_on_form(self, error)
            return False
        return True

    def case_data(self) -> CaseData:
        """Return the typed values for the services."""
        values = {name: getattr(self, name).data for name in CASE_FIELDS}
        for name in ("given_names", "family_name", "given_names_latin", "family_name_latin",
                     "phone", "email", "address", "permit_number"):  # fmt: skip
            values[name] = (values[name] or "").strip() or None
        values["country_of_birth"] = values["country_of_birth"] or None
        values["sex"] = Sex(values["sex"])
        values["residence_category"] = ResidenceCategory(values["residence_category"])
        return CaseData(
            values=values,
            nationalities=list(self.nationalities.data or []),
            languages=list(self.languages.data or []),
            mother_tongue=self.mother_tongue.data or None,
            # The edit form has no stage field: the stage moves through the pathway.
            stage=Stage(self.stage.data) if self.stage else Stage.ARRIVAL,
            flags={name: bool(getattr(self, name).data) for name in SENSITIVE_FLAGS},
        )


class CaseloadFilterForm(FlaskForm):
    class Meta:
        csrf = False

        def render_field(self, field, render_kw):
            # A dozen selects on every caseload page, with the ones other domains add: their
            # options are rendered once per language and list, like the long lists.
            if type(field.widget) is Select:
                return OptionListSelect(multiple=field.widget.multiple)(field, **render_kw)
            return super().render_field(field, render_kw)

    q = StringField(
        _l("Name, reference or permit number"), validators=[Optional(), Length(max=100)]
    )
    caseworker = SelectField(_l("Caseworker"), default="mine", widget=OptionListSelect())
    stage = SelectField(
        _l("Stage"), choices=lambda: [("", _l("Any")), *labelled_choices(Stage)], default=""
    )
    status = SelectField(
        _l("Status"),
        choices=lambda: [("active", _l("Open")), ("closed", _l("Closed")), ("", _l("Any"))],
        default="active",
    )
    residence_category = SelectField(
        _l("Residence category"),
        choices=lambda: [("", _l("Any")), *labelled_choices(ResidenceCategory)],
        default="",
    )
    nationality = SelectField(
        _l("Nationality"),
        choices=lambda: [("", _l("Any")), *country_choices()],
        default="",
        widget=OptionListSelect(),
    )
    flag = SelectField(
        _l("Needs"),
        choices=lambda: [("", _l("Any")), *SENSITIVE_FLAGS.items()],
        default="",
    )
    permit_expiring = BooleanField(_l("Permit expires within 90 days"))
    sort = SelectField(
        _l("Sort by"),
        choices=lambda: [
            ("name", _l("Name")),
            ("reference", _l("Reference")),
            ("arrival", _l("Latest arrival")),
            ("permit", _l("Permit expiry")),
            ("updated", _l("Last change")),
        ],
        default="name",
    )


class NoteForm(FlaskForm):
    category = SelectField(_l("Category"), choices=lambda: labelled_choices(NoteCategory))
    text = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=10000)])
    amends = HiddenField()
    submit = SubmitField(_l("Add note"))


class AmendmentForm(FlaskForm):
    text = TextAreaField(_l("Correction"), validators=[DataRequired(), Length(max=10000)])
    submit = SubmitField(_l("Add correction"))


class HouseholdLinkForm(FlaskForm):
    reference = StringField(
        _l("Reference of the relative's file"), validators=[DataRequired(), Length(max=32)]
    )
    relation = SelectField(_l("Relation"), choices=lambda: labelled_choices(Relation))
    submit = SubmitField(_l("Link files"))


class DependantForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    birth_year = IntegerField(
        _l("Year of birth"), validators=[DataRequired(message=_l("Enter a year, e.g. 2019."))]
    )
    relation = SelectField(
        _l("Relation"), choices=lambda: labelled_choices(Relation), default="child"
    )
    submit = SubmitField(_l("Add family member"))

    def validate_birth_year(self, field) -> None:
        # This year is the municipality's, read now: a worker may run over New Year.
        this_year = local_today().year
        if not FIRST_BIRTH_YEAR <= field.data <= this_year:
            raise ValidationError(
                _l(
                    "Enter a year between %(min)s and %(max)s.",
                    min=local_digits(FIRST_BIRTH_YEAR),
                    max=local_digits(this_year),
                )
            )


class ConsentForm(FlaskForm):
    purpose = SelectField(_l("Purpose"), choices=lambda: labelled_choices(ConsentPurpose))
    given_on = DateField(
        _l("Given on"), validators=[DataRequired(), not_in_future], default=local_today
    )
    method = SelectField(_l("How it was given"), choices=lambda: labelled_choices(ConsentMethod))
    submit = SubmitField(_l("Record consent"))


class WithdrawConsentForm(FlaskForm):
    withdrawn_on = DateField(
        _l("Withdrawn on"), validators=[DataRequired(), not_in_future], default=local_today
    )
    submit = SubmitField(_l("Record withdrawal"))


class ReassignForm(FlaskForm):
    # Every caseworker of the municipality: hundreds in a city.
    caseworker_id = SelectField(
        _l("Caseworker"),
        coerce=optional_int,
        validators=[DataRequired()],
        widget=OptionListSelect(),
    )
    submit = SubmitField(_l("Reassign"))


class CloseCaseForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=lambda: labelled_choices(ClosingReason))
    closed_on = DateField(
        _l("Closed on"), validators=[DataRequired(), not_in_future], default=local_today
    )
    submit = SubmitField(_l("Close case"))


class PortalAccessForm(FlaskForm):
    email = StringField(
        _l("The newcomer's e-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l(
            "They sign in with it. No e-mail is sent: you hand over the activation link."
        ),
    )
    submit = SubmitField(_l("Open portal access"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet file"),
        validators=[
            FileRequired(),
            FileAllowed(["xlsx", "ods", "csv", "txt"], _l("Choose an .xlsx, .ods or .csv file.")),
        ],
        description=_l(
            "Excel (.xlsx), LibreOffice (.ods) or CSV in any encoding, one person per row, "
            "with the column names in the first row."
        ),
    )
    submit = SubmitField(_l("Check file"))

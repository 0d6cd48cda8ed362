"""The housing, health access, civic participation and children's education sections of the
case file, their forms, and the caseload filters they add."""

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from ..cases.models import Case, Dependant
from ..cases.page import (
    LEFT,
    RIGHT,
    CaseloadFilter,
    CaseSection,
    add_caseload_filter,
    add_section,
    page_form,
    submit_section,
)
from ..cases.services import load_case_file
from ..extensions import db
from ..i18n import labelled_choices, local_today
from ..security import Role, allow
from . import bp, services
from .forms import ChildEducationForm, CivicForm, HealthForm, HousingForm
from .models import HousingSituation, Status
from .permissions import can_record_inclusion

caseworker_only = allow(Role.CASEWORKER)
SELF = "self"  # the child choice for the person of the case file


def _blank(form_class, prefix):
    return lambda case: page_form(form_class, prefix, formdata=None)


def _education_form(case: Case, submitted: bool = False) -> ChildEducationForm:
    form = page_form(ChildEducationForm, "education", **({} if submitted else {"formdata": None}))
    form.child.choices = [
        (str(line.dependant.id) if line.dependant else SELF, line.name)
        for line in services.children_of(case, local_today())
    ]
    return form


add_section(
    CaseSection(
        "housing",
        _l("Housing"),
        "inclusion/_housing.html",
        LEFT,
        22,
        forms={"housing_form": _blank(HousingForm, "housing")},
        context=lambda case: {"housing": services.housing_history(case)},
    )
)
add_section(
    CaseSection(
        "education",
        _l("Children's education"),
        "inclusion/_education.html",
        LEFT,
        24,
        forms={"education_form": _education_form},
        context=lambda case: {"children": services.children_of(case, local_today())},
    )
)
add_section(
    CaseSection(
        "health",
        _l("Health access"),
        "inclusion/_health.html",
        RIGHT,
        40,
        forms={"health_form": _blank(HealthForm, "health")},
        context=lambda case: {"health": services.health_lines(case, current_user)},
    )
)
add_section(
    CaseSection(
        "civic",
        _l("Civic participation and status"),
        "inclusion/_civic.html",
        RIGHT,
        45,
        forms={"civic_form": _blank(CivicForm, "civic")},
        context=lambda case: {"civic": services.civic_lines(case)},
    )
)


def _recordable(case_id: int) -> Case:
    case = load_case_file(case_id, current_user)
    if case is None or not can_record_inclusion(current_user, case):
        abort(404)
    return case


@bp.route("/<int:case_id>/housing", methods=["POST"])
@caseworker_only
def record_housing(case_id: int):
    case = _recordable(case_id)
    return submit_section(
        case,
        "housing_form",
        page_form(HousingForm, "housing"),
        lambda form: services.record_housing(
            case,
            form.situation.data,
            form.since.data,
            form.adequate.data,
            form.note.data,
            current_user,
            household=form.household.data,
        ),
        _("Housing situation recorded."),
        "housing",
    )


def _record_status(case_id: int, form_class, prefix: str, section: str):
    case = _recordable(case_id)
    return submit_section(
        case,
        f"{prefix}_form",
        page_form(form_class, prefix),
        lambda form: services.record_status(
            case, form.status.data, form.holds.data, form.since.data, form.note.data, current_user
        ),
        _("Recorded."),
        section,
    )


@bp.route("/<int:case_id>/health", methods=["POST"])
@caseworker_only
def record_health(case_id: int):
    return _record_status(case_id, HealthForm, "health", "health")


@bp.route("/<int:case_id>/civic", methods=["POST"])
@caseworker_only
def record_civic(case_id: int):
    return _record_status(case_id, CivicForm, "civic", "civic")


@bp.route("/<int:case_id>/education", methods=["POST"])
@caseworker_only
def record_education(case_id: int):
    case = _recordable(case_id)

    def record(form):
        dependant = None
        if form.child.data != SELF:
            dependant = db.session.get(Dependant, int(form.child.data))
        services.record_child_education(
            case, dependant, form.stage.data, form.since.data, form.note.data, current_user
        )

    return submit_section(
        case,
        "education_form",
        _education_form(case, submitted=True),
        record,
        _("Education recorded."),
        "education",
    )


# -- caseload filters ----------------------------------------------------------------------------


def _any_yes_no():
    return [("", _l("Any")), ("yes", _l("Yes")), ("no", _l("No"))]


def _narrow(statement, values):
    today = local_today()
    if values["housing"]:
        months = values["housing_months"]
        statement = statement.where(
            services.housing_condition(
                values["housing"], today, services.months_before(today, months) if months else None
            )
        )
    for name, status in (
        ("health_insurance", Status.HEALTH_INSURANCE),
        ("long_term_residence", Status.LONG_TERM_RESIDENCE),
    ):
        if values[name]:
            holding = services.holding_condition(status, today)
            statement = statement.where(holding if values[name] == "yes" else ~holding)
    return statement


add_caseload_filter(
    CaseloadFilter(
        fields={
            "housing": SelectField(
                _l("Housing situation"),
                choices=lambda: [("", _l("Any")), *labelled_choices(HousingSituation)],
                default="",
            ),
            "housing_months": IntegerField(
                _l("In this situation for at least (months)"),
                validators=[Optional(), NumberRange(min=1, max=600)],
            ),
            "health_insurance": SelectField(
                _l("Health insurance"), choices=_any_yes_no, default=""
            ),
            "long_term_residence": SelectField(
                _l("Long-term residence permit"), choices=_any_yes_no, default=""
            ),
        },
        narrow=_narrow,
    )
)

"""Assessment sections of the case file, the skills profile page, the occupation search and
the caseload filters by language level, recognition, occupation and employment.

Every URL here answers 404, not 403, to anyone but a caseworker of the case's municipality
(providers, newcomers, administrators): it does not even confirm that the page exists.
"""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField

from ..cases.models import Case
from ..cases.page import (
    LEFT,
    RIGHT,
    CaseloadFilter,
    CaseSection,
    add_caseload_filter,
    add_section,
    back_to,
    page_form,
    submit_section,
)
from ..cases.services import load_case_file
from ..errors import RuleBroken, show_on_form
from ..extensions import db
from ..i18n import labelled_choices, local_today
from ..security import Reach, Role, allow
from . import bp, services
from .chart import level_chart
from .forms import (
    ALL_SKILLS,
    AssessmentForm,
    EducationForm,
    EmploymentForm,
    MeasureStatusForm,
    QualificationForm,
    RecognitionStepForm,
    SkillsProfileForm,
    WorkExperienceForm,
    host_languages_first,
)
from .models import (
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    CompensationMeasure,
    EmploymentStatus,
    IscoGroup,
    LanguageSkill,
    MeasureKind,
    MeasureStatus,
    Qualification,
    RecognitionState,
    WorkExperience,
)
from .permissions import can_record_assessments, can_search_occupations
from .reference import (
    isced_field_title,
    major_group_choices,
    occupation_title,
    search_occupations,
)

# Any signed-in role reaches the view, which then answers 404 unless the permission holds.
caseworker_only = allow(
    *Role,
    reach={Role.ADMIN: Reach.NOTHING, Role.PROVIDER: Reach.NOTHING, Role.MIGRANT: Reach.NOTHING},
)


def _load_case(case_id: int) -> Case:
    case = load_case_file(case_id, current_user)
    if case is None or not can_record_assessments(current_user, case):
        abort(404)
    return case


def _owned(model, object_id: int, case: Case):
    """Load a record that hangs off ``case``, or answer 404."""
    found = db.session.get(model, object_id)
    if found is None or found.case_id != case.id:
        abort(404)
    return found


def _host_language() -> str:
    return current_user.municipality.default_locale.split("_")[0]


# -- language levels ------------------------------------------------------------------------


def _assessment_form(case, submitted: bool = False) -> AssessmentForm:
    form = page_form(AssessmentForm, "level", **({} if submitted else {"formdata": None}))
    if not submitted:
        form.language.data = _host_language()
        form.assessed_on.data = local_today()
    return form


def _language_context(case: Case) -> dict:
    levels = services.language_levels(case, _host_language())
    return {
        "language_levels": levels,
        "level_charts": {entry.language: level_chart(entry.history) for entry in levels},
        "skills": list(LanguageSkill),
    }


add_section(
    CaseSection(
        "languages",
        _l("Language levels"),
        "assessments/_languages.html",
        LEFT,
        50,
        forms={"assessment_form": _assessment_form},
        context=_language_context,
    )
)


@bp.route("/<int:case_id>/language-levels", methods=["POST"])
@caseworker_only
def record_level(case_id: int):
    case = _load_case(case_id)

    def record(form):
        skills = (
            list(LanguageSkill)
            if form.skill.data == ALL_SKILLS
            else [LanguageSkill(form.skill.data)]
        )
        services.record_assessment(
            case,
            services.AssessmentData(
                language=form.language.data,
                skills=skills,
                level=CefrLevel(form.level.data),
                assessed_on=form.assessed_on.data,
                source=AssessmentSource(form.source.data),
                certificate_number=form.certificate_number.data,
                certificate_issuer=form.certificate_issuer.data,
                organisation=form.organisation.data,
                note=form.note.data,
            ),
            current_user,
        )

    return submit_section(
        case,
        "assessment_form",
        _assessment_form(case, submitted=True),
        record,
        _("Language level recorded."),
        "languages",
    )


# -- qualifications and recognition ---------------------------------------------------------


def _qualification_context(case: Case) -> dict:
    qualifications = services.qualifications_of(case)
    return {
        "qualifications": qualifications,
        "next_states": {
            item.id: [(state.value, state.label) for state in services.next_states(item)]
            for item in qualifications
        },
        "measure_statuses": labelled_choices(MeasureStatus),
        "measure_kinds": labelled_choices(MeasureKind),
        "isced_field_title": isced_field_title,
    }


add_section(
    CaseSection(
        "qualifications",
        _l("Qualifications and recognition"),
        "assessments/_qualifications.html",
        LEFT,
        60,
        forms={"step_form": lambda case: page_form(RecognitionStepForm, "step", formdata=None)},
        context=_qualification_context,
    )
)


@bp.route("/<int:case_id>/qualifications/new", methods=["GET", "POST"])
@caseworker_only
def add_qualification(case_id: int):
    """A page of its own: the form's long lists (countries, fields) would weigh down the file."""
    case = _load_case(case_id)
    form = QualificationForm()
    if form.validate_on_submit():
        try:
            services.add_qualification(case, form.values(), current_user)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            flash(_("Qualification added."), "success")
            return back_to(case, "qualifications")
    return render_template("assessments/qualification_form.html", case=case, form=form)


@bp.route("/<int:case_id>/qualifications/<int:qualification_id>/steps", methods=["POST"])
@caseworker_only
def record_step(case_id: int, qualification_id: int):
    case = _load_case(case_id)
    qualification = _owned(Qualification, qualification_id, case)
    return submit_section(
        case,
        "step_form",
        page_form(RecognitionStepForm, "step"),
        lambda form: services.move_recognition(
            qualification,
            RecognitionState(form.to_state.data),
            form.on.data,
            current_user,
            authority=form.authority.data,
            reference=form.reference.data,
            note=form.note.data,
            measure=MeasureKind(form.measure.data) if form.measure.data else None,
        ),
        _("Recognition step recorded."),
        "qualifications",
        row=qualification.id,
    )


@bp.route(
    "/<int:case_id>/qualifications/<int:qualification_id>/measures/<int:measure_id>",
    methods=["POST"],
)
@caseworker_only
def set_measure_status(case_id: int, qualification_id: int, measure_id: int):
    case = _load_case(case_id)
    qualification = _owned(Qualification, qualification_id, case)
    measure = db.session.get(CompensationMeasure, measure_id)
    if measure is None or measure.qualification_id != qualification.id:
        abort(404)
    form = page_form(MeasureStatusForm, "measure")
    if form.validate_on_submit():
        services.set_measure_status(measure, MeasureStatus(form.status.data), case, current_user)
        flash(_("Compensation measure saved."), "success")
    return back_to(case, "qualifications")


# -- employment and education status --------------------------------------------------------


def _employment_context(case: Case) -> dict:
    history = services.employment_history(case)
    current = next((row for row in history if row.current), None)
    return {
        "employment_history": history,
        "over_qualified": services.is_over_qualified(case, current, local_today()),
        "occupation_title": occupation_title,
    }


add_section(
    CaseSection(
        "employment",
        _l("Employment and education"),
        "assessments/_employment.html",
        RIGHT,
        40,
        forms={
            "employment_form": lambda case: page_form(EmploymentForm, "employment", formdata=None)
        },
        context=_employment_context,
    )
)


@bp.route("/<int:case_id>/employment", methods=["POST"])
@caseworker_only
def record_employment(case_id: int):
    case = _load_case(case_id)
    return submit_section(
        case,
        "employment_form",
        page_form(EmploymentForm, "employment"),
        lambda form: services.record_employment_status(
            case,
            ActivityStatus(form.status.data),
            form.since.data,
            (form.isco_code.data or "").strip() or None,
            current_user,
        ),
        _("Employment status recorded."),
        "employment",
    )


# -- skills profile -------------------------------------------------------------------------


add_section(
    CaseSection(
        "skills",
        _l("Skills profile"),
        "assessments/_skills.html",
        RIGHT,
        50,
        context=lambda case: {
            "profile": services.profile_of(case),
            "occupation_title": occupation_title,
        },
    )
)


def _occupation_choices(query: str, chosen: str | None = None) -> list[tuple[str, str]]:
    found = search_occupations(query) if query else []
    if chosen and chosen not in {code for code, _title in found}:
        group = db.session.get(IscoGroup, chosen)
        if group is not None and group.level == 4:
            found.insert(0, (group.code, occupation_title(group)))
    return found


@bp.route("/<int:case_id>/skills-profile", methods=["GET", "POST"])
@caseworker_only
def skills_profile(case_id: int):
    """The profile page. A GET ``occupation`` search fills the occupation choices, so the
    picker works without JavaScript; the script only fetches the same results as you type."""
    case = _load_case(case_id)
    found = services.profile_of(case)
    profile_form = SkillsProfileForm(prefix="profile", obj=found.profile)
    education_form = EducationForm(prefix="education", formdata=None)
    work_form = WorkExperienceForm(prefix="work", formdata=None)
    query = (request.args.get("occupation") or "").strip()[:100]
    forms = {"profile": profile_form, "education": education_form, "work": work_form}
    sent = request.form.get("form") if request.method == "POST" else None
    if sent in ("education", "work"):
        forms[sent] = (EducationForm if sent == "education" else WorkExperienceForm)(prefix=sent)
    work_form = forms["work"]
    work_form.isco_code.choices = _occupation_choices(query, work_form.isco_code.data)
    actions = {
        "profile": lambda form: services.save_skills_profile(case, form.values(), current_user),
        "education": lambda form: services.add_education(case, form.values(), current_user),
        "work": lambda form: services.add_work_experience(case, form.values(), current_user),
    }
    if sent in forms and forms[sent].validate_on_submit():
        try:
            actions[sent](forms[sent])
        except RuleBroken as error:
            show_on_form(forms[sent], error)
        else:
            flash(_("Skills profile saved."), "success")
            return redirect(url_for("assessments.skills_profile", case_id=case.id))
    return render_template(
        "assessments/skills_profile.html",
        case=case,
        profile=found,
        profile_form=forms["profile"],
        education_form=forms["education"],
        work_form=work_form,
        query=query,
        sent=sent,
        occupation_title=occupation_title,
        isced_field_title=isced_field_title,
    )


@bp.route("/occupations.json")
@caseworker_only
def occupations():
    """ISCO-08 unit groups matching ``q`` in any language, titled in the reader's."""
    if not can_search_occupations(current_user):
        abort(404)
    query = (request.args.get("q") or "").strip()[:100]
    return jsonify([{"code": code, "title": title} for code, title in search_occupations(query)])


# -- caseload filters -----------------------------------------------------------------------


def _any(choices):
    return lambda: [("", _l("Any")), *choices()]


def _narrow_by_level(statement, values):
    if not values["cefr_language"]:
        return statement
    lowest = CefrLevel(values["cefr_from"] or CefrLevel.PRE_A1)
    highest = CefrLevel(values["cefr_to"] or CefrLevel.C2)
    skill = LanguageSkill(values["cefr_skill"]) if values["cefr_skill"] else None
    cases = services.at_least_in_every_skill(values["cefr_language"], lowest, highest, skill)
    return statement.where(Case.id.in_(cases))


add_caseload_filter(
    CaseloadFilter(
        fields={
            "cefr_language": SelectField(
                _l("Language level in"), choices=_any(host_languages_first), default=""
            ),
            "cefr_skill": SelectField(
                _l("Skill"),
                choices=lambda: [("", _l("Every skill")), *labelled_choices(LanguageSkill)],
                default="",
            ),
            "cefr_from": SelectField(
                _l("Level from"), choices=_any(lambda: labelled_choices(CefrLevel)), default=""
            ),
            "cefr_to": SelectField(
                _l("Level up to"), choices=_any(lambda: labelled_choices(CefrLevel)), default=""
            ),
        },
        narrow=_narrow_by_level,
    )
)


def _one_choice_filter(name: str, label, choices, cases_with) -> None:
    """A caseload filter of one select: the cases that ``cases_with(value)`` selects."""
    add_caseload_filter(
        CaseloadFilter(
            fields={name: SelectField(label, choices=_any(choices), default="")},
            narrow=lambda statement, values: statement.where(Case.id.in_(cases_with(values[name]))),
        )
    )


_one_choice_filter(
    "recognition",
    _l("Recognition"),
    lambda: labelled_choices(RecognitionState),
    lambda state: select(Qualification.case_id).where(Qualification.recognition_state == state),
)
_one_choice_filter(
    "isco_major",
    _l("Occupation (ISCO-08 major group)"),
    major_group_choices,
    # Work experience or the current job.
    lambda major: (
        select(WorkExperience.case_id)
        .where(WorkExperience.isco_major == major)
        .union(
            select(EmploymentStatus.case_id).where(
                EmploymentStatus.current.is_(True), EmploymentStatus.isco_major == major
            )
        )
    ),
)
_one_choice_filter(
    "employment",
    _l("Employment and education"),
    lambda: labelled_choices(ActivityStatus),
    lambda status: select(EmploymentStatus.case_id).where(
        EmploymentStatus.current.is_(True), EmploymentStatus.status == status
    ),
)

"""Milestones: derived from the file in SQL, ticked by caseworkers, kept by administrators;
"ready to advance" on the case file and the caseload; moving on early needs a reason."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from integrapath.assessments.models import (
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    LanguageSkill,
)
from integrapath.assessments.services import (
    AssessmentData,
    record_assessment,
    record_employment_status,
)
from integrapath.cases.models import Stage
from integrapath.courses import services as courses
from integrapath.courses.models import CourseType
from integrapath.extensions import db
from integrapath.inclusion.models import Status
from integrapath.inclusion.services import record_status
from integrapath.pathway import services
from integrapath.pathway.models import Milestone, MilestoneRule, MilestoneTick
from integrapath.pathway.services import PathwayError
from integrapath.security import Role
from tests.courses.seeds import running_course


def _milestone(municipality, stage, rule, name, required=True):
    milestone = services.add_milestone(municipality, stage, rule, {"en": name}, required, None)
    db.session.commit()
    return milestone


def _met(case) -> dict[str, bool]:
    return {item.milestone.names["en"]: item.met for item in services.checklist_of(case)}


def _exam(case, level, actor, day, language="en"):
    record_assessment(
        case,
        AssessmentData(language, list(LanguageSkill), level, day, AssessmentSource.COURSE_EXAM),
        actor,
    )


def _ready_ids(municipality) -> set[int]:
    from integrapath.cases.models import Case

    return set(db.session.scalars(select(Case.id).where(services.ready_condition(municipality))))


def test_a_b1_exam_and_a_job_make_the_long_term_stage_ready_in_python_and_in_sql(
    app_ctx, make_case, make_user, municipality, today
):
    actor = make_user(Role.CASEWORKER)
    _milestone(municipality, Stage.LONG_TERM, MilestoneRule.LANGUAGE_B1, "B1")
    _milestone(municipality, Stage.LONG_TERM, MilestoneRule.WORK_OR_EDUCATION, "Work")
    case = make_case()
    other = make_case()
    services.move_stage(case, Stage.LONG_TERM, None, actor)
    services.move_stage(other, Stage.LONG_TERM, None, actor)
    _exam(case, CefrLevel.A2, actor, today - timedelta(days=60))
    assert _met(case) == {"B1": False, "Work": False}
    _exam(case, CefrLevel.B1, actor, today - timedelta(days=1))
    _exam(case, CefrLevel.B1, actor, today - timedelta(days=1), language="fr")
    assert _met(case) == {"B1": True, "Work": False}
    assert case.id not in _ready_ids(municipality)
    record_employment_status(case, ActivityStatus.UNEMPLOYED, today, None, actor)
    assert _met(case)["Work"] is False
    record_employment_status(case, ActivityStatus.IN_VOCATIONAL_TRAINING, today, None, actor)
    assert _met(case) == {"B1": True, "Work": True}
    assert services.pathway_of(case)["ready_to_advance"]
    assert _ready_ids(municipality) == {case.id}
    # The latest level counts, not the highest: a later A2 in one skill takes it back.
    writing = [LanguageSkill.WRITING]
    source = AssessmentSource.PLACEMENT_TEST
    record_assessment(case, AssessmentData("en", writing, CefrLevel.A2, today, source), actor)
    assert _met(case)["B1"] is False
    assert _ready_ids(municipality) == set()


def test_a_completed_civic_course_and_long_term_residence_flip_their_milestones(
    app_ctx, make_case, make_user, municipality
):
    _milestone(municipality, Stage.ARRIVAL, MilestoneRule.CIVIC_ORIENTATION, "Civic")
    _milestone(municipality, Stage.ARRIVAL, MilestoneRule.LONG_TERM_RESIDENCE, "Residence")
    course = running_course(make_user, make_case)
    case = make_case()
    enrolment = course.enrol(case)
    assert _met(case) == {"Civic": False, "Residence": False}
    courses.record_result(enrolment, courses.ResultData(passed=True), course.caseworker)
    assert _met(case)["Civic"] is False  # a language course is not civic orientation
    offering_course = course.offering.course
    offering_course.course_type = CourseType.CIVIC_ORIENTATION
    offering_course.target_language = offering_course.entry_level = None
    offering_course.target_level = None
    db.session.flush()
    assert _met(case)["Civic"] is True
    record_status(case, Status.LONG_TERM_RESIDENCE, True, date(2025, 1, 1), None, course.caseworker)
    assert _met(case)["Residence"] is True
    assert _ready_ids(municipality) == {case.id}


def test_moving_on_with_required_milestones_missing_needs_a_reason(
    app_ctx, make_case, make_user, municipality, today
):
    actor = make_user(Role.CASEWORKER)
    welcomed = _milestone(municipality, Stage.ARRIVAL, MilestoneRule.TICKED, "Welcomed")
    _milestone(municipality, Stage.ARRIVAL, MilestoneRule.LANGUAGE_A1, "A1", required=False)
    case = make_case()
    with pytest.raises(PathwayError) as refused:
        services.move_stage(case, Stage.EARLY_INTEGRATION, None, actor)
    assert refused.value.field == "reason"
    assert case.stage == Stage.ARRIVAL
    services.tick_milestone(case, welcomed, today, actor)
    assert services.pathway_of(case)["ready_to_advance"]  # the optional one does not hold it up
    services.move_stage(case, Stage.EARLY_INTEGRATION, None, actor)
    assert case.stage == Stage.EARLY_INTEGRATION
    early = make_case()
    services.move_stage(early, Stage.EARLY_INTEGRATION, "Arrived with a job offer", actor)
    assert services.stage_history(early)[-1].reason == "Arrived with a job offer"


def test_a_tick_cannot_be_given_twice_in_the_future_or_to_a_derived_milestone(
    app_ctx, make_case, make_user, municipality, today
):
    actor = make_user(Role.CASEWORKER)
    ticked = _milestone(municipality, Stage.ARRIVAL, MilestoneRule.TICKED, "Welcomed")
    derived = _milestone(municipality, Stage.ARRIVAL, MilestoneRule.LANGUAGE_A1, "A1")
    case = make_case()
    with pytest.raises(PathwayError):
        services.tick_milestone(case, derived, today, actor)
    with pytest.raises(PathwayError):
        services.tick_milestone(case, ticked, today + timedelta(days=1), actor)
    services.tick_milestone(case, ticked, today, actor)
    with pytest.raises(PathwayError):
        services.tick_milestone(case, ticked, today, actor)
    services.untick_milestone(case, ticked, actor)
    assert db.session.scalar(select(func.count(MilestoneTick.id))) == 0


def test_a_caseworker_ticks_sees_ready_to_advance_confirms_and_finds_it_on_the_caseload(
    auth, caseworker, client, make_case, municipality
):
    welcomed = _milestone(municipality, Stage.ARRIVAL, MilestoneRule.TICKED, "Welcomed")
    case = make_case(caseworker=caseworker, family_name="Readyone")
    make_case(caseworker=caseworker, family_name="Notyet")
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Welcomed" in page and "Not met yet" in page and "Ready to advance" not in page
    response = auth.post(
        f"/cases/{case.id}/milestones/{welcomed.id}/tick",
        {"tick-met_on": municipality.today().isoformat()},
        token_from=f"/cases/{case.id}",
    )
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Ready to advance" in page and "Milestone met" in page  # the timeline
    caseload = client.get("/cases/").get_data(as_text=True)
    assert "1 of your cases is ready to advance to the next stage." in caseload
    ready = client.get("/cases/?ready=y").get_data(as_text=True)
    assert "Readyone" in ready and "Notyet" not in ready
    response = auth.post(f"/cases/{case.id}/advance", {}, token_from=f"/cases/{case.id}")
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.stage == Stage.EARLY_INTEGRATION


def test_the_caseload_filter_stays_one_query_as_milestones_and_cases_grow(
    auth, caseworker, client, make_case, municipality, count_queries
):
    _milestone(municipality, Stage.ARRIVAL, MilestoneRule.NEEDS_ASSESSED, "Needs")
    make_case(caseworker=caseworker)
    with count_queries() as few:
        assert client.get("/cases/?ready=y").status_code == 200
    for rule in MilestoneRule:
        for stage in list(Stage)[:4]:
            _milestone(municipality, stage, rule, f"{stage} {rule}")
    for _ in range(10):
        make_case(caseworker=caseworker)
    with count_queries() as many:
        assert client.get("/cases/?ready=y").status_code == 200
    assert len(many) == len(few)


def test_an_administrator_adds_renames_reorders_and_retires_milestones(
    auth, client, make_user, municipality, make_case
):
    admin = make_user(Role.ADMIN)
    auth.login(admin)
    response = auth.post(
        "/admin/milestones/new",
        {"stage": "arrival", "rule": "ticked", "required": "y", "name_en": "Bank account opened",
         "name_de": "Bankkonto eröffnet", "name_ar": "فتح حساب مصرفي"},
        token_from="/admin/milestones/new",
    )  # fmt: skip
    assert response.status_code == 302
    refused = auth.post(
        "/admin/milestones/new",
        {"stage": "arrival", "rule": "ticked", "name_de": "Nur Deutsch"},
        token_from="/admin/milestones/new",
    )
    assert 'id="name_en-error"' in refused.get_data(as_text=True)  # the name in English is needed
    auth.post("/admin/milestones/new",
              {"stage": "arrival", "rule": "language_a1", "name_en": "Some English"},
              token_from="/admin/milestones/new")  # fmt: skip
    first, second = services.milestones_of(municipality.id)
    assert (first.names["en"], second.names["en"]) == ("Bank account opened", "Some English")
    auth.post(f"/admin/milestones/{second.id}/up", {}, token_from="/admin/milestones")
    assert [m.id for m in services.milestones_of(municipality.id)] == [second.id, first.id]
    auth.post(
        f"/admin/milestones/{first.id}",
        {"name_en": "Bank account", "name_fr": "Compte bancaire"},
        token_from=f"/admin/milestones/{first.id}",
    )
    db.session.refresh(first)
    assert first.names == {"en": "Bank account", "fr": "Compte bancaire"}
    assert first.required is False
    auth.post(f"/admin/milestones/{second.id}/retire", {}, token_from="/admin/milestones")
    assert [m.id for m in services.milestones_of(municipality.id)] == [first.id]
    page = client.get("/admin/milestones").get_data(as_text=True)
    assert "Retired" in page and "Bank account" in page
    # A newcomer's caseworker reading in French sees the French name.
    worker = make_user(Role.CASEWORKER, preferred_locale="fr")
    case = make_case(caseworker=worker)
    auth.logout()
    auth.login(worker)
    assert "Compte bancaire" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_milestones_of_another_municipality_answer_404(
    auth, client, make_user, make_municipality, make_case
):
    elsewhere = make_municipality()
    foreign = _milestone(elsewhere, Stage.ARRIVAL, MilestoneRule.TICKED, "Theirs")
    db.session.commit()
    auth.login(make_user(Role.ADMIN))
    assert client.get(f"/admin/milestones/{foreign.id}").status_code == 404
    for action in ("up", "down", "retire"):
        url = f"/admin/milestones/{foreign.id}/{action}"
        assert auth.post(url, {}, token_from="/admin/milestones").status_code == 404
    worker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=worker)
    auth.logout()
    auth.login(worker)
    url = f"/cases/{case.id}/milestones/{foreign.id}/tick"
    assert auth.post(url, {"tick-met_on": "2025-01-01"}, token_from="/cases/").status_code == 404
    assert db.session.get(Milestone, foreign.id).retired_at is None


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.PROVIDER, Role.MIGRANT])
def test_only_administrators_keep_the_checklists(auth, client, make_user, role):
    auth.login(make_user(role))
    assert client.get("/admin/milestones").status_code in (403, 404)
    response = auth.post(
        "/admin/milestones/new",
        {"stage": "arrival", "rule": "ticked", "name_en": "x"},
        token_from="/account/password",
    )
    assert response.status_code in (403, 404)
    assert db.session.scalar(select(func.count(Milestone.id))) == 0


def test_demo_municipalities_get_a_default_checklist_named_in_every_locale(app_ctx, municipality):
    services.add_default_milestones(municipality)
    milestones = services.milestones_of(municipality.id)
    assert {m.stage for m in milestones} == set(Stage)
    assert all(len(m.names) >= 7 for m in milestones)
    civic = next(m for m in milestones if m.rule == MilestoneRule.CIVIC_ORIENTATION)
    assert civic.names["en"] == "Civic orientation completed"
    assert civic.names["de"] != civic.names["en"]

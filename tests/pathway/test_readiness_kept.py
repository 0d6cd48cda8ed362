"""Readiness to advance and the last activity, kept on the case: after every kind of write
that a milestone rule reads, the kept columns say what the rules evaluated afresh say."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from integrapath.assessments import services as assessments
from integrapath.assessments.models import (
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    LanguageSkill,
    RecognitionState,
)
from integrapath.audit import AuditEvent
from integrapath.cases.models import Case, ClosingReason, Stage
from integrapath.cases.services import close_case
from integrapath.courses import services as courses
from integrapath.courses.models import CourseType
from integrapath.extensions import db
from integrapath.inclusion.models import Status
from integrapath.inclusion.services import record_status
from integrapath.pathway import services
from integrapath.pathway.models import MilestoneRule
from integrapath.security import Role
from tests.courses.seeds import running_course
from tests.pathway.test_milestones import _milestone


def _exam(skills, level, day):
    return assessments.AssessmentData("en", skills, level, day, AssessmentSource.PLACEMENT_TEST)


def _kept(municipality) -> set[int]:
    """The files kept as ready, checked against the rules evaluated afresh (and the kept last
    activity against the trail): read after a commit, nothing pending."""
    fresh = services.ready_condition(municipality)
    rows = db.session.execute(
        select(
            Case.id,
            Case.ready_to_advance,
            fresh,
            Case.last_recorded_at.is_distinct_from(services.last_activity()),
        ).where(Case.municipality_id == municipality.id)
    ).all()
    assert [row.id for row in rows if row[1] != row[2] or row[3]] == []
    return {row.id for row in rows if row[1]}


def test_every_write_a_milestone_reads_keeps_the_files_readiness(
    app_ctx, make_case, make_user, municipality, today
):
    actor = make_user(Role.CASEWORKER)
    arrival = Stage.ARRIVAL
    welcomed = _milestone(municipality, arrival, MilestoneRule.TICKED, "Welcomed")
    _milestone(municipality, arrival, MilestoneRule.NEEDS_ASSESSED, "Needs")
    _milestone(municipality, arrival, MilestoneRule.PLAN_AGREED, "Plan")
    _milestone(municipality, arrival, MilestoneRule.LANGUAGE_A1, "A1")
    _milestone(municipality, arrival, MilestoneRule.WORK_OR_EDUCATION, "Work")
    _milestone(municipality, arrival, MilestoneRule.RECOGNITION_STARTED, "Recognition")
    _milestone(municipality, arrival, MilestoneRule.LONG_TERM_RESIDENCE, "Residence")
    _milestone(municipality, arrival, MilestoneRule.CIVIC_ORIENTATION, "Civic")
    course = running_course(make_user, make_case)
    case, other = make_case(), make_case()
    assert case.stage == arrival and _kept(municipality) == set()

    def step(write):
        write()
        db.session.commit()
        return _kept(municipality)

    step(lambda: services.tick_milestone(case, welcomed, today, actor))
    step(lambda: assessments.save_skills_profile(case, {"digital_skills": None}, actor))
    goal = services.add_goal(case, "Find work", actor)
    step(lambda: services.agree_plan(case, today, actor))
    exam = _exam(list(LanguageSkill), CefrLevel.A1, today)
    step(lambda: assessments.record_assessment(case, exam, actor))
    step(
        lambda: assessments.record_employment_status(
            case, ActivityStatus.IN_EDUCATION, today, None, actor
        )
    )
    qualification = assessments.add_qualification(case, {"title": "Diploma"}, actor)
    qualification.authority = "Landesamt"
    step(
        lambda: assessments.move_recognition(
            qualification, RecognitionState.SUBMITTED, today, actor
        )
    )
    step(lambda: record_status(case, Status.LONG_TERM_RESIDENCE, True, today, None, actor))
    enrolment = course.enrol(case)
    step(lambda: courses.record_result(enrolment, courses.ResultData(passed=True), actor))
    assert _kept(municipality) == set()  # a language course is not civic orientation

    def make_it_civic():  # the course's type, changed under the enrolment
        course.offering.course.course_type = CourseType.CIVIC_ORIENTATION
        course.offering.course.target_language = None
        course.offering.course.entry_level = course.offering.course.target_level = None

    assert step(make_it_civic) == {case.id}
    # Taken back: a tick, then the stage (a later placement at A1 in one skill keeps it).
    assert step(lambda: services.untick_milestone(case, welcomed, actor)) == set()
    assert step(lambda: services.tick_milestone(case, welcomed, today, actor)) == {case.id}
    writing = _exam([LanguageSkill.WRITING], CefrLevel.A1, today)
    assert step(lambda: assessments.record_assessment(case, writing, actor)) == {case.id}
    assert step(lambda: services.move_stage(case, Stage.EARLY_INTEGRATION, None, actor)) == set()
    assert step(lambda: services.move_stage(case, arrival, "Back", actor)) == {case.id}
    # A rolled-back write leaves the kept state as it was.
    services.untick_milestone(case, welcomed, actor)
    db.session.rollback()
    assert _kept(municipality) == {case.id}
    assert step(lambda: close_case(case, ClosingReason.MOVED_AWAY, today, actor)) == set()
    assert goal and other.id not in _kept(municipality)


def test_a_change_of_the_checklist_or_the_language_keeps_every_file_of_the_municipality(
    app_ctx, make_case, make_user, make_municipality, municipality, today
):
    actor = make_user(Role.CASEWORKER)
    welcomed = _milestone(municipality, Stage.ARRIVAL, MilestoneRule.TICKED, "Welcomed")
    cases = [make_case() for _ in range(3)]
    elsewhere = make_municipality("Elsewhere", "ELS", default_locale="en")
    away = make_case(in_municipality=elsewhere)
    for case in cases[:2]:
        services.tick_milestone(case, welcomed, today, actor)
    db.session.commit()
    ticked = {cases[0].id, cases[1].id}
    assert _kept(municipality) == ticked
    a1 = _milestone(municipality, Stage.ARRIVAL, MilestoneRule.LANGUAGE_A1, "A1")
    assert _kept(municipality) == set()
    exam = _exam(list(LanguageSkill), CefrLevel.A1, today)
    assessments.record_assessment(cases[0], exam, actor)
    db.session.commit()
    assert _kept(municipality) == {cases[0].id}
    municipality.default_locale = "de"  # the host language changes: the exam was in English
    db.session.commit()
    assert _kept(municipality) == set()
    municipality.default_locale = "en"
    db.session.commit()
    services.update_milestone(a1, {"en": "A1"}, False, actor)
    db.session.commit()
    assert _kept(municipality) == ticked
    services.retire_milestone(welcomed, actor)
    db.session.commit()
    assert _kept(municipality) == set()  # no required milestone left
    assert _kept(elsewhere) == set() and away.ready_to_advance is False


def test_the_caseworkers_lists_read_the_kept_state_within_the_transaction(
    app_ctx, make_case, make_user, municipality, today
):
    caseworker = make_user(Role.CASEWORKER)
    welcomed = _milestone(municipality, Stage.ARRIVAL, MilestoneRule.TICKED, "Welcomed")
    case = make_case(caseworker=caseworker)
    services.tick_milestone(case, welcomed, today, caseworker)  # not committed
    assert services.count_ready_to_advance(caseworker) == 1
    assert [row[0].id for row in services.ready_cases(caseworker).rows] == [case.id]
    services.untick_milestone(case, welcomed, caseworker)
    assert services.count_ready_to_advance(caseworker) == 0
    # Quiet: the registration a year ago is the last thing recorded, until a new event.
    db.session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.object_id == case.id)
        .values(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    )
    services.note_municipality_changed(municipality.id)
    quiet = services.inactive_cases(caseworker, 8)
    assert [row[0].id for row in quiet.rows] == [case.id] and quiet.total == 1
    services.tick_milestone(case, welcomed, today - timedelta(days=1), caseworker)
    assert services.inactive_cases(caseworker, 8).total == 0


def test_the_generated_volume_is_kept_as_the_rules_say(app):
    """seed-volume writes its rows without the ORM, then keeps the whole municipality."""
    from integrapath.volume import add_cases, seed_volume

    with app.test_request_context():
        town = seed_volume(150)
        db.session.commit()
        first = _kept(town)
        add_cases(town, range(150, 300))
        db.session.commit()
        assert first < _kept(town)

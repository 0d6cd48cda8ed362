"""A newcomer with portal access opened by their caseworker, as the case file does it."""

from dataclasses import dataclass

import pytest

from integrapath.cases.services import PortalInvitation, open_portal_access
from integrapath.extensions import db
from integrapath.security import Role
from tests.conftest import PASSWORD, Auth


@dataclass
class Newcomer:
    case: object
    account: object
    invitation: PortalInvitation
    caseworker: object


@pytest.fixture
def open_portal(app, make_case, make_user):
    """``open_portal(**case_values)``: a file with a portal account awaiting activation."""

    def make(caseworker=None, email=None, **values) -> Newcomer:
        caseworker = caseworker or make_user(Role.CASEWORKER)
        case = make_case(caseworker=caseworker, **values)
        with app.test_request_context():
            account, invitation = open_portal_access(
                case, email or f"newcomer.{case.id}@example.org", caseworker
            )
            db.session.commit()
        return Newcomer(case, account, invitation, caseworker)

    return make


@pytest.fixture
def newcomer(app, open_portal):
    """An activated newcomer (password ``PASSWORD``) who reads English."""
    person = open_portal(preferred_language="en")
    with app.app_context():  # committed inside: leaving the context discards the rest
        person.account.set_password(PASSWORD)
        person.account.activation_token_hash = None
        person.account.activation_code_hash = None
        db.session.commit()
    return person


@pytest.fixture
def portal(app, newcomer):
    """A browser of ``newcomer``, signed in."""
    client = app.test_client()
    helper = Auth(client)
    helper.login(newcomer.account)
    helper.newcomer = newcomer
    return helper


# Words only staff may read: none of them may reach a portal page, the export or the calendar.
STAFF_ONLY = {
    "note": "STAFF-NOTE-about-the-flat",
    "stage_reason": "STAFF-REASON-moved-back",
    "assessment_note": "STAFF-REMARK-on-the-test",
    "step_note": "STAFF-REMARK-on-the-step",
    "absence_reason": "STAFF-REASON-for-absence",
    "housing_note": "STAFF-NOTE-on-housing",
    "health_note": "STAFF-NOTE-on-health",
    "leave_reason": "STAFF-REASON-for-leaving",
}


def course_run(make_user, caseworker, *, title, start, days, capacity=20, weekdays=(2,),
               course_type=None, starts=(9, 0), ends=(12, 30)):  # fmt: skip
    """A course run of a new provider, with its sessions, in the test municipality."""
    from datetime import time, timedelta

    from integrapath.courses import services as courses
    from integrapath.courses.models import CefrLevel, CourseType

    provider = make_user(Role.PROVIDER)
    course_type = course_type or CourseType.LANGUAGE
    language = course_type == CourseType.LANGUAGE
    course = courses.save_course(
        None,
        courses.CourseData(
            values={"course_type": course_type, "hours": 60,
                    "target_language": "de" if language else None,
                    "entry_level": CefrLevel.A1 if language else None,
                    "target_level": CefrLevel.A2 if language else None},
            organisation_id=provider.organisation_id, locale="en", title=title,
        ),
        provider,
    )  # fmt: skip
    offering = courses.create_offering(
        course,
        {"start_date": start, "end_date": start + timedelta(days=days),
         "weekday_numbers": list(weekdays), "starts_at": time(*starts), "ends_at": time(*ends),
         "place": f"{title} room", "online": False, "capacity": capacity,
         "instruction_languages": "de uk", "childcare": False, "attendance_threshold": 80},
        provider,
    )  # fmt: skip
    db.session.commit()
    return offering, provider


@pytest.fixture
def full_file(app, newcomer, make_user, make_case, municipality, today):
    """The newcomer's file with one record of every kind the portal shows, and beside each the
    staff-only words that must never show (``STAFF_ONLY``); a second newcomer of the same
    municipality shares a course and sends a message."""
    from datetime import timedelta

    from integrapath.assessments import services as assessments
    from integrapath.assessments.models import (
        ActivityStatus,
        AssessmentSource,
        CefrLevel,
        DigitalSkills,
        LanguageSkill,
        MeasureKind,
        RecognitionState,
    )  # fmt: skip
    from integrapath.cases import services as cases
    from integrapath.cases.models import (
        ConsentMethod,
        ConsentPurpose,
        NoteCategory,
        Relation,
        Stage,
    )  # fmt: skip
    from integrapath.courses import services as courses
    from integrapath.courses.models import AttendanceStatus, CourseSession
    from integrapath.inclusion import services as inclusion
    from integrapath.inclusion.models import ChildEducationStage, HousingSituation, Status
    from integrapath.pathway import services as pathway
    from integrapath.portal.models import MessageTopic
    from integrapath.portal.services import send_message

    case, worker = newcomer.case, newcomer.caseworker
    other = open_portal_for_other(app, make_case, worker)
    with app.test_request_context():
        for flag in ("disability", "health_need", "psychosocial_need"):
            setattr(case, flag, True)
        cases.add_note(case, NoteCategory.HOUSING, STAFF_ONLY["note"], worker)
        cases.record_consent(
            case, ConsentPurpose.PROVIDER_SHARING, today, ConsentMethod.WRITTEN, worker
        )
        child = cases.add_dependant(case, "Mila", today.year - 5, Relation.CHILD, worker)
        pathway.add_default_milestones(municipality)
        pathway.move_stage(case, Stage.EARLY_INTEGRATION, "moving on", worker)
        pathway.move_stage(case, Stage.ARRIVAL, STAFF_ONLY["stage_reason"], worker)
        welcomed = next(
            m
            for m in pathway.milestones_of(case.municipality_id)
            if m.rule == pathway.MilestoneRule.TICKED and m.stage == Stage.ARRIVAL
        )
        pathway.tick_milestone(case, welcomed, today, worker)
        since = today - timedelta(days=30)
        inclusion.record_housing(
            case, HousingSituation.SHARED_FLAT, since, False, STAFF_ONLY["housing_note"], worker
        )
        inclusion.record_status(case, Status.HEALTH_INSURANCE, True, since, None, worker)
        inclusion.record_status(
            case, Status.HEALTH_SUPPORT_NEEDED, True, since, STAFF_ONLY["health_note"], worker
        )
        inclusion.record_child_education(
            case, child, ChildEducationStage.EARLY_CHILDHOOD, since, None, worker
        )
        assessments.record_assessment(
            case,
            assessments.AssessmentData(
                language="de",
                skills=list(LanguageSkill),
                level=CefrLevel.A2,
                assessed_on=since,
                source=AssessmentSource.PLACEMENT_TEST,
                organisation="VHS",
                note=STAFF_ONLY["assessment_note"],
            ),
            worker,
        )
        diploma = assessments.add_qualification(
            case,
            {
                "title": "Bachelor of Nursing",
                "institution": "Kyiv Medical College",
                "country": "UA",
                "year": 2015,
                "regulated": True,
                "documents_available": True,
            },
            worker,
        )
        assessments.move_recognition(
            diploma, RecognitionState.SUBMITTED, since, worker, note=STAFF_ONLY["step_note"]
        )
        assessments.move_recognition(diploma, RecognitionState.IN_ASSESSMENT, since, worker)
        assessments.move_recognition(
            diploma,
            RecognitionState.PARTIALLY_RECOGNISED,
            today,
            worker,
            authority="Landesamt",
            reference="LA-77",
            note="Adaptation needed",
            measure=MeasureKind.ADAPTATION_PERIOD,
        )
        assessments.save_skills_profile(
            case,
            {
                "digital_skills": DigitalSkills.BASIC,
                "job_aspirations": "Work as a nurse",
                "other_skills": "Sewing",
                "driving_licences": "B",
                "needs_childcare": True,
                "needs_health": True,
                "needs_psychosocial": True,
            },
            worker,
        )
        assessments.add_education(case, {"isced_level": 6, "country": "UA", "years": 4}, worker)
        assessments.add_work_experience(
            case, {"isco_code": "2221", "country": "UA", "years": 6, "sector": "Hospital"}, worker
        )
        assessments.record_employment_status(case, ActivityStatus.UNEMPLOYED, since, None, worker)
        db.session.commit()

        running, _provider = course_run(
            make_user,
            worker,
            title="German A2 evening",
            start=today - timedelta(days=14),
            days=120,
            weekdays=(1, 2, 3, 4, 5, 6, 7),
        )
        enrolment = courses.enrol_case(running, case, worker)
        enrolment.enrolled_on = running.start_date
        courses.enrol_case(running, other.case, worker).enrolled_on = running.start_date
        sessions = courses.sessions_of(running)
        past = [s for s in sessions if s.date < today]
        courses.record_attendance(
            past[0],
            {enrolment.id: courses.Mark(AttendanceStatus.EXCUSED, STAFF_ONLY["absence_reason"])},
            _provider,
        )
        courses.record_attendance(
            past[1], {enrolment.id: courses.Mark(AttendanceStatus.PRESENT)}, _provider
        )
        upcoming = next(s for s in sessions if s.date > today)
        courses.cancel_session(upcoming, "teacher ill", _provider)
        full, _ = course_run(
            make_user,
            worker,
            title="Civic orientation",
            capacity=1,
            start=today + timedelta(days=7),
            days=30,
        )
        courses.enrol_case(full, other.case, worker)
        waiting = courses.enrol_case(full, case, worker)
        done, done_provider = course_run(
            make_user, worker, title="German A1 summer", start=today - timedelta(days=60), days=60
        )
        finished = courses.enrol_case(done, case, worker)
        finished.enrolled_on = done.start_date
        courses.record_result(
            finished,
            courses.ResultData(
                passed=True,
                level_reached=CefrLevel.A1,
                certificate_number="TELC-1",
                certificate_issuer="telc",
                result_on=today - timedelta(days=1),
            ),
            done_provider,
        )
        left, _ = course_run(
            make_user, worker, title="Digital basics", start=today + timedelta(days=3), days=20
        )
        courses.leave_offering(
            courses.enrol_case(left, case, worker), worker, STAFF_ONLY["leave_reason"]
        )
        send_message(
            case, MessageTopic.QUALIFICATIONS, "My diploma is from 2016.", newcomer.account
        )
        send_message(other.case, MessageTopic.OTHER, "OTHER-PERSON-MESSAGE", other.account)
        pathway.add_goal(other.case, "OTHER-PERSON-GOAL", worker)
        other_plan = pathway.agree_plan(other.case, today, worker)
        goal = pathway.add_goal(case, "Work as a nurse", worker)
        pathway.add_action(
            case,
            goal,
            pathway.ActionData("Send the diploma", pathway.Responsibility.MIGRANT, today),
            worker,
        )
        pathway.agree_plan(case, today, worker)
        db.session.commit()
    return {
        "newcomer": newcomer,
        "other": other,
        "enrolment": enrolment,
        "waiting": waiting,
        "finished": finished,
        "cancelled": upcoming,
        "diploma": diploma,
        "child": child,
        "other_plan": other_plan.id,
        "sessions": [s for s in sessions if s.date >= today and isinstance(s, CourseSession)],
    }


def open_portal_for_other(app, make_case, caseworker) -> Newcomer:
    """A second newcomer of the same caseworker, with marked words in every personal field."""
    case = make_case(
        caseworker=caseworker,
        given_names="OTHERPERSON",
        family_name="OTHERFAMILY",
        phone="+49 000 111222",
        address="OTHER-STREET 9",
        preferred_language="en",
    )
    with app.test_request_context():
        account, invitation = open_portal_access(case, "other.person@example.org", caseworker)
        db.session.commit()
    return Newcomer(case, account, invitation, caseworker)

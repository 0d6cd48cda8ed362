"""Course rules, called directly: schedule, places and waiting list, attendance, rates,
results and suggestions."""

import threading
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, orm, select

from integrapath.audit import AuditEvent
from integrapath.cases.models import ConsentMethod, ConsentPurpose, Relation
from integrapath.cases.services import add_dependant, record_consent
from integrapath.courses import services
from integrapath.courses.models import (
    Attendance,
    AttendanceStatus,
    CefrLevel,
    CourseSession,
    CourseType,
    Enrolment,
    EnrolmentChange,
    EnrolmentStatus,
)
from integrapath.extensions import db
from integrapath.security import Role

PRESENT, LATE, EXCUSED, ABSENT = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.ABSENT,
)


def test_the_weekly_schedule_generates_the_sessions_on_its_weekdays(
    app_ctx, provider, make_offering
):
    offering = make_offering(
        provider, start=date(2027, 3, 1), weekdays=(1, 3), end_date=date(2027, 3, 14)
    )
    sessions = services.sessions_of(offering)
    assert [s.date for s in sessions] == [
        date(2027, 3, 1), date(2027, 3, 3), date(2027, 3, 8), date(2027, 3, 10)
    ]  # fmt: skip
    assert {(s.starts_at, s.ends_at) for s in sessions} == {(time(9), time(12))}


def test_a_language_course_needs_levels_in_order(app_ctx, provider, make_course):
    with pytest.raises(services.CourseError) as refused:
        make_course(provider, entry_level=CefrLevel.B1, target_level=CefrLevel.A2)
    assert refused.value.field == "target_level"


def test_a_provider_cannot_put_a_course_in_another_providers_catalogue(
    app_ctx, provider, make_user
):
    other = make_user(Role.PROVIDER)
    data = services.CourseData(
        values={"course_type": CourseType.CIVIC_ORIENTATION, "hours": 60},
        organisation_id=other.organisation_id,
        locale="en",
        title="Civics",
    )
    with pytest.raises(services.CourseError):
        services.save_course(None, data, provider)


def test_a_full_offering_waitlists_and_a_freed_place_goes_to_the_first_waiting(
    app_ctx, provider, make_offering, make_case, make_user, enrol
):
    offering = make_offering(provider, capacity=2)
    caseworker = make_user(Role.CASEWORKER)
    people = [make_case(caseworker=caseworker) for _ in range(4)]
    enrolments = [enrol(offering, case, caseworker) for case in people]
    assert [e.status for e in enrolments] == [
        EnrolmentStatus.ENROLLED, EnrolmentStatus.ENROLLED,
        EnrolmentStatus.WAITLISTED, EnrolmentStatus.WAITLISTED,
    ]  # fmt: skip
    services.leave_offering(enrolments[0], caseworker, "Moved to another town")
    db.session.flush()
    assert enrolments[2].status == EnrolmentStatus.ENROLLED  # the first in line
    assert enrolments[3].status == EnrolmentStatus.WAITLISTED
    assert services.promoted_unseen(caseworker) == [enrolments[2]]
    history = db.session.scalars(
        select(EnrolmentChange)
        .where(EnrolmentChange.enrolment_id == enrolments[0].id)
        .order_by(EnrolmentChange.id)
    ).all()
    assert [(c.to_status, c.reason) for c in history] == [
        (EnrolmentStatus.ENROLLED, None),
        (EnrolmentStatus.DROPPED_OUT, "Moved to another town"),
    ]
    assert history[1].changed_by_id == caseworker.id


def test_a_person_is_enrolled_once_per_offering(app_ctx, provider, make_offering, make_case, enrol):
    offering, case = make_offering(provider), make_case()
    enrol(offering, case)
    with pytest.raises(services.CourseError):
        enrol(offering, case)


def test_twenty_caseworkers_at_once_never_overfill_three_places(app, make_municipality):
    """20 enrolments at the same moment, each in its own connection: 3 get the places, the
    other 17 wait in the order they came."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL)")
    from tests.courses.concurrency import committed_offering, drop_committed, run_together

    with app.app_context():
        engine = db.engine
    setup = committed_offering(app, engine, capacity=3, people=20)
    results, errors = {}, []
    barrier = threading.Barrier(20)
    test_session = db.session
    # One connection per caseworker: the app's pool holds fewer than twenty.
    wide = sa.create_engine(engine.url.render_as_string(hide_password=False), pool_size=21)
    db.session = orm.scoped_session(orm.sessionmaker(bind=wide))

    def take_place(number: int, case_id: int):
        try:
            with app.test_request_context():
                from integrapath.accounts.models import User
                from integrapath.cases.models import Case
                from integrapath.courses.models import Offering

                offering = db.session.get(Offering, setup.offering_id)
                case = db.session.get(Case, case_id)
                caseworker = db.session.get(User, setup.caseworker_id)
                barrier.wait(timeout=20)
                enrolment = services.enrol_case(offering, case, caseworker)
                db.session.commit()
                results[case_id] = enrolment.id
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            db.session.remove()

    threads = [
        threading.Thread(target=take_place, args=(n, case_id))
        for n, case_id in enumerate(setup.case_ids)
    ]
    try:
        run_together(threads)
        assert errors == []
        with engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.text(
                        "SELECT status FROM enrolment WHERE offering_id = :id "
                        "ORDER BY requested_at, id"
                    ),
                    {"id": setup.offering_id},
                )
                .scalars()
                .all()
            )
        assert len(rows) == 20
        # Places went to whoever took the lock first; everyone after them waits in order.
        assert rows == ["enrolled"] * 3 + ["waitlisted"] * 17
    finally:
        db.session = test_session
        wide.dispose()
        drop_committed(engine, setup)


def test_saving_attendance_again_corrects_it_and_keeps_who_changed_what(
    app_ctx, provider, make_offering, make_case, enrol, make_user, today
):
    offering = make_offering(provider)
    enrolment = enrol(offering, make_case())
    session = db.session.scalar(
        select(CourseSession).where(
            CourseSession.offering_id == offering.id, CourseSession.date == today
        )
    )
    services.record_attendance(session, {enrolment.id: services.Mark(ABSENT)}, provider)
    db.session.commit()  # make_user below ends an app context, which drops pending work
    colleague = make_user(Role.PROVIDER, organisation_id=provider.organisation_id)
    services.record_attendance(
        session, {enrolment.id: services.Mark(EXCUSED, "Doctor's appointment")}, colleague
    )
    services.record_attendance(
        session, {enrolment.id: services.Mark(EXCUSED, "Doctor's appointment")}, colleague
    )
    rows = db.session.scalars(
        select(Attendance)
        .where(Attendance.session_id == session.id)
        .execution_options(populate_existing=True)
    ).all()
    assert [(r.status, r.reason, r.recorded_by_id) for r in rows] == [
        (EXCUSED, "Doctor's appointment", colleague.id)
    ]
    events = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.changes)
        .where(AuditEvent.object_type == "Enrolment", AuditEvent.action.like("attendance%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.changes["attendance"]) for e in events] == [
        ("attendance_recorded", provider.id, [None, "absent"]),
        ("attendance_corrected", colleague.id, ["absent", "excused"]),
    ]  # the unchanged third save is not a correction


def test_attendance_is_refused_for_a_future_or_cancelled_session_and_strangers(
    app_ctx, provider, make_offering, make_case, enrol, today
):
    offering = make_offering(provider)
    enrolment = enrol(offering, make_case())
    sessions = {s.date: s for s in services.sessions_of(offering)}
    with pytest.raises(services.CourseError):
        services.record_attendance(
            sessions[today + timedelta(days=1)], {enrolment.id: services.Mark(PRESENT)}, provider
        )
    services.cancel_session(sessions[today], "Teacher ill", provider)
    with pytest.raises(services.CourseError):
        services.record_attendance(
            sessions[today], {enrolment.id: services.Mark(PRESENT)}, provider
        )
    other = enrol(make_offering(provider), make_case())
    with pytest.raises(services.CourseError):
        services.record_attendance(
            sessions[today - timedelta(days=1)], {other.id: services.Mark(PRESENT)}, provider
        )


def _mark_days(session_by_date, enrolment, provider, marks):
    for day, status in marks.items():
        services.record_attendance(
            session_by_date[day], {enrolment.id: services.Mark(status)}, provider
        )


def test_rates_count_sessions_since_enrolment_and_keep_excused_apart(
    app_ctx, provider, make_offering, make_case, enrol, today
):
    offering = make_offering(provider, start=today - timedelta(days=9))
    early, late_joiner = enrol(offering, make_case()), enrol(offering, make_case())
    early.enrolled_on = today - timedelta(days=9)
    late_joiner.enrolled_on = today - timedelta(days=3)
    db.session.flush()
    days = {s.date: s for s in services.sessions_of(offering)}
    for offset in range(9, 0, -1):  # nine sessions held before today, every one taken
        day = today - timedelta(days=offset)
        status = [PRESENT, LATE, EXCUSED][offset % 3]
        marks = {early.id: services.Mark(status)}
        if day >= late_joiner.enrolled_on:
            marks[late_joiner.id] = services.Mark(ABSENT if offset == 1 else PRESENT)
        services.record_attendance(days[day], marks, provider)
    rates = services.rates_of([early, late_joiner], today)
    assert rates[early.id].held == 9
    assert rates[early.id].attendance_rate == pytest.approx(6 / 9)
    assert rates[early.id].commitment_rate == 1
    assert rates[early.id].counts[EXCUSED] == 3
    # The late joiner's rate counts only the three sessions since they joined.
    assert rates[late_joiner.id].held == 3
    assert rates[late_joiner.id].attendance_rate == pytest.approx(2 / 3)
    assert rates[late_joiner.id].missed == [today - timedelta(days=1)]
    overall = services.offering_register(offering, today).overall
    assert (overall.held, overall.attended, overall.committed) == (12, 8, 11)


def test_someone_who_cannot_reach_the_threshold_any_more_is_on_the_alert_list(
    app_ctx, provider, make_offering, make_case, enrol, make_user, today
):
    caseworker = make_user(Role.CASEWORKER)
    offering = make_offering(
        provider, start=today - timedelta(days=6), end_date=today + timedelta(days=1)
    )
    behind, fine = (enrol(offering, make_case(caseworker=caseworker)) for _ in range(2))
    for enrolment in (behind, fine):
        enrolment.enrolled_on = offering.start_date
    db.session.flush()
    days = {s.date: s for s in services.sessions_of(offering)}
    for offset in range(6, 0, -1):
        day = today - timedelta(days=offset)
        services.record_attendance(
            days[day],
            {
                behind.id: services.Mark(ABSENT if offset in (6, 4) else PRESENT),
                fine.id: services.Mark(PRESENT),
            },
            provider,
        )
    alerts = services.attendance_alerts(caseworker)
    assert [alert.enrolment for alert in alerts] == [behind]
    rates = alerts[0].rates
    assert rates.attendance_rate == pytest.approx(4 / 6)  # below 80 %
    # 4 of 6 held, 2 left (today, not yet taken, and tomorrow): 6 of 8 is 75 % at best.
    assert rates.remaining == 2 and rates.cannot_reach
    assert rates.missed == [today - timedelta(days=6), today - timedelta(days=4)]
    assert services.attendance_alerts(make_user(Role.CASEWORKER)) == []


def test_the_municipality_wide_alerts_list_colleagues_people_in_name_order_and_mine_only_mine(
    app_ctx, provider, make_offering, make_case, enrol, make_user, today
):
    me, colleague = make_user(Role.CASEWORKER), make_user(Role.CASEWORKER)
    offering = make_offering(provider, start=today - timedelta(days=3))
    theirs = enrol(offering, make_case(caseworker=colleague, family_name="Abebe"))
    mine = enrol(offering, make_case(caseworker=me, family_name="Zewde"))
    gone = enrol(offering, make_case(caseworker=me, family_name="Mulu"))
    for enrolment in (theirs, mine, gone):
        enrolment.enrolled_on = offering.start_date
    gone.status = EnrolmentStatus.DROPPED_OUT  # no longer in the course: no alert
    db.session.flush()
    days = {s.date: s for s in services.sessions_of(offering)}
    for offset in range(3, 0, -1):
        services.record_attendance(
            days[today - timedelta(days=offset)],
            {enrolment.id: services.Mark(ABSENT) for enrolment in (theirs, mine)},
            provider,
        )
    everyone = services.attendance_alerts(me, mine_only=False)
    assert [alert.enrolment for alert in everyone] == [theirs, mine]
    assert everyone[0].enrolment.case.family_name == "Abebe"  # the case comes with it
    assert [alert.enrolment for alert in services.attendance_alerts(me)] == [mine]


def test_a_passed_exam_completes_the_course_with_its_level_and_certificate(
    app_ctx, provider, make_offering, make_case, enrol
):
    enrolment = enrol(make_offering(provider), make_case())
    services.record_result(
        enrolment,
        services.ResultData(True, CefrLevel.A1, "DTZ-2026-0042", "telc gGmbH"),
        provider,
    )
    assert enrolment.status == EnrolmentStatus.COMPLETED
    assert (enrolment.level_reached, enrolment.certificate_number) == (
        CefrLevel.A1,
        "DTZ-2026-0042",
    )
    with pytest.raises(services.CourseError):
        services.record_result(enrolment, services.ResultData(True, None, "X-1", None), provider)


def test_a_level_is_only_reached_on_a_language_course(
    app_ctx, provider, make_offering, make_course, make_case, enrol
):
    civics = make_course(provider, CourseType.CIVIC_ORIENTATION, "Civics")
    enrolment = enrol(make_offering(provider, course=civics), make_case())
    with pytest.raises(services.CourseError) as refused:
        services.record_result(enrolment, services.ResultData(True, CefrLevel.B1), provider)
    assert refused.value.field == "level_reached"
    services.record_result(enrolment, services.ResultData(False), provider)
    assert enrolment.status == EnrolmentStatus.FAILED


def test_suggestions_say_why_they_fit_and_leave_out_clashes_and_missing_childcare(
    app_ctx, provider, make_offering, make_course, make_case, make_user, enrol, today
):
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker, preferred_language="ar")
    civics = make_course(provider, CourseType.CIVIC_ORIENTATION, "Civics")
    current = make_offering(provider)  # every day 9–12
    enrol(current, case, caseworker)
    afternoon = make_offering(
        provider, course=civics, starts_at=time(14), ends_at=time(16), childcare=True
    )
    clashing = make_offering(provider, course=civics, starts_at=time(10), ends_at=time(11))
    make_offering(provider, course=civics, starts_at=time(18), ends_at=time(20),
                  instruction_languages="fr")  # fmt: skip
    suggestions = services.suggested_offerings(case, caseworker)
    assert [s.offering.id for s in suggestions] == [afternoon.id]
    assert suggestions[0].reasons == [("speaks", ["ar"]), ("no_clash", [])]
    assert clashing.id not in [s.offering.id for s in suggestions]
    no_childcare = make_offering(provider, course=civics, starts_at=time(17), ends_at=time(18))
    assert no_childcare.id in [
        s.offering.id for s in services.suggested_offerings(case, caseworker)
    ]
    add_dependant(case, "Baby", today.year, Relation.CHILD, caseworker)
    with_child = services.suggested_offerings(case, caseworker)
    assert [s.offering.id for s in with_child] == [afternoon.id]
    assert ("childcare", []) in with_child[0].reasons


def test_a_course_that_runs_every_week_is_suggested_by_its_soonest_runs_only(
    app_ctx, provider, make_offering, make_course, make_case, make_user, today
):
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker, preferred_language="ar")
    civics = make_course(provider, CourseType.CIVIC_ORIENTATION, "Civics")
    weekly = [make_offering(provider, course=civics, start=today + timedelta(weeks=week))
              for week in (4, 1, 3, 5, 2)]  # fmt: skip
    other = make_offering(provider, course=make_course(provider, CourseType.INTRODUCTION, "Intro"))
    suggested = [s.offering.id for s in services.suggested_offerings(case, caseworker)]
    soonest = [weekly[1].id, weekly[4].id, weekly[2].id]
    assert suggested == [other.id, *soonest]


def test_providers_see_the_phone_only_while_sharing_is_consented(
    app_ctx, provider, make_offering, make_case, make_user, enrol, today
):
    case = make_case(phone="+49 170 1234567", address="Secret street 1")
    enrolment = enrol(make_offering(provider), case)
    assert services.participants([enrolment])[enrolment.id].phone is None
    record_consent(
        case, ConsentPurpose.PROVIDER_SHARING, today, ConsentMethod.WRITTEN,
        make_user(Role.CASEWORKER),
    )  # fmt: skip
    view = services.participants([enrolment])[enrolment.id]
    assert (view.name, view.phone) == (case.full_name, "+49 170 1234567")


def test_attendance_rows_stay_unique_per_session_and_person(
    app_ctx, provider, make_offering, make_case, enrol, today
):
    offering = make_offering(provider)
    enrolment = enrol(offering, make_case())
    session = {s.date: s for s in services.sessions_of(offering)}[today]
    db.session.add(Attendance(session_id=session.id, enrolment_id=enrolment.id, status=PRESENT))
    db.session.flush()
    nested = db.session.begin_nested()
    db.session.add(Attendance(session_id=session.id, enrolment_id=enrolment.id, status=LATE))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    nested.rollback()
    count = db.session.scalar(select(func.count(Attendance.id)))
    assert count == 1
    assert db.session.scalar(select(func.count(Enrolment.id))) == 1


def test_two_people_saving_the_same_session_at_once_leave_one_row_each(app):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL)")
    from sqlalchemy.orm import Session

    from tests.courses.concurrency import committed_offering, drop_committed, run_together

    with app.app_context():
        engine = db.engine
    setup = committed_offering(app, engine, capacity=5, people=3, code="CATT")
    with Session(engine) as enrolling:
        enrolling.add_all(
            Enrolment(offering_id=setup.offering_id, case_id=case_id,
                      status=EnrolmentStatus.ENROLLED, enrolled_on=date(2000, 1, 1))
            for case_id in setup.case_ids
        )  # fmt: skip
        enrolling.commit()
    barrier, errors = threading.Barrier(2), []
    test_session = db.session
    db.session = orm.scoped_session(orm.sessionmaker(bind=engine))

    def save(provider_id: int, status: AttendanceStatus):
        try:
            with app.test_request_context():
                from integrapath.accounts.models import User

                session = db.session.get(CourseSession, setup.session_id)
                register = services.register_of(session)
                barrier.wait(timeout=20)
                services.record_attendance(
                    session,
                    {e.id: services.Mark(status) for e in register},
                    db.session.get(User, provider_id),
                )
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            db.session.remove()

    threads = [
        threading.Thread(target=save, args=(setup.provider_ids[0], PRESENT)),
        threading.Thread(target=save, args=(setup.provider_ids[1], LATE)),
    ]
    try:
        run_together(threads)
        assert errors == []
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT enrolment_id, status FROM attendance WHERE session_id = :id"),
                {"id": setup.session_id},
            ).all()
        assert len(rows) == 3 and len({row.enrolment_id for row in rows}) == 3
        assert len({row.status for row in rows}) == 1  # one save won, whole, not a mix
    finally:
        db.session = test_session
        drop_committed(engine, setup)


def test_a_passed_language_exam_becomes_a_cefr_assessment_in_the_same_transaction(
    app_ctx, provider, make_offering, make_case, enrol
):
    from integrapath.assessments.models import AssessmentSource, LanguageAssessment

    case = make_case()
    enrolment = enrol(make_offering(provider), case)
    services.record_result(
        enrolment, services.ResultData(True, CefrLevel.A1, "DTZ-1", "telc gGmbH"), provider
    )
    rows = db.session.scalars(
        select(LanguageAssessment).where(LanguageAssessment.case_id == case.id)
    ).all()
    assert len(rows) == 5  # every skill
    assert {(r.language, r.level, r.source, r.certificate_number, r.current) for r in rows} == {
        ("de", CefrLevel.A1, AssessmentSource.CERTIFIED_EXAM, "DTZ-1", True)
    }
    db.session.rollback()  # undoing the result undoes the assessment: one transaction
    assert db.session.scalar(select(func.count(LanguageAssessment.id))) == 0
    assert db.session.get(Enrolment, enrolment.id).status == EnrolmentStatus.ENROLLED


def test_an_exam_without_certificate_is_a_course_exam_and_a_failed_one_no_level(
    app_ctx, provider, make_offering, make_case, enrol
):
    from integrapath.assessments.models import AssessmentSource, LanguageAssessment

    offering = make_offering(provider)
    passed, failed = enrol(offering, make_case()), enrol(offering, make_case())
    services.record_result(passed, services.ResultData(True, CefrLevel.A1), provider)
    services.record_result(failed, services.ResultData(False), provider)
    sources = db.session.execute(
        select(LanguageAssessment.case_id, LanguageAssessment.source).distinct()
    ).all()
    assert sources == [(passed.case_id, AssessmentSource.COURSE_EXAM)]


def test_a_language_course_is_suggested_only_at_the_persons_current_level(
    app_ctx, provider, make_offering, make_course, make_case, make_user, today
):
    from integrapath.assessments.models import AssessmentSource, LanguageSkill
    from integrapath.assessments.services import AssessmentData, record_assessment

    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker, preferred_language="ar")
    record_assessment(
        case,
        AssessmentData("de", list(LanguageSkill), CefrLevel.A1, today,
                       AssessmentSource.PLACEMENT_TEST),
        caseworker,
    )  # fmt: skip
    fitting = make_offering(
        provider, course=make_course(provider, entry_level=CefrLevel.A1, target_level=CefrLevel.A2)
    )
    make_offering(
        provider,
        course=make_course(provider, entry_level=CefrLevel.B1, target_level=CefrLevel.B2),
        starts_at=time(14),
        ends_at=time(16),
    )
    suggestions = services.suggested_offerings(case, caseworker)
    assert [s.offering.id for s in suggestions] == [fitting.id]
    reasons = [
        (reason, [str(value) for value in values]) for reason, values in suggestions[0].reasons
    ]
    assert ("level", ["A1"]) in reasons

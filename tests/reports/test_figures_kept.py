"""The row each file keeps for the reports: after every kind of write a report counts, it
says what the file and its history, read afresh, say; a report of today reads it current."""

import threading
from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import orm, select

from integrapath.assessments import services as assessments
from integrapath.assessments.models import (
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    EmploymentStatus,
    LanguageSkill,
)
from integrapath.cases.models import Case, ClosingReason, Stage
from integrapath.cases.services import close_case
from integrapath.extensions import db
from integrapath.history import keep_valid_until
from integrapath.inclusion.models import HousingSituation, Status
from integrapath.inclusion.services import record_housing, record_status
from integrapath.pathway.services import move_stage
from integrapath.reports.figures import figures_query, keep_figures
from integrapath.reports.models import CaseFigures
from integrapath.reports.services import Breakdown, build_report, period_of
from integrapath.security import Role


def _plain(value):
    """One spelling for both backends (SQLite gives dates as text and booleans as 0/1)."""
    if value is None:
        return None
    return str(int(value)) if isinstance(value, bool) else str(value)


def _kept(municipality) -> dict[int, dict]:
    """The kept rows of the municipality, checked against rows computed afresh from the
    files and their histories: read after a commit, nothing pending."""
    rows, _upsert, values = figures_query(municipality)
    fresh = {
        row.case_id: {name: _plain(value) for name, value in row._mapping.items()}
        for row in db.session.execute(rows, values)
    }
    columns = [getattr(CaseFigures, name) for name in next(iter(fresh.values()), {})]
    kept = {
        row.case_id: {name: _plain(value) for name, value in row._mapping.items()}
        for row in db.session.execute(
            select(*columns).where(CaseFigures.municipality_id == municipality.id)
        )
    }
    assert kept == fresh
    return {case_id: db.session.get(CaseFigures, case_id) for case_id in kept}


def _months_later(day: date, months: int) -> date:
    """The same day ``months`` later, or the last day of a shorter month."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        with suppress(ValueError):
            return date(year, month, min(day.day, last))
    raise AssertionError(day)


def _exam(level, day):
    return assessments.AssessmentData(
        "en", list(LanguageSkill), level, day, AssessmentSource.PLACEMENT_TEST
    )


def test_every_write_a_report_counts_keeps_the_files_row(
    app_ctx, make_case, make_user, municipality, today
):
    actor = make_user(Role.CASEWORKER)
    arrived = today - timedelta(days=400)
    case = make_case(arrived_in_country_on=arrived)
    other = make_case()

    def step(write):
        write()
        db.session.commit()
        db.session.expire_all()
        return _kept(municipality)[case.id]

    row = step(lambda: None)
    assert (row.arrived_on, row.day_6, row.day_36) == (
        arrived,
        _months_later(arrived, 6),
        _months_later(arrived, 36),
    )
    # Registered today: nothing held for it six months after arrival.
    assert row.activity is None and row.stage == Stage.ARRIVAL and row.stage_6 is None
    work = step(
        lambda: assessments.record_employment_status(
            case, ActivityStatus.EMPLOYED, arrived + timedelta(days=30), "2512", actor
        )
    )
    assert (work.activity, work.isco_major, work.activity_6) == ("employed", "2", "employed")
    housing = step(
        lambda: record_housing(case, HousingSituation.SOCIAL_HOUSING, today, True, None, actor)
    )
    assert housing.housing == HousingSituation.SOCIAL_HOUSING
    insured = step(lambda: record_status(case, Status.HEALTH_INSURANCE, True, today, None, actor))
    assert insured.health_insurance and not insured.naturalised
    moved = step(lambda: move_stage(case, Stage.EARLY_INTEGRATION, None, actor))
    assert (moved.stage, moved.stage_since) == (Stage.EARLY_INTEGRATION, today)
    assert moved.stage_36 == "early_integration" and moved.activity_6 == "employed"
    a2 = step(lambda: assessments.record_assessment(case, _exam(CefrLevel.A2, today), actor))
    assert a2.a2_reached_on == today and a2.b1_reached_on is None
    schooled = step(
        lambda: assessments.add_education(case, {"isced_level": 3, "country": "SY"}, actor)
    )
    assert schooled.isced_level == 3
    graduated = step(
        lambda: assessments.add_qualification(case, {"title": "Diploma", "isced_level": 6}, actor)
    )
    assert graduated.isced_level == 6

    def arrived_later():
        case.arrived_in_country_on = today - timedelta(days=10)

    assert step(arrived_later).day_6 == _months_later(today - timedelta(days=10), 6)
    # A rolled-back write leaves the row as it was.
    record_status(case, Status.NATURALISED, True, today, None, actor)
    db.session.rollback()
    assert not _kept(municipality)[case.id].naturalised
    closed = step(lambda: close_case(case, ClosingReason.MOVED_AWAY, today, actor))
    assert closed.closed_on == today
    assert _kept(municipality)[other.id].activity is None


def test_a_change_of_the_host_language_keeps_every_file_of_the_municipality(
    app_ctx, make_case, make_user, municipality, today
):
    actor = make_user(Role.CASEWORKER)
    cases = [make_case() for _ in range(3)]
    assessments.record_assessment(cases[0], _exam(CefrLevel.B1, today), actor)
    db.session.commit()
    assert _kept(municipality)[cases[0].id].b1_reached_on == today
    municipality.default_locale = "de"  # the exam was in English
    db.session.commit()
    assert _kept(municipality)[cases[0].id].b1_reached_on is None


def test_a_report_of_today_counts_a_job_that_began_after_the_row_was_kept(
    app_ctx, make_case, make_user, municipality, today
):
    """A record for a later day (as an import or the generated volume writes them) takes
    over on its day without any write: the report makes the row current first."""
    case = make_case(date_of_birth=date(1990, 1, 1))
    starts = today + timedelta(days=10)
    db.session.add(EmploymentStatus(case_id=case.id, status=ActivityStatus.EMPLOYED, since=starts))
    keep_valid_until(EmploymentStatus, case.id)
    db.session.commit()
    row = _kept(municipality)[case.id]
    assert (row.activity, row.kept_until) == (None, starts)

    def employed(on):
        report = build_report(municipality, period_of(on.year, on, Breakdown.SEX), on)
        total = next(row for row in report.table("employment").rows if row.key is None)
        return total.cells["employment_rate"].count

    assert employed(today) == 0
    with time_machine.travel(datetime.combine(starts, time(12), UTC)):
        assert employed(starts) == 1
        db.session.commit()
        assert _kept(municipality)[case.id].kept_until is None


def test_two_transactions_keeping_the_same_new_file_at_once_leave_one_row(app):
    """Both insert the row of a file that has none yet: the second updates it, no error."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL)")
    from tests.courses.concurrency import committed_offering, drop_committed, run_together

    with app.app_context():
        engine = db.engine
    setup = committed_offering(app, engine, capacity=1, people=1, code="CFIG")
    case_id = setup.case_ids[0]
    with engine.begin() as connection:  # as before the table was filled
        connection.execute(sa.delete(CaseFigures).where(CaseFigures.case_id == case_id))
    barrier, errors = threading.Barrier(2), []
    test_session = db.session
    db.session = orm.scoped_session(orm.sessionmaker(bind=engine))

    def keep():
        try:
            with app.test_request_context():
                db.session.get(Case, case_id)  # the transaction has begun
                barrier.wait(timeout=20)
                keep_figures([case_id])
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            db.session.remove()

    try:
        run_together([threading.Thread(target=keep), threading.Thread(target=keep)])
        assert errors == []
        with engine.connect() as connection:
            kept = connection.scalar(select(sa.func.count()).where(CaseFigures.case_id == case_id))
        assert kept == 1
    finally:
        db.session = test_session
        drop_committed(engine, setup)

"""The benchmark's generated data: written in bulk, yet the rows registration, enrolment and
attendance would store."""

import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from integrapath import create_app, volume
from integrapath.accounts.models import User
from integrapath.audit import AuditEvent
from integrapath.cases.models import Case, CaseLanguage, CaseNameWord, CaseNationality, StageChange
from integrapath.cases.services import register_case
from integrapath.courses.models import (
    Attendance,
    AttendanceStatus,
    Course,
    CourseSession,
    CourseType,
    Enrolment,
    EnrolmentChange,
    EnrolmentStatus,
    Offering,
)
from integrapath.extensions import db
from integrapath.security import Role
from integrapath.volume import caseworker_count, person, seed_volume
from tests.conftest import FAST_HASH, POSTGRES_URL, own_postgres_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from load import LOGINS, facts  # noqa: E402

SAME_IN_BOTH = [
    column.key
    for column in Case.__table__.columns
    if column.key not in {"id", "municipality_id", "reference", "caseworker_id", "account_id",
                          "created_at", "updated_at",
                          # kept from what followed registration (tests/pathway/test_readiness_kept)
                          "ready_to_advance", "last_recorded_at"}
]  # fmt: skip


def _file(case_id: int) -> dict:
    case = db.session.get(Case, case_id)
    return {
        "row": {key: getattr(case, key) for key in SAME_IN_BOTH},
        "nationalities": db.session.execute(
            sa.select(CaseNationality.country_code, CaseNationality.position)
            .where(CaseNationality.case_id == case_id)
            .order_by(CaseNationality.position)
        ).all(),
        "name words": db.session.execute(
            sa.select(CaseNameWord.word, CaseNameWord.family_name_key, CaseNameWord.given_names_key)
            .where(CaseNameWord.case_id == case_id)
            .order_by(CaseNameWord.word)
        ).all(),
        "languages": db.session.execute(
            sa.select(CaseLanguage.language_code, CaseLanguage.mother_tongue, CaseLanguage.position)
            .where(CaseLanguage.case_id == case_id)
            .order_by(CaseLanguage.position)
        ).all(),
        "stages": db.session.execute(
            sa.select(StageChange.from_stage, StageChange.to_stage, StageChange.reason).where(
                StageChange.case_id == case_id
            )
        ).all(),
        "events": [
            (event.action, sorted(event.changes), event.changes["stage"])
            for event in db.session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.object_type == "Case", AuditEvent.object_id == case_id
                )
            )
        ],
    }


def test_generated_files_are_the_rows_registration_would_store(
    app_ctx, make_municipality, make_user
):
    town = seed_volume(40)
    elsewhere = make_user(Role.CASEWORKER, in_municipality=make_municipality())
    today = town.today()
    generated = db.session.scalars(
        sa.select(Case.id).where(Case.municipality_id == town.id).order_by(Case.id)
    ).all()
    compared = 0
    for number, case_id in enumerate(generated):
        one = person(number, caseworker_count(40), today)
        if one.closed:
            continue  # closing is not part of registration
        one.data.values["caseworker_id"] = elsewhere.id
        registered = register_case(one.data, elsewhere, confirmed_new_person=True)
        db.session.flush()
        assert _file(case_id) == _file(registered.id), number
        compared += 1
    assert compared > 30


def test_the_same_number_gives_the_same_person(app_ctx):
    first = [person(n, 2, date(2026, 12, 1)).data for n in range(20)]
    again = [person(n, 2, date(2026, 12, 1)).data for n in range(20)]
    assert first == again
    assert len({(data.values["given_names"], data.values["family_name"]) for data in first}) > 10


def test_seed_volume_refuses_a_second_run_in_the_same_database(app_ctx):
    seed_volume(3)
    with pytest.raises(ValueError, match="exists already"):
        seed_volume(3)


def _enrolments() -> list:
    return db.session.scalars(sa.select(Enrolment).order_by(Enrolment.id)).all()


def test_kept_attendance_sums_equal_a_recount_of_the_marks(app_ctx):
    seed_volume(300)
    marks = sa.select(sa.func.count(Attendance.id)).where(Attendance.enrolment_id == Enrolment.id)
    attended = marks.where(Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.LATE]))
    rows = db.session.execute(
        sa.select(
            Enrolment.marked_sessions,
            marks.scalar_subquery(),
            Enrolment.attended_sessions,
            attended.scalar_subquery(),
        )
    ).all()
    assert [(kept, counted) for kept, counted, *_ in rows if kept != counted] == []
    assert [(kept, counted) for *_, kept, counted in rows if kept != counted] == []
    total = sum(row[1] for row in rows)
    assert 10 * 300 < total < 30 * 300  # about 20 marks per file, as the reports expect
    assert sum(row[3] for row in rows) < total  # some were absent or excused


def test_most_generated_people_have_one_or_two_courses_in_every_status(app_ctx):
    seed_volume(300)
    per_case = db.session.execute(
        sa.select(Enrolment.case_id, sa.func.count()).group_by(Enrolment.case_id)
    ).all()
    assert len(per_case) > 0.7 * 300
    assert {count for _case, count in per_case} <= {1, 2, 3}  # 3: the class of 30 besides
    statuses = set(db.session.scalars(sa.select(Enrolment.status)))
    assert {EnrolmentStatus.COMPLETED, EnrolmentStatus.ENROLLED, EnrolmentStatus.DROPPED_OUT,
            EnrolmentStatus.FAILED} <= statuses  # fmt: skip
    types = set(db.session.scalars(sa.select(Course.course_type).join(Offering)))
    assert types == {CourseType.LANGUAGE, CourseType.CIVIC_ORIENTATION, CourseType.INTRODUCTION}


def test_marks_are_only_at_held_sessions_while_the_person_was_on_the_course(app_ctx):
    town = seed_volume(300)
    today = town.today()
    left_on = dict(
        db.session.execute(
            sa.select(EnrolmentChange.enrolment_id, EnrolmentChange.changed_at).where(
                EnrolmentChange.to_status == EnrolmentStatus.DROPPED_OUT
            )
        ).all()
    )
    rows = db.session.execute(
        sa.select(CourseSession.date, CourseSession.cancelled, Enrolment.id, Enrolment.status,
                  Enrolment.enrolled_on)
        .join(Attendance, Attendance.session_id == CourseSession.id)
        .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
    ).all()  # fmt: skip
    assert rows
    for day, cancelled, enrolment_id, status, enrolled_on in rows:
        assert day < today and not cancelled
        assert enrolled_on is not None and enrolled_on <= day
        assert status != EnrolmentStatus.WAITLISTED
        if status == EnrolmentStatus.DROPPED_OUT:
            assert day < left_on[enrolment_id].date()


def test_each_enrolment_s_history_leads_to_its_status(app_ctx):
    seed_volume(200)
    history = defaultdict(list)
    for change in db.session.scalars(
        sa.select(EnrolmentChange).order_by(EnrolmentChange.changed_at, EnrolmentChange.id)
    ):
        history[change.enrolment_id].append((change.from_status, change.to_status))
    for enrolment in _enrolments():
        steps = history[enrolment.id]
        assert steps[0][0] is None
        assert all(after[0] == before[1] for before, after in pairwise(steps))
        assert steps[-1][1] == enrolment.status
        finished = enrolment.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED)
        assert (enrolment.result_on is not None) == finished
        assert enrolment.passed == (
            None if not finished else enrolment.status == EnrolmentStatus.COMPLETED
        )


def test_full_runs_to_come_keep_a_waiting_list_and_no_run_takes_more_than_its_places(
    app_ctx, monkeypatch
):
    monkeypatch.setattr(volume, "CAPACITY", 1)  # so that runs fill up at a small volume
    town = seed_volume(1000)
    taken = db.session.execute(
        sa.select(Offering.capacity, sa.func.count(Enrolment.id))
        .join(Enrolment, Enrolment.offering_id == Offering.id)
        .where(Enrolment.status != EnrolmentStatus.WAITLISTED)
        .group_by(Offering.id, Offering.capacity)
    ).all()
    assert all(count <= capacity for capacity, count in taken)
    waiting = db.session.execute(
        sa.select(Offering.start_date, Enrolment.enrolled_on, Enrolment.marked_sessions)
        .join(Enrolment, Enrolment.offering_id == Offering.id)
        .where(Enrolment.status == EnrolmentStatus.WAITLISTED)
    ).all()
    assert waiting
    assert all(start > town.today() for start, _on, _marked in waiting)
    assert {(on, marked) for _start, on, marked in waiting} == {(None, 0)}


def test_the_bench_finds_the_class_of_30_and_its_session_today(app_ctx):
    town = seed_volume(60)
    db.session.flush()
    found = facts(db.session.connection())
    offering = db.session.get(Offering, found["offering"])
    teacher = db.session.scalar(sa.select(User).where(User.email == LOGINS["provider"]))
    assert offering.organisation_id == teacher.organisation_id
    assert len(db.session.scalars(sa.select(Enrolment).filter_by(offering=offering)).all()) == 30
    session = db.session.get(CourseSession, found["session"])
    assert (session.offering_id, session.date) == (offering.id, town.today())


INDEX_DEFINITIONS = sa.text(
    "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() UNION ALL "
    "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) "
    "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1"
)


def test_indexes_set_aside_for_the_load_come_back_the_same(app_ctx):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("indexes are set aside on PostgreSQL only")
    before = db.session.scalars(INDEX_DEFINITIONS).all()
    seed_volume(20)
    assert db.session.scalars(INDEX_DEFINITIONS).all() == before


# Columns random by design (salts, nonces, the hashes over them, session tokens).
RANDOM_COLUMNS = {"detail_nonce", "detail_digest", "entry_hash", "last_hash", "password_hash",
                  "session_token"}  # fmt: skip


def _table_checksums(connection, since) -> dict:
    """An ordered checksum of every table, without the random columns, and with the times
    taken from the clock during the load (``since`` on) left out."""
    sums = {}
    tables = connection.scalars(
        sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).all()
    for table in sorted(tables):
        columns = connection.execute(
            sa.text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :table "
                "ORDER BY ordinal_position"
            ),
            {"table": table},
        ).all()
        kept = [
            f'CASE WHEN "{name}" >= :since THEN NULL ELSE "{name}" END'
            if kind.startswith("timestamp")
            else f'"{name}"'
            for name, kind in columns
            if name not in RANDOM_COLUMNS
        ]
        order = "id" if any(name == "id" for name, _kind in columns) else "1"
        sums[table] = connection.execute(
            sa.text(
                f"SELECT count(*), md5(string_agg(ROW({', '.join(kept)})::text, '|' "  # noqa: S608
                f'ORDER BY {order})) FROM "{table}"'
            ),
            {"since": since},
        ).one()
    return sums


def _generated_in(processes: int, since) -> dict:
    with own_postgres_database("integrapath_volume") as url:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PASSWORD_HASH_METHOD=FAST_HASH)
        with app.test_request_context():
            upgrade()
            # As seed-volume does for a superuser (the processes need it).
            db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            seed_volume(300, processes=processes)
            db.session.commit()
            with db.engine.connect() as connection:
                sums = _table_checksums(connection, since)
                sums["indexes and constraints"] = connection.scalars(INDEX_DEFINITIONS).all()
            db.session.remove()
            db.engine.dispose()
    return sums


@pytest.mark.postgres
def test_the_load_in_two_processes_writes_the_rows_of_the_load_in_one():
    if not POSTGRES_URL:
        pytest.skip("the load runs in processes on PostgreSQL only (TEST_DATABASE_URL)")
    since = datetime.now(UTC) - timedelta(minutes=1)
    serial, parallel = _generated_in(1, since), _generated_in(2, since)
    assert serial["attendance"][0] > 5_000  # the tables are filled, not just equal
    assert "ix_housing_record_held" in str(serial["indexes and constraints"])
    assert {table for table in serial if serial[table] != parallel[table]} == set()

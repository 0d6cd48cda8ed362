"""The audit trail is tamper-evident: a changed, deleted or slipped-in entry is caught."""

import threading

import pytest
import sqlalchemy as sa

from integrapath.audit import (
    AuditChain,
    AuditEvent,
    record_event,
    redact_events,
    seal_rows,
    verify_chains,
)
from integrapath.extensions import db
from integrapath.security import Role

from .conftest import POSTGRES_URL, reset_postgres, worker_database

events = AuditEvent.__table__


def _write_events(app, actor, count=3):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        written = [
            record_event("user_role_changed", actor, actor=actor, changes={"role": ["a", str(n)]})
            for n in range(count)
        ]
        db.session.commit()
    return written


def _faults(municipality_id):
    return verify_chains(db.session.connection(), municipality_id)


def test_entries_are_numbered_and_chained_per_municipality(app, make_user, make_municipality):
    here = make_user(Role.ADMIN)
    there = make_user(Role.ADMIN, in_municipality=make_municipality())
    mine = _write_events(app, here)
    theirs = _write_events(app, there, count=2)
    assert [event.chain_seq for event in mine] == [
        mine[0].chain_seq + n for n in range(3)
    ]  # consecutive in this municipality, whatever the other one wrote meanwhile
    assert theirs[1].chain_seq == theirs[0].chain_seq + 1
    assert _faults(here.municipality_id) == []
    assert _faults(there.municipality_id) == []


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (
            lambda e: (
                sa.update(events).where(events.c.id == e.id).values(changes={"role": ["x", "y"]})
            ),
            "details changed",
        ),  # noqa: E501
        (
            lambda e: sa.update(events).where(events.c.id == e.id).values(action="login"),
            "entry changed",
        ),  # noqa: E501
        (
            lambda e: (
                sa.update(events).where(events.c.id == e.id).values(actor_email="x@example.org")
            ),
            "details changed",
        ),  # noqa: E501
        (lambda e: sa.delete(events).where(events.c.id == e.id), "missing"),
    ],
    ids=["changes", "action", "actor", "deleted"],
)
def test_a_row_changed_by_hand_in_the_database_is_caught(app, make_user, tamper, problem):
    admin = make_user(Role.ADMIN)
    middle = _write_events(app, admin)[1]
    db.session.execute(tamper(middle))
    faults = _faults(admin.municipality_id)
    assert faults, "the tampered trail verified"
    assert any(problem in fault.problem for fault in faults)


def test_the_last_entry_deleted_is_caught_by_the_chain_head(app, make_user):
    admin = make_user(Role.ADMIN)
    last = _write_events(app, admin)[-1]
    db.session.execute(sa.delete(events).where(events.c.id == last.id))
    assert [fault.problem for fault in _faults(admin.municipality_id)] == [
        f"chain ends at {last.chain_seq - 1}, its head says {last.chain_seq}"
    ]


def test_a_row_slipped_in_by_hand_is_caught(app, make_user):
    admin = make_user(Role.ADMIN)
    written = _write_events(app, admin)
    db.session.execute(
        sa.insert(events).values(
            created_at=written[0].created_at, municipality_id=admin.municipality_id,
            action="login", actor_id=admin.id,
        )
    )  # fmt: skip
    assert [fault.problem for fault in _faults(admin.municipality_id)] == [
        "entry outside the chain"
    ]
    # A forger who numbers the row too (the database refuses a number twice) is caught by
    # the hash and by the chain's head.
    db.session.execute(
        sa.update(events)
        .where(events.c.chain_seq.is_(None))
        .values(chain_seq=written[-1].chain_seq + 1, entry_hash=written[-1].entry_hash,
                detail_nonce=written[-1].detail_nonce, detail_digest=written[-1].detail_digest)
    )  # fmt: skip
    problems = {fault.problem for fault in _faults(admin.municipality_id)}
    assert "entry changed or out of place" in problems


def test_details_blanked_without_an_erasure_are_caught(app, make_user):
    admin = make_user(Role.ADMIN)
    event = _write_events(app, admin)[0]
    redact_events(db.session.connection(), events.c.id == event.id)
    assert [fault.problem for fault in _faults(admin.municipality_id)] == [
        "details blanked without an erasure"
    ]


def test_audit_verify_command_fails_on_a_changed_row(app, make_user):
    admin = make_user(Role.ADMIN)
    event = _write_events(app, admin)[0]
    runner = app.test_cli_runner()
    code = admin.municipality.code
    assert runner.invoke(args=["audit-verify", "--municipality-code", code]).exit_code == 0
    db.session.execute(
        sa.update(events).where(events.c.id == event.id).values(ip_address="192.0.2.1")
    )
    result = runner.invoke(args=["audit-verify", "--municipality-code", code])
    assert result.exit_code == 1
    assert "details changed" in result.output


def _scratch_engine(app, tmp_path):
    """An empty database of the app's backend, outside the test's transaction."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        url = worker_database(POSTGRES_URL, "chain")
        reset_postgres(url)
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    else:
        engine = sa.create_engine(
            f"sqlite:///{tmp_path / 'chain.db'}", connect_args={"timeout": 30}
        )
    db.metadata.create_all(engine)
    return engine


def test_concurrent_writers_of_one_municipality_take_turns(app, tmp_path):
    engine = _scratch_engine(app, tmp_path)
    start = threading.Barrier(4)
    errors = []

    def write(worker):
        try:
            start.wait()
            for n in range(15):
                with engine.begin() as connection:
                    rows = [
                        {"municipality_id": None, "action": "login", "changes": {"n": [worker, n]}},
                        {"municipality_id": None, "action": "logout"},
                    ]
                    seal_rows(connection, rows)
                    connection.execute(sa.insert(events), rows)
        except Exception as error:  # noqa: BLE001 -- reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert verify_chains(connection) == []
        numbers = connection.scalars(sa.select(events.c.chain_seq).order_by(events.c.chain_seq))
        assert list(numbers) == list(range(1, 4 * 15 * 2 + 1))
    engine.dispose()


def _chain_head(municipality_id):
    return db.session.scalar(
        sa.select(AuditChain.last_seq).where(AuditChain.chain_key == municipality_id)
    )


def test_a_case_view_takes_its_place_in_the_chain_only_when_the_request_commits(
    app, make_case, make_user
):
    case = make_case()
    reader = make_user(Role.CASEWORKER)
    with app.test_request_context():
        head = _chain_head(case.municipality_id)
        record_event("case_viewed", case, actor=reader)
        # The rest of the page is read and rendered meanwhile: the municipality's chain is
        # not locked for that long, so another caseworker's page does not wait for this one.
        db.session.scalar(sa.select(sa.func.count()).select_from(events))
        assert _chain_head(case.municipality_id) == head
        db.session.commit()
        viewed = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "case_viewed", AuditEvent.object_id == case.id
            )
        ).all()
        assert [event.chain_seq for event in viewed] == [head + 1]
        assert _faults(case.municipality_id) == []


def test_a_view_in_a_request_that_fails_is_not_recorded(app, make_case, make_user):
    case = make_case()
    reader = make_user(Role.CASEWORKER)
    with app.test_request_context():
        record_event("case_viewed", case, actor=reader)
        db.session.rollback()
        db.session.commit()
        assert not db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "case_viewed")
        ).all()

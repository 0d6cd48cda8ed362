"""The whole demo database: a backup restores it exactly (every row of every table comes
back), and erasing a rich file leaves none of its data anywhere."""

import stat

import sqlalchemy as sa

from integrapath.accounts.models import User
from integrapath.audit import AuditEvent, record_event
from integrapath.cases.models import Case
from integrapath.extensions import db
from integrapath.privacy.services import decide_erasure, request_erasure
from integrapath.security import Role

from .conftest import snapshot
from .personal_data import places_holding


def test_backup_and_restore_keep_every_row(demo_app, tmp_path):
    before = snapshot(demo_app)
    assert sum(map(len, before.values())) > 1000, "the demo data should fill the tables"
    runner = demo_app.test_cli_runner()
    backup = tmp_path / "integrapath.backup"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    with demo_app.app_context():  # life goes on, then the database is lost in part
        record_event("login", municipality_id=1, actor_email="after@backup.example")
        db.session.commit()
        db.session.execute(sa.text("DELETE FROM attendance"))
        db.session.execute(sa.text("UPDATE case_file SET family_name = 'Overwritten'"))
        db.session.commit()
        db.session.remove()
    assert snapshot(demo_app) != before

    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    after = snapshot(demo_app)
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    assert after == before
    assert runner.invoke(args=["audit-verify"]).exit_code == 0


def test_backup_refuses_to_overwrite_a_file(demo_app, tmp_path):
    existing = tmp_path / "kept.backup"
    existing.write_text("an older backup")
    result = demo_app.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code == 1
    assert existing.read_text() == "an older backup"


def test_restore_refuses_a_file_that_is_not_a_backup(demo_app, tmp_path):
    before = snapshot(demo_app)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    result = demo_app.test_cli_runner().invoke(args=["restore", "--yes", str(junk)])
    assert result.exit_code == 1
    assert snapshot(demo_app) == before


def test_erasing_the_richest_demo_file_leaves_none_of_its_data(demo_app):
    """The demo file with the most history (plans, courses, levels, referrals, portal) is
    erased; none of its names, contacts or numbers remain anywhere, the trail verifies."""
    with demo_app.test_request_context():
        events = AuditEvent.__table__
        case_id = db.session.scalar(
            sa.select(Case.id)
            .join(events, sa.and_(events.c.object_type == "Case", events.c.object_id == Case.id))
            .where(Case.account_id.is_not(None))
            .group_by(Case.id)
            .order_by(sa.func.count().desc(), Case.id)
            .limit(1)
        )
        case = db.session.get(Case, case_id)
        account = db.session.get(User, case.account_id)
        personal = [case.full_name, case.email, case.phone, case.address, case.permit_number,
                    account.email]  # fmt: skip
        assert places_holding(db.session.connection(), personal)
        admin = db.session.scalars(
            sa.select(User).where(
                User.role == Role.ADMIN, User.municipality_id == case.municipality_id
            )  # fmt: skip
        ).first()
        erasure = request_erasure(case, db.session.get(User, case.caseworker_id))
        decide_erasure(erasure, True, admin)
        db.session.commit()
        assert places_holding(db.session.connection(), personal) == {}
        db.session.remove()
    assert demo_app.test_cli_runner().invoke(args=["audit-verify"]).exit_code == 0

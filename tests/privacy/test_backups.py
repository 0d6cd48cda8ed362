"""A backup restores the database exactly: every row of every table comes back."""

import stat

import sqlalchemy as sa

from integrapath.audit import record_event
from integrapath.extensions import db

from .conftest import snapshot


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

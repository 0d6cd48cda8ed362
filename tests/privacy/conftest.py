"""A database of its own with the demo data, for the tests that need committed rows
(backups, whole-database searches after an erasure)."""

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from integrapath import create_app
from integrapath.extensions import db

from ..conftest import BACKENDS, FAST_HASH, POSTGRES_URL, reset_postgres, worker_database


@pytest.fixture(scope="module", params=BACKENDS)
def demo_app(request, tmp_path_factory):
    if request.param == "postgresql":
        url = worker_database(POSTGRES_URL, "demo")
        reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PASSWORD_HASH_METHOD=FAST_HASH)
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in connection.execute(sa.select(table))),
            )
            for table in db.metadata.sorted_tables
        }

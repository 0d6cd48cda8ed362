"""The schema is made by the migrations alone, and they match the models."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from integrapath import create_app
from integrapath.extensions import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """Yield the URL of an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured (TEST_DATABASE_URL)")
    name = f"integrapath_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_builds_a_schema_identical_to_the_models(empty_database):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert differences == [], "models and migrations differ: write a migration"


def test_downgrade_to_base_and_upgrade_again(empty_database):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert "user_account" in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()

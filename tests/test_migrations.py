"""The schema is made by the migrations alone, and they match the models."""

import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from integrapath import create_app
from integrapath.extensions import db
from tests.conftest import POSTGRES_URL, own_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """Yield the URL of an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured (TEST_DATABASE_URL)")
    with own_postgres_database("integrapath_migrations") as url:
        yield url


def test_upgrade_builds_a_schema_identical_to_the_models(empty_database):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection, warnings.catch_warnings():
            # SQLite cannot reflect an index on an expression (lower(full_name)), so Alembic
            # skips it there with a warning; PostgreSQL compares it.
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
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


def test_the_plan_migration_keeps_the_milestone_ticks_both_ways(empty_database):
    """SQLite rebuilds the milestone table to change its CHECK constraint: the ticks that
    cascade from it must survive the upgrade and the downgrade."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    rows = [
        "INSERT INTO municipality (id, name, code, default_locale, timezone, inactivity_weeks, "
        "created_at, updated_at) VALUES (1, 'Town', 'TWN', 'en', 'UTC', 8, :day, :day)",
        "INSERT INTO milestone (id, municipality_id, stage, position, rule, required, names, "
        "fallback_locale, created_at, updated_at) VALUES (1, 1, 'arrival', 1, 'ticked', "
        "true, '{}', 'en', :day, :day)",
        "INSERT INTO case_file (id, municipality_id, reference, given_names, family_name, "
        "name_key, family_name_key, given_names_key, date_of_birth, sex, preferred_language, "
        "residence_category, stage, status, unaccompanied_minor, disability, health_need, "
        "psychosocial_need, single_parent, trafficking_victim, version, created_at, updated_at) "
        "VALUES (1, 1, 'TWN-1', 'A', 'B', 'a b', 'b', 'a', '1990-01-01', 'female', 'en', "
        "'refugee', 'arrival', 'active', false, false, false, false, false, false, 1, :day, :day)",
        "INSERT INTO milestone_tick (id, case_id, milestone_id, met_on) VALUES (1, 1, 1, :day)",
    ]
    with app.app_context():
        upgrade(revision="8cf39329120a")  # the milestones, before the plans
        with db.engine.begin() as connection:
            for row in rows:
                connection.execute(sa.text(row), {"day": "2026-01-01"})
        upgrade()
        ticks = sa.text("SELECT count(*) FROM milestone_tick")
        with db.engine.connect() as connection:
            assert connection.execute(ticks).scalar_one() == 1
            connection.rollback()
        downgrade(revision="8cf39329120a")
        with db.engine.connect() as connection:
            assert connection.execute(ticks).scalar_one() == 1
        db.session.remove()
        db.engine.dispose()


def test_files_registered_before_the_name_words_are_found_by_word_and_refolded(empty_database):
    """The name-word migrations fill the words of existing files, and fold "Ковальчук" as
    "kovalchuk" (keys and words, nationalities too); the downgrade folds it back."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    rows = [
        "INSERT INTO municipality (id, name, code, default_locale, timezone, inactivity_weeks, "
        "created_at, updated_at) VALUES (1, 'Town', 'TWN', 'en', 'UTC', 8, :day, :day)",
        "INSERT INTO case_file (id, municipality_id, reference, given_names, family_name, "
        "name_key, family_name_key, given_names_key, date_of_birth, sex, preferred_language, "
        "residence_category, stage, status, unaccompanied_minor, disability, health_need, "
        "psychosocial_need, single_parent, trafficking_victim, version, created_at, updated_at) "
        "VALUES (1, 1, 'TWN-1', 'Олена', 'Ковальчук', 'olena koval chuk', 'koval chuk', "
        "'olena', '1990-01-01', 'female', 'uk', 'refugee', 'arrival', 'active', false, false, "
        "false, false, false, false, 1, :day, :day)",
        "INSERT INTO case_nationality (id, case_id, country_code, position, municipality_id, "
        "family_name_key, given_names_key) VALUES (1, 1, 'UA', 0, 1, 'koval chuk', 'olena')",
    ]
    read = {
        "words": "SELECT word, family_name_key FROM case_name_word ORDER BY word",
        "file": "SELECT name_key, family_name_key FROM case_file",
        "nationality": "SELECT family_name_key FROM case_nationality",
    }

    def state():
        with db.engine.connect() as connection:
            return {name: connection.execute(sa.text(sql)).all() for name, sql in read.items()}

    with app.app_context():
        upgrade(revision="b7c1d2e3f4a5")  # before the name words
        with db.engine.begin() as connection:
            for row in rows:
                connection.execute(sa.text(row), {"day": "2026-01-01"})
        upgrade()
        assert state() == {
            "words": [("kovalchuk", "kovalchuk"), ("olena", "kovalchuk")],
            "file": [("olena kovalchuk", "kovalchuk")],
            "nationality": [("kovalchuk",)],
        }
        downgrade(revision="c4e8a1f0b9d2")
        assert state() == {
            "words": [("chuk", "koval chuk"), ("koval", "koval chuk"), ("olena", "koval chuk")],
            "file": [("olena koval chuk", "koval chuk")],
            "nationality": [("koval chuk",)],
        }
        db.session.remove()
        db.engine.dispose()

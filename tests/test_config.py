"""Configuration fails fast and the database is set up safely."""

import pytest
import sqlalchemy as sa

from config import ConfigError, config_for
from integrapath import create_app
from integrapath.extensions import db
from integrapath.security import Role


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app("production", SECRET_KEY="")


@pytest.mark.parametrize("weak_key", ["dev", "change-me", "short-but-not-default"])
def test_production_refuses_weak_secret_keys(weak_key):
    with pytest.raises(ConfigError, match="at least 32 characters"):
        create_app("production", SECRET_KEY=weak_key)


def test_production_starts_with_a_real_secret_key_and_secure_cookies():
    app = create_app("production", SECRET_KEY="x" * 48, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_environment_name_is_refused_with_the_valid_names():
    with pytest.raises(ConfigError, match="development, testing, production"):
        config_for("staging")


def test_development_defaults_to_a_sqlite_file_under_instance():
    url = config_for("development").SQLALCHEMY_DATABASE_URI
    assert url.startswith("sqlite:///") and url.endswith("instance/integrapath.db")


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}")
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        db.engine.dispose()


def test_passwords_are_hashed_with_scrypt_by_default():
    from integrapath.accounts.models import User

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with app.app_context():
        user = User(email="x@example.org", full_name="X")
        user.set_password("a-long-password")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("a-long-password")


@pytest.mark.parametrize("status", [405, 500])
def test_error_pages_are_translated_pages_not_tracebacks(status, tmp_path):
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'e.db'}", TESTING=False
    )

    @app.route("/boom", methods=["GET"])
    def boom():
        raise RuntimeError("kaboom")

    boom.access_rule = "public"
    client = app.test_client()
    response = client.post("/boom") if status == 405 else client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert "kaboom" not in page
    assert '<html lang="' in page
    if status == 500:
        german = client.get("/boom", headers={"Accept-Language": "de"}).get_data(as_text=True)
        assert 'lang="de"' in german
        assert "Something went wrong on our side" not in german
    with app.app_context():
        db.engine.dispose()


def test_without_an_environment_name_the_app_is_production(monkeypatch):
    monkeypatch.delenv("INTEGRAPATH_ENV", raising=False)
    assert config_for(None).ENVIRONMENT == "production"
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app(SECRET_KEY="")  # no published development key by accident


def test_seed_demo_is_refused_in_production():
    app = create_app("production", SECRET_KEY="x" * 48, SQLALCHEMY_DATABASE_URI="sqlite://")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "refused in production" in result.output


def test_an_oversized_request_gets_a_translated_413_before_it_is_read(client, auth, make_user):
    auth.login(make_user(Role.CASEWORKER, preferred_locale="de"))
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/cases/import",
        data=b"x" * (limit + 1),
        content_type="application/octet-stream",
    )
    assert response.status_code == 413
    assert "Die Datei ist zu groß" in response.get_data(as_text=True)


def test_postgresql_connections_run_without_jit_or_parallel_workers_even_after_a_rollback(app):
    """JIT compiling cost more than our list queries themselves (issue 8's profile), and
    parallel workers crowded concurrent pages off the cores (issue 21's load bench)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL setting")
        with db.engine.connect() as connection:
            connection.rollback()
            assert connection.execute(sa.text("SHOW jit")).scalar_one() == "off"
            workers = connection.execute(sa.text("SHOW max_parallel_workers_per_gather"))
            assert workers.scalar_one() == "0"


def test_the_reports_dashboard_alone_runs_with_parallel_workers_in_its_own_transaction(
    app_ctx, municipality
):
    """The dashboard counts every file of the town: it asks for workers with SET LOCAL, so
    the connection goes back to the pool without them."""
    from integrapath.reports.services import Breakdown, build_report, period_of

    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")

    def workers(connection) -> str:
        return connection.execute(sa.text("SHOW max_parallel_workers_per_gather")).scalar_one()

    assert workers(db.session) == "0"
    today = municipality.today()
    build_report(municipality, period_of(today.year, today, Breakdown.SEX), today)
    assert workers(db.session) == "2"
    with db.engine.connect() as other_page:
        assert workers(other_page) == "0"

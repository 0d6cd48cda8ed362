"""Configuration for IntegraPath.

Every setting can be overridden from the environment. Tests pass overrides to
``create_app`` instead of mutating these classes.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSECURE_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret"}


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the app refuses to start."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc


class Config:
    """Settings shared by every environment."""

    ENVIRONMENT = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'integrapath.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_HOURS", 8))

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session does

    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "en")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Europe/Brussels")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Sign-in throttling: failures allowed within the window before a pause.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = _env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
    LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
    LOGIN_THROTTLE_MINUTES = _env_int("LOGIN_THROTTLE_MINUTES", 15)

    # A pause for one address guessing one account; the account itself is never locked, so
    # nobody can lock a caseworker out by typing wrong passwords for them. Failures of an
    # account from everywhere only slow its sign-in down (at most LOGIN_MAX_DELAY_SECONDS).
    LOGIN_MAX_DELAY_SECONDS = _env_int("LOGIN_MAX_DELAY_SECONDS", 3)
    # Staff are signed out after this many minutes without a request (newcomers are not).
    STAFF_IDLE_MINUTES = _env_int("STAFF_IDLE_MINUTES", 30)

    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    ACTIVATION_LINK_HOURS = _env_int("ACTIVATION_LINK_HOURS", 72)
    PAGE_SIZE = _env_int("PAGE_SIZE", 25)
    # Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)
    # Larger request bodies get a 413 before they are read into memory; an import file may
    # have 5 MB, plus the form around it.
    MAX_CONTENT_LENGTH = _env_int("MAX_REQUEST_MB", 6) * 1024 * 1024

    # Static files built by `flask build-assets` (hashed names, gzip and Brotli variants).
    STATIC_BUILD_FOLDER = os.environ.get("STATIC_BUILD_FOLDER", str(BASE_DIR / "build" / "static"))
    # Flask-Compress: compress HTML (and JSON) here unless the reverse proxy does it.
    COMPRESS_REGISTER = _env_bool("COMPRESS_RESPONSES", True)

    @classmethod
    def check(cls, settings: dict) -> None:
        """Refuse settings that are unsafe for this environment."""


class DevelopmentConfig(Config):
    """Local development on SQLite with a throwaway key."""

    ENVIRONMENT = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "development-only-not-secret"


class TestingConfig(Config):
    """Settings for the test suite; tests pass further overrides."""

    ENVIRONMENT = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_SQLITE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True


class ProductionConfig(Config):
    """PostgreSQL behind a reverse proxy; refuses to start with unsafe settings."""

    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def check(cls, settings: dict) -> None:
        key = settings.get("SECRET_KEY") or ""
        if key.strip().lower() in INSECURE_SECRET_KEYS or len(key) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (for example: python -c 'import secrets; "
                "print(secrets.token_hex(32))')."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    """Return the settings class for ``name`` (default: ``INTEGRAPATH_ENV``).

    Production unless development or testing is asked for: a server started without the
    variable must not run with a published key and insecure cookies.
    """
    name = name or os.environ.get("INTEGRAPATH_ENV") or "production"
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(
            f"Unknown INTEGRAPATH_ENV {name!r}; use one of {', '.join(CONFIGS)}."
        ) from None

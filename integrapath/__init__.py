"""IntegraPath: case management for municipal integration offices."""

import contextlib
import logging

import flask_babel
import sqlalchemy as sa
from flask import Flask, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, config_for

from . import assets
from .audit import action_label, describe_changes, object_label
from .cases.models import SENSITIVE_FLAGS
from .extensions import IdConverter, babel, compress, csrf, db, login_manager, migrate
from .i18n import format_number, register_template_helpers, select_locale, select_timezone
from .security import can, menu_for, refuse_nul_characters, refuse_undeclared_views

ERROR_STATUSES = (400, 403, 404, 405, 413, 500)
# The database cannot be reached (stopped, restarting, network gone) or is too busy: the
# request fails as a whole (its transaction is rolled back) with a 503 to try again.
DATABASE_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the application: settings, extensions, blueprints, errors, CLI."""
    app = Flask(
        __name__,
        instance_path=str(BASE_DIR / "instance"),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=None,  # WhiteNoise serves the static files (assets.py)
        static_url_path="/static",
    )
    config_cls = config_for(config_name)
    app.config.from_object(config_cls)
    app.config.update(overrides)
    config_cls.check(app.config)

    register_extensions(app)
    register_blueprints(app)
    register_request_pipeline(app)
    register_error_handlers(app)
    register_cli(app)
    register_templates(app)
    trust_proxies(app)
    logging.getLogger(__name__).debug("IntegraPath created with %s", config_cls.__name__)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(BASE_DIR / "migrations"),
        compare_type=True,
        render_as_batch=True,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    compress.init_app(app)
    assets.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_token: str):
        from .auth.services import load_signed_in_user

        # Only while the browser's session is open: an administrator may end it, and a
        # staff session ends after a while without requests.
        return load_signed_in_user(session_token)

    @login_manager.unauthorized_handler
    def sign_in_first():
        from flask import flash, g, redirect, request
        from flask_login import login_url

        if g.get("signed_out_idle"):
            minutes = app.config["STAFF_IDLE_MINUTES"]
            flash(_("You were signed out after %(minutes)s minutes without activity.",
                    minutes=format_number(minutes)), "info")  # fmt: skip
        else:
            flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, next_url=request.url))


def register_blueprints(app: Flask) -> None:
    # Ids in URLs are bounded, so a huge number is a 404 rather than a database error.
    app.url_map.converters["int"] = IdConverter
    from .admin.views import bp as admin_bp
    from .assessments.views import bp as assessments_bp
    from .auth.views import bp as auth_bp
    from .cases.views import bp as cases_bp
    from .courses.views import bp as courses_bp
    from .inclusion.views import bp as inclusion_bp
    from .pathway.views import bp as pathway_bp
    from .portal.views import bp as portal_bp
    from .portal.views import staff_bp as portal_staff_bp
    from .privacy.views import bp as privacy_bp
    from .reports.views import bp as reports_bp
    from .transfers.views import bp as transfers_bp

    for blueprint in (
        auth_bp,
        admin_bp,
        cases_bp,
        transfers_bp,
        inclusion_bp,
        assessments_bp,
        courses_bp,
        pathway_bp,
        portal_bp,
        portal_staff_bp,
        privacy_bp,
        reports_bp,
    ):
        app.register_blueprint(blueprint)


def register_request_pipeline(app: Flask) -> None:
    """Fail closed on undeclared views; one commit per successful request."""
    app.before_request(refuse_undeclared_views)
    app.before_request(refuse_nul_characters)

    @app.after_request
    def commit_or_roll_back(response):
        if response.status_code < 400:
            db.session.commit()  # a failure here becomes a 503 (database_unavailable)
        else:
            _roll_back_quietly()
        return response

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")  # static files: assets.py
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _roll_back_quietly() -> None:
    """Roll back; with the database gone the connection is dropped instead."""
    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE:
        db.session.close()


def database_unavailable(error):
    """Answer 503 in the reader's language while the database cannot be reached.

    The page is rendered as for a visitor who is not signed in: the signed-in account
    cannot be read from the database now. The next request reconnects (``pool_pre_ping``).
    """
    reason = str(getattr(error, "orig", None) or error).splitlines()[0]
    logging.getLogger(__name__).error("Database unavailable: %s", reason)
    _roll_back_quietly()
    with contextlib.suppress(*DATABASE_UNAVAILABLE):
        flask_babel.get_locale()  # the signed-in person's language, when still known
    g._login_user = AnonymousUserMixin()
    title = _("The service is unavailable for a moment")
    page = render_template("errors/error.html", status=503, title=title)
    return page, 503, {"Retry-After": "30"}


def register_error_handlers(app: Flask) -> None:
    def render_error(error):
        status = error.code if isinstance(error, HTTPException) else 500
        if status not in ERROR_STATUSES:
            return error
        if isinstance(getattr(error, "original_exception", None), DATABASE_UNAVAILABLE):
            return database_unavailable(error.original_exception)  # e.g. at commit
        if status == 500:
            _roll_back_quietly()
        titles = {
            400: _("The request could not be understood"),
            403: _("You do not have access to this page"),
            404: _("Page not found"),
            405: _("This action is not possible here"),
            413: _("The file is too large"),
            500: _("Something went wrong on our side"),
        }
        return render_template("errors/error.html", status=status, title=titles[status]), status

    for status in ERROR_STATUSES:
        app.register_error_handler(status, render_error)
    for exception in DATABASE_UNAVAILABLE:
        app.register_error_handler(exception, database_unavailable)


def register_templates(app: Flask) -> None:
    register_template_helpers(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        action_label=action_label,
        can=can,
        menu_for=menu_for,
        describe_changes=describe_changes,
        object_label=object_label,
        sensitive_flags=SENSITIVE_FLAGS,
    )


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client address and scheme from them."""
    count = app.config["PROXY_COUNT"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_cli(app: Flask) -> None:
    from .cli import (
        apply_retention_command,
        audit_verify,
        backup_command,
        create_admin,
        load_reference_data_command,
        purge_uploads,
        restore_command,
        seed_demo,
        seed_volume,
    )

    for command in (
        assets.build_assets_command,
        create_admin,
        load_reference_data_command,
        seed_demo,
        seed_volume,
        purge_uploads,
        audit_verify,
        backup_command,
        restore_command,
        apply_retention_command,
    ):
        app.cli.add_command(command)

"""IntegraPath: case management for municipal integration offices."""

import logging

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, config_for

from . import assets
from .audit import action_label, describe_changes, object_label
from .cases.models import SENSITIVE_FLAGS
from .extensions import IdConverter, babel, compress, csrf, db, login_manager, migrate
from .i18n import register_template_helpers, select_locale, select_timezone
from .security import can, menu_for, refuse_nul_characters, refuse_undeclared_views

ERROR_STATUSES = (400, 403, 404, 405, 413, 500)


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
    from .accounts.models import User

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
        from sqlalchemy import select
        from sqlalchemy.orm import joinedload

        # With the municipality: every page reads its time zone and name, one query fewer.
        return db.session.scalar(
            select(User)
            .options(joinedload(User.municipality))
            .where(User.session_token == session_token, User.active.is_(True))
        )


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
            db.session.commit()
        else:
            db.session.rollback()
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


def register_error_handlers(app: Flask) -> None:
    def render_error(error):
        status = error.code if isinstance(error, HTTPException) else 500
        if status not in ERROR_STATUSES:
            return error
        if status == 500:
            db.session.rollback()
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
        create_admin,
        load_reference_data_command,
        purge_uploads,
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
    ):
        app.cli.add_command(command)

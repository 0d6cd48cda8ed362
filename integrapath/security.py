"""Roles, the access decorator every view declares, and tenant-scoped queries.

Every view states who may call it with ``@allow(...)`` or ``@public``; a view with
neither is refused by ``refuse_undeclared_views`` (fail closed) and flagged by the
route-walk test. Every query for tenant data goes through ``scoped`` so that a
forgotten filter is not possible by accident.
"""

from collections.abc import Mapping
from enum import StrEnum
from functools import wraps
from urllib.parse import urljoin, urlsplit

from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, select

from .extensions import db
from .i18n import LabelledEnum

PUBLIC = "public"
ACCESS_ATTRIBUTE = "access_rule"
REACH_ATTRIBUTE = "access_reach"


class Role(LabelledEnum):
    ADMIN = "admin"
    CASEWORKER = "caseworker"
    PROVIDER = "provider"
    MIGRANT = "migrant"

    @classmethod
    def labels(cls):
        return {
            cls.ADMIN: _l("Administrator"),
            cls.CASEWORKER: _l("Caseworker"),
            cls.PROVIDER: _l("Course provider"),
            cls.MIGRANT: _l("Newcomer"),
        }


class Reach(StrEnum):
    """Which objects named in a URL (``<int:case_id>``, ``<int:offering_id>``) a role reaches.

    An object outside the reach answers 404, as if it did not exist. The views enforce it
    through ``scoped``/``get_scoped_or_404`` (each model's ``tenant_filter``); the declared
    reach is what the authorisation-matrix test holds them to.
    """

    MUNICIPALITY = "municipality"  # the user's municipality (a caseworker: see need_to_know)
    ORGANISATION = "organisation"  # the provider's own organisation and its courses
    OWN_FILE = "own file"  # the newcomer's own file and what hangs off it
    NOTHING = "nothing"  # the role reaches the view but no object of it: always 404


# What a plain ``@allow(Role.X)`` means for the objects of its URL: each role its own tenant.
DEFAULT_REACH = {
    Role.ADMIN: Reach.MUNICIPALITY,
    Role.CASEWORKER: Reach.MUNICIPALITY,
    Role.PROVIDER: Reach.ORGANISATION,
    Role.MIGRANT: Reach.OWN_FILE,
}


def allow(*roles: Role, reach: Mapping[Role, Reach] | None = None):
    """Let signed-in users with one of ``roles`` call the view; refuse everyone else.

    ``reach`` declares, per role, which objects named in the URL the role may open, where it
    differs from ``DEFAULT_REACH`` (e.g. ``{Role.ADMIN: Reach.NOTHING}`` for a case page that
    every role reaches so that none is told the file exists).
    """
    if not roles:
        raise ValueError("allow() needs at least one role; use @public for open views")
    allowed = frozenset(roles)
    declared = {role: (reach or {}).get(role, DEFAULT_REACH[role]) for role in allowed}
    if reach and not set(reach) <= allowed:
        raise ValueError("allow(reach=...) names a role that is not allowed")

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in allowed:
                # A newcomer is not told that staff pages exist: only their portal is there.
                abort(404 if current_user.role == Role.MIGRANT else 403)
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, allowed)
        setattr(guarded, REACH_ATTRIBUTE, declared)
        return guarded

    return decorator


def declared_reach(view) -> dict:
    """Return ``{role: Reach}`` declared by ``allow`` for a view (empty for public views)."""
    return getattr(view, REACH_ATTRIBUTE, {})


# Named permissions of every domain, by name without the ``can_`` prefix: the views' checks
# and the templates' ``can("close_case", case)`` ask the same predicate, so a button is
# shown exactly when its POST would be allowed.
PERMISSIONS: dict = {}


def permission(predicate):
    """Register ``can_<name>(user, *objects) -> bool`` under ``<name>``."""
    PERMISSIONS[predicate.__name__.removeprefix("can_")] = predicate
    return predicate


def can(name: str, *objects) -> bool:
    """Ask a named permission for the signed-in user (the templates' ``can``)."""
    return current_user.is_authenticated and PERMISSIONS[name](current_user, *objects)


def public(view):
    """Declare a view open to everyone, signed in or not."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def access_rule(view):
    """Return the declared access rule of a view function, or ``None``."""
    return getattr(view, ACCESS_ATTRIBUTE, None)


def may_visit(user, endpoint: str) -> bool:
    """Say whether ``user`` may open the page of ``endpoint`` (its declared access rule)."""
    rule = access_rule(current_app.view_functions.get(endpoint))
    return rule == PUBLIC or (rule is not None and user.is_authenticated and user.role in rule)


# The main menu: each domain adds its pages; a person sees those their role may open.
MENU: list[tuple[str, object]] = []


def menu_item(endpoint: str, label, *, first: bool = False) -> None:
    """Add a page to the main navigation; ``first`` puts a role's landing page in front."""
    if first:
        MENU.insert(0, (endpoint, label))
    else:
        MENU.append((endpoint, label))


def menu_for(user) -> list[tuple[str, object]]:
    """The menu of the user's role: worked out once per role, as every page shows it."""
    role = user.role if user.is_authenticated else None
    menus = current_app.extensions.setdefault("integrapath_menus", {})
    if role not in menus:  # the domains add their pages when imported, before any request
        menus[role] = [(endpoint, label) for endpoint, label in MENU if may_visit(user, endpoint)]
    return menus[role]


def refuse_undeclared_views():
    """Answer 404 for any view that forgot to declare its access rule."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if access_rule(view) is None:
        current_app.logger.error("View %s has no access rule; refused", request.endpoint)
        abort(404)
    return None


def refuse_nul_characters():
    """Answer 400 for text with NUL characters, which PostgreSQL cannot store."""
    for values in (request.args, request.form):
        if any("\x00" in key + value for key, value in values.items(multi=True)):
            abort(400)


def scoped(statement: Select, user=None) -> Select:
    """Restrict a select of a tenant-owned model to what ``user`` may see.

    The model of the first selected entity supplies ``tenant_filter(user)``.
    """
    user = user if user is not None else current_user
    model = statement.column_descriptions[0]["entity"]
    return statement.where(model.tenant_filter(user))


def get_scoped_or_404(model, object_id: int, user=None):
    """Load one object of ``model`` within the user's scope, or answer 404."""
    found = db.session.scalar(scoped(select(model).where(model.id == object_id), user))
    if found is None:
        abort(404)
    return found


def is_safe_redirect(target: str | None) -> bool:
    """Accept only paths on this site as ``next`` targets."""
    if not target:
        return False
    if target.startswith(("//", "\\")) or "\\" in target:
        return False
    host_url = urlsplit(request.host_url)
    redirect_url = urlsplit(urljoin(request.host_url, target))
    return (
        redirect_url.scheme in {"http", "https"}
        and redirect_url.netloc == host_url.netloc
        and target.startswith("/")
    )

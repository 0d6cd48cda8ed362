"""Account and organisation management within one municipality."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..audit import AuditEvent, diff, plain_value, record_event
from ..auth.models import User, new_session_token
from ..auth.services import find_user_by_email, issue_activation_link, normalise_email
from ..errors import RuleBroken
from ..extensions import SortKey, db, ordered
from ..security import Role, scoped
from .models import Organisation, OrganisationKind

USER_ORDER = (SortKey(sa.func.lower(User.full_name)), SortKey(User.id))
ORGANISATION_ORDER = (SortKey(sa.func.lower(Organisation.name)), SortKey(Organisation.id))
AUDIT_ORDER = (
    SortKey(AuditEvent.created_at, descending=True),
    SortKey(AuditEvent.id, descending=True),
)


class AccountError(RuleBroken):
    """A requested account or organisation change breaks a rule."""


def _check_organisation(role: Role, organisation: Organisation | None, municipality_id: int):
    if role == Role.PROVIDER and (
        organisation is None or organisation.kind != OrganisationKind.COURSE_PROVIDER
    ):
        raise AccountError(
            _l("Choose the course provider this person works for."), "organisation_id"
        )
    if organisation is not None and organisation.municipality_id != municipality_id:
        raise AccountError(_l("Choose an organisation of your municipality."), "organisation_id")


def create_user(
    *,
    full_name: str,
    email: str,
    role: Role,
    preferred_locale: str,
    organisation: Organisation | None,
    actor: User,
) -> tuple[User, str]:
    """Create an account in the actor's municipality, awaiting activation.

    Returns the user and the one-time activation token to hand over.

    :raise AccountError: when the e-mail is taken or the organisation does not fit.
    """
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(_l("An account with this e-mail address already exists."), "email")
    role = Role(role)
    _check_organisation(role, organisation, actor.municipality_id)
    user = User(
        full_name=full_name.strip(),
        email=email,
        role=role,
        preferred_locale=preferred_locale,
        municipality_id=actor.municipality_id,
        organisation=organisation if role in (Role.PROVIDER, Role.CASEWORKER) else None,
        password_hash=None,
    )
    db.session.add(user)
    db.session.flush()
    token = issue_activation_link(user)
    record_event(
        "user_created",
        user,
        actor=actor,
        changes={"email": [None, email], "role": [None, role.value]},
    )
    return user, token


def change_role(user: User, role: Role, organisation: Organisation | None, actor: User) -> None:
    """Give an account another role (and organisation, for provider staff).

    :raise AccountError: when admins would lock themselves out or the organisation does not fit.
    """
    role = Role(role)
    if user.id == actor.id and role != Role.ADMIN:
        raise AccountError(_l("You cannot remove your own administrator role."), "role")
    if (user.role == Role.MIGRANT) != (role == Role.MIGRANT):
        # A newcomer's account is bound to their file; staff rights never mix with it.
        raise AccountError(
            _l("A newcomer's account cannot become a staff account, nor the other way round."),
            "role",
        )
    _check_organisation(role, organisation, actor.municipality_id)
    organisation_id = (
        organisation.id if role in (Role.PROVIDER, Role.CASEWORKER) and organisation else None
    )
    changes = diff(user, {"role": role, "organisation_id": organisation_id})
    if not changes:
        return
    user.role = role
    user.organisation_id = organisation_id
    user.session_token = new_session_token()  # new rights take effect at next sign-in
    record_event("user_role_changed", user, actor=actor, changes=changes)


def set_user_active(user: User, active: bool, actor: User) -> None:
    """Deactivate (signing out everywhere) or reactivate an account.

    :raise AccountError: when admins would deactivate themselves.
    """
    if user.id == actor.id and not active:
        raise AccountError(_l("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    user.session_token = new_session_token()
    record_event(
        "user_reactivated" if active else "user_deactivated",
        user,
        actor=actor,
        changes={"active": [not active, active]},
    )


def reset_password(user: User, actor: User) -> str:
    """Remove the password and return a new one-time activation token to hand over."""
    user.password_hash = None
    user.session_token = new_session_token()
    token = issue_activation_link(user)
    record_event("password_reset", user, actor=actor)
    return token


def move_account(user: User, municipality_id: int, actor: User) -> None:
    """Hand an account over to another municipality (with the file it belongs to).

    Its sessions end, and both municipalities' audit trails record the move, so that the
    one giving it up sees where it went and can no longer act on it.
    """
    leaving = user.municipality_id
    if leaving == municipality_id:
        return
    user.municipality_id = municipality_id
    user.session_token = new_session_token()
    for municipality in (leaving, municipality_id):
        record_event(
            "account_moved",
            user,
            actor=actor,
            municipality_id=municipality,
            changes={"municipality_id": [leaving, municipality_id]},
        )


def users_query(
    actor: User, q: str | None = None, role: str | None = None, status: str | None = None
) -> Select:
    """Return the filtered, ordered select of the accounts the actor administers."""
    statement = scoped(select(User), actor).options(sa.orm.joinedload(User.organisation))
    if q:
        pattern = f"%{q.strip().lower()}%"
        statement = statement.where(
            sa.or_(sa.func.lower(User.full_name).like(pattern), User.email.like(pattern))
        )
    if role:
        statement = statement.where(User.role == Role(role))
    if status == "active":
        statement = statement.where(User.active.is_(True), User.password_hash.is_not(None))
    elif status == "awaiting":
        statement = statement.where(User.active.is_(True), User.password_hash.is_(None))
    elif status == "inactive":
        statement = statement.where(User.active.is_(False))
    return ordered(statement, USER_ORDER)


def organisations_query(actor: User) -> Select:
    """Return the organisations of the actor's municipality, by name."""
    return ordered(scoped(select(Organisation), actor), ORGANISATION_ORDER)


def organisations_for_staff(actor: User) -> list[Organisation]:
    """Return the active offices and course providers staff of the municipality can work for.

    Partner services have no accounts of their own.
    """
    statement = scoped(select(Organisation), actor).where(
        Organisation.active.is_(True), Organisation.kind != OrganisationKind.PARTNER_SERVICE
    )
    return list(db.session.scalars(statement.order_by(Organisation.name)))


def save_organisation(organisation: Organisation | None, values: dict, actor: User) -> Organisation:
    """Create or update an organisation of the actor's municipality.

    :raise AccountError: when another organisation already has the name.
    """
    values = {**values, "name": values["name"].strip(), "kind": OrganisationKind(values["kind"])}
    clash = db.session.scalar(
        scoped(select(Organisation.id), actor).where(
            sa.func.lower(Organisation.name) == values["name"].lower(),
            Organisation.id != (organisation.id if organisation else -1),
        )
    )
    if clash is not None:
        raise AccountError(_l("An organisation with this name already exists."), "name")
    if organisation is None:
        organisation = Organisation(municipality_id=actor.municipality_id, **values)
        db.session.add(organisation)
        db.session.flush()
        record_event(
            "organisation_created",
            organisation,
            actor=actor,
            changes={field: [None, plain_value(value)] for field, value in values.items()},
        )
    else:
        changes = diff(organisation, values)
        for field, value in values.items():
            setattr(organisation, field, value)
        if changes:
            record_event("organisation_updated", organisation, actor=actor, changes=changes)
    return organisation


def audit_query(
    actor: User,
    action: str | None = None,
    actor_email: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select:
    """Return the filtered audit events of the actor's municipality, newest first.

    Dates are calendar days in the municipality's time zone.
    """
    zone = ZoneInfo(actor.municipality.timezone)
    statement = scoped(select(AuditEvent), actor)
    if action:
        statement = statement.where(AuditEvent.action == action)
    if actor_email:
        statement = statement.where(AuditEvent.actor_email == normalise_email(actor_email))
    if date_from:
        statement = statement.where(AuditEvent.created_at >= _start_of(date_from, zone))
    if date_to:
        statement = statement.where(
            AuditEvent.created_at < _start_of(date_to + timedelta(days=1), zone)
        )
    return ordered(statement, AUDIT_ORDER)


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)

"""Account and organisation management within one municipality."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..accounts.models import Organisation, OrganisationKind, User
from ..accounts.services import AccountError, normalise_email
from ..audit import AuditEvent, diff, plain_value, record_event
from ..extensions import SortKey, db, ordered
from ..pathway.services import check_service_areas, replace_service_areas
from ..security import Role, scoped

USER_ORDER = (SortKey(sa.func.lower(User.full_name)), SortKey(User.id))
ORGANISATION_ORDER = (SortKey(sa.func.lower(Organisation.name)), SortKey(Organisation.id))
AUDIT_ORDER = (
    SortKey(AuditEvent.created_at, descending=True),
    SortKey(AuditEvent.id, descending=True),
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


def save_organisation(
    organisation: Organisation | None, values: dict, actor: User, service_areas=()
) -> Organisation:
    """Create or update an organisation of the actor's municipality; a partner service keeps
    the ``service_areas`` it covers.

    :raise AccountError: when another organisation already has the name.
    :raise RuleBroken: for a partner service without a service area.
    """
    values = {**values, "name": values["name"].strip(), "kind": OrganisationKind(values["kind"])}
    areas = check_service_areas(values["kind"], service_areas)
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
        changes = {field: [None, plain_value(value)] for field, value in values.items()}
        if areas_changed := replace_service_areas(organisation, areas):
            changes["service_areas"] = areas_changed
        record_event("organisation_created", organisation, actor=actor, changes=changes)
    else:
        changes = diff(organisation, values)
        for field, value in values.items():
            setattr(organisation, field, value)
        if areas_changed := replace_service_areas(organisation, areas):
            changes["service_areas"] = areas_changed
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


def set_need_to_know(municipality, assigned_only: bool, actor: User) -> None:
    """Choose whether caseworkers see every file or only their team's (audited)."""
    if municipality.need_to_know == assigned_only:
        return
    record_event(
        "need_to_know_changed",
        municipality,
        actor=actor,
        changes={"need_to_know": [municipality.need_to_know, assigned_only]},
    )
    municipality.need_to_know = assigned_only

"""The append-only audit trail: who did what, to which object, when and from where."""

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .extensions import UTCDateTime, db, utcnow
from .i18n import format_date

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The readings of a case file (not changes to it). Nobody reads them back in the request that
# records them, so they are held until its transaction commits (``_add_held_views``): sealing
# an event locks the head of the municipality's chain until the commit, and a view sealed at
# the first query of a case page kept every other case page of the municipality waiting while
# it rendered (p95 389 ms under 8 clients; BENCHMARKS.md).
VIEW_ACTIONS = ("case_viewed", "unassigned_case_viewed", "sensitive_flags_viewed")
HELD_VIEWS = "audit_held_views"
# Something recorded on a case file, views left out: the condition of the partial index
# ``ix_audit_event_case_recorded``, in literals, so that a query saying it in the same words
# is answered from the index (with bound parameters a cached generic plan could not be).
RECORDED_ON_A_CASE = "object_type = 'Case' AND action NOT IN ({})".format(
    ", ".join(f"'{action}'" for action in VIEW_ACTIONS)
)

# Translated names of the recorded actions, for the audit log page.
ACTION_LABELS = {
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Signed out"),
    "session_ended": _l("Session ended by an administrator"),
    "session_idle": _l("Signed out after inactivity"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password reset"),
    "account_activated": _l("Account activated"),
    "preferred_locale_changed": _l("Language changed"),
    "user_created": _l("Account created"),
    "user_role_changed": _l("Role changed"),
    "user_deactivated": _l("Account deactivated"),
    "user_reactivated": _l("Account reactivated"),
    "need_to_know_changed": _l("Need-to-know setting changed"),
    "organisation_created": _l("Organisation created"),
    "organisation_updated": _l("Organisation changed"),
    "case_registered": _l("Case file opened"),
    "case_updated": _l("Case file changed"),
    "case_viewed": _l("Case file viewed"),
    "unassigned_case_viewed": _l("Case file of another caseworker viewed"),
    "sensitive_flags_viewed": _l("Sensitive needs viewed"),
    "sensitive_flags_searched": _l("Cases listed by a sensitive need"),
    "note_added": _l("Note added"),
    "note_amended": _l("Note corrected"),
    "household_linked": _l("Family files linked"),
    "household_unlinked": _l("Family link removed"),
    "dependant_added": _l("Family member added"),
    "dependant_removed": _l("Family member removed"),
    "consent_given": _l("Consent recorded"),
    "consent_withdrawn": _l("Consent withdrawn"),
    "case_reassigned": _l("Caseworker changed"),
    "transfer_requested": _l("Transfer requested"),
    "transfer_accepted": _l("Transfer accepted"),
    "transfer_declined": _l("Transfer declined"),
    "case_closed": _l("Case closed"),
    "case_reopened": _l("Case reopened"),
    "case_import_uploaded": _l("Import file uploaded"),
    "cases_imported": _l("Case files imported"),
    "caseload_exported": _l("Caseload exported"),
    "portal_access_opened": _l("Portal access opened"),
    "portal_link_renewed": _l("New portal activation link"),
    "account_moved": _l("Account moved to another municipality"),
    "details_changed_in_portal": _l("Contact details changed by the newcomer"),
    "newcomer_message_sent": _l("Message from the newcomer"),
    "newcomer_message_handled": _l("Message from the newcomer dealt with"),
    "personal_data_exported": _l("The newcomer downloaded their data"),
    "course_created": _l("Course added to the catalogue"),
    "course_updated": _l("Course changed"),
    "offering_created": _l("Course scheduled"),
    "offering_updated": _l("Course run changed"),
    "session_added": _l("Session added"),
    "session_moved": _l("Session moved"),
    "session_cancelled": _l("Session cancelled"),
    "case_enrolled": _l("Enrolled in a course"),
    "case_waitlisted": _l("Put on a waiting list"),
    "case_promoted": _l("Given a place from the waiting list"),
    "enrolment_changed": _l("Enrolment changed"),
    "attendance_recorded": _l("Attendance recorded"),
    "attendance_corrected": _l("Attendance corrected"),
    "attendance_uploaded": _l("Attendance file uploaded"),
    "result_recorded": _l("Course result recorded"),
    "stage_advanced": _l("Moved to a later stage"),
    "stage_moved_back": _l("Moved back to an earlier stage"),
    "milestone_ticked": _l("Milestone met"),
    "milestone_unticked": _l("Milestone tick taken back"),
    "milestone_added": _l("Milestone added"),
    "milestone_changed": _l("Milestone changed"),
    "milestone_moved": _l("Milestone moved in its list"),
    "milestone_retired": _l("Milestone retired"),
    "inactivity_weeks_changed": _l("Weeks before a quiet case is listed changed"),
    "plan_goal_added": _l("Goal added to the integration plan"),
    "plan_goal_changed": _l("Goal of the integration plan changed"),
    "plan_goal_cancelled": _l("Goal of the integration plan cancelled"),
    "plan_action_added": _l("Action added to the integration plan"),
    "plan_action_changed": _l("Action of the integration plan changed"),
    "plan_action_status_changed": _l("Progress of a plan action recorded"),
    "plan_agreed": _l("Integration plan agreed"),
    "plan_acknowledged": _l("Integration plan acknowledged by the newcomer"),
    "referral_sent": _l("Referred to a partner service"),
    "referral_answered": _l("Partner service answered a referral"),
    "referral_completed": _l("Referral completed"),
    "referral_withdrawn": _l("Referral withdrawn"),
    "referral_answer_days_changed": _l("Days to answer a referral changed"),
    "report_settings_changed": _l("Report settings changed"),
    "housing_recorded": _l("Housing situation recorded"),
    "health_access_recorded": _l("Health access recorded"),
    "civic_status_recorded": _l("Residence status or participation recorded"),
    "child_education_recorded": _l("Child's education recorded"),
    "language_level_recorded": _l("Language level recorded"),
    "qualification_added": _l("Qualification added"),
    "recognition_moved": _l("Recognition step recorded"),
    "compensation_measure_updated": _l("Compensation measure changed"),
    "skills_profile_saved": _l("Skills profile saved"),
    "employment_status_recorded": _l("Employment status recorded"),
    "retention_years_changed": _l("Years closed files are kept changed"),
    "erasure_requested": _l("Erasure of personal data requested"),
    "erasure_refused": _l("Erasure of personal data refused"),
    "person_erased": _l("Personal data erased"),
    "retention_applied": _l("Personal data erased at the end of the retention period"),
}


# What the recorded objects are called on the audit log page (by model class name).
OBJECT_LABELS = {
    "Case": _l("Case file"),
    "CaseImport": _l("Import file"),
    "Course": _l("Course"),
    "Offering": _l("Course run"),
    "Enrolment": _l("Enrolment"),
    "ErasureRequest": _l("Erasure request"),
    "AttendanceUpload": _l("Attendance file"),
    "Organisation": _l("Organisation"),
    "Milestone": _l("Milestone"),
    "User": _l("Account"),
}


@dataclass(frozen=True)
class AuditedField:
    """How one key of an event's ``changes`` is shown on the audit pages.

    ``personal`` marks personal or sensitive data: its values are shown only to readers who
    may open the case file, everyone else sees that it changed. ``labels`` (a labelled enum,
    a dict, or a function of the code) turns stored codes into translated labels.
    """

    label: Any
    personal: bool = False
    labels: Any = None


# object type ("Case", "User", ...; "" for events without an object) -> key -> field.
# Each domain registers its own keys; a key nobody registered is treated as personal.
AUDITED_FIELDS: dict[str, dict[str, AuditedField]] = {}


def register_audited_fields(object_type: str, **fields: AuditedField) -> None:
    AUDITED_FIELDS.setdefault(object_type, {}).update(fields)


@dataclass(frozen=True)
class ChangeLine:
    label: str
    old: str | None
    new: str | None
    withheld: bool


def describe_changes(event: "AuditEvent", *, show_personal: bool) -> list[ChangeLine]:
    """Return the event's changes as translated lines, withholding personal values unless
    the reader may see the case file."""
    known = AUDITED_FIELDS.get(event.object_type or "", {})
    lines = []
    for key, (old, new) in (event.changes or {}).items():
        field = known.get(key) or AuditedField(_l("Other detail"), personal=True)
        withheld = field.personal and not show_personal
        lines.append(
            ChangeLine(
                label=str(field.label),
                old=None if withheld else _shown(old, field),
                new=None if withheld else _shown(new, field),
                withheld=withheld,
            )
        )
    return lines


def _shown(value: Any, field: AuditedField) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(field.labels, dict):
        return str(field.labels.get(value, value))
    if isinstance(field.labels, type):  # a labelled enum
        try:
            return str(field.labels(value).label)
        except ValueError:
            return str(value)
    if field.labels is not None:  # a function naming a code (a language, an occupation)
        return str(field.labels(value) or value)
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        # Dates are kept as ISO strings in the trail; readers see them as their locale writes.
        return format_date(date.fromisoformat(value), "medium")
    return str(value)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type)


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_municipality_created", "municipality_id", "created_at", "id"),
        # The timeline of one case file.
        sa.Index("ix_audit_event_object", "object_type", "object_id", "created_at"),
        # When each case file last had something recorded (the caseworker's day lists the
        # quiet ones): one index-only probe per file, views left out.
        sa.Index(
            "ix_audit_event_case_recorded",
            "object_id",
            "created_at",
            postgresql_where=sa.text(RECORDED_ON_A_CASE),
            sqlite_where=sa.text(RECORDED_ON_A_CASE),
        ),
        sa.UniqueConstraint("municipality_id", "chain_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="RESTRICT")
    )
    # The actor is kept by id and e-mail so the trail survives account changes.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    actor_email: Mapped[str | None] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(64))
    object_id: Mapped[int | None]
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    changes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # The tamper-evident chain (see ``seal_rows``): the entry's place in its municipality's
    # chain, and a hash over the entry and the hash of the one before it. The details that
    # may be personal (e-mail, address, changes) enter the chain through a digest salted
    # with a random nonce, so that erasing a person can blank them and keep the chain whole.
    chain_seq: Mapped[int | None]
    detail_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    detail_digest: Mapped[str | None] = mapped_column(sa.String(64))
    entry_hash: Mapped[str | None] = mapped_column(sa.String(64))

    actor = relationship("User", lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        return cls.municipality_id == user.municipality_id

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"


def record_event(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    municipality_id: int | None = None,
    changes: dict[str, Any] | None = None,
    actor_email: str | None = None,
) -> AuditEvent:
    """Append one event to the audit trail in the current transaction.

    ``actor`` defaults to the signed-in user; ``municipality_id`` to the actor's.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if municipality_id is None:
        municipality_id = getattr(obj, "municipality_id", None) or getattr(
            actor, "municipality_id", None
        )
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", None) or actor_email,
        municipality_id=municipality_id,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        ip_address=request.remote_addr if has_request_context() else None,
        changes=changes or None,
    )
    if action in VIEW_ACTIONS:
        db.session.info.setdefault(HELD_VIEWS, []).append(event)
    else:
        db.session.add(event)
    return event


@sa.event.listens_for(Session, "before_commit")
def _add_held_views(session: Session) -> None:
    """Write the held views with the commit's own flush (sealed last, the lock held briefly)."""
    held = session.info.pop(HELD_VIEWS, None)
    if held:
        session.add_all(held)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_held_views(session: Session, previous) -> None:
    """A rolled-back request recorded nothing, its views included."""
    if previous.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(HELD_VIEWS, None)


def diff(obj: Any, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """Return ``{field: [old, new]}`` for the values that would change."""
    changes = {}
    for field, new in new_values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [plain_value(old), plain_value(new)]
    return changes


def plain_value(value: Any) -> Any:
    """Make a value JSON-friendly for the ``changes`` column."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@sa.event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context, _instances) -> None:
    """Keep the trail append-only: no update or delete of an event reaches the database."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditTrailIsAppendOnly(f"Audit event {obj.id} cannot be changed or deleted")


# ---------------------------------------------------------------------------------------------
# The tamper-evident chain
# ---------------------------------------------------------------------------------------------

GENESIS_HASH = "0" * 64
# The entries that record an erasure, and so allow the erased person's entries to be blanked.
ERASURE_ACTIONS = ("person_erased", "retention_applied")
# The events of no municipality (a failed sign-in with an unknown e-mail) form chain 0.
NO_MUNICIPALITY = 0


class AuditChain(db.Model):
    """The head of one municipality's audit chain: its last entry's number and hash.

    Sealing an entry updates this row first, so that concurrent writers of one municipality
    take turns (the row lock on PostgreSQL, the write lock on SQLite), and so that an entry
    deleted from the end of the chain is noticed.
    """

    __tablename__ = "audit_chain"

    chain_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    last_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH)

    def __repr__(self) -> str:
        return f"<AuditChain {self.chain_key} at {self.last_seq}>"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def detail_digest(nonce: str, actor_email, ip_address, changes) -> str:
    """Return the salted digest of an entry's details that may be personal."""
    return hashlib.sha256(
        bytes.fromhex(nonce) + _canonical([actor_email, ip_address, changes])
    ).hexdigest()


def entry_hash(previous_hash: str, row: dict[str, Any]) -> str:
    """Return the hash of one entry, chained to the hash of the entry before it."""
    return hashlib.sha256(
        _canonical(
            [
                previous_hash,
                row["chain_seq"],
                _timestamp(row["created_at"]),
                row["municipality_id"],
                row["actor_id"],
                row["action"],
                row["object_type"],
                row["object_id"],
                row["detail_digest"],
            ]
        )
    ).hexdigest()


def chain_key(municipality_id: int | None) -> int:
    return municipality_id or NO_MUNICIPALITY


def _claim_numbers(connection: sa.Connection, key: int, count: int) -> tuple[int, str]:
    """Reserve ``count`` numbers at the head of chain ``key``; return the first and the hash
    before it. Holds the head's lock until the transaction ends."""
    table = AuditChain.__table__
    claim = (
        sa.update(table)
        .where(table.c.chain_key == key)
        .values(last_seq=table.c.last_seq + count)
        .returning(table.c.last_seq, table.c.last_hash)
    )
    claimed = connection.execute(claim).first()
    if claimed is None:
        # The chain's first entry: create its head unless a concurrent writer just did.
        if connection.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        connection.execute(
            insert(table)
            .values(chain_key=key, last_seq=0, last_hash=GENESIS_HASH)
            .on_conflict_do_nothing()
        )
        claimed = connection.execute(claim).first()
    last_seq, previous_hash = claimed
    return last_seq - count + 1, previous_hash


def seal_rows(connection: sa.Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Give each audit row (a dict of ``audit_event`` columns) its place and hash in its
    municipality's chain, in the order given. Call in the transaction that inserts them."""
    by_chain: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_chain.setdefault(chain_key(row.get("municipality_id")), []).append(row)
    table = AuditChain.__table__
    for key in sorted(by_chain):  # always in one order, so two writers cannot deadlock
        chain = by_chain[key]
        seq, previous = _claim_numbers(connection, key, len(chain))
        for row in chain:
            row.setdefault("created_at", None)
            row["created_at"] = row["created_at"] or utcnow()
            for name in ("actor_id", "actor_email", "object_type", "object_id", "ip_address"):
                row.setdefault(name, None)
            row["changes"] = row.get("changes") or None
            row["chain_seq"] = seq
            row["detail_nonce"] = secrets.token_hex(16)
            row["detail_digest"] = detail_digest(
                row["detail_nonce"], row["actor_email"], row["ip_address"], row["changes"]
            )
            row["entry_hash"] = previous = entry_hash(previous, row)
            seq += 1
        connection.execute(
            sa.update(table).where(table.c.chain_key == key).values(last_hash=previous)
        )


_SEALED_COLUMNS = (
    "created_at", "municipality_id", "actor_id", "actor_email", "action", "object_type",
    "object_id", "ip_address", "changes",
)  # fmt: skip


@sa.event.listens_for(Session, "before_flush")
def _seal_new_events(session: Session, _context, _instances) -> None:
    """Chain every new event before it is written."""
    events = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not events:
        return
    events.sort(key=lambda event: sa.inspect(event).insert_order)
    rows = [{name: getattr(event, name) for name in _SEALED_COLUMNS} for event in events]
    seal_rows(session.connection(), rows)
    for event, row in zip(events, rows, strict=True):
        for name in ("created_at", "chain_seq", "detail_nonce", "detail_digest", "entry_hash"):
            setattr(event, name, row[name])


@dataclass(frozen=True)
class ChainFault:
    """One place where a chain does not add up."""

    chain: int
    seq: int | None
    event_id: int | None
    problem: str


def redact_events(connection: sa.Connection, condition) -> int:
    """Blank the details of the events matching ``condition`` (e-mail, address, changes),
    keeping their digest, so the chain still verifies. Return how many were blanked."""
    table = AuditEvent.__table__
    result = connection.execute(
        sa.update(table)
        .where(condition, table.c.detail_nonce.is_not(None))
        .values(actor_email=None, ip_address=None, changes=None, detail_nonce=None)
    )
    return result.rowcount


def verify_chains(
    connection: sa.Connection, municipality_id: int | None = None
) -> list[ChainFault]:
    """Check every entry of the audit chains (or of one municipality's) against its hash,
    its number and the chain's head; return what does not add up.

    An entry whose details were blanked is accepted only when an erasure entry
    (``ERASURE_ACTIONS``) names its object or its actor. Whoever can rewrite the whole table
    can rewrite the chain too: keep the heads that ``audit-verify`` prints elsewhere.
    """
    events = AuditEvent.__table__
    heads = AuditChain.__table__
    columns = [events.c[name] for name in (*_SEALED_COLUMNS, "id", "chain_seq", "detail_nonce",
                                            "detail_digest", "entry_hash")]  # fmt: skip
    key_of = sa.func.coalesce(events.c.municipality_id, NO_MUNICIPALITY)
    query = sa.select(key_of.label("chain"), *columns).order_by(
        key_of, events.c.chain_seq, events.c.id
    )
    head_query = sa.select(heads.c.chain_key, heads.c.last_seq, heads.c.last_hash)
    if municipality_id is not None:
        query = query.where(key_of == chain_key(municipality_id))
        head_query = head_query.where(heads.c.chain_key == chain_key(municipality_id))
    rows = [dict(row._mapping) for row in connection.execute(query)]
    erased = _erased_objects(rows)
    faults: list[ChainFault] = []
    state: dict[int, tuple[int, str]] = {}
    for row in rows:
        chain = row["chain"]
        seen_seq, previous = state.get(chain, (0, GENESIS_HASH))
        if row["chain_seq"] is None or row["entry_hash"] is None:
            faults.append(ChainFault(chain, None, row["id"], "entry outside the chain"))
            continue
        if row["chain_seq"] != seen_seq + 1:
            problem = (
                "entry numbered twice"
                if row["chain_seq"] <= seen_seq
                else f"entries {seen_seq + 1}-{row['chain_seq'] - 1} missing"
            )
            faults.append(ChainFault(chain, row["chain_seq"], row["id"], problem))
        if row["detail_nonce"] is None:
            if (row["object_type"], row["object_id"]) not in erased and (
                ("User", row["actor_id"]) not in erased
            ):
                faults.append(
                    ChainFault(
                        chain, row["chain_seq"], row["id"], "details blanked without an erasure"
                    )
                )
        elif row["detail_digest"] != detail_digest(
            row["detail_nonce"], row["actor_email"], row["ip_address"], row["changes"]
        ):
            faults.append(ChainFault(chain, row["chain_seq"], row["id"], "details changed"))
        if row["entry_hash"] != entry_hash(previous, row):
            faults.append(
                ChainFault(chain, row["chain_seq"], row["id"], "entry changed or out of place")
            )
        state[chain] = (max(seen_seq, row["chain_seq"]), row["entry_hash"])
    for key, last_seq, last_hash in connection.execute(head_query):
        seen_seq, previous = state.pop(key, (0, GENESIS_HASH))
        if (seen_seq, previous) != (last_seq, last_hash):
            faults.append(
                ChainFault(
                    key, last_seq, None, f"chain ends at {seen_seq}, its head says {last_seq}"
                )
            )
    for key, (seen_seq, _previous) in state.items():
        faults.append(ChainFault(key, seen_seq, None, "chain without a head"))
    return faults


def _erased_objects(rows: list[dict[str, Any]]) -> set[tuple[str | None, int | None]]:
    """Return the objects whose events an erasure may have blanked: each erased case and its
    newcomer's portal account, as the (intact) ``person_erased`` entries name them."""
    erased = set()
    for row in rows:
        if row["action"] in ERASURE_ACTIONS and row["detail_nonce"] is not None:
            erased.add((row["object_type"], row["object_id"]))
            account = (row["changes"] or {}).get("account")
            if account and account[0]:
                erased.add(("User", account[0]))
    return erased

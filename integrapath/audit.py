"""The append-only audit trail: who did what, to which object, when and from where."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .extensions import UTCDateTime, db, utcnow
from .i18n import format_date

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Translated names of the recorded actions, for the audit log page.
ACTION_LABELS = {
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Signed out"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password reset"),
    "account_activated": _l("Account activated"),
    "preferred_locale_changed": _l("Language changed"),
    "user_created": _l("Account created"),
    "user_role_changed": _l("Role changed"),
    "user_deactivated": _l("Account deactivated"),
    "user_reactivated": _l("Account reactivated"),
    "organisation_created": _l("Organisation created"),
    "organisation_updated": _l("Organisation changed"),
    "case_registered": _l("Case file opened"),
    "case_updated": _l("Case file changed"),
    "case_viewed": _l("Case file viewed"),
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
}


# What the recorded objects are called on the audit log page (by model class name).
OBJECT_LABELS = {
    "Case": _l("Case file"),
    "CaseImport": _l("Import file"),
    "Course": _l("Course"),
    "Offering": _l("Course run"),
    "Enrolment": _l("Enrolment"),
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
    db.session.add(event)
    return event


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

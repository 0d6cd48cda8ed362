"""Erasure of a newcomer's personal data and the retention of closed files.

What an erasure keeps and removes is written down per table in ``ERASURE_PLAN``; a test
walks every table that refers to a case file and fails when one is missing from it.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..accounts.models import Municipality, User
from ..audit import AuditEvent, record_event, redact_events
from ..auth.models import LoginAttempt, UserSession
from ..cases.models import SENSITIVE_FLAGS, Case, CaseStatus
from ..errors import RuleBroken
from ..extensions import SortKey, db, utcnow
from ..security import Role, scoped
from .models import REFUSAL_GROUNDS, ErasureGround, ErasureRequest, ErasureStatus


class PrivacyError(RuleBroken):
    """An erasure or retention rule was broken."""


@dataclass(frozen=True)
class Treatment:
    """What an erasure does to one table's rows of the person: delete them, or blank the
    named columns (to ``None`` unless a value is given) and keep the rest as anonymous
    statistics."""

    delete: bool = False
    blank: dict[str, object] = field(default_factory=dict)


def _nulls(*names: str) -> dict[str, object]:
    return dict.fromkeys(names)


# Table -> how its rows of an erased case are treated. Kept: what the EU integration
# indicators count (sex, year of birth, country, residence category, stage, languages,
# levels, courses, attendance, employment, housing, education), without names, contact
# details, document numbers or free text.
ERASURE_PLAN: dict[str, Treatment] = {
    "case_file": Treatment(),  # blanked by _anonymise_case (dates are coarsened too)
    "case_nationality": Treatment(),  # its copy of the name keys is blanked with the file's
    "case_name_word": Treatment(delete=True),  # the words of the names
    "case_language": Treatment(),
    # What the reports count, kept from the file: written again from the anonymised file
    # when the erasure's transaction is kept.
    "case_figures": Treatment(),
    "case_note": Treatment(delete=True),
    "case_transfer": Treatment(),  # which municipality held the file: needed as proof
    "consent": Treatment(delete=True),
    "dependant": Treatment(delete=True),
    "child_education_record": Treatment(delete=True),
    "household_link": Treatment(delete=True),
    "newcomer_message": Treatment(delete=True),
    "stage_change": Treatment(blank=_nulls("reason")),
    "education_entry": Treatment(),
    "employment_status": Treatment(),
    "work_experience": Treatment(),
    "skills_profile": Treatment(
        blank=_nulls("driving_licences", "other_skills", "job_aspirations")
    ),
    "qualification": Treatment(
        blank={"title": "", "institution": None, "decision_reference": None}
    ),
    "recognition_step": Treatment(blank=_nulls("note")),
    "compensation_measure": Treatment(),
    "language_assessment": Treatment(
        blank=_nulls("certificate_number", "certificate_issuer", "organisation", "note")
    ),
    "language_standing": Treatment(),
    "enrolment": Treatment(blank=_nulls("certificate_number", "certificate_issuer")),
    "enrolment_change": Treatment(blank=_nulls("reason")),
    "attendance": Treatment(blank=_nulls("reason")),
    "housing_record": Treatment(blank=_nulls("note")),
    "status_record": Treatment(blank=_nulls("note")),
    "milestone_tick": Treatment(),
    "integration_plan": Treatment(),
    "plan_goal": Treatment(blank={"text": ""}),
    "plan_action": Treatment(blank={"text": ""}),
    "plan_version": Treatment(delete=True),
    "referral": Treatment(blank={"reason": ""}),
    "referral_status_change": Treatment(blank=_nulls("note")),
    "erasure_request": Treatment(),  # the proof that the erasure was done
    # An uploaded register lists the whole class: the uploads of the person's course runs go.
    "attendance_upload": Treatment(delete=True),
}

# Tables that reach a case through a parent row: table -> (its column, parent table).
CHILD_TABLES = {
    "compensation_measure": ("qualification_id", "qualification"),
    "recognition_step": ("qualification_id", "qualification"),
    "enrolment_change": ("enrolment_id", "enrolment"),
    "attendance": ("enrolment_id", "enrolment"),
    "plan_goal": ("plan_id", "integration_plan"),
    "plan_action": ("plan_id", "integration_plan"),
    "plan_version": ("plan_id", "integration_plan"),
    "referral_status_change": ("referral_id", "referral"),
}

# Children are treated before their parents (a deleted parent would take them along).
_ORDER = [*CHILD_TABLES, *(name for name in ERASURE_PLAN if name not in CHILD_TABLES)]


def _rows_of(table: sa.Table, case_id: int):
    """Return the condition selecting ``table``'s rows that belong to the case."""
    if table.name in CHILD_TABLES:
        column, parent_name = CHILD_TABLES[table.name]
        parent = db.metadata.tables[parent_name]
        return table.c[column].in_(sa.select(parent.c.id).where(parent.c.case_id == case_id))
    if table.name == "household_link":
        return sa.or_(table.c.case_id == case_id, table.c.relative_id == case_id)
    if table.name == "attendance_upload":
        sessions, enrolments = (db.metadata.tables[n] for n in ("course_session", "enrolment"))
        offerings = sa.select(enrolments.c.offering_id).where(enrolments.c.case_id == case_id)
        return table.c.session_id.in_(
            sa.select(sessions.c.id).where(sessions.c.offering_id.in_(offerings))
        )
    return table.c.case_id == case_id


def _anonymise_case(case: Case) -> None:
    """Blank the file's names, contact details, document numbers and sensitive flags;
    keep the year of birth and the month of arrival for the statistics."""
    for name in ("given_names", "family_name", "name_key", "family_name_key", "given_names_key"):
        setattr(case, name, "")
    for name in (
        "given_names_latin", "family_name_latin", "phone", "email", "address",
        "permit_number", "permit_issued_on", "permit_expires_on", "caseworker_id",
    ):  # fmt: skip
        setattr(case, name, None)
    for flag in SENSITIVE_FLAGS:
        setattr(case, flag, False)
    case.date_of_birth = date(case.date_of_birth.year, 7, 1)
    for name in ("arrived_in_country_on", "arrived_in_municipality_on"):
        arrived = getattr(case, name)
        if arrived is not None:
            setattr(case, name, arrived.replace(day=1))


def _close_account(account: User) -> None:
    """Take the portal account's identity away; the row stays for the trail's ids."""
    account.email = f"erased-{account.id}@erased.invalid"
    account.full_name = ""
    account.active = False
    account.password_hash = "!"  # noqa: S105 -- matches no password
    account.session_token = secrets.token_hex(32)
    account.activation_token_hash = None
    account.activation_expires_at = None
    account.activation_code_hash = None


def erase_case(case: Case, erasure: ErasureRequest, actor: User | None) -> None:
    """Erase the person's data from every table (``ERASURE_PLAN``), close their portal
    account, blank their details in the audit trail, and record that it was done.

    Runs in the caller's transaction: either all of it is written, or nothing.
    """
    session = db.session
    connection = session.connection()
    session.flush()
    for name in _ORDER:
        treatment = ERASURE_PLAN[name]
        if name in ("case_file", "erasure_request"):
            continue
        table = db.metadata.tables[name]
        where = _rows_of(table, case.id)
        if name == "child_education_record":
            dependants = db.metadata.tables["dependant"]
            where = sa.or_(
                where,
                table.c.dependant_id.in_(
                    sa.select(dependants.c.id).where(dependants.c.case_id == case.id)
                ),
            )
        if treatment.delete:
            connection.execute(sa.delete(table).where(where))
        elif treatment.blank:
            connection.execute(sa.update(table).where(where).values(**treatment.blank))
    account = session.get(User, case.account_id) if case.account_id else None
    events = AuditEvent.__table__
    about_person = sa.and_(events.c.object_type == "Case", events.c.object_id == case.id)
    if account is not None:
        about_person = sa.or_(
            about_person,
            events.c.actor_id == account.id,
            sa.and_(events.c.object_type == "User", events.c.object_id == account.id),
        )
        attempts = LoginAttempt.__table__
        connection.execute(sa.delete(attempts).where(attempts.c.email == account.email))
        # Where and on which device the person signed in to the portal.
        sessions = UserSession.__table__
        connection.execute(sa.delete(sessions).where(sessions.c.user_id == account.id))
    blanked = redact_events(connection, about_person)
    session.expire_all()  # the rows changed above are read again
    if account is not None:
        case.account_id = None
        _close_account(account)
    _anonymise_case(case)
    erasure.status = ErasureStatus.ERASED
    erasure.decided_at = utcnow()
    erasure.decided_by_id = getattr(actor, "id", None)
    record_event(
        "person_erased" if erasure.ground != ErasureGround.RETENTION_ENDED else "retention_applied",
        case,
        actor=actor,
        municipality_id=case.municipality_id,
        changes={
            "account": [getattr(account, "id", None), None],
            "blanked_entries": [None, blanked],
        },
    )


def _new_erasure(case: Case, ground: ErasureGround, actor: User | None = None) -> ErasureRequest:
    erasure = ErasureRequest(
        municipality_id=case.municipality_id,
        case_id=case.id,
        reference=case.reference,
        ground=ground,
        requested_by_id=getattr(actor, "id", None),
    )
    db.session.add(erasure)
    return erasure


def request_erasure(case: Case, actor: User) -> ErasureRequest:
    """Record that the person asked for their data to be erased; an admin decides.

    :raise PrivacyError: when a request for the file is already waiting.
    """
    if waiting_erasure(case) is not None:
        raise PrivacyError(_l("An erasure of this file is already waiting for a decision."))
    erasure = _new_erasure(case, ErasureGround.PERSON_ASKED, actor)
    db.session.flush()
    record_event(
        "erasure_requested", erasure, actor=actor, changes={"ground": [None, erasure.ground.value]}
    )
    return erasure


def decide_erasure(
    erasure: ErasureRequest, erase: bool, actor: User, refusal_ground: str | None = None
) -> None:
    """Erase the file, or refuse with a ground the law gives for keeping it.

    :raise PrivacyError: when it was decided already, or a refusal has no valid ground.
    """
    if erasure.status != ErasureStatus.REQUESTED:
        raise PrivacyError(_l("This request has been decided already."))
    if erase:
        erase_case(db.session.get(Case, erasure.case_id), erasure, actor)
        return
    if refusal_ground not in {ground.value for ground in REFUSAL_GROUNDS}:
        raise PrivacyError(_l("Choose the ground for keeping the file."), "refusal_ground")
    erasure.status = ErasureStatus.REFUSED
    erasure.refusal_ground = ErasureGround(refusal_ground)
    erasure.decided_at = utcnow()
    erasure.decided_by_id = actor.id
    record_event(
        "erasure_refused",
        erasure,
        actor=actor,
        changes={"refusal_ground": [None, erasure.refusal_ground.value]},
    )


ERASURE_ORDER = (SortKey(ErasureRequest.requested_at), SortKey(ErasureRequest.id))


def erasure_requests_query(user: User, status: ErasureStatus | None = ErasureStatus.REQUESTED):
    """The municipality's erasure requests: the waiting ones oldest first, or all of them
    (``status=None``) latest decision first."""
    query = scoped(sa.select(ErasureRequest), user)
    if status is None:
        return query.order_by(ErasureRequest.decided_at.desc(), ErasureRequest.id.desc())
    return query.where(ErasureRequest.status == status)


def waiting_erasure(case: Case) -> ErasureRequest | None:
    return db.session.scalar(
        sa.select(ErasureRequest).where(
            ErasureRequest.case_id == case.id, ErasureRequest.status == ErasureStatus.REQUESTED
        )
    )


def set_retention_years(municipality: Municipality, years: int, actor: User) -> None:
    """Say how many years after closing a file is erased.

    :raise PrivacyError: outside 1 to 100 years.
    """
    if years not in range(1, 101):
        raise PrivacyError(_l("Choose between 1 and 100 years."), "retention_years")
    if years != municipality.retention_years:
        record_event(
            "retention_years_changed",
            actor=actor,
            changes={"retention_years": [municipality.retention_years, years]},
        )
        municipality.retention_years = years


def files_past_retention(municipality: Municipality, today: date) -> list[Case]:
    """Return the closed files of the municipality whose retention period has ended."""
    already = sa.select(ErasureRequest.case_id).where(ErasureRequest.status == ErasureStatus.ERASED)
    try:
        cutoff = today.replace(year=today.year - municipality.retention_years)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - municipality.retention_years, day=28)
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(
                Case.municipality_id == municipality.id,
                Case.status == CaseStatus.CLOSED,
                Case.closed_on <= cutoff,
                Case.id.not_in(already),
            )
            .order_by(Case.id)
        )
    )


def apply_retention(municipality: Municipality) -> int:
    """Erase every closed file of the municipality past its retention period; each
    erasure is recorded and audited. Return how many were erased."""
    cases = files_past_retention(municipality, municipality.today())
    for case in cases:
        erase_case(case, _new_erasure(case, ErasureGround.RETENTION_ENDED), None)
    return len(cases)


def can_request_erasure(user: User, case: Case) -> bool:
    return user.role == Role.CASEWORKER and case.municipality_id == user.municipality_id

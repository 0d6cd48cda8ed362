"""Transfers: the one place where a case file crosses from one municipality to another.

Rules that keep tenant isolation while crossing it:
- Only the sending municipality asks, for an open file, one request at a time; it keeps the
  file, unchanged, until the receiving municipality answers.
- Only the receiving municipality answers. Declining leaves everything where it was.
- Accepting moves the file and its history, gives it a reference of the receiving
  municipality, removes household links to files that stay behind (the two municipalities
  must not see each other's files through them), and moves the newcomer's portal account
  (signed out everywhere). From then on the sender answers 404 for the file and the account.
- Both audit trails record each step; the receiving side sees the previous reference.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..accounts.models import Municipality, User
from ..accounts.services import move_account
from ..audit import record_event
from ..cases.models import Case, CaseStatus, HouseholdLink
from ..cases.services import CLOSING_CHECKS, CaseError, next_reference
from ..extensions import db, read_once, utcnow
from ..security import Role
from .models import CaseTransfer, TransferStatus


def transfer_targets(case: Case) -> list[Municipality]:
    """Return the municipalities a case can be transferred to: all others, by name."""
    return list(
        db.session.scalars(
            select(Municipality)
            .where(Municipality.id != case.municipality_id)
            .order_by(Municipality.name)
        )
    )


def pending_transfer(case: Case) -> CaseTransfer | None:
    """The transfer of ``case`` waiting for an answer; the case page asks three times (its
    section, may it be closed, may a transfer be asked), the database once."""
    return read_once(
        ("pending_transfer", case.id),
        lambda: db.session.scalar(
            select(CaseTransfer)
            .where(CaseTransfer.case_id == case.id, CaseTransfer.status == TransferStatus.PENDING)
            .options(joinedload(CaseTransfer.to_municipality))
        ),
    )


def request_transfer(case: Case, to_municipality_id: int, reason: str, actor: User) -> CaseTransfer:
    """Ask another municipality to take over the case.

    :raise CaseError: when the target is this municipality, unknown, or a request is pending.
    """
    target = db.session.get(Municipality, to_municipality_id)
    if target is None or target.id == case.municipality_id:
        raise CaseError(_l("Choose another municipality."), "to_municipality_id")
    if case.status != CaseStatus.ACTIVE:
        raise CaseError(_l("Only an open case can be transferred."))
    if pending_transfer(case) is not None:
        raise CaseError(_l("A transfer of this case is already waiting for an answer."))
    transfer = CaseTransfer(
        case_id=case.id,
        from_municipality_id=case.municipality_id,
        to_municipality_id=target.id,
        reason=reason.strip(),
        requested_by_id=actor.id,
        previous_reference=case.reference,
    )
    db.session.add(transfer)
    db.session.flush()
    record_event(
        "transfer_requested", case, actor=actor, changes={"to_municipality": [None, target.code]}
    )
    return transfer


def count_incoming_transfers(user: User) -> int:
    return db.session.scalar(
        select(func.count(CaseTransfer.id)).where(
            CaseTransfer.to_municipality_id == user.municipality_id,
            CaseTransfer.status == TransferStatus.PENDING,
        )
    )


def incoming_transfers(user: User) -> list[CaseTransfer]:
    return list(
        db.session.scalars(
            select(CaseTransfer)
            .where(
                CaseTransfer.to_municipality_id == user.municipality_id,
                CaseTransfer.status == TransferStatus.PENDING,
            )
            .options(
                joinedload(CaseTransfer.case),
                joinedload(CaseTransfer.from_municipality),
                joinedload(CaseTransfer.requested_by),
            )
            .order_by(CaseTransfer.requested_at)
        )
    )


def _check_incoming(transfer: CaseTransfer, actor: User) -> None:
    if (
        transfer.to_municipality_id != actor.municipality_id
        or transfer.status != TransferStatus.PENDING
    ):
        raise CaseError(_l("This transfer is no longer waiting for an answer."))


def accept_transfer(transfer: CaseTransfer, actor: User) -> Case:
    """Take the case over: it moves with its history, gets a new reference and caseworker.

    Household links to files that stay behind are removed; the sender loses access.
    """
    _check_incoming(transfer, actor)
    case = db.session.get(Case, transfer.case_id)
    receiving = db.session.get(Municipality, actor.municipality_id)
    old_reference = case.reference
    db.session.execute(
        sa.delete(HouseholdLink).where(
            sa.or_(HouseholdLink.case_id == case.id, HouseholdLink.relative_id == case.id)
        )
    )
    case.municipality_id = receiving.id
    case.caseworker_id = actor.id if actor.role == Role.CASEWORKER else None
    if case.account_id is not None:  # the newcomer's portal account goes with the file
        move_account(db.session.get(User, case.account_id), receiving.id, actor)
    case.reference = next_reference(receiving)
    transfer.status = TransferStatus.ACCEPTED
    transfer.decided_by_id = actor.id
    transfer.decided_at = utcnow()
    record_event(
        "transfer_accepted",
        case,
        actor=actor,
        municipality_id=receiving.id,
        changes={
            "reference": [old_reference, case.reference],
            "municipality": [transfer.from_municipality_id, receiving.id],
        },
    )
    return case


def decline_transfer(transfer: CaseTransfer, reason: str, actor: User) -> None:
    """Refuse the case; it stays with the sending municipality."""
    _check_incoming(transfer, actor)
    transfer.status = TransferStatus.DECLINED
    transfer.decided_by_id = actor.id
    transfer.decided_at = utcnow()
    transfer.decline_reason = reason.strip()
    case = db.session.get(Case, transfer.case_id)
    record_event(
        "transfer_declined",
        case,
        actor=actor,
        municipality_id=transfer.from_municipality_id,
        changes={"decline_reason": [None, transfer.decline_reason]},
    )


def refuse_closing_while_pending(case: Case) -> None:
    if pending_transfer(case) is not None:
        raise CaseError(_l("Wait for the answer to the transfer before closing the case."))


CLOSING_CHECKS.append(refuse_closing_while_pending)

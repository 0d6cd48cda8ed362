"""Who may ask for a transfer, and who may answer it."""

from ..cases.models import CaseStatus
from ..cases.permissions import can_view_case
from ..security import Role, permission
from .services import pending_transfer


@permission
def can_request_transfer(user, case) -> bool:
    return (
        can_view_case(user, case)
        and case.status == CaseStatus.ACTIVE
        and pending_transfer(case) is None
    )


@permission
def can_answer_transfer(user, transfer) -> bool:
    return user.role == Role.CASEWORKER and transfer.to_municipality_id == user.municipality_id

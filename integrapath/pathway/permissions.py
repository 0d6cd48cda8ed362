"""Who may move a case along the pathway, and who may read and change its plan."""

from ..cases.models import CaseStatus
from ..cases.permissions import can_edit_case, can_view_case
from ..security import permission


@permission
def can_move_stage(user, case) -> bool:
    """The caseworkers who may edit the file, while it is open."""
    return can_edit_case(user, case) and case.status == CaseStatus.ACTIVE


@permission
def can_view_plan(user, case) -> bool:
    """The caseworkers of the case's municipality (the newcomer reads theirs in the portal)."""
    return can_view_case(user, case)


@permission
def can_edit_plan(user, case) -> bool:
    """The caseworkers who may edit the file, while it is open."""
    return can_edit_case(user, case) and case.status == CaseStatus.ACTIVE


# -- referrals --------------------------------------------------------------------------------


@permission
def can_refer_case(user, case) -> bool:
    """Whoever may move the case along the pathway refers it to partner services."""
    return can_move_stage(user, case)


@permission
def can_record_referral_status(user, case) -> bool:
    """A partner's answer may come after the file is closed: the file's caseworkers record it."""
    return can_edit_case(user, case)

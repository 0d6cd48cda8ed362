"""Who may move a case along the pathway."""

from ..cases.models import CaseStatus
from ..cases.permissions import can_edit_case
from ..security import permission


@permission
def can_move_stage(user, case) -> bool:
    """The caseworkers who may edit the file, while it is open."""
    return can_edit_case(user, case) and case.status == CaseStatus.ACTIVE

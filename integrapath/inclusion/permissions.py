"""Who may record housing, health access, civic participation and children's education."""

from ..cases.permissions import can_edit_case
from ..security import permission


@permission
def can_record_inclusion(user, case) -> bool:
    """The caseworkers who may edit the case file; health needs stay with them alone."""
    return can_edit_case(user, case)

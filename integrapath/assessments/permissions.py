"""Who may read and record assessments: the caseworkers of the case's municipality."""

from ..cases.permissions import can_view_case
from ..security import Role, permission


@permission
def can_record_assessments(user, case) -> bool:
    return can_view_case(user, case)


@permission
def can_search_occupations(user) -> bool:
    return user.role == Role.CASEWORKER

"""What a signed-in person may do with a case file, in the domain's words.

The scoped queries (``Case.tenant_filter``) decide which files exist for someone at all;
these predicates decide which actions the case page offers and the views accept.
"""

from ..accounts.models import User
from ..security import Role, permission
from .models import Case, CaseStatus
from .services import may_close


@permission
def can_view_case(user: User, case: Case) -> bool:
    return user.role == Role.CASEWORKER and case.municipality_id == user.municipality_id


@permission
def can_edit_case(user: User, case: Case) -> bool:
    return can_view_case(user, case)


@permission
def can_close_case(user: User, case: Case) -> bool:
    return can_view_case(user, case) and may_close(case)


@permission
def can_reopen_case(user: User, case: Case) -> bool:
    return can_view_case(user, case) and case.status == CaseStatus.CLOSED


@permission
def can_open_portal_access(user: User, case: Case) -> bool:
    return can_view_case(user, case) and case.account_id is None


@permission
def can_renew_portal_link(user: User, case: Case) -> bool:
    account = case.account if case.account_id else None
    return (
        can_view_case(user, case)
        and account is not None
        and account.active
        and account.role == Role.MIGRANT
        and account.municipality_id == case.municipality_id
    )

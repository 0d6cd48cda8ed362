"""Giving a newcomer access to their own file in the portal."""

from flask_babel import lazy_gettext as _l

from ..admin.services import create_user, reset_password
from ..audit import record_event
from ..auth.models import User
from ..cases.models import Case
from ..cases.services import CaseError
from ..i18n import locale_for_language
from ..security import Role


def open_portal_access(case: Case, email: str, actor: User) -> tuple[User, str]:
    """Create the newcomer's account for this file and return it with its activation token.

    The account speaks the file's preferred language when the portal offers it.

    :raise CaseError: when the file has an account already.
    :raise AccountError: when the e-mail address is taken.
    """
    if case.account_id is not None:
        raise CaseError(_l("This file has portal access already."))
    locale = locale_for_language(case.preferred_language) or actor.municipality.default_locale
    account, token = create_user(
        full_name=case.full_name,
        email=email,
        role=Role.MIGRANT,
        preferred_locale=locale,
        organisation=None,
        actor=actor,
    )
    case.account_id = account.id
    record_event(
        "portal_access_opened", case, actor=actor, changes={"account": [None, account.email]}
    )
    return account, token


def renew_activation_link(case: Case, account: User, actor: User) -> str:
    """Give the newcomer a fresh one-time link, e.g. when the first one got lost."""
    token = reset_password(account, actor)
    record_event("portal_link_renewed", case, actor=actor)
    return token

"""The life of an account: created, activated by a one-time link, given a role, reset,
deactivated, moved with its case file to another municipality."""

import hashlib
import hmac
import secrets
import unicodedata
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit import diff, record_event
from ..errors import RuleBroken
from ..extensions import db, utcnow
from ..security import Role
from .models import Organisation, OrganisationKind, User, hash_token, new_session_token


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def issue_activation_link(user: User) -> str:
    """Create a one-time activation token for ``user`` and return it (shown once).

    A code of an earlier letter stops working: only the newest link or code opens the account.
    """
    token = secrets.token_urlsafe(32)
    user.activation_token_hash = hash_token(token)
    user.activation_code_hash = None
    user.activation_expires_at = utcnow() + timedelta(
        hours=current_app.config["ACTIVATION_LINK_HOURS"]
    )
    return token


# The code of a newcomer's letter: 16 digits, typed on a phone's number pad in any script.
# 10^16 codes (53 bits): with at most LOGIN_MAX_FAILURES_PER_ADDRESS wrong tries per address
# every LOGIN_THROTTLE_MINUTES, even ten thousand letters out at once and a thousand addresses
# guessing for the whole 72 hours find one with a chance of about one in a million.
ACTIVATION_CODE_DIGITS = 16
CODE_SEPARATORS = frozenset(" -\u2010\u2011\u2012\u2013\u2014.")


def issue_activation_code(user: User) -> str:
    """Give ``user`` a code to type instead of following the link, valid as long as the link
    (call after ``issue_activation_link``); return it, formatted, to be printed once."""
    code = f"{secrets.randbelow(10**ACTIVATION_CODE_DIGITS):0{ACTIVATION_CODE_DIGITS}d}"
    user.activation_code_hash = activation_code_digest(code)
    return format_activation_code(code)


def activation_code_digest(code: str) -> str:
    """A digest keyed with the app's secret: a copy of the database alone cannot be searched
    for the codes by trying all 10^16 of them."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"activation-code:" + code.encode(), hashlib.sha256).hexdigest()


def normalise_activation_code(text: str | None) -> str | None:
    """The code's digits as ASCII, from any script (Arabic ٤, Persian ۴), without the spaces
    or dashes typed between groups; ``None`` unless that leaves exactly the code's length."""
    digits = []
    for char in text or "":
        if char in CODE_SEPARATORS:
            continue
        value = unicodedata.decimal(char, None)
        if value is None:
            return None
        digits.append(str(value))
    code = "".join(digits)
    return code if len(code) == ACTIVATION_CODE_DIGITS else None


def format_activation_code(code: str) -> str:
    """``1234 5678 9012 3456``: groups of four, easy to read out and to type."""
    return " ".join(code[start : start + 4] for start in range(0, len(code), 4))


class AccountError(RuleBroken):
    """A requested account or organisation change breaks a rule."""


def _check_organisation(role: Role, organisation: Organisation | None, municipality_id: int):
    if role == Role.PROVIDER and (
        organisation is None or organisation.kind != OrganisationKind.COURSE_PROVIDER
    ):
        raise AccountError(
            _l("Choose the course provider this person works for."), "organisation_id"
        )
    if organisation is not None and organisation.municipality_id != municipality_id:
        raise AccountError(_l("Choose an organisation of your municipality."), "organisation_id")


def create_user(
    *,
    full_name: str,
    email: str,
    role: Role,
    preferred_locale: str,
    organisation: Organisation | None,
    actor: User,
) -> tuple[User, str]:
    """Create an account in the actor's municipality, awaiting activation.

    Returns the user and the one-time activation token to hand over.

    :raise AccountError: when the e-mail is taken or the organisation does not fit.
    """
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(_l("An account with this e-mail address already exists."), "email")
    role = Role(role)
    _check_organisation(role, organisation, actor.municipality_id)
    user = User(
        full_name=full_name.strip(),
        email=email,
        role=role,
        preferred_locale=preferred_locale,
        municipality_id=actor.municipality_id,
        organisation=organisation if role in (Role.PROVIDER, Role.CASEWORKER) else None,
        password_hash=None,
    )
    db.session.add(user)
    db.session.flush()
    token = issue_activation_link(user)
    record_event(
        "user_created",
        user,
        actor=actor,
        changes={"email": [None, email], "role": [None, role.value]},
    )
    return user, token


def change_role(user: User, role: Role, organisation: Organisation | None, actor: User) -> None:
    """Give an account another role (and organisation, for provider staff).

    :raise AccountError: when admins would lock themselves out or the organisation does not fit.
    """
    role = Role(role)
    if user.id == actor.id and role != Role.ADMIN:
        raise AccountError(_l("You cannot remove your own administrator role."), "role")
    if (user.role == Role.MIGRANT) != (role == Role.MIGRANT):
        # A newcomer's account is bound to their file; staff rights never mix with it.
        raise AccountError(
            _l("A newcomer's account cannot become a staff account, nor the other way round."),
            "role",
        )
    _check_organisation(role, organisation, actor.municipality_id)
    organisation_id = (
        organisation.id if role in (Role.PROVIDER, Role.CASEWORKER) and organisation else None
    )
    changes = diff(user, {"role": role, "organisation_id": organisation_id})
    if not changes:
        return
    user.role = role
    user.organisation_id = organisation_id
    user.session_token = new_session_token()  # new rights take effect at next sign-in
    record_event("user_role_changed", user, actor=actor, changes=changes)


def set_user_active(user: User, active: bool, actor: User) -> None:
    """Deactivate (signing out everywhere) or reactivate an account.

    :raise AccountError: when admins would deactivate themselves.
    """
    if user.id == actor.id and not active:
        raise AccountError(_l("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    user.session_token = new_session_token()
    record_event(
        "user_reactivated" if active else "user_deactivated",
        user,
        actor=actor,
        changes={"active": [not active, active]},
    )


def reset_password(user: User, actor: User) -> str:
    """Remove the password and return a new one-time activation token to hand over."""
    user.password_hash = None
    user.session_token = new_session_token()
    token = issue_activation_link(user)
    record_event("password_reset", user, actor=actor)
    return token


def move_account(user: User, municipality_id: int, actor: User) -> None:
    """Hand an account over to another municipality (with the file it belongs to).

    Its sessions end, and both municipalities' audit trails record the move, so that the
    one giving it up sees where it went and can no longer act on it.
    """
    leaving = user.municipality_id
    if leaving == municipality_id:
        return
    user.municipality_id = municipality_id
    user.session_token = new_session_token()
    for municipality in (leaving, municipality_id):
        record_event(
            "account_moved",
            user,
            actor=actor,
            municipality_id=municipality,
            changes={"municipality_id": [leaving, municipality_id]},
        )

"""Sign-in, throttling, activation and password rules."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import User, hash_token
from ..accounts.services import (
    activation_code_digest,
    find_user_by_email,
    normalise_activation_code,
    normalise_email,
)
from ..audit import record_event
from ..extensions import db, utcnow
from .models import LoginAttempt


class SignInError(Exception):
    """Base of the reasons a sign-in is refused."""


class InvalidCredentials(SignInError):
    """Unknown e-mail, wrong password or inactive account (never say which)."""


class SignInThrottled(SignInError):
    """Too many recent failures for this account or address."""

    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes


class InvalidActivationLink(Exception):
    """The activation link (or the code of a letter) is unknown, used already or expired."""


# A wrong code names no account: its failures count against the address only.
CODE_ATTEMPT = "(activation code)"


def _recent_failures(column, value, since) -> int:
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            column == value, LoginAttempt.attempted_at >= since
        )
    )


def check_throttle(email: str | None, ip_address: str) -> None:
    """Refuse further tries while an account or address has too many recent failures.

    :raise SignInThrottled: with the length of the pause in minutes.
    """
    config = current_app.config
    minutes = config["LOGIN_THROTTLE_MINUTES"]
    since = utcnow() - timedelta(minutes=minutes)
    if (
        email is not None
        and _recent_failures(LoginAttempt.email, email, since)
        >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    ) or (
        _recent_failures(LoginAttempt.ip_address, ip_address, since)
        >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    ):
        raise SignInThrottled(minutes)


def authenticate(email: str, password: str, ip_address: str) -> User:
    """Return the user for valid credentials, recording the outcome.

    :raise SignInThrottled: when the account or address is paused.
    :raise InvalidCredentials: for anything else that is wrong.
    """
    email = normalise_email(email)
    check_throttle(email, ip_address)
    user = find_user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        # Failures older than a day no longer count for anything: drop them as we go.
        db.session.execute(
            sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < utcnow() - timedelta(days=1))
        )
        db.session.add(LoginAttempt(email=email, ip_address=ip_address))
        record_event(
            "login_failed",
            user,
            actor=user,
            actor_email=email,
            municipality_id=user.municipality_id if user else None,
        )
        raise InvalidCredentials
    # A success clears the account's failures; the address keeps its count.
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.email == email))
    user.last_login_at = utcnow()
    record_event("login", user, actor=user)
    return user


def record_logout(user: User) -> None:
    record_event("logout", user, actor=user)


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; signs out other sessions.

    :raise InvalidCredentials: when the current password is wrong.
    """
    if not user.check_password(current_password):
        raise InvalidCredentials
    user.set_password(new_password)
    record_event("password_changed", user, actor=user)


def user_for_activation(token: str) -> User:
    """Return the account a valid activation token belongs to.

    :raise InvalidActivationLink: when the token is unknown or expired.
    """
    user = db.session.scalar(select(User).where(User.activation_token_hash == hash_token(token)))
    if not _still_valid(user):
        raise InvalidActivationLink
    return user


def _still_valid(user: User | None) -> bool:
    return (
        user is not None
        and user.active
        and user.activation_expires_at is not None
        and user.activation_expires_at >= utcnow()
    )


def user_for_activation_code(text: str, ip_address: str) -> User:
    """Return the account whose letter carries the code ``text``, while it is valid.

    Wrong codes count as failed tries of the address, so that nobody can try code after code
    (the same pause as for passwords); a mistyped one (not 16 digits) cannot match and does
    not count.

    :raise SignInThrottled: when the address has failed too often lately.
    :raise InvalidActivationLink: when no valid letter has this code.
    """
    check_throttle(None, ip_address)
    code = normalise_activation_code(text)
    user = None
    if code is not None:
        user = db.session.scalar(
            select(User).where(User.activation_code_hash == activation_code_digest(code))
        )
        if not _still_valid(user):
            db.session.add(LoginAttempt(email=CODE_ATTEMPT, ip_address=ip_address))
    if not _still_valid(user):
        raise InvalidActivationLink
    return user


def activate_account(token: str, password: str) -> User:
    """Set the first password through a one-time link and spend the link (and the code).

    :raise InvalidActivationLink: when the token is unknown or expired.
    """
    return _activate(user_for_activation(token), password)


def activate_account_with_code(text: str, password: str, ip_address: str) -> User:
    """Set the first password with the code of a letter and spend the code (and the link).

    :raise InvalidActivationLink: when the code is unknown, spent or expired.
    """
    return _activate(user_for_activation_code(text, ip_address), password)


def _activate(user: User, password: str) -> User:
    user.set_password(password)
    user.activation_token_hash = None
    user.activation_code_hash = None
    user.activation_expires_at = None
    record_event("account_activated", user, actor=user)
    return user


def set_preferred_locale(user: User, locale: str) -> None:
    """Remember the language a person chose, for every later visit."""
    if user.preferred_locale == locale:
        return
    record_event(
        "preferred_locale_changed",
        user,
        actor=user,
        changes={"preferred_locale": [user.preferred_locale, locale]},
    )
    user.preferred_locale = locale

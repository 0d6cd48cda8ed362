"""Sign-in, throttling, sessions, activation and password rules."""

import gzip
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, g, request, session
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..accounts.models import User, hash_token
from ..accounts.services import (
    activation_code_digest,
    find_user_by_email,
    normalise_activation_code,
    normalise_email,
)
from ..audit import record_event
from ..extensions import db, utcnow
from ..i18n import SESSION_KEY as LOCALE_SESSION_KEY
from ..security import Role
from .models import LoginAttempt, UserSession

COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"
# The cookie's key for the random id of the signed-in browser's ``UserSession``.
SESSION_ID_KEY = "sid"


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
    """Refuse further tries from an address that failed too often, for one account or any.

    An account is never paused as a whole: someone typing wrong passwords for a caseworker
    from elsewhere pauses only their own address, and the caseworker still signs in.

    :raise SignInThrottled: with the length of the pause in minutes.
    """
    config = current_app.config
    minutes = config["LOGIN_THROTTLE_MINUTES"]
    since = utcnow() - timedelta(minutes=minutes)
    pair_failures = (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.email == email,
                LoginAttempt.ip_address == ip_address,
                LoginAttempt.attempted_at >= since,
            )
        )
        if email is not None
        else 0
    )
    if (
        pair_failures >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or _recent_failures(LoginAttempt.ip_address, ip_address, since)
        >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    ):
        raise SignInThrottled(minutes)


def sign_in_delay(email: str) -> float:
    """Return how many seconds to hold back the answer for ``email``.

    Failures of the account from every address beyond the per-account allowance slow each
    further try (a quarter second each, at most ``LOGIN_MAX_DELAY_SECONDS``): guessing from
    many addresses becomes slow, while the owner still gets in after a short wait.
    """
    config = current_app.config
    since = utcnow() - timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"])
    beyond = (
        _recent_failures(LoginAttempt.email, normalise_email(email), since)
        - config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    )
    return min(float(config["LOGIN_MAX_DELAY_SECONDS"]), max(0.0, beyond * 0.25))


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password, spending the same hashing time whether the account exists or not."""
    if user is None or user.password_hash is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return user.check_password(password)


def authenticate(email: str, password: str, ip_address: str) -> User:
    """Return the user for valid credentials, recording the outcome.

    An unknown e-mail costs the same password hashing as a known one, and gets the same
    answer, so that neither the message nor the time tells whether an account exists.

    :raise SignInThrottled: when the address is paused.
    :raise InvalidCredentials: for anything else that is wrong.
    """
    email = normalise_email(email)
    check_throttle(email, ip_address)
    user = find_user_by_email(email)
    password_ok = _password_matches(user, password)
    if user is None or not user.active or not password_ok:
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
    # A success clears this address's failures for the account; others keep their count.
    db.session.execute(
        sa.delete(LoginAttempt).where(
            LoginAttempt.email == email, LoginAttempt.ip_address == ip_address
        )
    )
    user.last_login_at = utcnow()
    record_event("login", user, actor=user)
    return user


# -- sessions ---------------------------------------------------------------------------------


def start_session(user: User) -> None:
    """Open a ``UserSession`` for the browser that just signed in and mark its cookie."""
    token = secrets.token_urlsafe(32)
    agent = request.user_agent.string[:200] if request.user_agent.string else None
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            ip_address=request.remote_addr,
            user_agent=agent,
        )
    )
    session[SESSION_ID_KEY] = token
    if user.preferred_locale:
        # Signed out by an administrator or by idleness, the person still reads their language.
        session[LOCALE_SESSION_KEY] = user.preferred_locale


def _current_session_filter():
    token = session.get(SESSION_ID_KEY)
    return UserSession.token_hash == hash_token(token) if isinstance(token, str) else sa.false()


def load_signed_in_user(session_token: str) -> User | None:
    """Return the user of this cookie while its session is open, else ``None`` (signed out).

    One query: the user, the municipality every page shows and the session row. A staff
    session idle for ``STAFF_IDLE_MINUTES`` is ended here.
    """
    if SESSION_ID_KEY not in session:
        return None
    found = db.session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .options(joinedload(User.municipality))
        .where(
            User.session_token == session_token,
            User.active.is_(True),
            _current_session_filter(),
            UserSession.ended_at.is_(None),
        )
    ).first()
    if found is None:
        return None
    user, open_session = found
    now = utcnow()
    idle = timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    if user.role != Role.MIGRANT and open_session.last_seen_at < now - idle:
        open_session.ended_at = now
        record_event("session_idle", user, actor=user)
        g.signed_out_idle = True
        return None
    if open_session.last_seen_at < now - timedelta(minutes=1):  # one write a minute at most
        open_session.last_seen_at = now
    return user


def end_current_session() -> None:
    """Close the session row of this browser (on sign-out)."""
    db.session.execute(
        sa.update(UserSession)
        .where(_current_session_filter(), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    session.pop(SESSION_ID_KEY, None)


def active_sessions(user: User) -> list[UserSession]:
    """Return the open sessions of ``user``, the most recently used first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def end_sessions(user: User, actor: User, session_id: int | None = None) -> int:
    """End one open session of ``user`` (or all of them); the browser is signed out.

    :return: how many sessions were ended.
    """
    condition = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if session_id is not None:
        condition.append(UserSession.id == session_id)
    ended = db.session.execute(
        sa.update(UserSession).where(*condition).values(ended_at=utcnow())
    ).rowcount
    if ended:
        record_event("session_ended", user, actor=actor, changes={"sessions": [None, ended]})
    return ended


# -- passwords --------------------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords (lower-cased), read once."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def is_common_password(password: str) -> bool:
    return password.lower().strip() in common_passwords()


def record_logout(user: User) -> None:
    record_event("logout", user, actor=user)


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; signs out other sessions.

    :raise InvalidCredentials: when the current password is wrong.
    """
    if not user.check_password(current_password):
        raise InvalidCredentials
    user.set_password(new_password)
    # Other browsers are signed out (the account's token changed); close their sessions too.
    db.session.execute(
        sa.update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            sa.not_(_current_session_filter()),
        )
        .values(ended_at=utcnow())
    )
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

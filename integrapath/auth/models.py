"""Failed sign-in attempts (kept for a short while to throttle guessing) and open sessions."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import UTCDateTime, db, utcnow


class LoginAttempt(db.Model):
    """A failed sign-in, kept for a short while to throttle guessing."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_email_at", "email", "attempted_at"),
        sa.Index("ix_login_attempt_ip_at", "ip_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip_address: Mapped[str] = mapped_column(sa.String(45))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.email} {self.ip_address}>"


class UserSession(db.Model):
    """A signed-in browser: an administrator sees a person's and ends them.

    The cookie carries a random id; only its digest is stored. The user loader accepts a
    cookie only while its row is open, so ending a row signs that browser out on its next
    request. Staff sessions also end after ``STAFF_IDLE_MINUTES`` without a request.
    """

    __tablename__ = "user_session"
    __table_args__ = (sa.Index("ix_user_session_user_ended", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    # The browser's own description, cut short: enough for a person to recognise a device.
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"

"""Tenancy and accounts: municipalities, the organisations within them, and the people who
sign in. The bottom domain layer: every other domain may use it, it uses none of them."""

import hashlib
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import AuditedField, register_audited_fields
from ..extensions import TimestampMixin, UTCDateTime, db, enum_column
from ..i18n import LabelledEnum, today_in
from ..security import Role


class Municipality(TimestampMixin, db.Model):
    """A local authority: the tenant that owns cases, staff and settings."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # Short code used in case reference numbers, e.g. ``LIS``.
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    default_locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Brussels")
    # The caseworker's day lists open cases with nothing recorded for this many weeks.
    inactivity_weeks: Mapped[int] = mapped_column(default=8, server_default="8")
    # A partner service is expected to answer a referral within this many days.
    referral_answer_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # Closed case files are erased (kept only as anonymous statistics) this many years
    # after they were closed, by `flask apply-retention`.
    retention_years: Mapped[int] = mapped_column(default=10, server_default="10")
    # Need to know: caseworkers open only the files assigned to them or to their team (the
    # colleagues of their office) instead of every file of the municipality.
    need_to_know: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Reports hide every count below this many people (small-cell protection).
    report_threshold: Mapped[int] = mapped_column(default=5, server_default="5")
    # Reports count only the cases whose consent allows anonymous statistics.
    report_needs_consent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    organisations: Mapped[list["Organisation"]] = relationship(
        back_populates="municipality", order_by="Organisation.name", lazy="raise"
    )

    def today(self) -> date:
        """Return the calendar day it is now here, whatever the server's clock says."""
        return today_in(self.timezone)

    def __repr__(self) -> str:
        return f"<Municipality {self.code}>"


class OrganisationKind(LabelledEnum):
    MUNICIPAL_OFFICE = "municipal_office"
    COURSE_PROVIDER = "course_provider"
    PARTNER_SERVICE = "partner_service"

    @classmethod
    def labels(cls):
        return {
            cls.MUNICIPAL_OFFICE: _l("Municipal integration office"),
            cls.COURSE_PROVIDER: _l("Course provider"),
            cls.PARTNER_SERVICE: _l("Partner service"),
        }


class Organisation(TimestampMixin, db.Model):
    """An office, course provider or partner service within a municipality."""

    __tablename__ = "organisation"
    __table_args__ = (sa.UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "kind"))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    municipality: Mapped[Municipality] = relationship(back_populates="organisations")

    @classmethod
    def tenant_filter(cls, user):
        return cls.municipality_id == user.municipality_id

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


register_audited_fields(
    "Organisation",
    name=AuditedField(_l("Name of the organisation")),
    kind=AuditedField(_l("Kind"), labels=OrganisationKind),
    contact_email=AuditedField(_l("E-mail address")),
    phone=AuditedField(_l("Phone")),
    address=AuditedField(_l("Address")),
    active=AuditedField(_l("Active")),
)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Store only a digest of one-time tokens, so a database leak does not leak links."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, TimestampMixin, db.Model):
    """A person who signs in: staff of a municipality or provider, or a newcomer."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint(
            "role != 'provider' OR organisation_id IS NOT NULL", name="provider_has_organisation"
        ),
        # The caseworkers of a municipality (every caseload page lists them), not its newcomers.
        sa.Index("ix_user_account_municipality_role", "municipality_id", "role"),
        # The admin's account list, in name order (admin/services.py USER_ORDER): read in
        # index order instead of sorting every account of the municipality, newcomers included.
        sa.Index(
            "ix_user_account_municipality_name",
            "municipality_id",
            sa.text("lower(full_name)"),
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(160))
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    preferred_locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Rotated on password change or deactivation: signs the account out everywhere.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    activation_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    activation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The short code of a newcomer's letter, typed instead of following the link: a keyed
    # digest only (accounts.services.activation_code_digest), spent with the link.
    activation_code_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    municipality: Mapped[Municipality] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    @classmethod
    def tenant_filter(cls, user):
        return cls.municipality_id == user.municipality_id

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return self.session_token

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method=method)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def awaiting_activation(self) -> bool:
        return self.password_hash is None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


register_audited_fields(
    "User",
    email=AuditedField(_l("E-mail address")),
    role=AuditedField(_l("Role"), labels=Role),
    active=AuditedField(_l("Active")),
    organisation_id=AuditedField(_l("Organisation")),
    municipality_id=AuditedField(_l("Municipality")),
    preferred_locale=AuditedField(_l("Preferred language")),
)

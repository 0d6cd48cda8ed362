"""Tenants: municipalities and the organisations that work within them."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import AuditedField, register_audited_fields
from ..extensions import TimestampMixin, db, enum_column, today_in
from ..i18n import LabelledEnum


class Municipality(TimestampMixin, db.Model):
    """A local authority: the tenant that owns cases, staff and settings."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # Short code used in case reference numbers, e.g. ``LIS``.
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    default_locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Brussels")

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

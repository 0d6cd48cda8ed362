"""A request to hand a case file over to another municipality, and its answer."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import AuditedField, register_audited_fields
from ..cases.models import Case
from ..extensions import UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum


class TransferStatus(LabelledEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @classmethod
    def labels(cls):
        return {
            cls.PENDING: _l("Waiting for the receiving municipality"),
            cls.ACCEPTED: _l("Accepted"),
            cls.DECLINED: _l("Declined"),
        }


class CaseTransfer(db.Model):
    """A request to hand a case over to another municipality."""

    __tablename__ = "case_transfer"
    __table_args__ = (
        sa.Index("ix_case_transfer_incoming", "to_municipality_id", "status"),
        sa.Index("ix_case_transfer_case", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    from_municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipality.id"))
    to_municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipality.id"))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[TransferStatus] = mapped_column(
        enum_column(TransferStatus, "status"), default=TransferStatus.PENDING
    )
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    previous_reference: Mapped[str] = mapped_column(sa.String(32))

    case: Mapped[Case] = relationship(lazy="raise")
    from_municipality = relationship(
        "Municipality", foreign_keys=[from_municipality_id], lazy="raise"
    )
    to_municipality = relationship("Municipality", foreign_keys=[to_municipality_id], lazy="raise")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        """Both municipalities see the request: the one asking and the one asked."""
        return sa.or_(
            cls.from_municipality_id == user.municipality_id,
            cls.to_municipality_id == user.municipality_id,
        )


register_audited_fields(
    "Case",
    to_municipality=AuditedField(_l("Receiving municipality")),
    municipality=AuditedField(_l("Municipality")),
    decline_reason=AuditedField(_l("Why the transfer is declined"), personal=True),
)

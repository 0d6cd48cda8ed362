"""A request to erase a newcomer's personal data, and the administrator's decision."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import AuditedField, register_audited_fields
from ..extensions import UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum


class ErasureStatus(LabelledEnum):
    REQUESTED = "requested"
    ERASED = "erased"
    REFUSED = "refused"

    @classmethod
    def labels(cls):
        return {
            cls.REQUESTED: _l("Waiting for a decision"),
            cls.ERASED: _l("Erased"),
            cls.REFUSED: _l("Refused"),
        }


class ErasureGround(LabelledEnum):
    """Why personal data is erased (GDPR art. 17) or, for a refusal, why it is kept."""

    PERSON_ASKED = "person_asked"
    RETENTION_ENDED = "retention_ended"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGAL_CLAIMS = "legal_claims"

    @classmethod
    def labels(cls):
        return {
            cls.PERSON_ASKED: _l("The person asked for it"),
            cls.RETENTION_ENDED: _l("The retention period has ended"),
            cls.LEGAL_OBLIGATION: _l("A law requires the municipality to keep the file"),
            cls.LEGAL_CLAIMS: _l("The file is needed for a legal claim or proceedings"),
        }


REFUSAL_GROUNDS = (ErasureGround.LEGAL_OBLIGATION, ErasureGround.LEGAL_CLAIMS)


class ErasureRequest(db.Model):
    """One erasure of a case file's personal data: asked for, then decided by an admin.

    The reference of the file is kept: it identifies nobody outside the office's own
    records, and proves that the erasure was done.
    """

    __tablename__ = "erasure_request"
    __table_args__ = (sa.Index("ix_erasure_request_queue", "municipality_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="RESTRICT")
    )
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="RESTRICT"), index=True
    )
    reference: Mapped[str] = mapped_column(sa.String(32))
    ground: Mapped[ErasureGround] = mapped_column(enum_column(ErasureGround, "ground"))
    status: Mapped[ErasureStatus] = mapped_column(
        enum_column(ErasureStatus, "status"), default=ErasureStatus.REQUESTED
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    refusal_ground: Mapped[ErasureGround | None] = mapped_column(
        enum_column(ErasureGround, "refusal_ground")
    )

    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="raise")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        return cls.municipality_id == user.municipality_id

    def __repr__(self) -> str:
        return f"<ErasureRequest {self.reference} {self.status}>"


register_audited_fields(
    "ErasureRequest",
    ground=AuditedField(_l("Ground"), labels=ErasureGround),
    refusal_ground=AuditedField(_l("Ground for keeping the file"), labels=ErasureGround),
)
register_audited_fields(
    "Case",
    account=AuditedField(_l("Portal account")),
    blanked_entries=AuditedField(_l("Audit entries blanked")),
)
register_audited_fields(
    "",
    retention_years=AuditedField(_l("Years closed files are kept")),
)

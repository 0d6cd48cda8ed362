"""What newcomers send from their portal: a message that something in their file is wrong."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import AuditedField, register_audited_fields
from ..cases.models import Case
from ..extensions import UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum
from ..security import Role


class MessageTopic(LabelledEnum):
    """What part of their file the newcomer says is wrong."""

    LANGUAGE_LEVELS = "language_levels"
    QUALIFICATIONS = "qualifications"
    SKILLS = "skills"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.LANGUAGE_LEVELS: _l("My language levels"),
            cls.QUALIFICATIONS: _l("My qualifications"),
            cls.SKILLS: _l("My skills and work"),
            cls.OTHER: _l("Something else"),
        }


class NewcomerMessage(db.Model):
    """A short message from the newcomer to their caseworker, listed on the caseworker's day
    until someone of the office marks it as dealt with."""

    __tablename__ = "newcomer_message"
    __table_args__ = (
        # The caseworker's day: the open messages, oldest first.
        sa.Index("ix_newcomer_message_open", "handled_at", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[MessageTopic] = mapped_column(enum_column(MessageTopic, "topic"))
    text: Mapped[str] = mapped_column(sa.String(1000))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship(lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        """The file's caseworkers (its municipality's) and the newcomer of the file."""
        if user.role not in (Role.CASEWORKER, Role.MIGRANT):
            return sa.false()
        return cls.case_id.in_(sa.select(Case.id).where(Case.tenant_filter(user)))

    def __repr__(self) -> str:
        return f"<NewcomerMessage {self.id} case={self.case_id}>"


register_audited_fields(
    "Case",
    topic=AuditedField(_l("About"), labels=MessageTopic),
    format=AuditedField(_l("File format")),
)

"""Pathway stages and the kept history of every move between them."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum


class Stage(LabelledEnum):
    PRE_DEPARTURE = "pre_departure"
    ARRIVAL = "arrival"
    EARLY_INTEGRATION = "early_integration"
    LONG_TERM = "long_term"
    INCLUSION = "inclusion"

    @classmethod
    def labels(cls):
        return {
            cls.PRE_DEPARTURE: _l("Pre-departure"),
            cls.ARRIVAL: _l("Arrival and orientation"),
            cls.EARLY_INTEGRATION: _l("Early integration"),
            cls.LONG_TERM: _l("Long-term integration"),
            cls.INCLUSION: _l("Active citizenship and inclusion"),
        }

    @property
    def number(self) -> int:
        return list(Stage).index(self) + 1


class StageChange(db.Model):
    """One move of a case into a stage: when, by whom and why."""

    __tablename__ = "stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[Stage | None] = mapped_column(enum_column(Stage, "from_stage"))
    to_stage: Mapped[Stage] = mapped_column(enum_column(Stage, "to_stage"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))

    changed_by = relationship("User", lazy="raise")

    def __repr__(self) -> str:
        return f"<StageChange case={self.case_id} {self.from_stage}->{self.to_stage}>"

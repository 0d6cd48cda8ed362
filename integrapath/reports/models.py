"""What the reports count about each file, kept beside it.

A report reads one narrow row per file instead of joining the file to six histories: the
columns that choose and group the people (copied from the file), what held on the day the
row was kept (job, housing, the four statuses, the stage and since when), the highest ISCED
level, the first days at A2 and B1 in the host language, and what held 6, 12, 24 and 36
months after arrival (the cohorts). ``services.keep_figures`` writes the rows of the files a
transaction touched when it is kept, from the same history queries a report of a past day
runs, so the row never says something the history does not.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..assessments.models import ActivityStatus
from ..cases.models import CaseStatus, ResidenceCategory, Sex, Stage
from ..extensions import UTCDateTime, db, enum_column
from ..inclusion.models import HousingSituation

COHORT_MONTHS = (6, 12, 24, 36)


class CaseFigures(db.Model):
    """One file as the reports count it (see the module's docstring)."""

    __tablename__ = "case_figures"
    __table_args__ = (
        sa.Index("ix_case_figures_municipality", "municipality_id", "created_at"),
        # The rows whose "held today" a recorded change has overtaken since they were kept.
        sa.Index("ix_case_figures_kept_until", "municipality_id", "kept_until"),
    )

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipality.id"))
    # Copied from the file: who is counted, and in which group.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, "figures_status"))
    closed_on: Mapped[date | None]
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "figures_sex"))
    date_of_birth: Mapped[date]
    country_of_birth: Mapped[str | None] = mapped_column(sa.String(2))
    residence_category: Mapped[ResidenceCategory] = mapped_column(
        enum_column(ResidenceCategory, "figures_residence_category")
    )
    arrived_on: Mapped[date | None]
    # What held on ``kept_on``, until ``kept_until`` (None: until something is recorded).
    kept_on: Mapped[date]
    kept_until: Mapped[date | None]
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, "figures_stage"))
    stage_since: Mapped[date | None]
    activity: Mapped[ActivityStatus | None] = mapped_column(
        enum_column(ActivityStatus, "figures_activity")
    )
    isco_major: Mapped[str | None] = mapped_column(sa.String(1))
    housing: Mapped[HousingSituation | None] = mapped_column(
        enum_column(HousingSituation, "figures_housing")
    )
    health_insurance: Mapped[bool] = mapped_column(default=False)
    general_practitioner: Mapped[bool] = mapped_column(default=False)
    long_term_residence: Mapped[bool] = mapped_column(default=False)
    naturalised: Mapped[bool] = mapped_column(default=False)
    # Whatever the day.
    isced_level: Mapped[int | None]
    a2_reached_on: Mapped[date | None]
    b1_reached_on: Mapped[date | None]
    # The days 6, 12, 24 and 36 months after arrival, and what held on each.
    day_6: Mapped[date | None]
    day_12: Mapped[date | None]
    day_24: Mapped[date | None]
    day_36: Mapped[date | None]
    activity_6: Mapped[str | None] = mapped_column(sa.String(32))
    stage_6: Mapped[str | None] = mapped_column(sa.String(32))
    activity_12: Mapped[str | None] = mapped_column(sa.String(32))
    stage_12: Mapped[str | None] = mapped_column(sa.String(32))
    activity_24: Mapped[str | None] = mapped_column(sa.String(32))
    stage_24: Mapped[str | None] = mapped_column(sa.String(32))
    activity_36: Mapped[str | None] = mapped_column(sa.String(32))
    stage_36: Mapped[str | None] = mapped_column(sa.String(32))

    @classmethod
    def tenant_filter(cls, user):
        # Read by the reports only, for the municipality of the reader.
        return cls.municipality_id == user.municipality_id

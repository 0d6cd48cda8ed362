"""Milestones of the pathway's stages, per municipality, and the ticks caseworkers give them."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import AuditedField, register_audited_fields
from ..cases.models import Case, Stage
from ..extensions import TimestampMixin, UTCDateTime, db, enum_column
from ..i18n import LabelledEnum


class MilestoneRule(LabelledEnum):
    """How a milestone is met: ticked by a caseworker, or read from the case's data."""

    TICKED = "ticked"
    NEEDS_ASSESSED = "needs_assessed"
    LANGUAGE_A1 = "language_a1"
    LANGUAGE_A2 = "language_a2"
    LANGUAGE_B1 = "language_b1"
    CIVIC_ORIENTATION = "civic_orientation"
    SKILLS_PROFILE = "skills_profile"
    RECOGNITION_STARTED = "recognition_started"
    RECOGNITION_DECIDED = "recognition_decided"
    WORK_OR_EDUCATION = "work_or_education"
    LONG_TERM_RESIDENCE = "long_term_residence"

    @classmethod
    def labels(cls):
        return {
            cls.TICKED: _l("Ticked by the caseworker"),
            cls.NEEDS_ASSESSED: _l("Needs recorded in the skills profile"),
            cls.LANGUAGE_A1: _l("Host language at A1 or above in every skill"),
            cls.LANGUAGE_A2: _l("Host language at A2 or above in every skill"),
            cls.LANGUAGE_B1: _l("Host language at B1 or above in every skill"),
            cls.CIVIC_ORIENTATION: _l("A civic orientation course completed"),
            cls.SKILLS_PROFILE: _l("Skills profile complete"),
            cls.RECOGNITION_STARTED: _l("Recognition of a qualification applied for"),
            cls.RECOGNITION_DECIDED: _l("Recognition of a qualification decided"),
            cls.WORK_OR_EDUCATION: _l("Employed, in education or in vocational training"),
            cls.LONG_TERM_RESIDENCE: _l("Holds a long-term residence permit"),
        }

    @property
    def derived(self) -> bool:
        return self != MilestoneRule.TICKED


class Milestone(TimestampMixin, db.Model):
    """One item of a stage's checklist in one municipality, named in every locale."""

    __tablename__ = "milestone"
    __table_args__ = (sa.Index("ix_milestone_municipality_stage", "municipality_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE")
    )
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, "stage"))
    position: Mapped[int] = mapped_column(default=0)
    rule: Mapped[MilestoneRule] = mapped_column(enum_column(MilestoneRule, "rule"))
    required: Mapped[bool] = mapped_column(default=True)
    # Locale code -> name; a locale without a name shows the municipality's language's.
    names: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    fallback_locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @classmethod
    def tenant_filter(cls, user):
        return cls.municipality_id == user.municipality_id

    @property
    def name(self) -> str:
        """The name in the reader's language, else in the municipality's, else any."""
        locale = str(get_locale() or self.fallback_locale)
        for code in (locale, locale.split("_")[0], self.fallback_locale):
            if self.names.get(code):
                return self.names[code]
        return next(iter(self.names.values()), "")

    def __repr__(self) -> str:
        return f"<Milestone {self.id} {self.stage} {self.rule}>"


class MilestoneTick(db.Model):
    """A caseworker's tick of a milestone for one case: when and by whom."""

    __tablename__ = "milestone_tick"
    __table_args__ = (sa.UniqueConstraint("case_id", "milestone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    milestone_id: Mapped[int] = mapped_column(
        sa.ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    met_on: Mapped[date]
    ticked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    ticked_by = relationship("User", lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        return cls.case_id.in_(sa.select(Case.id).where(Case.tenant_filter(user)))

    def __repr__(self) -> str:
        return f"<MilestoneTick case={self.case_id} milestone={self.milestone_id}>"


register_audited_fields(
    "Case",
    milestone=AuditedField(_l("Milestone")),
    met_on=AuditedField(_l("Met on")),
)
register_audited_fields(
    "Milestone",
    stage=AuditedField(_l("Stage"), labels=Stage),
    rule=AuditedField(_l("Met when"), labels=MilestoneRule),
    required=AuditedField(_l("Required to move on")),
    names=AuditedField(_l("Names")),
    position=AuditedField(_l("Place in the list")),
)
register_audited_fields(
    "", inactivity_weeks=AuditedField(_l("Weeks without activity before a case is listed"))
)

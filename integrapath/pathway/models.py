"""Milestones of the pathway's stages, per municipality, and the ticks caseworkers give them."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import AuditedField, register_audited_fields
from ..cases.models import Case, Stage
from ..extensions import TimestampMixin, UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum, local_digits


class MilestoneRule(LabelledEnum):
    """How a milestone is met: ticked by a caseworker, or read from the case's data."""

    TICKED = "ticked"
    NEEDS_ASSESSED = "needs_assessed"
    PLAN_AGREED = "plan_agreed"
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
            cls.PLAN_AGREED: _l("An integration plan agreed with the newcomer"),
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


# -- the integration plan ---------------------------------------------------------------------


class Responsibility(LabelledEnum):
    """Who carries out an action of the plan: the agreement binds both sides."""

    MIGRANT = "migrant"
    MUNICIPALITY = "municipality"
    PROVIDER = "provider"
    PARTNER = "partner"

    @classmethod
    def labels(cls):
        return {
            cls.MIGRANT: _l("The newcomer"),
            cls.MUNICIPALITY: _l("The municipality"),
            cls.PROVIDER: _l("A course provider"),
            cls.PARTNER: _l("A partner service"),
        }


class ActionStatus(LabelledEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @classmethod
    def labels(cls):
        return {
            cls.PLANNED: _l("Planned"),
            cls.IN_PROGRESS: _l("In progress"),
            cls.DONE: _l("Completed"),
            cls.CANCELLED: _l("Cancelled"),
        }

    @property
    def open(self) -> bool:
        """Still to be done: an open action past its due date is overdue."""
        return self in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


OPEN_STATUSES = [ActionStatus.PLANNED, ActionStatus.IN_PROGRESS]


class IntegrationPlan(TimestampMixin, db.Model):
    """The integration plan of one case: its goals and actions as they are now (the working
    copy), and the versions agreed so far, each a frozen copy of what was agreed."""

    __tablename__ = "integration_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), unique=True
    )
    # Goals or actions changed since the last agreed version: agreeing again makes a new one.
    changed_since_agreed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @classmethod
    def tenant_filter(cls, user):
        return cls.case_id.in_(sa.select(Case.id).where(Case.tenant_filter(user)))

    def __repr__(self) -> str:
        return f"<IntegrationPlan case={self.case_id}>"


class PlanGoal(TimestampMixin, db.Model):
    """What the newcomer means to reach, as both sides wrote it down."""

    __tablename__ = "plan_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integration_plan.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.String(500))
    cancelled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    def __repr__(self) -> str:
        return f"<PlanGoal {self.id} plan={self.plan_id}>"


class PlanAction(TimestampMixin, db.Model):
    """One step towards a goal: who does it, by when, and how far it is."""

    __tablename__ = "plan_action"
    # The caseworker's day looks for open actions past their date, plan by plan.
    __table_args__ = (sa.Index("ix_plan_action_plan_due", "plan_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The plan too, not only the goal: the lists of overdue actions join one table less.
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("integration_plan.id", ondelete="CASCADE"))
    goal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("plan_goal.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.String(500))
    responsible: Mapped[Responsibility] = mapped_column(enum_column(Responsibility, "responsible"))
    due_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus, "status"), default=ActionStatus.PLANNED
    )
    offering_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("offering.id", ondelete="SET NULL"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("milestone.id", ondelete="SET NULL"), index=True
    )

    def __repr__(self) -> str:
        return f"<PlanAction {self.id} {self.status}>"


class PlanVersion(db.Model):
    """An agreed version of a plan: the goals and actions as they were on the day of the
    agreement (statuses included), kept as written then and never changed afterwards; and the
    newcomer's acknowledgement of it."""

    __tablename__ = "plan_version"
    __table_args__ = (sa.UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("integration_plan.id", ondelete="CASCADE"))
    number: Mapped[int]
    agreed_on: Mapped[date]
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    agreed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # {"goals": [{"id", "text", "cancelled", "actions": [{"id", "text", "responsible",
    #   "due_on", "status", "offering_id", "milestone_id"}]}]}
    content: Mapped[dict] = mapped_column(sa.JSON)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    agreed_by = relationship("User", foreign_keys=[agreed_by_id], lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        return cls.plan_id.in_(
            sa.select(IntegrationPlan.id).where(IntegrationPlan.tenant_filter(user))
        )

    def __repr__(self) -> str:
        return f"<PlanVersion plan={self.plan_id} {self.number}>"


def _plan_text(label) -> AuditedField:
    # What the two sides wrote may say much about a person: shown only to readers of the file.
    return AuditedField(label, personal=True)


register_audited_fields(
    "Case",
    plan_goal=_plan_text(_l("Goal")),
    plan_action=_plan_text(_l("Plan action")),
    responsible=AuditedField(_l("Who does it"), labels=Responsibility),
    due_on=AuditedField(_l("Due on")),
    action_status=AuditedField(_l("Status"), labels=ActionStatus),
    course_run=AuditedField(_l("Course run")),
    plan_milestone=AuditedField(_l("Milestone")),
    plan_version=AuditedField(_l("Version"), labels=local_digits),
    agreed_on=AuditedField(_l("Agreed on")),
)

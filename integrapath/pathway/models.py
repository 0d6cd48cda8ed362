"""Milestones of the pathway's stages, per municipality, and the ticks caseworkers give them."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation
from ..audit import AuditedField, register_audited_fields
from ..cases.models import Case, Stage
from ..extensions import TimestampMixin, UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum, format_list, local_digits


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


# -- referrals to partner services ------------------------------------------------------------


class ServiceArea(LabelledEnum):
    """What a partner service helps newcomers with."""

    EMPLOYMENT = "employment"
    HEALTH = "health"
    HOUSING = "housing"
    PSYCHOSOCIAL_SUPPORT = "psychosocial_support"
    LEGAL_ADVICE = "legal_advice"
    EDUCATION = "education"

    @classmethod
    def labels(cls):
        return {
            cls.EMPLOYMENT: _l("Public employment service"),
            cls.HEALTH: _l("Health"),
            cls.HOUSING: _l("Housing"),
            cls.PSYCHOSOCIAL_SUPPORT: _l("Psychosocial support"),
            cls.LEGAL_ADVICE: _l("Legal advice"),
            cls.EDUCATION: _l("Education"),
        }


class PartnerServiceArea(db.Model):
    """A service area a partner organisation covers (an organisation may cover several)."""

    __tablename__ = "partner_service_area"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    area: Mapped[ServiceArea] = mapped_column(enum_column(ServiceArea, "area"), primary_key=True)

    @classmethod
    def tenant_filter(cls, user):
        return cls.organisation_id.in_(
            sa.select(Organisation.id).where(Organisation.tenant_filter(user))
        )

    def __repr__(self) -> str:
        return f"<PartnerServiceArea {self.organisation_id} {self.area}>"


class ReferralStatus(LabelledEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"

    @classmethod
    def labels(cls):
        return {
            cls.SENT: _l("Sent, waiting for an answer"),
            cls.ACCEPTED: _l("Accepted by the partner service"),
            cls.DECLINED: _l("Declined by the partner service"),
            cls.COMPLETED: _l("Completed by the partner service"),
            cls.WITHDRAWN: _l("Withdrawn"),
        }


class Referral(TimestampMixin, db.Model):
    """A case referred to a partner service of its municipality, and where that stands.

    The reason is for caseworkers only, as notes are: it may hold sensitive facts.
    """

    __tablename__ = "referral"
    # The case file's list, and the day's "without answer" list of a caseworker's cases.
    __table_args__ = (sa.Index("ix_referral_case_status", "case_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    service_area: Mapped[ServiceArea] = mapped_column(enum_column(ServiceArea, "service_area"))
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus, "status"), default=ReferralStatus.SENT
    )
    sent_on: Mapped[date]
    answer_expected_on: Mapped[date]
    status_changed_on: Mapped[date]  # the day of the latest change (the sending, at first)
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # The plan action the referral serves ("find a family doctor"), if any.
    action_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_action.id", ondelete="SET NULL"), index=True
    )

    partner: Mapped[Organisation] = relationship(lazy="raise")
    action: Mapped["PlanAction | None"] = relationship(lazy="raise")
    referred_by = relationship("User", lazy="raise")
    history: Mapped[list["ReferralStatusChange"]] = relationship(
        lazy="raise", order_by="(ReferralStatusChange.changed_on, ReferralStatusChange.id)"
    )

    @classmethod
    def tenant_filter(cls, user):
        return cls.case_id.in_(sa.select(Case.id).where(Case.tenant_filter(user)))

    def overdue_on(self, today: date) -> bool:
        """Still waiting for the partner's answer after the day it was expected."""
        return self.status == ReferralStatus.SENT and self.answer_expected_on < today

    def __repr__(self) -> str:
        return f"<Referral {self.id} case={self.case_id} {self.status}>"


class ReferralStatusChange(db.Model):
    """One step of a referral (its sending included): on which day, recorded when and by whom."""

    __tablename__ = "referral_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        sa.ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ReferralStatus | None] = mapped_column(
        enum_column(ReferralStatus, "from_status")
    )
    to_status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus, "to_status"))
    changed_on: Mapped[date]  # the day it happened, as the caseworker records it
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(sa.String(500))  # caseworkers only, as the reason

    recorded_by = relationship("User", lazy="raise")

    def __repr__(self) -> str:
        return f"<ReferralStatusChange {self.referral_id} {self.from_status}->{self.to_status}>"


def _area_names(codes: str) -> str:
    """Name the service areas kept in the audit trail as space-separated codes."""
    return format_list([ServiceArea(code).label for code in codes.split() if code])


register_audited_fields(
    "Case",
    # Whom a newcomer is referred to, and for what, may tell of health or legal trouble.
    partner=AuditedField(_l("Partner service"), personal=True),
    service_area=AuditedField(_l("Service area"), personal=True, labels=ServiceArea),
    referral_status=AuditedField(_l("Status of the referral"), labels=ReferralStatus),
    sent_on=AuditedField(_l("Sent on")),
    answer_expected_on=AuditedField(_l("Answer expected by")),
    status_on=AuditedField(_l("Date of the change")),
    referral_reasons=AuditedField(_l("Referral reasons shown"), personal=True),
)
register_audited_fields(
    "Organisation",
    service_areas=AuditedField(_l("Service areas"), labels=_area_names),
)
register_audited_fields(
    "", referral_answer_days=AuditedField(_l("Days a partner service has to answer a referral"))
)
# -- end of referrals -------------------------------------------------------------------------


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

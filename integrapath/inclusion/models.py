"""Housing, health access, civic participation and children's education, as status over time.

Every record is one change, kept for good: what holds from ``since`` on, who recorded it and
a short note. The situation of a case on a date is its latest record with ``since`` on or
before that date (the latest by date, then by id); the current one is the latest of all.
"""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import AuditedField, register_audited_fields
from ..cases.models import Case
from ..extensions import UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum
from ..security import Role


class HousingSituation(LabelledEnum):
    RECEPTION_CENTRE = "reception_centre"
    TEMPORARY_ACCOMMODATION = "temporary_accommodation"
    SHARED_FLAT = "shared_flat"
    SOCIAL_HOUSING = "social_housing"
    PRIVATE_RENTAL = "private_rental"
    OWNER = "owner"
    WITH_FAMILY_OR_FRIENDS = "with_family_or_friends"
    HOMELESS = "homeless"
    UNKNOWN = "unknown"

    @classmethod
    def labels(cls):
        return {
            cls.RECEPTION_CENTRE: _l("Reception centre"),
            cls.TEMPORARY_ACCOMMODATION: _l("Temporary accommodation"),
            cls.SHARED_FLAT: _l("Shared flat"),
            cls.SOCIAL_HOUSING: _l("Social housing"),
            cls.PRIVATE_RENTAL: _l("Private rental"),
            cls.OWNER: _l("Own home"),
            cls.WITH_FAMILY_OR_FRIENDS: _l("With family or friends"),
            cls.HOMELESS: _l("Homeless"),
            cls.UNKNOWN: _l("Not known"),
        }


class Status(LabelledEnum):
    """A fact about a person that holds, or stops holding, from a date."""

    HEALTH_INSURANCE = "health_insurance"
    GENERAL_PRACTITIONER = "general_practitioner"
    HEALTH_SUPPORT_NEEDED = "health_support_needed"
    HEALTH_REFERRAL = "health_referral"
    LONG_TERM_RESIDENCE = "long_term_residence"
    NATURALISED = "naturalised"
    LOCAL_VOTING_RIGHT = "local_voting_right"
    ASSOCIATION_MEMBER = "association_member"
    VOLUNTEERING = "volunteering"
    PARENTS_COUNCIL = "parents_council"
    CONSULTATIVE_BODY = "consultative_body"

    @classmethod
    def labels(cls):
        return {
            cls.HEALTH_INSURANCE: _l("Registered with health insurance"),
            cls.GENERAL_PRACTITIONER: _l("Registered with a general practitioner"),
            cls.HEALTH_SUPPORT_NEEDED: _l("Needs support to reach health care"),
            cls.HEALTH_REFERRAL: _l("Referred to a health or support service"),
            cls.LONG_TERM_RESIDENCE: _l("Long-term residence permit"),
            cls.NATURALISED: _l("Naturalised"),
            cls.LOCAL_VOTING_RIGHT: _l("Right to vote in local elections"),
            cls.ASSOCIATION_MEMBER: _l("Member of an association"),
            cls.VOLUNTEERING: _l("Volunteering"),
            cls.PARENTS_COUNCIL: _l("Parents' council"),
            cls.CONSULTATIVE_BODY: _l("Local consultative body"),
        }


HEALTH_STATUSES = (
    Status.HEALTH_INSURANCE,
    Status.GENERAL_PRACTITIONER,
    Status.HEALTH_SUPPORT_NEEDED,
    Status.HEALTH_REFERRAL,
)
# Sensitive like the case's sensitive needs: caseworkers only, every view audited, never
# in the portal. Only that support is needed and that a referral exists — never a diagnosis.
SENSITIVE_STATUSES = (Status.HEALTH_SUPPORT_NEEDED, Status.HEALTH_REFERRAL)
CIVIC_STATUSES = tuple(status for status in Status if status not in HEALTH_STATUSES)


class ChildEducationStage(LabelledEnum):
    NOT_ENROLLED = "not_enrolled"
    EARLY_CHILDHOOD = "early_childhood"
    SCHOOL = "school"

    @classmethod
    def labels(cls):
        return {
            cls.NOT_ENROLLED: _l("Not enrolled"),
            cls.EARLY_CHILDHOOD: _l("Early childhood education and care"),
            cls.SCHOOL: _l("Enrolled at school"),
        }


class _Recorded:
    """Who recorded a change, when, and a short note."""

    since: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HousingRecord(_Recorded, db.Model):
    """Where a case's household lives from ``since`` on."""

    __tablename__ = "housing_record"
    __table_args__ = (
        # The latest record of a case (on a date): the history, and "is there a newer one".
        sa.Index("ix_housing_record_case_since", "case_id", "since", "id"),
        # Caseload filters: who is in a situation, since when.
        sa.Index("ix_housing_record_situation_since", "situation", "since"),
        # Reports: the record that held on a day (``valid_until`` after it, or none).
        sa.Index("ix_housing_record_held", "valid_until", "since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    situation: Mapped[HousingSituation] = mapped_column(enum_column(HousingSituation, "situation"))
    # The day the case's next record took over (None while this one holds): kept by
    # ``integrapath.history`` so that reports find the housing on a day with a range test.
    valid_until: Mapped[date | None]
    # Whether the home is adequate for the household's size, as the caseworker judges it.
    adequate: Mapped[bool | None]

    recorded_by = relationship("User", lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        return cls.case_id.in_(sa.select(Case.id).where(Case.tenant_filter(user)))

    def __repr__(self) -> str:
        return f"<HousingRecord {self.case_id} {self.situation} {self.since}>"


class StatusRecord(_Recorded, db.Model):
    """That a status (health insurance, long-term residence, ...) holds or ends from ``since``."""

    __tablename__ = "status_record"
    __table_args__ = (
        sa.Index("ix_status_record_case_status_since", "case_id", "status", "since", "id"),
        sa.Index("ix_status_record_status_holds", "status", "holds"),
        sa.Index("ix_status_record_held", "valid_until", "since"),
    )
    HISTORY_PARTITION = ("status",)  # each status has its own history (integrapath.history)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    status: Mapped[Status] = mapped_column(enum_column(Status, "status"))
    holds: Mapped[bool]
    # The day the case's next record of the same status took over (None while this one
    # holds): kept by ``integrapath.history``.
    valid_until: Mapped[date | None]

    recorded_by = relationship("User", lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        """The case's readers; sensitive health statuses only for its caseworkers."""
        in_scope = cls.case_id.in_(sa.select(Case.id).where(Case.tenant_filter(user)))
        if user.role == Role.CASEWORKER:
            return in_scope
        return sa.and_(in_scope, cls.status.not_in(SENSITIVE_STATUSES))

    def __repr__(self) -> str:
        return f"<StatusRecord {self.case_id} {self.status}={self.holds} {self.since}>"


class ChildEducationRecord(_Recorded, db.Model):
    """A child's early childhood education and care or school enrolment from ``since``.

    The child is a family member without a file (``dependant_id``) or, with no dependant,
    the person of the case file itself.
    """

    __tablename__ = "child_education_record"
    __table_args__ = (
        sa.Index("ix_child_education_record_case", "case_id", "dependant_id", "since", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    dependant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dependant.id", ondelete="CASCADE")
    )
    stage: Mapped[ChildEducationStage] = mapped_column(
        enum_column(ChildEducationStage, "education_stage")
    )

    @classmethod
    def tenant_filter(cls, user):
        return cls.case_id.in_(sa.select(Case.id).where(Case.tenant_filter(user)))


register_audited_fields(
    "Case",
    housing=AuditedField(_l("Housing situation"), labels=HousingSituation),
    adequate=AuditedField(_l("Adequate for the household's size")),
    since=AuditedField(_l("Since")),
    **{
        status.value: AuditedField(status.label, personal=status in SENSITIVE_STATUSES)
        for status in Status
    },
    child=AuditedField(_l("Child"), personal=True),
    education=AuditedField(_l("Education"), labels=ChildEducationStage),
)

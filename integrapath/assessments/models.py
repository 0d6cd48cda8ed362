"""What a newcomer can do: CEFR levels, foreign qualifications and their recognition, the
skills profile, and employment or education status over time; plus the reference lists
(ISCO-08, ISCED 2011, ISCED-F 2013) they are coded with."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import AuditedField, register_audited_fields
from ..cases.models import Case
from ..extensions import UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum, language_name, local_digits


def _case_in_scope(cls, user):
    """Rows that hang off a case are seen by those who see the case."""
    return cls.case_id.in_(sa.select(Case.id).where(Case.tenant_filter(user)))


# -- reference data -------------------------------------------------------------------------


class IscoGroup(db.Model):
    """One group of ISCO-08 (major, sub-major, minor or unit), titled in en/de/fr/es (ESCO)."""

    __tablename__ = "isco_group"

    code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    level: Mapped[int]
    parent_code: Mapped[str | None] = mapped_column(sa.String(4))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    title_de: Mapped[str] = mapped_column(sa.String(200))
    title_fr: Mapped[str] = mapped_column(sa.String(200))
    title_es: Mapped[str] = mapped_column(sa.String(200))
    # Every title in lower-case ASCII, for a search in any of the languages.
    search_key: Mapped[str] = mapped_column(sa.String(1000))

    @classmethod
    def tenant_filter(cls, user):
        """Reference data: the same for every municipality."""
        return sa.true()

    def __repr__(self) -> str:
        return f"<IscoGroup {self.code}>"


class IscedLevel(db.Model):
    """An ISCED 2011 level of education (0-8); titles in English only."""

    __tablename__ = "isced_level"

    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title_en: Mapped[str] = mapped_column(sa.String(200))

    @classmethod
    def tenant_filter(cls, user):
        """Reference data: the same for every municipality."""
        return sa.true()


class IscedField(db.Model):
    """An ISCED-F 2013 field of education (broad, narrow or detailed); English titles."""

    __tablename__ = "isced_field"

    code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10))
    parent_code: Mapped[str | None] = mapped_column(sa.String(4))
    title_en: Mapped[str] = mapped_column(sa.String(200))

    @classmethod
    def tenant_filter(cls, user):
        """Reference data: the same for every municipality."""
        return sa.true()


# -- CEFR levels ----------------------------------------------------------------------------


class CefrLevel(LabelledEnum):
    PRE_A1 = "pre_a1"
    A1 = "a1"
    A2 = "a2"
    B1 = "b1"
    B2 = "b2"
    C1 = "c1"
    C2 = "c2"

    @classmethod
    def labels(cls):
        # The CEFR's own names, the same in every language but for the digits (B۱ in Persian).
        return {
            member: LazyString(
                local_digits, member.value.replace("_", "-").upper().replace("PRE", "Pre")
            )
            for member in cls
        }

    @property
    def rank(self) -> int:
        """0 for Pre-A1 up to 6 for C2: the order that SQL compares."""
        return list(CefrLevel).index(self)


class LanguageSkill(LabelledEnum):
    LISTENING = "listening"
    READING = "reading"
    SPOKEN_INTERACTION = "spoken_interaction"
    SPOKEN_PRODUCTION = "spoken_production"
    WRITING = "writing"

    @classmethod
    def labels(cls):
        return {
            cls.LISTENING: _l("Listening"),
            cls.READING: _l("Reading"),
            cls.SPOKEN_INTERACTION: _l("Spoken interaction"),
            cls.SPOKEN_PRODUCTION: _l("Spoken production"),
            cls.WRITING: _l("Writing"),
        }


class AssessmentSource(LabelledEnum):
    SELF_ASSESSMENT = "self_assessment"
    PLACEMENT_TEST = "placement_test"
    COURSE_EXAM = "course_exam"
    CERTIFIED_EXAM = "certified_exam"

    @classmethod
    def labels(cls):
        return {
            cls.SELF_ASSESSMENT: _l("Self-assessment"),
            cls.PLACEMENT_TEST: _l("Placement test"),
            cls.COURSE_EXAM: _l("Course exam"),
            cls.CERTIFIED_EXAM: _l("Certified exam"),
        }


class LanguageAssessment(db.Model):
    """One assessed CEFR level of one skill in one language, on a date.

    ``current`` marks the latest assessment per (case, language, skill) by date, then id
    (kept by the service that records them): the caseload filters read it from an index.
    """

    __tablename__ = "language_assessment"
    __table_args__ = (
        sa.Index("ix_language_assessment_case", "case_id", "language", "skill", "assessed_on"),
        sa.Index("ix_language_assessment_current", "language", "current", "level_rank", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(sa.String(8))
    skill: Mapped[LanguageSkill] = mapped_column(enum_column(LanguageSkill, "skill"))
    level: Mapped[CefrLevel] = mapped_column(enum_column(CefrLevel, "level"))
    level_rank: Mapped[int] = mapped_column(sa.SmallInteger)
    assessed_on: Mapped[date]
    source: Mapped[AssessmentSource] = mapped_column(enum_column(AssessmentSource, "source"))
    certificate_number: Mapped[str | None] = mapped_column(sa.String(60))
    certificate_issuer: Mapped[str | None] = mapped_column(sa.String(120))
    organisation: Mapped[str | None] = mapped_column(sa.String(120))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    current: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tenant_filter = classmethod(_case_in_scope)


class LanguageStanding(db.Model):
    """The current levels of one case in one language, summed up: how many skills are
    assessed and the lowest and highest current level among them (kept by the service that
    records assessments). "At least B1 in every skill" is then one range on one index."""

    __tablename__ = "language_standing"
    __table_args__ = (
        sa.Index(
            "ix_language_standing_levels",
            "language",
            "skills",
            "lowest_rank",
            "highest_rank",
            "case_id",
        ),
    )

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    skills: Mapped[int] = mapped_column(sa.SmallInteger)
    lowest_rank: Mapped[int] = mapped_column(sa.SmallInteger)
    highest_rank: Mapped[int] = mapped_column(sa.SmallInteger)
    # The first day every skill stood at A2 (and B1) or above: the assessment that completed
    # it. Kept once reached, so reports read the time to A2 and B1 without the history.
    a2_reached_on: Mapped[date | None]
    b1_reached_on: Mapped[date | None]

    tenant_filter = classmethod(_case_in_scope)


# -- qualifications and recognition ---------------------------------------------------------


class RecognitionState(LabelledEnum):
    NOT_STARTED = "not_started"
    SUBMITTED = "submitted"
    IN_ASSESSMENT = "in_assessment"
    RECOGNISED = "recognised"
    PARTIALLY_RECOGNISED = "partially_recognised"
    COMPARABILITY_STATEMENT = "comparability_statement"
    NOT_RECOGNISED = "not_recognised"

    @classmethod
    def labels(cls):
        return {
            cls.NOT_STARTED: _l("Not started"),
            cls.SUBMITTED: _l("Submitted"),
            cls.IN_ASSESSMENT: _l("In assessment"),
            cls.RECOGNISED: _l("Recognised"),
            cls.PARTIALLY_RECOGNISED: _l("Partially recognised"),
            cls.COMPARABILITY_STATEMENT: _l("Comparability statement"),
            cls.NOT_RECOGNISED: _l("Not recognised"),
        }


class MeasureKind(LabelledEnum):
    BRIDGING_COURSE = "bridging_course"
    APTITUDE_TEST = "aptitude_test"
    ADAPTATION_PERIOD = "adaptation_period"

    @classmethod
    def labels(cls):
        return {
            cls.BRIDGING_COURSE: _l("Bridging course"),
            cls.APTITUDE_TEST: _l("Aptitude test"),
            cls.ADAPTATION_PERIOD: _l("Adaptation period"),
        }


class MeasureStatus(LabelledEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"

    @classmethod
    def labels(cls):
        return {
            cls.PLANNED: _l("Planned"),
            cls.IN_PROGRESS: _l("In progress"),
            cls.COMPLETED: _l("Completed"),
            cls.FAILED: _l("Not passed"),
        }


class Qualification(db.Model):
    """A foreign qualification and its one recognition procedure."""

    __tablename__ = "qualification"
    __table_args__ = (sa.Index("ix_qualification_state", "recognition_state", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    institution: Mapped[str | None] = mapped_column(sa.String(200))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    year: Mapped[int | None]
    isced_field: Mapped[str | None] = mapped_column(sa.ForeignKey("isced_field.code"))
    isced_level: Mapped[int | None] = mapped_column(sa.ForeignKey("isced_level.code"))
    eqf_level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    regulated: Mapped[bool] = mapped_column(default=False)
    documents_available: Mapped[bool] = mapped_column(default=False)
    recognition_state: Mapped[RecognitionState] = mapped_column(
        enum_column(RecognitionState, "recognition_state"), default=RecognitionState.NOT_STARTED
    )
    authority: Mapped[str | None] = mapped_column(sa.String(200))
    submitted_on: Mapped[date | None]
    decided_on: Mapped[date | None]
    decision: Mapped[str | None] = mapped_column(sa.String(1000))
    decision_reference: Mapped[str | None] = mapped_column(sa.String(60))

    steps: Mapped[list["RecognitionStep"]] = relationship(
        order_by="RecognitionStep.id", lazy="raise", cascade="all, delete-orphan"
    )
    measures: Mapped[list["CompensationMeasure"]] = relationship(
        order_by="CompensationMeasure.id", lazy="raise", cascade="all, delete-orphan"
    )

    tenant_filter = classmethod(_case_in_scope)


class RecognitionStep(db.Model):
    """One move of a recognition procedure, kept as its history."""

    __tablename__ = "recognition_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qualification.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[RecognitionState] = mapped_column(
        enum_column(RecognitionState, "from_state")
    )
    to_state: Mapped[RecognitionState] = mapped_column(enum_column(RecognitionState, "to_state"))
    on: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    @classmethod
    def tenant_filter(cls, user):
        return cls.qualification_id.in_(
            sa.select(Qualification.id).where(Qualification.tenant_filter(user))
        )


class CompensationMeasure(db.Model):
    """A measure a partial recognition requires, with its own status."""

    __tablename__ = "compensation_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qualification.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MeasureKind] = mapped_column(enum_column(MeasureKind, "kind"))
    status: Mapped[MeasureStatus] = mapped_column(
        enum_column(MeasureStatus, "status"), default=MeasureStatus.PLANNED
    )

    @classmethod
    def tenant_filter(cls, user):
        return cls.qualification_id.in_(
            sa.select(Qualification.id).where(Qualification.tenant_filter(user))
        )


# -- skills profile -------------------------------------------------------------------------


class DigitalSkills(LabelledEnum):
    NONE = "none"
    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"

    @classmethod
    def labels(cls):
        return {
            cls.NONE: _l("None"),
            cls.BASIC: _l("Basic"),
            cls.INTERMEDIATE: _l("Intermediate"),
            cls.ADVANCED: _l("Advanced"),
        }


# Needs that affect participation: column -> label.
PARTICIPATION_NEEDS = {
    "needs_childcare": _l("Childcare"),
    "needs_health": _l("Health"),
    "needs_psychosocial": _l("Psychosocial support"),
    "needs_transport": _l("Transport"),
    "needs_digital_access": _l("Digital access"),
}


class SkillsProfile(db.Model):
    """The EU Skills Profile of a newcomer: one per case, saved as far as it is filled in."""

    __tablename__ = "skills_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), unique=True
    )
    digital_skills: Mapped[DigitalSkills | None] = mapped_column(
        enum_column(DigitalSkills, "digital_skills")
    )
    driving_licences: Mapped[str | None] = mapped_column(sa.String(60))
    other_skills: Mapped[str | None] = mapped_column(sa.String(1000))
    job_aspirations: Mapped[str | None] = mapped_column(sa.String(1000))
    needs_childcare: Mapped[bool] = mapped_column(default=False)
    needs_health: Mapped[bool] = mapped_column(default=False)
    needs_psychosocial: Mapped[bool] = mapped_column(default=False)
    needs_transport: Mapped[bool] = mapped_column(default=False)
    needs_digital_access: Mapped[bool] = mapped_column(default=False)

    tenant_filter = classmethod(_case_in_scope)


class EducationEntry(db.Model):
    """Education or training a newcomer had, for the skills profile."""

    __tablename__ = "education_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    isced_level: Mapped[int] = mapped_column(sa.ForeignKey("isced_level.code"))
    isced_field: Mapped[str | None] = mapped_column(sa.ForeignKey("isced_field.code"))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    years: Mapped[int | None] = mapped_column(sa.SmallInteger)

    tenant_filter = classmethod(_case_in_scope)


class WorkExperience(db.Model):
    """Work a newcomer did, coded as an ISCO-08 unit group."""

    __tablename__ = "work_experience"
    __table_args__ = (sa.Index("ix_work_experience_major", "isco_major", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    isco_code: Mapped[str] = mapped_column(sa.ForeignKey("isco_group.code"))
    isco_major: Mapped[str] = mapped_column(sa.String(1))
    sector: Mapped[str | None] = mapped_column(sa.String(120))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    years: Mapped[int | None] = mapped_column(sa.SmallInteger)

    occupation: Mapped[IscoGroup] = relationship(lazy="raise")

    tenant_filter = classmethod(_case_in_scope)


# -- employment and education status --------------------------------------------------------


class ActivityStatus(LabelledEnum):
    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    UNEMPLOYED = "unemployed"
    IN_EDUCATION = "in_education"
    IN_VOCATIONAL_TRAINING = "in_vocational_training"
    NOT_ACTIVE = "not_active"

    @classmethod
    def labels(cls):
        return {
            cls.EMPLOYED: _l("Employed"),
            cls.SELF_EMPLOYED: _l("Self-employed"),
            cls.UNEMPLOYED: _l("Unemployed and seeking work"),
            cls.IN_EDUCATION: _l("In education"),
            cls.IN_VOCATIONAL_TRAINING: _l("In vocational training"),
            cls.NOT_ACTIVE: _l("Not active"),
        }


class EmploymentStatus(db.Model):
    """The employment or education status from a date on; the latest is the current one."""

    __tablename__ = "employment_status"
    __table_args__ = (
        sa.Index("ix_employment_status_case", "case_id", "since"),
        sa.Index("ix_employment_status_current", "current", "status", "case_id"),
        sa.Index("ix_employment_status_held", "valid_until", "since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    status: Mapped[ActivityStatus] = mapped_column(enum_column(ActivityStatus, "status"))
    since: Mapped[date]
    isco_code: Mapped[str | None] = mapped_column(sa.ForeignKey("isco_group.code"))
    isco_major: Mapped[str | None] = mapped_column(sa.String(1))
    current: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The day the case's next status took over (None while this one holds): kept by
    # ``integrapath.history`` so that reports find the status on a day with a range test.
    valid_until: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    occupation: Mapped[IscoGroup | None] = relationship(lazy="raise")

    tenant_filter = classmethod(_case_in_scope)


def _occupation_label(code: str) -> str:
    from .reference import occupation_label  # reference reads these models

    return occupation_label(code)


register_audited_fields(
    "Case",
    language=AuditedField(_l("Language"), labels=language_name),
    skill=AuditedField(
        _l("Skill"),
        labels={**LanguageSkill.labels(), "all": _l("All five skills")},
    ),
    level=AuditedField(_l("Level"), labels=CefrLevel),
    source=AuditedField(_l("Source"), labels=AssessmentSource),
    assessed_on=AuditedField(_l("Date")),
    qualification=AuditedField(_l("Qualification"), personal=True),
    recognition_state=AuditedField(_l("Recognition"), labels=RecognitionState),
    measure=AuditedField(_l("Compensation measure"), labels=MeasureKind),
    measure_status=AuditedField(_l("Status"), labels=MeasureStatus),
    skills_profile=AuditedField(_l("Skills profile"), personal=True),
    occupation=AuditedField(_l("Occupation"), labels=_occupation_label),
    employment=AuditedField(_l("Employment and education"), labels=ActivityStatus),
)

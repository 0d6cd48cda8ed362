"""The case file of a newcomer and what hangs off it: household, consent, notes, transfers."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from ..accounts.models import User
from ..audit import AuditedField, register_audited_fields
from ..extensions import TimestampMixin, UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum
from ..security import Role


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
    __table_args__ = (sa.Index("ix_stage_change_held", "valid_until", "case_id"),)
    HISTORY_DAY = "changed_at"  # a move holds from its day (integrapath.history)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[Stage | None] = mapped_column(enum_column(Stage, "from_stage"))
    to_stage: Mapped[Stage] = mapped_column(enum_column(Stage, "to_stage"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    # The day the case's next move took over (None while this one holds): kept by
    # ``integrapath.history`` so that reports find the stage on a day with a range test.
    valid_until: Mapped[date | None]

    changed_by = relationship("User", lazy="raise")

    def __repr__(self) -> str:
        return f"<StageChange case={self.case_id} {self.from_stage}->{self.to_stage}>"


class Sex(LabelledEnum):
    FEMALE = "female"
    MALE = "male"
    DIVERSE = "diverse"
    UNKNOWN = "unknown"

    @classmethod
    def labels(cls):
        return {
            cls.FEMALE: _l("Female"),
            cls.MALE: _l("Male"),
            cls.DIVERSE: _l("Diverse"),
            cls.UNKNOWN: _l("Not stated"),
        }


class ResidenceCategory(LabelledEnum):
    REFUGEE = "refugee"
    SUBSIDIARY_PROTECTION = "subsidiary_protection"
    ASYLUM_APPLICANT = "asylum_applicant"
    RESETTLED = "resettled"
    FAMILY_REUNIFICATION = "family_reunification"
    LABOUR_MIGRANT = "labour_migrant"
    HIGHLY_SKILLED = "highly_skilled"
    STUDENT = "student"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.REFUGEE: _l("Refugee (international protection)"),
            cls.SUBSIDIARY_PROTECTION: _l("Subsidiary protection"),
            cls.ASYLUM_APPLICANT: _l("Asylum applicant"),
            cls.RESETTLED: _l("Resettled refugee"),
            cls.FAMILY_REUNIFICATION: _l("Family reunification"),
            cls.LABOUR_MIGRANT: _l("Labour migrant"),
            cls.HIGHLY_SKILLED: _l("Highly skilled / EU Blue Card"),
            cls.STUDENT: _l("Student"),
            cls.OTHER: _l("Other"),
        }


class CaseStatus(LabelledEnum):
    ACTIVE = "active"
    CLOSED = "closed"

    @classmethod
    def labels(cls):
        return {cls.ACTIVE: _l("Open"), cls.CLOSED: _l("Closed")}


class ClosingReason(LabelledEnum):
    PATHWAY_COMPLETED = "pathway_completed"
    MOVED_AWAY = "moved_away"
    LEFT_COUNTRY = "left_country"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"
    DECEASED = "deceased"
    DUPLICATE = "duplicate"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.PATHWAY_COMPLETED: _l("Pathway completed"),
            cls.MOVED_AWAY: _l("Moved to another municipality"),
            cls.LEFT_COUNTRY: _l("Left the country"),
            cls.NO_LONGER_ELIGIBLE: _l("No longer eligible"),
            cls.DECEASED: _l("Deceased"),
            cls.DUPLICATE: _l("Duplicate file"),
            cls.OTHER: _l("Other reason"),
        }


# The longest word of a name that the name search tells apart (longer ones are cut here).
NAME_WORD_LENGTH = 100

# Sensitive flags: column name -> label. Never shown to providers; every view is audited.
SENSITIVE_FLAGS = {
    "unaccompanied_minor": _l("Unaccompanied minor"),
    "disability": _l("Disability"),
    "health_need": _l("Health need"),
    "psychosocial_need": _l("Psychosocial need"),
    "single_parent": _l("Single parent"),
    "trafficking_victim": _l("Victim of trafficking"),
}


class Case(TimestampMixin, db.Model):
    """One newcomer's file in one municipality."""

    __tablename__ = "case_file"
    __table_args__ = (
        sa.UniqueConstraint("municipality_id", "reference"),
        sa.Index("ix_case_file_caseload", "municipality_id", "caseworker_id", "status"),
        sa.Index("ix_case_file_permit_number", "municipality_id", "permit_number"),
        # One index per caseload order, each ending with the id that "Next" continues from.
        sa.Index("ix_case_file_permit_expires", "municipality_id", "permit_expires_on", "id"),
        # The open (or closed) files of all caseworkers: the capped count of a filter reads
        # them from the index, where PostgreSQL scanned the table; and in permit order.
        sa.Index("ix_case_file_status", "municipality_id", "status", "id"),
        sa.Index(
            "ix_case_file_status_permit_expires",
            "municipality_id",
            "status",
            "permit_expires_on",
            "id",
        ),
        # A caseworker's open files whose permit expires soonest (the caseworker's day).
        sa.Index(
            "ix_case_file_caseworker_permit",
            "municipality_id",
            "caseworker_id",
            "status",
            "permit_expires_on",
            "id",
        ),
        sa.Index(
            "ix_case_file_family_name",
            "municipality_id",
            "family_name_key",
            "given_names_key",
            "id",
        ),
        sa.Index(
            "ix_case_file_caseworker_name",
            "municipality_id",
            "caseworker_id",
            "family_name_key",
            "given_names_key",
            "id",
        ),
        sa.Index("ix_case_file_birth", "municipality_id", "date_of_birth"),
        # A caseworker's files ready to advance (few of them), and their open files quietest
        # first: both cost what the caseworker's day shows, not the size of the caseload.
        sa.Index(
            "ix_case_file_ready",
            "municipality_id",
            "caseworker_id",
            "id",
            postgresql_where=sa.text("ready_to_advance"),
            sqlite_where=sa.text("ready_to_advance"),
        ),
        sa.Index(
            "ix_case_file_caseworker_quiet",
            "municipality_id",
            "caseworker_id",
            "status",
            "last_recorded_at",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="RESTRICT")
    )
    reference: Mapped[str] = mapped_column(sa.String(32))
    # Names as the person writes them (any script), and an optional Latin transliteration.
    given_names: Mapped[str] = mapped_column(sa.String(120))
    family_name: Mapped[str] = mapped_column(sa.String(120))
    given_names_latin: Mapped[str | None] = mapped_column(sa.String(120))
    family_name_latin: Mapped[str | None] = mapped_column(sa.String(120))
    # Lower-case ASCII forms of every name, for accent- and script-insensitive search.
    name_key: Mapped[str] = mapped_column(sa.String(520))
    family_name_key: Mapped[str] = mapped_column(sa.String(240))
    given_names_key: Mapped[str] = mapped_column(sa.String(240))
    date_of_birth: Mapped[date]
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    country_of_birth: Mapped[str | None] = mapped_column(sa.String(2))
    preferred_language: Mapped[str] = mapped_column(sa.String(8))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    residence_category: Mapped[ResidenceCategory] = mapped_column(
        enum_column(ResidenceCategory, "residence_category")
    )
    permit_number: Mapped[str | None] = mapped_column(sa.String(40))
    permit_issued_on: Mapped[date | None]
    permit_expires_on: Mapped[date | None]
    arrived_in_country_on: Mapped[date | None]
    arrived_in_municipality_on: Mapped[date | None]
    caseworker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # The newcomer's own portal account, once one is opened.
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), unique=True)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, "stage"))
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, "status"), default=CaseStatus.ACTIVE, server_default="active"
    )
    closing_reason: Mapped[ClosingReason | None] = mapped_column(
        enum_column(ClosingReason, "closing_reason")
    )
    closed_on: Mapped[date | None]
    # Kept by the pathway in the transaction that changes what they are read from, so that the
    # caseload's notice and the caseworker's day read them from an index instead of evaluating
    # every open file (pathway.services, "readiness and quiet files kept on the case").
    ready_to_advance: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    last_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unaccompanied_minor: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    disability: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    health_need: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    psychosocial_need: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    single_parent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    trafficking_victim: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Bumped on every change, so that an edit based on an outdated page is noticed.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    caseworker = relationship("User", foreign_keys=[caseworker_id], lazy="raise")
    account = relationship("User", foreign_keys=[account_id], lazy="raise")
    municipality = relationship("Municipality", lazy="raise")
    nationalities: Mapped[list["CaseNationality"]] = relationship(
        cascade="all, delete-orphan", order_by="CaseNationality.position", lazy="raise"
    )
    languages: Mapped[list["CaseLanguage"]] = relationship(
        cascade="all, delete-orphan", order_by="CaseLanguage.position", lazy="raise"
    )
    notes: WriteOnlyMapped["CaseNote"] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @classmethod
    def tenant_filter(cls, user):
        """Caseworkers see the cases of their municipality; a newcomer only their own file.

        Administrators manage accounts, not case contents, and providers reach participants
        through enrolments only: neither sees a case file.
        """
        if user.role == Role.CASEWORKER:
            in_town = cls.municipality_id == user.municipality_id
            if not user.municipality.need_to_know:
                return in_town
            # Need to know: the files of this caseworker and of the colleagues of their office.
            mine = cls.caseworker_id == user.id
            if user.organisation_id is None:
                return sa.and_(in_town, mine)
            team = sa.select(User.id).where(User.organisation_id == user.organisation_id)
            return sa.and_(in_town, sa.or_(mine, cls.caseworker_id.in_(team)))
        if user.role == Role.MIGRANT:
            return cls.account_id == user.id
        return sa.false()

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def latin_name(self) -> str | None:
        if not (self.given_names_latin or self.family_name_latin):
            return None
        return " ".join(part for part in (self.given_names_latin, self.family_name_latin) if part)

    @property
    def active_flags(self) -> list[str]:
        return [name for name in SENSITIVE_FLAGS if getattr(self, name)]

    def __repr__(self) -> str:
        return f"<Case {self.reference}>"


class CaseNationality(db.Model):
    __tablename__ = "case_nationality"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "country_code"),
        # The caseload filtered by nationality, in name order: a walk of this index, however
        # the people of one nationality cluster in the alphabet.
        sa.Index(
            "ix_case_nationality_by_name",
            "country_code",
            "municipality_id",
            "family_name_key",
            "given_names_key",
            "case_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(sa.String(2))
    position: Mapped[int] = mapped_column(default=0)
    # The file's, copied by cases.services when it is flushed (None until then).
    municipality_id: Mapped[int | None]
    family_name_key: Mapped[str | None] = mapped_column(sa.String(240))
    given_names_key: Mapped[str | None] = mapped_column(sa.String(240))


class CaseNameWord(db.Model):
    """One word of a file's names (``name_key``), beside the file's municipality and name
    keys: the name search walks the files with a word in name order, reading only the page
    it shows however many files share a name. Kept by cases.services when a file is flushed.
    """

    __tablename__ = "case_name_word"
    __table_args__ = (
        sa.Index(
            "ix_case_name_word_by_name",
            "municipality_id",
            "word",
            "family_name_key",
            "given_names_key",
            "case_id",
        ),
    )

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), primary_key=True
    )
    word: Mapped[str] = mapped_column(sa.String(NAME_WORD_LENGTH), primary_key=True)
    municipality_id: Mapped[int]
    family_name_key: Mapped[str] = mapped_column(sa.String(240))
    given_names_key: Mapped[str] = mapped_column(sa.String(240))


class CaseLanguage(db.Model):
    __tablename__ = "case_language"
    __table_args__ = (sa.UniqueConstraint("case_id", "language_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    language_code: Mapped[str] = mapped_column(sa.String(8))
    mother_tongue: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class ReferenceCounter(db.Model):
    """The last case number given out per municipality and year (one row, locked on use)."""

    __tablename__ = "reference_counter"

    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Relation(LabelledEnum):
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.SPOUSE: _l("Spouse or partner"),
            cls.CHILD: _l("Child"),
            cls.PARENT: _l("Parent"),
            cls.SIBLING: _l("Sibling"),
            cls.OTHER: _l("Other relative"),
        }

    @property
    def inverse(self) -> "Relation":
        return {Relation.CHILD: Relation.PARENT, Relation.PARENT: Relation.CHILD}.get(self, self)


class HouseholdLink(db.Model):
    """A family tie between two case files, stored once in each direction."""

    __tablename__ = "household_link"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "relative_id"),
        sa.CheckConstraint("case_id != relative_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    relative_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    relation: Mapped[Relation] = mapped_column(enum_column(Relation, "relation"))

    relative: Mapped[Case] = relationship(foreign_keys=[relative_id], lazy="raise")


class Dependant(db.Model):
    """A family member without a file of their own (used for childcare needs)."""

    __tablename__ = "dependant"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(160))
    birth_year: Mapped[int]
    relation: Mapped[Relation] = mapped_column(enum_column(Relation, "relation"))


class ConsentPurpose(LabelledEnum):
    CASE_MANAGEMENT = "case_management"
    PROVIDER_SHARING = "provider_sharing"
    STATISTICS = "statistics"

    @classmethod
    def labels(cls):
        return {
            cls.CASE_MANAGEMENT: _l("Case management"),
            cls.PROVIDER_SHARING: _l("Sharing participation data with course providers"),
            cls.STATISTICS: _l("Anonymous statistics"),
        }


class ConsentMethod(LabelledEnum):
    WRITTEN = "written"
    VERBAL = "verbal"
    PORTAL = "portal"

    @classmethod
    def labels(cls):
        return {
            cls.WRITTEN: _l("Signed form"),
            cls.VERBAL: _l("Verbally, with an interpreter if needed"),
            cls.PORTAL: _l("In the portal"),
        }


class Consent(db.Model):
    """A consent given for one purpose; withdrawal is recorded, never deleted."""

    __tablename__ = "consent"
    __table_args__ = (sa.Index("ix_consent_case_purpose", "case_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column(ConsentPurpose, "purpose"))
    given_on: Mapped[date]
    method: Mapped[ConsentMethod] = mapped_column(enum_column(ConsentMethod, "method"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_on: Mapped[date | None]

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None


class NoteCategory(LabelledEnum):
    GENERAL = "general"
    HOUSING = "housing"
    HEALTH = "health"
    LANGUAGE = "language"
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    FAMILY = "family"
    LEGAL = "legal"

    @classmethod
    def labels(cls):
        return {
            cls.GENERAL: _l("General"),
            cls.HOUSING: _l("Housing"),
            cls.HEALTH: _l("Health"),
            cls.LANGUAGE: _l("Language learning"),
            cls.EMPLOYMENT: _l("Work"),
            cls.EDUCATION: _l("Education and training"),
            cls.FAMILY: _l("Family"),
            cls.LEGAL: _l("Residence and legal matters"),
        }


class CaseNote(db.Model):
    """A note on a case. Never edited: a correction is a new note that amends it."""

    __tablename__ = "case_note"
    __table_args__ = (sa.Index("ix_case_note_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    category: Mapped[NoteCategory] = mapped_column(enum_column(NoteCategory, "category"))
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    amends_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_note.id"), index=True)

    author = relationship("User", lazy="raise")


class CaseImport(db.Model):
    """An uploaded CSV file kept between its preview and the all-or-nothing import."""

    __tablename__ = "case_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE")
    )
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.Text)
    row_count: Mapped[int] = mapped_column(default=0)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @classmethod
    def tenant_filter(cls, user):
        return cls.municipality_id == user.municipality_id


def _personal(label, labels=None) -> AuditedField:
    return AuditedField(label, personal=True, labels=labels)


register_audited_fields(
    "Case",
    reference=AuditedField(_l("Reference")),
    given_names=_personal(_l("Given names")),
    family_name=_personal(_l("Family name")),
    given_names_latin=_personal(_l("Given names in Latin letters")),
    family_name_latin=_personal(_l("Family name in Latin letters")),
    date_of_birth=_personal(_l("Date of birth")),
    sex=_personal(_l("Sex"), Sex),
    country_of_birth=_personal(_l("Country of birth")),
    nationalities=_personal(_l("Nationalities")),
    languages=_personal(_l("Languages")),
    preferred_language=AuditedField(_l("Preferred language")),
    phone=_personal(_l("Phone")),
    email=_personal(_l("E-mail address")),
    address=_personal(_l("Address")),
    residence_category=_personal(_l("Residence category"), ResidenceCategory),
    permit_number=_personal(_l("Residence permit number")),
    permit_issued_on=_personal(_l("Permit issued on")),
    permit_expires_on=_personal(_l("Permit expires on")),
    arrived_in_country_on=_personal(_l("Arrival in the country")),
    arrived_in_municipality_on=_personal(_l("Arrival in the municipality")),
    caseworker_id=AuditedField(_l("Caseworker")),
    stage=AuditedField(_l("Stage"), labels=Stage),
    stage_reason=_personal(_l("Reason for the move")),
    flags=_personal(_l("Sensitive needs")),
    **{flag: _personal(label) for flag, label in SENSITIVE_FLAGS.items()},
    note=AuditedField(_l("Note")),
    relation=AuditedField(_l("Relation"), labels=Relation),
    relative=AuditedField(_l("Relative's file")),
    dependant=_personal(_l("Family member")),
    purpose=AuditedField(_l("Purpose"), labels=ConsentPurpose),
    given_on=AuditedField(_l("Given on")),
    withdrawn_on=AuditedField(_l("Withdrawn on")),
    reason=AuditedField(_l("Reason"), labels=ClosingReason),
    account=_personal(_l("Portal account")),
)
register_audited_fields(
    "CaseImport",
    file=AuditedField(_l("File")),
    rows=AuditedField(_l("Rows")),
    skipped=AuditedField(_l("Rows skipped")),
)
register_audited_fields(
    "",
    flag=AuditedField(_l("Needs"), labels=SENSITIVE_FLAGS),
    rows=AuditedField(_l("Rows")),
    filters=_personal(_l("Filters")),
)

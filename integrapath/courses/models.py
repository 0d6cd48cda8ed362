"""The course catalogue, its offerings and sessions, enrolments and attendance."""

from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..assessments.models import CefrLevel
from ..audit import AuditedField, register_audited_fields
from ..cases.models import Case
from ..extensions import TimestampMixin, UTCDateTime, db, enum_column, utcnow
from ..i18n import LabelledEnum
from ..security import Role


class CourseType(LabelledEnum):
    LANGUAGE = "language"
    CIVIC_ORIENTATION = "civic_orientation"
    INTRODUCTION = "introduction"
    VOCATIONAL = "vocational"
    DIGITAL_SKILLS = "digital_skills"
    PRE_DEPARTURE = "pre_departure"

    @classmethod
    def labels(cls):
        return {
            cls.LANGUAGE: _l("Language course"),
            cls.CIVIC_ORIENTATION: _l("Civic orientation course"),
            cls.INTRODUCTION: _l("Introduction course"),
            cls.VOCATIONAL: _l("Vocational course"),
            cls.DIGITAL_SKILLS: _l("Digital skills course"),
            cls.PRE_DEPARTURE: _l("Pre-departure course"),
        }


def _provider_scope(cls, user):
    """Providers see their own organisation's; municipal staff see their municipality's."""
    if user.role == Role.PROVIDER:
        return cls.organisation_id == user.organisation_id
    if user.role in (Role.ADMIN, Role.CASEWORKER):
        return cls.municipality_id == user.municipality_id
    return sa.false()


class Course(TimestampMixin, db.Model):
    """A course of a provider's catalogue, run as one or more offerings."""

    __tablename__ = "course"
    __table_args__ = (sa.Index("ix_course_organisation", "organisation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT")
    )
    course_type: Mapped[CourseType] = mapped_column(enum_column(CourseType, "course_type"))
    # The language the course's own title and description are written in (the fallback).
    own_locale: Mapped[str] = mapped_column(sa.String(8))
    hours: Mapped[int]
    target_language: Mapped[str | None] = mapped_column(sa.String(8))
    entry_level: Mapped[CefrLevel | None] = mapped_column(enum_column(CefrLevel, "entry_level"))
    target_level: Mapped[CefrLevel | None] = mapped_column(enum_column(CefrLevel, "target_level"))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    organisation = relationship("Organisation", lazy="raise")
    texts: Mapped[list["CourseText"]] = relationship(
        cascade="all, delete-orphan", order_by="CourseText.locale", lazy="selectin"
    )

    tenant_filter = classmethod(_provider_scope)

    def text_in(self, locale: str) -> "CourseText":
        """The title and description in ``locale``, else in the course's own language."""
        by_locale = {text.locale: text for text in self.texts}
        return (
            by_locale.get(locale)
            or by_locale.get(locale.split("_")[0])
            or by_locale.get(self.own_locale)
            or self.texts[0]
        )

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.course_type}>"


class CourseText(db.Model):
    """A course's title and description in one language."""

    __tablename__ = "course_text"
    __table_args__ = (sa.UniqueConstraint("course_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)


class Offering(TimestampMixin, db.Model):
    """One run of a course: dates, a weekly schedule, a place and a number of places.

    Times are local to the municipality (its time zone), as the timetable says them.
    """

    __tablename__ = "offering"
    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("end_date >= start_date", name="ends_after_start"),
        sa.CheckConstraint(
            "attendance_threshold BETWEEN 0 AND 100", name="threshold_is_a_percentage"
        ),
        sa.Index("ix_offering_organisation", "organisation_id", "start_date"),
        sa.Index("ix_offering_municipality", "municipality_id", "start_date"),
        # The runs not yet over (suggestions), without reading the years of past runs.
        sa.Index("ix_offering_municipality_end", "municipality_id", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="RESTRICT"))
    # Copied from the course, so that every scoped query filters one table.
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="RESTRICT")
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT")
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    # ISO weekdays of the weekly schedule, e.g. "1 3" for Monday and Wednesday.
    weekdays: Mapped[str] = mapped_column(sa.String(20))
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    place: Mapped[str | None] = mapped_column(sa.String(300))
    online: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    capacity: Mapped[int]
    # Language codes of instruction, separated by spaces.
    instruction_languages: Mapped[str] = mapped_column(sa.String(100))
    childcare: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    attendance_threshold: Mapped[int] = mapped_column(default=80, server_default="80")

    course: Mapped[Course] = relationship()
    municipality = relationship("Municipality", lazy="raise")

    tenant_filter = classmethod(_provider_scope)

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(day) for day in self.weekdays.split()]

    @property
    def languages(self) -> list[str]:
        return self.instruction_languages.split()

    def __repr__(self) -> str:
        return f"<Offering {self.id} course={self.course_id}>"


def _through_offering(cls, user):
    return cls.offering_id.in_(sa.select(Offering.id).where(Offering.tenant_filter(user)))


class CourseSession(db.Model):
    """One meeting of an offering, on a local date between local times."""

    __tablename__ = "course_session"
    __table_args__ = (sa.Index("ix_course_session_offering_date", "offering_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"))
    date: Mapped[date]
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    cancelled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))

    offering: Mapped[Offering] = relationship()

    tenant_filter = classmethod(_through_offering)

    def __repr__(self) -> str:
        return f"<CourseSession {self.id} {self.date}>"


class EnrolmentStatus(LabelledEnum):
    WAITLISTED = "waitlisted"
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"
    FAILED = "failed"

    @classmethod
    def labels(cls):
        return {
            cls.WAITLISTED: _l("On the waiting list"),
            cls.ENROLLED: _l("Enrolled"),
            cls.COMPLETED: _l("Completed"),
            cls.DROPPED_OUT: _l("Dropped out"),
            cls.FAILED: _l("Did not pass"),
        }


class Enrolment(TimestampMixin, db.Model):
    """A case's place (or place on the waiting list) in an offering, and its result."""

    __tablename__ = "enrolment"
    __table_args__ = (
        sa.UniqueConstraint("offering_id", "case_id"),
        sa.Index("ix_enrolment_case", "case_id"),
        sa.Index("ix_enrolment_offering_status", "offering_id", "status", "id"),
        # A caseworker's people in a course now (their day's attendance alerts), read file
        # by file: through the index of every enrolment, one caseworker's day read 3,388
        # enrolments to find 140.
        sa.Index(
            "ix_enrolment_enrolled",
            "case_id",
            postgresql_where=sa.text("status = 'enrolled'"),
            sqlite_where=sa.text("status = 'enrolled'"),
        ),
        # The few places freed for someone whose caseworker has not looked yet (a notice on
        # every caseload page): without it, every enrolment of the register is read.
        sa.Index(
            "ix_enrolment_promoted_unseen",
            "case_id",
            postgresql_where=sa.text("promoted_unseen"),
            sqlite_where=sa.text("promoted_unseen"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_file.id", ondelete="CASCADE"))
    status: Mapped[EnrolmentStatus] = mapped_column(enum_column(EnrolmentStatus, "status"))
    # Arrival order on the waiting list: the sequence of the request, kept when promoted.
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The local day the place began: attendance counts only sessions from then on.
    enrolled_on: Mapped[date | None]
    enrolled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Set when a freed place went to this person, until their caseworker has seen it.
    promoted_unseen: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    passed: Mapped[bool | None]
    level_reached: Mapped[CefrLevel | None] = mapped_column(enum_column(CefrLevel, "level_reached"))
    certificate_number: Mapped[str | None] = mapped_column(sa.String(80))
    certificate_issuer: Mapped[str | None] = mapped_column(sa.String(160))
    result_on: Mapped[date | None]
    # Sessions marked for this person and those they came to (present or late), kept by the
    # attendance service in the same transaction: reports sum them instead of every mark.
    marked_sessions: Mapped[int] = mapped_column(default=0, server_default="0")
    attended_sessions: Mapped[int] = mapped_column(default=0, server_default="0")

    offering: Mapped[Offering] = relationship()
    case: Mapped[Case] = relationship(lazy="raise")

    @classmethod
    def tenant_filter(cls, user):
        """Providers reach participants of their own offerings, caseworkers their
        municipality's; administrators and newcomers see no enrolment here."""
        if user.role not in (Role.PROVIDER, Role.CASEWORKER):
            return sa.false()
        return _through_offering(cls, user)

    def __repr__(self) -> str:
        return f"<Enrolment {self.id} {self.status}>"


class EnrolmentChange(db.Model):
    """One change of an enrolment's status: when, by whom and why."""

    __tablename__ = "enrolment_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[EnrolmentStatus | None] = mapped_column(
        enum_column(EnrolmentStatus, "from_status")
    )
    to_status: Mapped[EnrolmentStatus] = mapped_column(enum_column(EnrolmentStatus, "to_status"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))

    changed_by = relationship("User", lazy="raise")


class AttendanceStatus(LabelledEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"

    @classmethod
    def labels(cls):
        return {
            cls.PRESENT: _l("Present"),
            cls.LATE: _l("Late"),
            cls.EXCUSED: _l("Excused"),
            cls.ABSENT: _l("Absent"),
        }


class Attendance(db.Model):
    """Whether a participant came to a session; one row per session and enrolment."""

    __tablename__ = "attendance"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "enrolment_id"),
        sa.Index("ix_attendance_enrolment", "enrolment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_session.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolment.id", ondelete="CASCADE"))
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "status"))
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tenant_filter = classmethod(
        lambda cls, user: cls.session_id.in_(
            sa.select(CourseSession.id).where(CourseSession.tenant_filter(user))
        )
    )


class AttendanceUpload(db.Model):
    """An uploaded attendance file kept between its preview and the all-or-nothing save."""

    __tablename__ = "attendance_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_session.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.Text)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tenant_filter = classmethod(
        lambda cls, user: sa.and_(
            cls.uploaded_by_id == user.id,
            cls.session_id.in_(
                sa.select(CourseSession.id).where(CourseSession.tenant_filter(user))
            ),
        )
    )


register_audited_fields(
    "Course",
    course_type=AuditedField(_l("Type of course"), labels=CourseType),
    title=AuditedField(_l("Title")),
    hours=AuditedField(_l("Hours")),
    target_language=AuditedField(_l("Target language")),
    entry_level=AuditedField(_l("Entry level"), labels=CefrLevel),
    target_level=AuditedField(_l("Target level"), labels=CefrLevel),
    locale=AuditedField(_l("Language of the text")),
)
register_audited_fields(
    "Offering",
    start_date=AuditedField(_l("Start date")),
    end_date=AuditedField(_l("End date")),
    capacity=AuditedField(_l("Places")),
    place=AuditedField(_l("Place")),
    attendance_threshold=AuditedField(_l("Attendance threshold in percent")),
    sessions=AuditedField(_l("Sessions")),
    session_date=AuditedField(_l("Session date")),
    cancel_reason=AuditedField(_l("Reason for cancelling")),
)
register_audited_fields(
    "Enrolment",
    status=AuditedField(_l("Status"), labels=EnrolmentStatus),
    case=AuditedField(_l("Reference")),
    reason=AuditedField(_l("Reason"), personal=True),
    passed=AuditedField(_l("Passed")),
    level_reached=AuditedField(_l("Level reached"), labels=CefrLevel),
    certificate_number=AuditedField(_l("Certificate number")),
    attendance=AuditedField(_l("Attendance"), labels=AttendanceStatus),
    session_date=AuditedField(_l("Session date")),
)

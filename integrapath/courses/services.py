"""Rules for courses: catalogue, offerings and their sessions, enrolment with a waiting list,
attendance, results, and the rates that tell a caseworker who is falling behind.

Places are handed out under a lock on the offering row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's IMMEDIATE transactions already let one writer in at a time), so two
caseworkers taking the last place at the same moment never both get it. Attendance is one
row per session and participant, written with an upsert under a lock on the session, so a
re-submission (even two at once) updates and never duplicates.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.models import Municipality, Organisation, OrganisationKind, User
from ..assessments.models import AssessmentSource, LanguageSkill
from ..assessments.services import AssessmentData, language_levels, record_assessment
from ..audit import diff, plain_value, record_event
from ..cases.models import Case, CaseLanguage, CaseStatus, Dependant, Relation
from ..cases.services import ParticipantView, participant_views
from ..errors import RuleBroken
from ..extensions import db, read_once, rows_of_each, utcnow
from ..security import Role, scoped
from .models import (
    Attendance,
    AttendanceStatus,
    CefrLevel,
    Course,
    CourseSession,
    CourseText,
    CourseType,
    Enrolment,
    EnrolmentChange,
    EnrolmentStatus,
    Offering,
)

ACTIVE = (EnrolmentStatus.ENROLLED,)
# Statuses whose attendance still counts on the register and in the rates.
ON_REGISTER = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED)
CHILDCARE_AGE = 6  # children younger than this need care while a parent attends
MAX_SESSIONS = 400


class CourseError(RuleBroken):
    """A rule about courses, enrolment or attendance was broken."""


def _today(municipality_id: int) -> date:
    return db.session.get(Municipality, municipality_id).today()


# -- catalogue -----------------------------------------------------------------------------


def provider_organisations(actor: User) -> list[Organisation]:
    """The course providers whose catalogue ``actor`` manages: their own, or (admins) all
    active course providers of the municipality."""
    statement = select(Organisation).where(
        Organisation.municipality_id == actor.municipality_id,
        Organisation.kind == OrganisationKind.COURSE_PROVIDER,
    )
    if actor.role == Role.PROVIDER:
        statement = statement.where(Organisation.id == actor.organisation_id)
    else:
        statement = statement.where(Organisation.active.is_(True))
    return list(db.session.scalars(statement.order_by(Organisation.name)))


@dataclass
class CourseData:
    values: dict  # course_type, hours, target_language, entry_level, target_level
    organisation_id: int
    locale: str
    title: str
    description: str | None = None


def _check_course(data: CourseData, actor: User) -> None:
    if data.organisation_id not in {org.id for org in provider_organisations(actor)}:
        raise CourseError(_l("Choose a course provider of your municipality."), "organisation_id")
    values = data.values
    if values["course_type"] == CourseType.LANGUAGE:
        if not values.get("target_language"):
            raise CourseError(_l("A language course needs its target language."), "target_language")
        entry, target = values.get("entry_level"), values.get("target_level")
        if not entry or not target:
            raise CourseError(_l("Give the entry and the target level."), "target_level")
        if CefrLevel(target).rank <= CefrLevel(entry).rank:
            raise CourseError(_l("The target level must be above the entry level."), "target_level")
    else:
        values.update(target_language=None, entry_level=None, target_level=None)


def save_course(course: Course | None, data: CourseData, actor: User) -> Course:
    """Create a course, or change one; the title and description are kept per language.

    :raise CourseError: for another provider's organisation or an incomplete language course.
    """
    _check_course(data, actor)
    values = {**data.values, "organisation_id": data.organisation_id}
    if course is None:
        course = Course(municipality_id=actor.municipality_id, own_locale=data.locale, **values)
        db.session.add(course)
        changes = {"course_type": [None, plain_value(course.course_type)]}
        action = "course_created"
    else:
        changes = diff(course, values)
        for name, value in values.items():
            setattr(course, name, value)
        action = "course_updated"
    text = next((text for text in course.texts if text.locale == data.locale), None)
    if text is None:
        course.texts.append(text := CourseText(locale=data.locale, title="", description=None))
    if text.title != data.title.strip():
        changes["title"] = [text.title or None, data.title.strip()]
        changes["locale"] = [None, data.locale]
    text.title, text.description = data.title.strip(), (data.description or "").strip() or None
    db.session.flush()
    record_event(action, course, actor=actor, changes=changes)
    return course


def courses_of(actor: User) -> list[Course]:
    return list(
        db.session.scalars(
            scoped(select(Course), actor)
            .options(selectinload(Course.texts), joinedload(Course.organisation))
            .order_by(Course.id)
        )
    )


# -- offerings and sessions ----------------------------------------------------------------


def schedule_dates(start: date, end: date, weekdays: Iterable[int]) -> list[date]:
    """The dates from ``start`` to ``end`` that fall on the ISO ``weekdays``."""
    days = set(weekdays)
    return [
        start + timedelta(days=offset)
        for offset in range((end - start).days + 1)
        if (start + timedelta(days=offset)).isoweekday() in days
    ]


def _check_offering(values: dict) -> list[date]:
    if values["end_date"] < values["start_date"]:
        raise CourseError(_l("The course cannot end before it starts."), "end_date")
    if values["ends_at"] <= values["starts_at"]:
        raise CourseError(_l("A session must end after it starts."), "ends_at")
    if not values.get("online") and not (values.get("place") or "").strip():
        raise CourseError(_l("Give the place, or say that the course is online."), "place")
    dates = schedule_dates(values["start_date"], values["end_date"], values["weekday_numbers"])
    if not dates:
        raise CourseError(_l("No session falls on these weekdays between the dates."), "weekdays")
    if len(dates) > MAX_SESSIONS:
        raise CourseError(_l("That is more than 400 sessions; shorten the period."), "end_date")
    return dates


def create_offering(course: Course, values: dict, actor: User) -> Offering:
    """Schedule a run of ``course``; its sessions are generated from the weekly schedule.

    :raise CourseError: for impossible dates or times, or no place given.
    """
    dates = _check_offering(values)
    weekday_numbers = values.pop("weekday_numbers")
    offering = Offering(
        course_id=course.id,
        municipality_id=course.municipality_id,
        organisation_id=course.organisation_id,
        weekdays=" ".join(str(day) for day in sorted(weekday_numbers)),
        **values,
    )
    db.session.add(offering)
    db.session.flush()
    db.session.add_all(
        CourseSession(
            offering_id=offering.id,
            date=day,
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
        )
        for day in dates
    )
    record_event(
        "offering_created",
        offering,
        actor=actor,
        changes={
            "start_date": [None, values["start_date"].isoformat()],
            "sessions": [None, len(dates)],
        },
    )
    return offering


def update_offering(offering: Offering, values: dict, actor: User) -> None:
    """Change the place, places, languages, childcare or threshold of an offering.

    The sessions stay as they are (moved, cancelled or added one by one); a smaller capacity
    never takes a place away from someone enrolled.

    :raise CourseError: when fewer places remain than people enrolled.
    """
    locked = _lock_offering(offering.id)
    if values["capacity"] < _enrolled_count(locked.id):
        raise CourseError(_l("More people are enrolled than that."), "capacity")
    if not values.get("online") and not (values.get("place") or "").strip():
        raise CourseError(_l("Give the place, or say that the course is online."), "place")
    changes = diff(offering, values)
    for name, value in values.items():
        setattr(offering, name, value)
    if changes:
        record_event("offering_updated", offering, actor=actor, changes=changes)
    _fill_free_places(offering, actor)


def add_session(offering: Offering, day: date, starts_at: time, ends_at: time, actor: User):
    if ends_at <= starts_at:
        raise CourseError(_l("A session must end after it starts."), "ends_at")
    session = CourseSession(offering_id=offering.id, date=day, starts_at=starts_at, ends_at=ends_at)
    db.session.add(session)
    db.session.flush()
    record_event(
        "session_added", offering, actor=actor, changes={"session_date": [None, day.isoformat()]}
    )
    return session


def move_session(session: CourseSession, day: date, starts_at: time, ends_at: time, actor: User):
    """Move a session to another day or time.

    :raise CourseError: when it ends before it starts, or attendance was taken already.
    """
    if ends_at <= starts_at:
        raise CourseError(_l("A session must end after it starts."), "ends_at")
    if _attendance_taken(session):
        raise CourseError(_l("Attendance was taken for this session; it cannot move."))
    record_event(
        "session_moved",
        session.offering,
        actor=actor,
        changes={"session_date": [session.date.isoformat(), day.isoformat()]},
    )
    session.date, session.starts_at, session.ends_at = day, starts_at, ends_at


def cancel_session(session: CourseSession, reason: str, actor: User) -> None:
    """Cancel a session with a reason; it stays on the timetable, crossed out.

    :raise CourseError: when it is cancelled already or attendance was taken.
    """
    if session.cancelled:
        raise CourseError(_l("This session is cancelled already."))
    if _attendance_taken(session):
        raise CourseError(_l("Attendance was taken for this session; it cannot be cancelled."))
    session.cancelled, session.cancel_reason = True, reason.strip()
    record_event(
        "session_cancelled",
        session.offering,
        actor=actor,
        changes={"session_date": [None, session.date.isoformat()], "cancel_reason": [None, reason]},
    )


def _attendance_taken(session: CourseSession) -> bool:
    return bool(
        db.session.scalar(select(Attendance.id).where(Attendance.session_id == session.id).limit(1))
    )


def offerings_of(actor: User, *, current_on: date | None = None) -> list[Offering]:
    """The offerings ``actor`` may see, newest first; with ``current_on``, only those that
    have not ended by then."""
    statement = scoped(select(Offering), actor).options(
        joinedload(Offering.course).selectinload(Course.texts),
        joinedload(Offering.course).joinedload(Course.organisation),
    )
    if current_on is not None:
        statement = statement.where(Offering.end_date >= current_on)
    return list(db.session.scalars(statement.order_by(Offering.start_date.desc(), Offering.id)))


def sessions_of(offering: Offering) -> list[CourseSession]:
    return list(
        db.session.scalars(
            select(CourseSession)
            .where(CourseSession.offering_id == offering.id)
            .order_by(CourseSession.date, CourseSession.starts_at, CourseSession.id)
        )
    )


def sessions_on(actor: User, day: date) -> list[CourseSession]:
    """The sessions of ``actor``'s offerings on ``day`` (a provider's "today")."""
    return list(
        db.session.scalars(
            scoped(select(CourseSession), actor)
            .where(CourseSession.date == day)
            .options(
                joinedload(CourseSession.offering)
                .joinedload(Offering.course)
                .selectinload(Course.texts)
            )
            .order_by(CourseSession.starts_at, CourseSession.id)
        )
    )


def load_session(session_id: int, actor: User) -> CourseSession | None:
    return db.session.scalar(
        scoped(select(CourseSession).where(CourseSession.id == session_id), actor).options(
            joinedload(CourseSession.offering)
            .joinedload(Offering.course)
            .selectinload(Course.texts)
        )
    )


# -- enrolment -----------------------------------------------------------------------------


def _lock_offering(offering_id: int) -> Offering:
    """Take the offering's row lock: places are counted and given out one at a time."""
    return db.session.scalar(select(Offering).where(Offering.id == offering_id).with_for_update())


def _enrolled_count(offering_id: int) -> int:
    return db.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.offering_id == offering_id, Enrolment.status == EnrolmentStatus.ENROLLED
        )
    )


def _keep_history(enrolment, from_status, actor, reason) -> None:
    db.session.add(
        EnrolmentChange(
            enrolment_id=enrolment.id,
            from_status=from_status,
            to_status=enrolment.status,
            changed_by_id=getattr(actor, "id", None),
            reason=(reason or "").strip() or None,
        )
    )


def _change(enrolment, to_status, actor, reason=None, *, action="enrolment_changed") -> None:
    from_status = enrolment.status
    enrolment.status = to_status
    _keep_history(enrolment, from_status, actor, reason)
    record_event(
        action,
        enrolment,
        actor=actor,
        municipality_id=enrolment.offering.municipality_id,
        changes={
            "status": [plain_value(from_status), to_status.value],
            **({"reason": [None, reason.strip()]} if reason and reason.strip() else {}),
        },
    )


def enrol_case(offering: Offering, case: Case, actor: User, reason: str | None = None):
    """Give ``case`` a place in ``offering``, or a place on its waiting list when it is full.

    :raise CourseError: when the case is closed, of another municipality, or already on it,
        or the offering has ended.
    """
    if case.municipality_id != offering.municipality_id or case.status != CaseStatus.ACTIVE:
        raise CourseError(_l("Only an open case of your municipality can be enrolled."))
    today = _today(offering.municipality_id)
    locked = _lock_offering(offering.id)
    if locked.end_date < today:
        raise CourseError(_l("This course has ended."))
    exists = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.offering_id == offering.id, Enrolment.case_id == case.id
        )
    )
    if exists:
        raise CourseError(_l("This person is on this course already."), "reference")
    full = _enrolled_count(offering.id) >= locked.capacity
    enrolment = Enrolment(
        offering_id=offering.id,
        case_id=case.id,
        status=EnrolmentStatus.WAITLISTED if full else EnrolmentStatus.ENROLLED,
        enrolled_on=None if full else max(today, locked.start_date),
        enrolled_by_id=actor.id,
    )
    enrolment.offering = locked
    db.session.add(enrolment)
    db.session.flush()
    _keep_history(enrolment, None, actor, reason)
    record_event(
        "case_waitlisted" if full else "case_enrolled",
        enrolment,
        actor=actor,
        municipality_id=offering.municipality_id,
        changes={"case": [None, case.reference], "status": [None, enrolment.status.value]},
    )
    return enrolment


def enrol_by_reference(offering: Offering, reference: str, actor: User) -> Enrolment:
    """Enrol the case with ``reference`` (of the actor's municipality).

    :raise CourseError: when no such case is visible to the actor.
    """
    case = db.session.scalar(
        scoped(select(Case), actor).where(Case.reference == reference.strip().upper())
    )
    if case is None:
        raise CourseError(_l("No case with this reference in your municipality."), "reference")
    return enrol_case(offering, case, actor)


# Who may move an enrolment to which status (results set completed and failed).
LEAVING = {
    EnrolmentStatus.WAITLISTED: {EnrolmentStatus.DROPPED_OUT},
    EnrolmentStatus.ENROLLED: {EnrolmentStatus.DROPPED_OUT},
}


def leave_offering(enrolment: Enrolment, actor: User, reason: str) -> None:
    """Take someone off a course (or its waiting list) with a reason; a freed place goes to
    the next person waiting.

    :raise CourseError: when the enrolment is finished already.
    """
    offering = _lock_offering(enrolment.offering_id)
    db.session.refresh(enrolment)
    if EnrolmentStatus.DROPPED_OUT not in LEAVING.get(enrolment.status, set()):
        raise CourseError(_l("This enrolment has ended already."))
    _change(enrolment, EnrolmentStatus.DROPPED_OUT, actor, reason)
    _fill_free_places(offering, actor)


def _fill_free_places(offering: Offering, actor: User) -> list[Enrolment]:
    """Give free places to the people waiting, in the order they asked (offering locked)."""
    free = offering.capacity - _enrolled_count(offering.id)
    if free <= 0:
        return []
    waiting = list(
        db.session.scalars(
            select(Enrolment)
            .where(
                Enrolment.offering_id == offering.id,
                Enrolment.status == EnrolmentStatus.WAITLISTED,
            )
            .order_by(Enrolment.requested_at, Enrolment.id)
            .limit(free)
        )
    )
    today = _today(offering.municipality_id)
    for enrolment in waiting:
        enrolment.offering = offering
        enrolment.enrolled_on = max(today, offering.start_date)
        enrolment.promoted_unseen = True
        _change(
            enrolment,
            EnrolmentStatus.ENROLLED,
            actor,
            str(_l("A place became free")),
            action="case_promoted",
        )
    return waiting


def promoted_unseen(caseworker: User) -> list[Enrolment]:
    """The caseworker's people who got a freed place since the caseworker last looked."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(Case, Case.id == Enrolment.case_id)
            # As the partial index says it (PostgreSQL does not match it to "IS true").
            .where(Enrolment.promoted_unseen, Case.caseworker_id == caseworker.id)
            .where(Enrolment.tenant_filter(caseworker))
            .options(
                joinedload(Enrolment.case),
                joinedload(Enrolment.offering)
                .joinedload(Offering.course)
                .selectinload(Course.texts),
            )
            .order_by(Enrolment.id)
        )
    )


def mark_promotions_seen(enrolments: list[Enrolment]) -> None:
    for enrolment in enrolments:
        enrolment.promoted_unseen = False


def enrolments_of_case(case: Case) -> list[Enrolment]:
    """The case's enrolments, newest first, with their course, its texts and its provider."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.case_id == case.id)
            .options(
                joinedload(Enrolment.offering)
                .joinedload(Offering.course)
                .options(selectinload(Course.texts), joinedload(Course.organisation))
            )
            .order_by(Enrolment.requested_at.desc(), Enrolment.id.desc())
        )
    )


def enrolment_history(enrolments: list[Enrolment]) -> dict[int, list[EnrolmentChange]]:
    """Every status change of ``enrolments`` (when, who, why), oldest first, in one query."""
    history: dict[int, list[EnrolmentChange]] = defaultdict(list)
    for change in db.session.scalars(
        select(EnrolmentChange)
        .where(EnrolmentChange.enrolment_id.in_([enrolment.id for enrolment in enrolments]))
        .options(joinedload(EnrolmentChange.changed_by))
        .order_by(EnrolmentChange.changed_at, EnrolmentChange.id)
    ):
        history[change.enrolment_id].append(change)
    return history


def enrolments_of(offering: Offering) -> list[Enrolment]:
    """Everyone on the offering: enrolled first, then the waiting list in its order."""
    order = sa.case((Enrolment.status == EnrolmentStatus.WAITLISTED, 1), else_=0)
    return list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.offering_id == offering.id)
            .options(joinedload(Enrolment.case))
            .order_by(order, Enrolment.requested_at, Enrolment.id)
        )
    )


def participants(enrolments: list[Enrolment]) -> dict[int, ParticipantView]:
    """What the provider may know of each participant, by enrolment id (one query)."""
    cases = db.session.scalars(
        select(Case).where(Case.id.in_({enrolment.case_id for enrolment in enrolments}))
    )
    views = participant_views(list(cases))
    return {enrolment.id: views[enrolment.case_id] for enrolment in enrolments}


# -- attendance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    status: AttendanceStatus
    reason: str | None = None


def register_of(session: CourseSession) -> list[Enrolment]:
    """The people whose attendance is taken at ``session``: on the course by that day."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .where(
                Enrolment.offering_id == session.offering_id,
                Enrolment.status.in_(ON_REGISTER),
                Enrolment.enrolled_on <= session.date,
            )
            .options(joinedload(Enrolment.case))
            .order_by(Enrolment.requested_at, Enrolment.id)
        )
    )


def marks_of(session: CourseSession) -> dict[int, Attendance]:
    return {
        row.enrolment_id: row
        for row in db.session.scalars(
            select(Attendance)
            .where(Attendance.session_id == session.id)
            .execution_options(populate_existing=True)
        )
    }


def record_attendance(session: CourseSession, marks: dict[int, Mark], actor: User) -> int:
    """Save the attendance of a session in one go; a second save corrects the first.

    Each participant gets one row per session (a unique constraint, written by an upsert
    while the session's row is locked), so saving again — or two people saving at the same
    moment — updates rather than duplicates. Each correction is audited with the old and
    the new mark and who made it. Returns how many marks changed.

    :raise CourseError: for a cancelled or future session, or a mark for someone not on its
        register.
    """
    db.session.scalar(
        select(CourseSession.id).where(CourseSession.id == session.id).with_for_update()
    )
    if session.cancelled:
        raise CourseError(_l("This session is cancelled."))
    if session.date > _today(session.offering.municipality_id):
        raise CourseError(_l("Attendance can be taken on the day of the session or later."))
    register = {enrolment.id: enrolment for enrolment in register_of(session)}
    if set(marks) - set(register):
        raise CourseError(_l("Someone on this list is not on the course on this day."))
    existing = marks_of(session)
    rows = []
    for enrolment_id, mark in marks.items():
        reason = (mark.reason or "").strip()[:300] or None
        if mark.status != AttendanceStatus.EXCUSED:
            reason = None
        before = existing.get(enrolment_id)
        if before is not None and before.status == mark.status and before.reason == reason:
            continue
        rows.append({"enrolment_id": enrolment_id, "status": mark.status.value, "reason": reason})
        record_event(
            "attendance_corrected" if before is not None else "attendance_recorded",
            register[enrolment_id],
            actor=actor,
            municipality_id=session.offering.municipality_id,
            changes={
                "session_date": [None, session.date.isoformat()],
                "attendance": [before.status.value if before else None, mark.status.value],
            },
        )
    if rows:
        _upsert_marks(session.id, rows, actor)
    return len(rows)


def _upsert_marks(session_id: int, rows: list[dict], actor: User) -> None:
    """Write every mark of a session in one statement: new rows, or updates of old ones."""
    table = Attendance.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    statement = insert(table).values(
        [
            {**row, "session_id": session_id, "recorded_by_id": actor.id, "recorded_at": now}
            for row in rows
        ]
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.session_id, table.c.enrolment_id],
            set_={
                name: statement.excluded[name]
                for name in ("status", "reason", "recorded_by_id", "recorded_at")
            },
        )
    )
    count_attended_sessions([row["enrolment_id"] for row in rows])


def count_attended_sessions(enrolment_ids: list[int]) -> None:
    """Recount the marked and attended sessions kept on each of ``enrolment_ids`` from their
    attendance rows, in the transaction that changed them (reports read only the sums)."""
    marks = select(func.count(Attendance.id)).where(Attendance.enrolment_id == Enrolment.id)
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id.in_(enrolment_ids))
        .values(
            marked_sessions=marks.scalar_subquery(),
            attended_sessions=marks.where(
                Attendance.status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE))
            ).scalar_subquery(),
        )
        .execution_options(synchronize_session=False)
    )


# -- results -------------------------------------------------------------------------------


@dataclass
class ResultData:
    passed: bool
    level_reached: CefrLevel | None = None
    certificate_number: str | None = None
    certificate_issuer: str | None = None
    result_on: date | None = None


def record_result(enrolment: Enrolment, data: ResultData, actor: User) -> None:
    """Record the exam result: the course is completed (passed) or failed.

    :raise CourseError: for someone not enrolled, a level on a course that is not a language
        course, or a certificate number without its issuer.
    """
    offering = enrolment.offering
    if enrolment.status not in ON_REGISTER:
        raise CourseError(_l("Only someone on the course can get a result."))
    today = _today(offering.municipality_id)
    result_on = data.result_on or today
    if result_on > today:
        raise CourseError(_l("The date cannot be in the future."), "result_on")
    if data.level_reached and offering.course.course_type != CourseType.LANGUAGE:
        raise CourseError(_l("Only a language course reaches a language level."), "level_reached")
    if data.certificate_number and not data.certificate_issuer:
        raise CourseError(_l("Give who issued the certificate."), "certificate_issuer")
    values = {
        "passed": data.passed,
        "level_reached": data.level_reached,
        "certificate_number": (data.certificate_number or "").strip() or None,
        "certificate_issuer": (data.certificate_issuer or "").strip() or None,
        "result_on": result_on,
    }
    changes = diff(enrolment, {k: v for k, v in values.items() if k != "result_on"})
    for name, value in values.items():
        setattr(enrolment, name, value)
    status = EnrolmentStatus.COMPLETED if data.passed else EnrolmentStatus.FAILED
    if enrolment.status != status:
        _change(enrolment, status, actor, action="result_recorded")
    if data.passed and data.level_reached and {"passed", "level_reached"} & set(changes):
        _assess_from_exam(enrolment, values, actor)
    if changes:
        record_event(
            "result_recorded",
            enrolment,
            actor=actor,
            municipality_id=offering.municipality_id,
            changes=changes,
        )


def _assess_from_exam(enrolment: Enrolment, values: dict, actor: User) -> None:
    """A passed language exam is a CEFR assessment of every skill of the case, as of the
    result's date: a certified exam when it has a certificate, else a course exam."""
    course = enrolment.offering.course
    certified = bool(values["certificate_number"])
    record_assessment(
        db.session.get(Case, enrolment.case_id),
        AssessmentData(
            language=course.target_language,
            skills=list(LanguageSkill),
            level=values["level_reached"],
            assessed_on=values["result_on"],
            source=AssessmentSource.CERTIFIED_EXAM if certified else AssessmentSource.COURSE_EXAM,
            # The assessment keeps shorter certificate fields than the result does.
            certificate_number=(values["certificate_number"] or "")[:60] or None,
            certificate_issuer=(values["certificate_issuer"] or "")[:120] or None,
            organisation=db.session.get(Organisation, enrolment.offering.organisation_id).name,
        ),
        actor,
    )


# -- rates and alerts ------------------------------------------------------------------------


@dataclass
class Rates:
    """Attendance of one participant, over the sessions held since they joined."""

    held: int = 0
    counts: dict = field(default_factory=lambda: defaultdict(int))
    remaining: int = 0
    missed: list[date] = field(default_factory=list)
    threshold: int = 80

    @property
    def attended(self) -> int:
        return self.counts[AttendanceStatus.PRESENT] + self.counts[AttendanceStatus.LATE]

    @property
    def committed(self) -> int:
        return self.attended + self.counts[AttendanceStatus.EXCUSED]

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.held if self.held else None

    @property
    def commitment_rate(self) -> float | None:
        return self.committed / self.held if self.held else None

    @property
    def below_threshold(self) -> bool:
        rate = self.attendance_rate
        return rate is not None and rate * 100 < self.threshold

    @property
    def cannot_reach(self) -> bool:
        """Even coming to every session left would not lift them to the threshold."""
        total = self.held + self.remaining
        return bool(total) and (self.attended + self.remaining) * 100 < self.threshold * total

    @property
    def falling_behind(self) -> bool:
        return self.below_threshold or self.cannot_reach


def rates_of(enrolments: list[Enrolment], today: date) -> dict[int, Rates]:
    """Compute attendance rates of ``enrolments`` in two queries, whatever their number.

    A session counts once it was held (not cancelled, on or before ``today``) and its
    attendance was taken, and only from the day the person joined (rolling intake); a
    session without a mark for them then counts as absent. ``excused`` is kept apart: it
    counts for commitment, not for attendance.
    """
    offering_ids = {enrolment.offering_id for enrolment in enrolments}
    taken = select(Attendance.id).where(Attendance.session_id == CourseSession.id).exists()
    sessions = db.session.execute(
        select(CourseSession.id, CourseSession.offering_id, CourseSession.date, taken).where(
            CourseSession.offering_id.in_(offering_ids), CourseSession.cancelled.is_(False)
        )
    ).all()
    marks: dict[tuple[int, int], AttendanceStatus] = {
        (row.enrolment_id, row.session_id): row.status
        for row in db.session.execute(
            select(Attendance.enrolment_id, Attendance.session_id, Attendance.status).where(
                Attendance.enrolment_id.in_([enrolment.id for enrolment in enrolments])
            )
        )
    }
    by_offering = defaultdict(list)
    for session in sorted(sessions, key=lambda row: row.date):
        by_offering[session.offering_id].append(session)
    rates = {}
    for enrolment in enrolments:
        rate = Rates(threshold=enrolment.offering.attendance_threshold)
        rates[enrolment.id] = rate
        if enrolment.enrolled_on is None:
            continue
        for session_id, _offering, day, was_taken in by_offering[enrolment.offering_id]:
            if day < enrolment.enrolled_on:
                continue
            if day > today or (not was_taken and day == today):
                rate.remaining += enrolment.status == EnrolmentStatus.ENROLLED
                continue
            if not was_taken:
                continue
            rate.held += 1
            status = marks.get((enrolment.id, session_id), AttendanceStatus.ABSENT)
            rate.counts[status] += 1
            if status == AttendanceStatus.ABSENT:
                rate.missed.append(day)
    return rates


@dataclass(frozen=True)
class Alert:
    enrolment: Enrolment
    rates: Rates


def attendance_alerts(caseworker: User, *, mine_only: bool = True) -> list[Alert]:
    """The people (the caseworker's own, or the municipality's) who are below their course's
    attendance threshold or can no longer reach it, with the dates they missed."""
    cases = scoped(select(Case), caseworker)
    if mine_only:
        cases = cases.where(Case.caseworker_id == caseworker.id)
    statement, enrolment = rows_of_each(
        cases,
        Enrolment,
        lambda row: (
            row.case_id == Case.id,
            row.status == EnrolmentStatus.ENROLLED,
            row.tenant_filter(caseworker),
        ),
    )
    enrolments = []
    for case, found in db.session.execute(
        statement.add_columns(enrolment)
        .options(
            joinedload(enrolment.offering).joinedload(Offering.course).selectinload(Course.texts)
        )
        .order_by(Case.family_name_key, Case.id, enrolment.id)
    ):
        set_committed_value(found, "case", case)
        enrolments.append(found)
    rates = rates_of(enrolments, _today(caseworker.municipality_id))
    return [
        Alert(enrolment, rates[enrolment.id])
        for enrolment in enrolments
        if rates[enrolment.id].falling_behind
    ]


# -- suggestions -----------------------------------------------------------------------------


# A course runs again and again (a new German course each week in a large city): a case file
# suggests the soonest runs of each course that fit, not all of them; any other run is in
# "Enrol in another course".
RUNS_SUGGESTED_PER_COURSE = 3


@dataclass(frozen=True)
class Suggestion:
    offering: Offering
    reasons: list
    full: bool


# The enrolments whose sessions the person attends or waits to attend.
TAKING_PART = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED)


def _needs_childcare(case: Case, today: date) -> bool:
    return bool(
        db.session.scalar(
            select(Dependant.id)
            .where(
                Dependant.case_id == case.id,
                Dependant.relation == Relation.CHILD,
                Dependant.birth_year > today.year - CHILDCARE_AGE,
            )
            .limit(1)
        )
    )


def _no_clash(current: list[int]):
    """True for an offering with no session at the same time as a session of the
    ``current`` offerings (the person's own)."""
    theirs, mine = sa.orm.aliased(CourseSession), sa.orm.aliased(CourseSession)
    return ~(
        select(theirs.id)
        .join(
            mine,
            sa.and_(
                mine.date == theirs.date,
                mine.starts_at < theirs.ends_at,
                theirs.starts_at < mine.ends_at,
            ),
        )
        .where(
            theirs.offering_id == Offering.id,
            theirs.cancelled.is_(False),
            mine.cancelled.is_(False),
            mine.offering_id.in_(current),
        )
        .exists()
    )


def _padded(languages):
    """Space-separated codes with a space on each side, so that `` xx `` matches one code."""
    return sa.literal(" ") + languages + sa.literal(" ")


def _current_levels(case: Case) -> dict:
    """The person's current CEFR level per assessed language: the lowest current level of
    its skills (a course must fit the weakest skill)."""
    return {
        levels.language: min(
            (assessment.level for assessment in levels.current.values()),
            key=lambda level: level.rank,
        )
        for levels in language_levels(case, case.preferred_language)
        if levels.current
    }


def suggested_offerings(case: Case, viewer: User) -> list[Suggestion]:
    """Offerings that fit the person, each with why it fits.

    Fits: not over, not already chosen, no session clashing with their other courses, taught
    in a language they speak (or a language course of a language it is taught in), with
    childcare when they have a young child, and for a language course whose language the
    person has been assessed in, an entry level that is their current level. Of each course,
    the ``RUNS_SUGGESTED_PER_COURSE`` soonest runs that fit.

    The database applies every rule and keeps the soonest runs of each course, so a city
    running thousands of courses sends a few rows; the case page asks once per request.
    """
    return read_once(("suggested_offerings", case.id, viewer.id), lambda: _suggest(case, viewer))


def _suggest(case: Case, viewer: User) -> list[Suggestion]:
    today = _today(case.municipality_id)
    spoken = set(
        db.session.scalars(
            select(CaseLanguage.language_code).where(CaseLanguage.case_id == case.id)
        )
    ) | {case.preferred_language}
    childcare = _needs_childcare(case, today)
    levels = _current_levels(case)
    chosen = db.session.execute(
        select(Enrolment.offering_id, Enrolment.status).where(Enrolment.case_id == case.id)
    ).all()
    current = [offering_id for offering_id, status in chosen if status in TAKING_PART]
    taught_in = _padded(Offering.instruction_languages)
    fits = [
        Offering.end_date >= today,
        Offering.id.not_in([offering_id for offering_id, _status in chosen]),
        sa.or_(
            *(taught_in.contains(f" {code} ", autoescape=True) for code in sorted(spoken)),
            sa.and_(
                Course.course_type == CourseType.LANGUAGE,
                taught_in.contains(_padded(Course.target_language)),
            ),
        ),
        *(
            # a language course for another level than the person's does not fit
            sa.or_(
                Course.entry_level.is_(None),
                Course.target_language.is_(None),
                Course.target_language != language,
                Course.entry_level == level,
            )
            for language, level in levels.items()
        ),
    ]
    if current:
        # Asked per run: left out for someone on no course (most), whose runs cannot clash.
        fits.append(_no_clash(current))
    if childcare:
        fits.append(Offering.childcare.is_(True))
    ranked = (
        scoped(
            select(
                Offering.id,
                func.row_number()
                .over(partition_by=Offering.course_id, order_by=(Offering.start_date, Offering.id))
                .label("run"),
            ),
            viewer,
        )
        .join(Course, Course.id == Offering.course_id)
        .where(*fits)
        .subquery()
    )
    # Titles joined, not selected after: one query whether or not any run fits.
    rows = (
        db.session.execute(
            select(Offering, _enrolled_count_of(Offering))
            .join(ranked, ranked.c.id == Offering.id)
            .where(ranked.c.run <= RUNS_SUGGESTED_PER_COURSE)
            .options(joinedload(Offering.course).joinedload(Course.texts))
            .order_by(Offering.start_date, Offering.id)
        )
        .unique()
        .all()
    )
    suggestions = []
    for offering, taken in rows:
        shared = [code for code in offering.languages if code in spoken]
        course = offering.course
        level = levels.get(course.target_language) if course.entry_level else None
        reasons = []
        if level is not None:
            reasons.append(("level", [level.label]))
        if shared:
            reasons.append(("speaks", shared))
        else:
            reasons.append(("immersion", [course.target_language]))
        if childcare:
            reasons.append(("childcare", []))
        reasons.append(("no_clash", []))
        suggestions.append(Suggestion(offering, reasons, taken >= offering.capacity))
    return suggestions


def _enrolled_count_of(offering):
    """The number of people with a place in ``offering``, as a column of a select."""
    return (
        select(func.count(Enrolment.id))
        .where(Enrolment.offering_id == offering.id, Enrolment.status == EnrolmentStatus.ENROLLED)
        .scalar_subquery()
    )


# The case file's enrol list: the suggested runs, then the soonest runs with places open,
# this many in all. A city runs hundreds of courses at once; any other run is enrolled from
# its own page, found in the list of courses.
ENROL_CHOICES = 20


def enrol_choices(case: Case, viewer: User) -> list[Offering]:
    """The runs the case file offers to enrol ``case`` in, soonest first: the suggested ones,
    then runs starting from today with places open that the person is not on, at most
    ``ENROL_CHOICES``."""
    today = _today(case.municipality_id)
    runs = [suggestion.offering for suggestion in suggested_offerings(case, viewer)]
    runs = runs[:ENROL_CHOICES]
    shown = {run.id for run in runs}
    soonest = scoped(select(Offering), viewer).where(
        Offering.start_date >= today,
        Offering.id.not_in(select(Enrolment.offering_id).where(Enrolment.case_id == case.id)),
        _enrolled_count_of(Offering) < Offering.capacity,
    )
    if shown:
        soonest = soonest.where(Offering.id.not_in(shown))
    runs += db.session.scalars(
        soonest.options(joinedload(Offering.course).joinedload(Course.texts))
        .order_by(Offering.start_date, Offering.id)
        .limit(ENROL_CHOICES - len(runs))
    ).unique()
    return sorted(runs, key=lambda run: (run.start_date, run.id))


# -- the register of an offering ---------------------------------------------------------------


@dataclass
class Register:
    """Everyone of an offering, its sessions, every mark and each person's rates."""

    enrolments: list[Enrolment]
    sessions: list[CourseSession]
    marks: dict[tuple[int, int], AttendanceStatus]
    rates: dict[int, Rates]

    def held(self, today: date) -> list[CourseSession]:
        return [s for s in self.sessions if not s.cancelled and s.date <= today]

    @property
    def overall(self) -> Rates:
        """The offering's rates: every participant's sessions since they joined, together."""
        total = Rates()
        for rates in self.rates.values():
            total.held += rates.held
            for status, count in rates.counts.items():
                total.counts[status] += count
        return total


def offering_register(offering: Offering, today: date) -> Register:
    """The register of ``offering`` in a fixed number of queries, whatever its size."""
    enrolments = enrolments_of(offering)
    for enrolment in enrolments:
        enrolment.offering = offering
    marks = {
        (row.enrolment_id, row.session_id): row.status
        for row in db.session.execute(
            select(Attendance.enrolment_id, Attendance.session_id, Attendance.status)
            .join(CourseSession, CourseSession.id == Attendance.session_id)
            .where(CourseSession.offering_id == offering.id)
        )
    }
    return Register(enrolments, sessions_of(offering), marks, rates_of(enrolments, today))

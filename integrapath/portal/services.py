"""What the newcomer's portal shows and lets them do, read from their own file only.

Everything here starts from the newcomer's one case (``own_case``, scoped to their account)
and reads the records that hang off it. What only staff may read never leaves this module:
notes, sensitive needs and health statuses, the health and psychosocial needs of the skills
profile, reasons written by staff (for a stage move, an enrolment change, an absence),
remarks on assessments and recognition steps, and the caseworker's judgement of housing.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Municipality, User
from ..assessments.models import (
    CompensationMeasure,
    EducationEntry,
    EmploymentStatus,
    LanguageAssessment,
    Qualification,
    RecognitionState,
    RecognitionStep,
    SkillsProfile,
    WorkExperience,
)
from ..assessments.reference import occupation_label
from ..audit import AuditEvent, diff, record_event
from ..cases.models import (
    Case,
    CaseLanguage,
    CaseNationality,
    Consent,
    Dependant,
    Stage,
    StageChange,
)
from ..courses.models import (
    Attendance,
    Course,
    CourseSession,
    Enrolment,
    EnrolmentStatus,
    Offering,
)
from ..courses.services import Rates, enrolments_of_case, rates_of
from ..errors import RuleBroken
from ..extensions import db, utcnow
from ..i18n import SUPPORTED_LOCALES, LabelledEnum, country_name, language_name
from ..inclusion.models import (
    SENSITIVE_STATUSES,
    ChildEducationRecord,
    HousingRecord,
    StatusRecord,
)
from ..pathway.models import (
    OPEN_STATUSES,
    ActionStatus,
    IntegrationPlan,
    Milestone,
    MilestoneRule,
    MilestoneTick,
    PlanAction,
    PlanVersion,
    Responsibility,
)
from ..pathway.services import (
    DAY_LIMIT,
    ChecklistItem,
    DayList,
    PlannedAction,
    StageStep,
    checklist_of,
    host_language,
    stage_history,
    stage_steps,
    version_goals,
)
from ..security import Role, scoped
from .models import MessageTopic, NewcomerMessage


class PortalError(RuleBroken):
    """Something a newcomer asked for in the portal breaks a rule."""


def own_case(user: User) -> Case | None:
    """The newcomer's one file (an account is bound to exactly one), or None before it is open."""
    return db.session.scalar(
        scoped(select(Case), user).options(
            joinedload(Case.caseworker), joinedload(Case.municipality)
        )
    )


# -- my pathway --------------------------------------------------------------------------------


# What each kind of milestone means, in plain words (the milestone's own name is the office's).
MILESTONE_HINTS = {
    MilestoneRule.TICKED: _l("Your caseworker marks this when it is done."),
    MilestoneRule.NEEDS_ASSESSED: _l("You talked with your caseworker about what you need."),
    MilestoneRule.LANGUAGE_A1: _l("You know %(language)s at level A1 or higher in every skill."),
    MilestoneRule.LANGUAGE_A2: _l("You know %(language)s at level A2 or higher in every skill."),
    MilestoneRule.LANGUAGE_B1: _l("You know %(language)s at level B1 or higher in every skill."),
    MilestoneRule.CIVIC_ORIENTATION: _l("You finished a course about life in this country."),
    MilestoneRule.SKILLS_PROFILE: _l(
        "Your skills profile is complete: school, work, computer skills and the job you want."
    ),
    MilestoneRule.RECOGNITION_STARTED: _l("You asked for the recognition of a diploma."),
    MilestoneRule.RECOGNITION_DECIDED: _l("You have a decision about your diploma."),
    MilestoneRule.WORK_OR_EDUCATION: _l("You work, study or learn a profession."),
    MilestoneRule.LONG_TERM_RESIDENCE: _l("You have a long-term residence permit."),
    MilestoneRule.PLAN_AGREED: _l(
        "You and your integration office agreed on your integration plan."
    ),
}


def milestone_hint(rule: MilestoneRule, language: str) -> str:
    """What a milestone means, in plain words; ``language`` is the host language's code."""
    return str(MILESTONE_HINTS[rule]) % {"language": language_name(language)}


@dataclass(frozen=True)
class MyPathway:
    steps: list[StageStep]
    checklist: list[ChecklistItem]  # the current stage's milestones, met or not
    next_stage: Stage | None
    next_checklist: list[ChecklistItem]  # what the next stage will ask
    language: str  # the host language, for the milestones about it


def my_pathway(case: Case) -> MyPathway:
    """Where the newcomer stands: the five stages with the days in each, the milestones of the
    current stage and of the next, each met or not (constant queries)."""
    municipality = case.municipality
    steps = stage_steps(case, stage_history(case), municipality.today(), municipality.timezone)
    stages = list(Stage)
    next_stage = stages[case.stage.number] if case.stage.number < len(stages) else None
    return MyPathway(
        steps=steps,
        checklist=checklist_of(case),
        next_stage=next_stage,
        next_checklist=checklist_of(case, next_stage) if next_stage else [],
        language=host_language(municipality),
    )


# -- my plan ---------------------------------------------------------------------------------


# Who does an action, as the newcomer reads it.
DONE_BY = {
    Responsibility.MUNICIPALITY: _l("Your integration office"),
    Responsibility.PROVIDER: _l("A course provider"),
    Responsibility.PARTNER: _l("A partner service"),
}
# Ticking off progress changes no agreement (see pathway's plan block): the newcomer sees it
# at once. Any other change of the working copy waits until it is agreed.
PROGRESS = (*OPEN_STATUSES, ActionStatus.DONE)


@dataclass(frozen=True)
class MyPlanGoal:
    text: str
    actions: list[PlannedAction]


@dataclass(frozen=True)
class MyPlan:
    """The latest agreed version, split by who does what: the newcomer's own actions first."""

    version: PlanVersion
    mine: list[MyPlanGoal]  # goals with the newcomer's own actions
    theirs: list[MyPlanGoal]  # goals with what the office and others do


def _latest_version(case: Case) -> PlanVersion | None:
    return db.session.scalar(
        select(PlanVersion)
        .join(IntegrationPlan, IntegrationPlan.id == PlanVersion.plan_id)
        .where(IntegrationPlan.case_id == case.id)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )


def my_plan(case: Case) -> MyPlan | None:
    """The plan as agreed last, never the caseworker's working copy, with the progress ticked
    off since; None before a version is agreed (two queries whatever the plan's size)."""
    version = _latest_version(case)
    if version is None:
        return None
    progress = dict(
        db.session.execute(
            select(PlanAction.id, PlanAction.status).where(
                PlanAction.plan_id == version.plan_id, PlanAction.status.in_(PROGRESS)
            )
        ).all()
    )
    mine, theirs = [], []
    for goal in version_goals(version):
        if goal.cancelled:
            continue
        actions = [
            replace(action, status=progress.get(action.id, action.status))
            if action.status in PROGRESS
            else action
            for action in goal.actions
            if action.status != ActionStatus.CANCELLED
        ]
        own = [a for a in actions if a.responsible == Responsibility.MIGRANT]
        others = [a for a in actions if a.responsible != Responsibility.MIGRANT]
        if own or not others:  # a goal without actions yet still shows under "What you do"
            mine.append(MyPlanGoal(goal.text, own))
        if others:
            theirs.append(MyPlanGoal(goal.text, others))
    return MyPlan(version, mine, theirs)


def own_plan_version(user: User, version_id: int) -> PlanVersion | None:
    """A version of the plan in the newcomer's own file; None for anyone else's, and for
    staff (who never acknowledge a plan)."""
    if user.role != Role.MIGRANT:
        return None
    return db.session.scalar(
        select(PlanVersion)
        .join(IntegrationPlan, IntegrationPlan.id == PlanVersion.plan_id)
        .join(Case, Case.id == IntegrationPlan.case_id)
        .where(PlanVersion.id == version_id, Case.account_id == user.id)
    )


# -- my courses ------------------------------------------------------------------------------

CURRENT = (EnrolmentStatus.WAITLISTED, EnrolmentStatus.ENROLLED)
UPCOMING_SHOWN = 5  # sessions listed on the page; the calendar file has them all
CALENDAR_LIMIT = 500


@dataclass
class MyCourse:
    enrolment: Enrolment
    rates: Rates | None = None
    waitlist_place: int | None = None
    marks: list[tuple[date, Any]] = field(default_factory=list)  # (day, AttendanceStatus)

    @property
    def current(self) -> bool:
        return self.enrolment.status in CURRENT


def _waitlist_places(enrolments: list[Enrolment]) -> dict[int, int]:
    """The place of each waiting enrolment on its list (1 = next to get a place): one query."""
    waiting = [e.id for e in enrolments if e.status == EnrolmentStatus.WAITLISTED]
    if not waiting:
        return {}
    ahead = sa.orm.aliased(Enrolment)
    places = db.session.execute(
        select(Enrolment.id, sa.func.count(ahead.id))
        .join(
            ahead,
            sa.and_(
                ahead.offering_id == Enrolment.offering_id,
                ahead.status == EnrolmentStatus.WAITLISTED,
                sa.or_(
                    ahead.requested_at < Enrolment.requested_at,
                    sa.and_(ahead.requested_at == Enrolment.requested_at, ahead.id <= Enrolment.id),
                ),
            ),
        )
        .where(Enrolment.id.in_(waiting))
        .group_by(Enrolment.id)
    )
    return dict(places.all())


def _marks(enrolments: list[Enrolment]) -> dict[int, list[tuple[date, Any]]]:
    """Each enrolment's attendance, session by session, oldest first: one query."""
    marks: dict[int, list[tuple[date, Any]]] = {e.id: [] for e in enrolments}
    rows = db.session.execute(
        select(Attendance.enrolment_id, CourseSession.date, Attendance.status)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(Attendance.enrolment_id.in_(list(marks)))
        .order_by(CourseSession.date, CourseSession.starts_at, CourseSession.id)
    )
    for enrolment_id, day, status in rows:
        marks[enrolment_id].append((day, status))
    return marks


def my_courses(case: Case) -> list[MyCourse]:
    """Every enrolment of the newcomer, newest first, with attendance, rates and the place on
    a waiting list: five queries whatever the number of courses and sessions."""
    enrolments = enrolments_of_case(case)
    if not enrolments:
        return []
    rates = rates_of(enrolments, case.municipality.today())
    places = _waitlist_places(enrolments)
    marks = _marks(enrolments)
    return [
        MyCourse(
            enrolment,
            rates=rates[enrolment.id] if enrolment.enrolled_on else None,
            waitlist_place=places.get(enrolment.id),
            marks=marks[enrolment.id],
        )
        for enrolment in enrolments
    ]


def upcoming_sessions(case: Case, limit: int = UPCOMING_SHOWN) -> list[CourseSession]:
    """The sessions from today on of the courses the newcomer has a place in, soonest first;
    cancelled ones stay listed (marked), so that nobody comes in vain."""
    today = case.municipality.today()
    return list(
        db.session.scalars(
            select(CourseSession)
            .join(Enrolment, Enrolment.offering_id == CourseSession.offering_id)
            .where(
                Enrolment.case_id == case.id,
                Enrolment.status == EnrolmentStatus.ENROLLED,
                CourseSession.date >= today,
            )
            .options(
                joinedload(CourseSession.offering)
                .joinedload(Offering.course)
                .selectinload(Course.texts)
            )
            .order_by(CourseSession.date, CourseSession.starts_at, CourseSession.id)
            .limit(limit)
        )
    )


def calendar_of(case: Case, locale: str, host: str, name: str) -> bytes:
    """The newcomer's sessions from today on as an iCalendar file (RFC 5545).

    Times are the municipality's wall-clock times with their time zone (TZID and its
    VTIMEZONE), so that a phone abroad or after a clock change shows the right hour. Each
    session keeps its UID, so a newer file updates a calendar instead of doubling it; a
    cancelled one says so (STATUS:CANCELLED). Only what the course is: no names, no notes.
    """
    zone = ZoneInfo(case.municipality.timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//IntegraPath//Newcomer portal//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = utcnow()
    sessions = upcoming_sessions(case, CALENDAR_LIMIT)
    for session in sessions:
        offering = session.offering
        event = icalendar.Event()
        event.add("uid", f"session-{session.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", datetime.combine(session.date, session.starts_at, zone))
        event.add("dtend", datetime.combine(session.date, session.ends_at, zone))
        event.add("summary", offering.course.text_in(locale).title)
        if offering.place:
            event.add("location", offering.place)
        if session.cancelled:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    if sessions:
        first, last = sessions[0].date, sessions[-1].date
        calendar.add_missing_timezones(first_date=first, last_date=last + timedelta(days=1))
    return calendar.to_ical()


# -- my levels and recognition -----------------------------------------------------------------


# The next step of a recognition procedure, in plain words, by its state.
NEXT_STEPS = {
    RecognitionState.NOT_STARTED: _l(
        "Next step: send your diploma and papers to the recognition office. "
        "Your caseworker can help you."
    ),
    RecognitionState.SUBMITTED: _l("Next step: the recognition office checks your papers."),
    RecognitionState.IN_ASSESSMENT: _l("Next step: please wait for the decision."),
    RecognitionState.PARTIALLY_RECOGNISED: _l(
        "Next step: finish the measures below. Then your diploma can be fully recognised."
    ),
    RecognitionState.RECOGNISED: _l("Your diploma is recognised. There is no next step."),
    RecognitionState.COMPARABILITY_STATEMENT: _l(
        "You have a statement that compares your diploma. There is no next step."
    ),
    RecognitionState.NOT_RECOGNISED: _l(
        "Your diploma was not recognised. You can apply again: please talk to your caseworker."
    ),
}


def qualifications_of(case: Case) -> list[Qualification]:
    """The qualifications with their measures (not the steps: their remarks are the office's)."""
    return list(
        db.session.scalars(
            select(Qualification)
            .where(Qualification.case_id == case.id)
            .options(selectinload(Qualification.measures))
            .order_by(Qualification.id)
        )
    )


MAX_MESSAGE = 1000


def send_message(case: Case, topic: MessageTopic, text: str, actor: User) -> NewcomerMessage:
    """Tell the caseworker that something in the file is wrong; it waits on their day.

    :raise PortalError: for an empty message.
    """
    text = (text or "").strip()
    if not text:
        raise PortalError(_l("Please write what is wrong."), "text")
    message = NewcomerMessage(
        case_id=case.id,
        topic=MessageTopic(topic),
        text=text[:MAX_MESSAGE],
        sent_by_id=actor.id,
    )
    db.session.add(message)
    db.session.flush()
    record_event(
        "newcomer_message_sent", case, actor=actor, changes={"topic": [None, message.topic.value]}
    )
    return message


def my_messages(case: Case, limit: int = 10) -> list[NewcomerMessage]:
    """The newcomer's latest messages, newest first, with whether the office dealt with them."""
    return list(
        db.session.scalars(
            select(NewcomerMessage)
            .where(NewcomerMessage.case_id == case.id)
            .order_by(NewcomerMessage.sent_at.desc(), NewcomerMessage.id.desc())
            .limit(limit)
        )
    )


def open_messages(caseworker: User) -> DayList:
    """The messages not yet dealt with from newcomers whose file the caseworker holds, oldest
    first, with how many there are: one query."""
    rows = db.session.execute(
        select(NewcomerMessage, sa.func.count().over())
        .join(Case, Case.id == NewcomerMessage.case_id)
        .where(
            Case.tenant_filter(caseworker),
            Case.caseworker_id == caseworker.id,
            NewcomerMessage.handled_at.is_(None),
        )
        .options(joinedload(NewcomerMessage.case))
        .order_by(NewcomerMessage.sent_at, NewcomerMessage.id)
        .limit(DAY_LIMIT)
    ).all()
    return DayList([(row[0],) for row in rows], rows[0][-1] if rows else 0)


def mark_message_handled(message: NewcomerMessage, actor: User) -> None:
    """Take the message off the day: the office dealt with it (kept, with who and when)."""
    if message.handled_at is not None:
        return
    message.handled_at = utcnow()
    message.handled_by_id = actor.id
    record_event(
        "newcomer_message_handled",
        db.session.get(Case, message.case_id),
        actor=actor,
        changes={"topic": [None, message.topic.value]},
    )


# -- my details -----------------------------------------------------------------------------

CONTACT_FIELDS = ("phone", "email", "address", "preferred_language")


def update_my_details(case: Case, account: User, values: dict, actor: User) -> dict:
    """Save the contact details the newcomer typed; the caseworker sees in the file's timeline
    what changed (as a change of the file, by the newcomer). A new preferred language is the
    portal's language too. Returns the changes.

    :raise PortalError: when someone else than the file's own newcomer asks.
    """
    if actor.id != case.account_id or account.id != case.account_id:
        raise PortalError(_l("Only you can change your details."))
    wanted = {name: (values.get(name) or "").strip() or None for name in CONTACT_FIELDS}
    if wanted["preferred_language"] not in SUPPORTED_LOCALES:
        wanted["preferred_language"] = case.preferred_language
    changes = diff(case, wanted)
    if not changes:
        return {}
    for name, value in wanted.items():
        setattr(case, name, value)
    record_event("details_changed_in_portal", case, actor=actor, changes=changes)
    if "preferred_language" in changes and account.preferred_locale != case.preferred_language:
        record_event(
            "preferred_locale_changed",
            account,
            actor=actor,
            changes={"preferred_locale": [account.preferred_locale, case.preferred_language]},
        )
        account.preferred_locale = case.preferred_language
    return changes


# -- my data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A code shown by its name (a country, a language): the code in JSON, the name on paper."""

    code: str
    name: str


@dataclass(frozen=True)
class ExportSection:
    key: str
    title: Any
    fields: list[tuple[str, Any]]  # (key, label)
    rows: list[dict[str, Any]]


def _country(code: str | None) -> Named | None:
    return Named(code, country_name(code)) if code else None


def _language(code: str | None) -> Named | None:
    return Named(code, language_name(code.split("_")[0]) or code) if code else None


def _section(key, title, fields, rows) -> ExportSection:
    return ExportSection(key, title, fields, [dict(zip([k for k, _ in fields], row, strict=True))
                                              for row in rows])  # fmt: skip


def access_log(case: Case):
    """Who at the municipality opened the file and when: the views of the case file, newest
    first, each by the role and organisation of the viewer (never their name)."""
    return (
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "Case",
            AuditEvent.object_id == case.id,
            AuditEvent.action == "case_viewed",
        )
        .options(joinedload(AuditEvent.actor).joinedload(User.organisation))
    )


def viewer_of(event: AuditEvent, municipality_name: str) -> tuple[Any, str]:
    """The role and organisation of whoever opened the file (the municipality without one)."""
    actor = event.actor
    if actor is None:
        return _l("System"), municipality_name
    return actor.role.label, actor.organisation.name if actor.organisation else municipality_name


def my_data(case: Case, account: User) -> list[ExportSection]:
    """Every record of the newcomer's file that the portal may show, section by section: what
    the readable document and the JSON download hold (GDPR Art. 15). Staff-only content is
    left out (see the module's docstring); the office gives it on request."""
    cid = case.id
    municipality: Municipality = case.municipality

    def rows(statement):
        return list(db.session.scalars(statement))

    nationalities = rows(
        select(CaseNationality).where(CaseNationality.case_id == cid).order_by(
            CaseNationality.position)
    )  # fmt: skip
    languages = rows(
        select(CaseLanguage).where(CaseLanguage.case_id == cid).order_by(CaseLanguage.position)
    )
    dependants = rows(select(Dependant).where(Dependant.case_id == cid).order_by(Dependant.id))
    family = {d.id: d.name for d in dependants}
    sections = [
        _section(
            "person",
            _l("My details"),
            [
                ("reference", _l("Reference")),
                ("given_names", _l("Given names")),
                ("family_name", _l("Family name")),
                ("given_names_latin", _l("Given names in Latin letters")),
                ("family_name_latin", _l("Family name in Latin letters")),
                ("date_of_birth", _l("Date of birth")),
                ("sex", _l("Sex")),
                ("country_of_birth", _l("Country of birth")),
                ("nationalities", _l("Nationalities")),
                ("mother_tongue", _l("Mother tongue")),
                ("languages", _l("Other languages spoken")),
                ("preferred_language", _l("Preferred language")),
                ("phone", _l("Phone")),
                ("email", _l("E-mail address")),
                ("address", _l("Address")),
                ("residence_category", _l("Residence category")),
                ("permit_number", _l("Residence permit number")),
                ("permit_issued_on", _l("Permit issued on")),
                ("permit_expires_on", _l("Permit expires on")),
                ("arrived_in_country_on", _l("Arrival in the country")),
                ("arrived_in_municipality_on", _l("Arrival in the municipality")),
                ("municipality", _l("Municipality")),
                ("caseworker", _l("Your caseworker")),
                ("stage", _l("Stage")),
                ("status", _l("Status")),
                ("closing_reason", _l("Reason")),
                ("closed_on", _l("Closed on")),
                ("opened_at", _l("File opened on")),
            ],
            [
                (
                    case.reference,
                    case.given_names,
                    case.family_name,
                    case.given_names_latin,
                    case.family_name_latin,
                    case.date_of_birth,
                    case.sex,
                    _country(case.country_of_birth),
                    [_country(n.country_code) for n in nationalities],
                    next(
                        (_language(lang.language_code) for lang in languages if lang.mother_tongue),
                        None,
                    ),
                    [_language(lang.language_code) for lang in languages if not lang.mother_tongue],
                    _language(case.preferred_language),
                    case.phone,
                    case.email,
                    case.address,
                    case.residence_category,
                    case.permit_number,
                    case.permit_issued_on,
                    case.permit_expires_on,
                    case.arrived_in_country_on,
                    case.arrived_in_municipality_on,
                    municipality.name,
                    case.caseworker.full_name if case.caseworker else None,
                    case.stage,
                    case.status,
                    case.closing_reason,
                    case.closed_on,
                    case.created_at,
                )
            ],
        ),
        _section(
            "account",
            _l("My account"),
            [
                ("email", _l("E-mail address for signing in")),
                ("preferred_locale", _l("Language of the website")),
                ("created_at", _l("Account opened on")),
                ("last_login_at", _l("Last signed in")),
            ],
            [
                (
                    account.email,
                    _language(account.preferred_locale),
                    account.created_at,
                    account.last_login_at,
                )
            ],
        ),
        _section(
            "stages",
            _l("My stages"),
            [
                ("changed_at", _l("Date")),
                ("from_stage", _l("From")),
                ("to_stage", _l("To")),
            ],
            [
                (move.changed_at, move.from_stage, move.to_stage)
                for move in rows(
                    select(StageChange)
                    .where(StageChange.case_id == cid)
                    .order_by(StageChange.changed_at, StageChange.id)
                )
            ],
        ),
        _section(
            "milestones",
            _l("Milestones met"),
            [
                ("milestone", _l("Milestone")),
                ("stage", _l("Stage")),
                ("met_on", _l("Met on")),
            ],
            [
                (milestone.name, milestone.stage, tick.met_on)
                for tick, milestone in db.session.execute(
                    select(MilestoneTick, Milestone)
                    .join(Milestone, Milestone.id == MilestoneTick.milestone_id)
                    .where(MilestoneTick.case_id == cid)
                    .order_by(MilestoneTick.met_on)
                )
            ],
        ),
        _section(
            "consents",
            _l("My consents"),
            [
                ("purpose", _l("Purpose")),
                ("given_on", _l("Given on")),
                ("method", _l("How")),
                ("withdrawn_on", _l("Withdrawn on")),
            ],
            [
                (c.purpose, c.given_on, c.method, c.withdrawn_on)
                for c in rows(
                    select(Consent)
                    .where(Consent.case_id == cid)
                    .order_by(Consent.given_on, Consent.id)
                )
            ],
        ),
        _section(
            "family",
            _l("Family members in my file"),
            [
                ("name", _l("Name")),
                ("birth_year", _l("Year of birth")),
                ("relation", _l("Relation")),
            ],
            [(d.name, d.birth_year, d.relation) for d in dependants],
        ),
        _section(
            "housing",
            _l("My housing"),
            [
                ("situation", _l("Housing situation")),
                ("since", _l("Since")),
            ],
            [
                (h.situation, h.since)
                for h in rows(
                    select(HousingRecord)
                    .where(HousingRecord.case_id == cid)
                    .order_by(HousingRecord.since, HousingRecord.id)
                )
            ],
        ),
        _section(
            "statuses",
            _l("Health access, residence and participation"),
            [
                ("status", _l("What")),
                ("holds", _l("Holds")),
                ("since", _l("Since")),
            ],
            [
                (s.status, s.holds, s.since)
                for s in rows(
                    select(StatusRecord)
                    .where(
                        StatusRecord.case_id == cid, StatusRecord.status.not_in(SENSITIVE_STATUSES)
                    )
                    .order_by(StatusRecord.since, StatusRecord.id)
                )
            ],
        ),
        _section(
            "child_education",
            _l("Education of the children"),
            [
                ("child", _l("Child")),
                ("education", _l("Education")),
                ("since", _l("Since")),
            ],
            [
                (family.get(r.dependant_id, case.full_name), r.stage, r.since)
                for r in rows(
                    select(ChildEducationRecord)
                    .where(ChildEducationRecord.case_id == cid)
                    .order_by(ChildEducationRecord.since, ChildEducationRecord.id)
                )
            ],
        ),
        _section(
            "language_levels",
            _l("My language levels"),
            [
                ("language", _l("Language")),
                ("skill", _l("Skill")),
                ("level", _l("Level")),
                ("assessed_on", _l("Date")),
                ("source", _l("Source")),
                ("certificate_number", _l("Certificate number")),
                ("certificate_issuer", _l("Issued by")),
                ("organisation", _l("Organisation")),
            ],
            [
                (
                    _language(a.language),
                    a.skill,
                    a.level,
                    a.assessed_on,
                    a.source,
                    a.certificate_number,
                    a.certificate_issuer,
                    a.organisation,
                )
                for a in rows(
                    select(LanguageAssessment)
                    .where(LanguageAssessment.case_id == cid)
                    .order_by(LanguageAssessment.assessed_on, LanguageAssessment.id)
                )
            ],
        ),
    ]
    qualifications = rows(
        select(Qualification).where(Qualification.case_id == cid).order_by(Qualification.id)
    )
    titles = {q.id: q.title for q in qualifications}
    profile = db.session.scalar(select(SkillsProfile).where(SkillsProfile.case_id == cid))
    sections += [
        _section(
            "qualifications",
            _l("My qualifications"),
            [
                ("title", _l("Title")),
                ("institution", _l("Institution")),
                ("country", _l("Country")),
                ("year", _l("Year")),
                ("regulated", _l("Regulated profession")),
                ("recognition_state", _l("Recognition")),
                ("authority", _l("Competent authority")),
                ("submitted_on", _l("Submitted on")),
                ("decided_on", _l("Decided on")),
                ("decision", _l("Decision")),
                ("decision_reference", _l("Reference")),
            ],
            [
                (
                    q.title,
                    q.institution,
                    _country(q.country),
                    q.year,
                    q.regulated,
                    q.recognition_state,
                    q.authority,
                    q.submitted_on,
                    q.decided_on,
                    q.decision,
                    q.decision_reference,
                )
                for q in qualifications
            ],
        ),
        _section(
            "recognition_steps",
            _l("Steps of the recognition"),
            [
                ("qualification", _l("Qualification")),
                ("on", _l("Date")),
                ("from_state", _l("From")),
                ("to_state", _l("To")),
            ],
            [
                (titles[s.qualification_id], s.on, s.from_state, s.to_state)
                for s in rows(
                    select(RecognitionStep)
                    .where(RecognitionStep.qualification_id.in_(list(titles)))
                    .order_by(RecognitionStep.on, RecognitionStep.id)
                )
            ],
        ),
        _section(
            "compensation_measures",
            _l("Compensation measures"),
            [
                ("qualification", _l("Qualification")),
                ("kind", _l("Compensation measure")),
                ("status", _l("Status")),
            ],
            [
                (titles[m.qualification_id], m.kind, m.status)
                for m in rows(
                    select(CompensationMeasure)
                    .where(CompensationMeasure.qualification_id.in_(list(titles)))
                    .order_by(CompensationMeasure.id)
                )
            ],
        ),
        _section(
            "skills_profile",
            _l("Skills profile"),
            [
                ("digital_skills", _l("Digital skills")),
                ("driving_licences", _l("Driving licences")),
                ("other_skills", _l("Other skills")),
                ("job_aspirations", _l("Job aspirations")),
                ("needs", _l("Help that makes taking part easier")),
            ],
            [
                (
                    profile.digital_skills,
                    profile.driving_licences,
                    profile.other_skills,
                    profile.job_aspirations,
                    [label for name, label in SHOWN_NEEDS.items() if getattr(profile, name)],
                )
            ]
            if profile
            else [],
        ),
        _section(
            "education",
            _l("Education and training"),
            [
                ("isced_level", _l("Level")),
                ("isced_field", _l("Field")),
                ("country", _l("Country")),
                ("years", _l("Years")),
            ],
            [
                (
                    Named(str(e.isced_level), str(SCHOOL_LEVELS.get(e.isced_level, e.isced_level))),
                    e.isced_field,
                    _country(e.country),
                    e.years,
                )
                for e in rows(
                    select(EducationEntry)
                    .where(EducationEntry.case_id == cid)
                    .order_by(EducationEntry.id)
                )
            ],
        ),
        _section(
            "work",
            _l("Work experience"),
            [
                ("occupation", _l("Occupation")),
                ("sector", _l("Sector")),
                ("country", _l("Country")),
                ("years", _l("Years")),
            ],
            [
                (
                    Named(w.isco_code, occupation_label(w.isco_code)),
                    w.sector,
                    _country(w.country),
                    w.years,
                )
                for w in rows(
                    select(WorkExperience)
                    .where(WorkExperience.case_id == cid)
                    .order_by(WorkExperience.id)
                )
            ],
        ),
        _section(
            "employment",
            _l("Employment and education"),
            [
                ("status", _l("Status")),
                ("since", _l("Since")),
                ("occupation", _l("Occupation")),
            ],
            [
                (
                    e.status,
                    e.since,
                    Named(e.isco_code, occupation_label(e.isco_code)) if e.isco_code else None,
                )
                for e in rows(
                    select(EmploymentStatus)
                    .where(EmploymentStatus.case_id == cid)
                    .order_by(EmploymentStatus.since, EmploymentStatus.id)
                )
            ],
        ),
    ]
    enrolments = enrolments_of_case(case)
    locale = account.preferred_locale or municipality.default_locale
    courses = {e.id: e.offering.course.text_in(locale).title for e in enrolments}
    sections += [
        _section(
            "enrolments",
            _l("My courses"),
            [
                ("course", _l("Course")),
                ("provider", _l("Course provider")),
                ("start_date", _l("Start date")),
                ("end_date", _l("End date")),
                ("place", _l("Place")),
                ("status", _l("Status")),
                ("enrolled_on", _l("Place since")),
                ("passed", _l("Passed")),
                ("level_reached", _l("Level reached")),
                ("certificate_number", _l("Certificate number")),
                ("result_on", _l("Result on")),
            ],
            [
                (
                    courses[e.id],
                    e.offering.course.organisation.name,
                    e.offering.start_date,
                    e.offering.end_date,
                    e.offering.place,
                    e.status,
                    e.enrolled_on,
                    e.passed,
                    e.level_reached,
                    e.certificate_number,
                    e.result_on,
                )
                for e in enrolments
            ],
        ),
        _section(
            "attendance",
            _l("My attendance"),
            [
                ("course", _l("Course")),
                ("date", _l("Date")),
                ("attendance", _l("Attendance")),
            ],
            [
                (courses[enrolment_id], day, status)
                for enrolment_id, marks in _marks(enrolments).items()
                for day, status in marks
            ]
            if enrolments
            else [],
        ),
        _section(
            "plan",
            _l("My integration plan"),
            [
                ("version", _l("Version")),
                ("agreed_on", _l("Agreed on")),
                ("confirmed_at", _l("I confirmed it on")),
                ("goal", _l("Goal")),
                ("action", _l("Action")),
                ("done_by", _l("Who does it")),
                ("due_on", _l("Due on")),
                ("status", _l("Status when agreed")),
            ],
            _plan_rows(
                rows(
                    select(PlanVersion)
                    .join(IntegrationPlan, IntegrationPlan.id == PlanVersion.plan_id)
                    .where(IntegrationPlan.case_id == cid)
                    .order_by(PlanVersion.number)
                )
            ),
        ),
        _section(
            "messages",
            _l("My messages to the office"),
            [
                ("sent_at", _l("Sent on")),
                ("topic", _l("About")),
                ("text", _l("Message")),
                ("handled_at", _l("Dealt with on")),
            ],
            [
                (m.sent_at, m.topic, m.text, m.handled_at)
                for m in rows(
                    select(NewcomerMessage)
                    .where(NewcomerMessage.case_id == cid)
                    .order_by(NewcomerMessage.sent_at, NewcomerMessage.id)
                )
            ],
        ),
        _section(
            "file_opened",
            _l("Who opened my file"),
            [
                ("opened_at", _l("When")),
                ("role", _l("Role")),
                ("organisation", _l("Organisation")),
            ],
            [
                (event.created_at, *viewer_of(event, municipality.name))
                for event in rows(access_log(case).order_by(AuditEvent.created_at, AuditEvent.id))
            ],
        ),
    ]
    return sections


def _plan_rows(versions: list[PlanVersion]) -> list[tuple]:
    """Every agreed version as it was agreed, one row per action (per goal without one)."""
    return [
        (version.number, version.agreed_on, version.acknowledged_at, goal.text,
         action.text if action else None, action.responsible if action else None,
         action.due_on if action else None, action.status if action else None)
        for version in versions
        for goal in version_goals(version)
        for action in (goal.actions or [None])
    ]  # fmt: skip


# The needs of the skills profile that the portal shows: health and psychosocial support are
# sensitive, for caseworkers only.
SHOWN_NEEDS = {
    "needs_childcare": _l("Childcare"),
    "needs_transport": _l("Transport"),
    "needs_digital_access": _l("Digital access"),
}
# ISCED 2011 levels in the words of a school career, for newcomers.
SCHOOL_LEVELS = {
    0: _l("Early childhood education"),
    1: _l("Primary school"),
    2: _l("Lower secondary school"),
    3: _l("Upper secondary school"),
    4: _l("Post-secondary course, not university"),
    5: _l("Short course at a college or university"),
    6: _l("Bachelor's degree or similar"),
    7: _l("Master's degree or similar"),
    8: _l("Doctorate"),
}


def json_value(value: Any) -> Any:
    """A value of the export as JSON: codes for enums, names and ISO 8601 for dates."""
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, LabelledEnum):
        return value.value
    if isinstance(value, Named):
        return value.code
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def export_json(sections: list[ExportSection], case: Case) -> dict:
    return {
        "format": "IntegraPath personal data export, version 1",
        "exported_at": utcnow().isoformat(),
        "file": case.reference,
        "not_included": "Notes and internal remarks of the staff. Ask the integration office.",
        **{
            section.key: [
                {key: json_value(value) for key, value in row.items()} for row in section.rows
            ]
            for section in sections
        },
    }


def record_export(case: Case, actor: User, fmt: str) -> None:
    record_event("personal_data_exported", case, actor=actor, changes={"format": [None, fmt]})

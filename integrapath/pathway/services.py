"""The pathway of a case: its stage, the moves between stages and the time spent in each."""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import Municipality, User
from ..assessments.models import (
    ActivityStatus,
    CefrLevel,
    EducationEntry,
    EmploymentStatus,
    Qualification,
    RecognitionState,
    SkillsProfile,
    WorkExperience,
)
from ..assessments.services import DECISIONS, at_least_in_every_skill
from ..audit import AuditEvent, record_event
from ..cases.models import Case, CaseStatus, Stage, StageChange
from ..cases.services import PERMIT_WARNING_DAYS, VIEW_ACTIONS
from ..courses.models import Course, CourseType, Enrolment, EnrolmentStatus, Offering
from ..errors import RuleBroken
from ..extensions import db, utcnow
from ..i18n import SUPPORTED_LOCALES
from ..inclusion.models import Status
from ..inclusion.services import holding_condition
from ..security import scoped
from .models import Milestone, MilestoneRule, MilestoneTick


class PathwayError(RuleBroken):
    """A rule about the pathway was broken."""


@dataclass(frozen=True)
class StageStep:
    """One of the five stages as the case file shows it."""

    stage: Stage
    state: str  # "done", "skipped" (passed over), "current" or "ahead"
    days: int  # calendar days spent in it so far, over every stay
    entered_on: date | None  # the day of the latest move into it


def stage_history(case: Case) -> list[StageChange]:
    """Return the moves of the case, oldest first, with who made them."""
    return list(
        db.session.scalars(
            select(StageChange)
            .where(StageChange.case_id == case.id)
            .options(joinedload(StageChange.changed_by))
            .order_by(StageChange.changed_at, StageChange.id)
        )
    )


def stage_steps(
    case: Case, history: list[StageChange], today: date, timezone: str
) -> list[StageStep]:
    """Return the five stages with the days spent in each, counted in the municipality's
    calendar days (a stay that starts and ends on the same day counts none)."""
    zone = ZoneInfo(timezone)
    days = dict.fromkeys(Stage, 0)
    entered: dict[Stage, date] = {}
    moved_on = [change.changed_at.astimezone(zone).date() for change in history]
    for index, change in enumerate(history):
        start = moved_on[index]
        end = moved_on[index + 1] if index + 1 < len(history) else today
        days[change.to_stage] += max((end - start).days, 0)
        entered[change.to_stage] = start
    return [
        StageStep(
            stage, _state(stage, case.stage, stage in entered), days[stage], entered.get(stage)
        )
        for stage in Stage
    ]


def _state(stage: Stage, current: Stage, entered: bool) -> str:
    if stage == current:
        return "current"
    if stage.number > current.number:
        return "ahead"
    return "done" if entered else "skipped"


def move_stage(case: Case, to_stage: Stage, reason: str | None, actor: User) -> StageChange:
    """Move the case to another stage, forward or back, and keep the move in its history.

    :raise PathwayError: when the case is closed or already in that stage, or when it goes
        back without a reason.
    """
    to_stage = Stage(to_stage)
    reason = (reason or "").strip() or None
    if case.status != CaseStatus.ACTIVE:
        raise PathwayError(_l("A closed case does not move along the pathway."))
    if to_stage == case.stage:
        raise PathwayError(_l("The case is in this stage already."), "to_stage")
    going_back = to_stage.number < case.stage.number
    if going_back and reason is None:
        raise PathwayError(_l("Say why the case goes back to an earlier stage."), "reason")
    if not going_back and reason is None and missing_milestones(checklist_of(case)):
        raise PathwayError(
            _l("Required milestones are still missing: say why the case moves on early."),
            "reason",
        )
    change = StageChange(
        case_id=case.id,
        from_stage=case.stage,
        to_stage=to_stage,
        changed_by_id=actor.id,
        reason=reason,
    )
    db.session.add(change)
    changes = {"stage": [case.stage.value, to_stage.value]}
    if reason:
        changes["stage_reason"] = [None, reason]
    case.stage = to_stage
    db.session.flush()
    record_event(
        "stage_moved_back" if going_back else "stage_advanced", case, actor=actor, changes=changes
    )
    return change


def municipality_of(case: Case) -> Municipality:
    return db.session.get(Municipality, case.municipality_id)


def pathway_of(case: Case) -> dict:
    """What the pathway section shows: the five stages with their days, the moves, and the
    checklist of the current stage."""
    municipality = municipality_of(case)
    history = stage_history(case)
    checklist = checklist_of(case)
    return {
        "stage_steps": stage_steps(case, history, municipality.today(), municipality.timezone),
        "stage_moves": history[::-1],
        "checklist": checklist,
        "ready_to_advance": ready_from(case, checklist),
    }


# -- milestones -------------------------------------------------------------------------------


def host_language(municipality: Municipality) -> str:
    """The language newcomers learn here: the municipality's language."""
    return municipality.default_locale.split("_")[0]


def _employment_condition() -> sa.ColumnElement[bool]:
    return sa.exists().where(
        EmploymentStatus.case_id == Case.id,
        EmploymentStatus.current.is_(True),
        EmploymentStatus.status.in_(
            [
                ActivityStatus.EMPLOYED,
                ActivityStatus.SELF_EMPLOYED,
                ActivityStatus.IN_EDUCATION,
                ActivityStatus.IN_VOCATIONAL_TRAINING,
            ]
        ),
    )


def _skills_profile_condition() -> sa.ColumnElement[bool]:
    """Complete as the skills profile section says: every part filled in."""
    return sa.and_(
        sa.exists().where(
            SkillsProfile.case_id == Case.id,
            SkillsProfile.digital_skills.is_not(None),
            sa.func.coalesce(SkillsProfile.job_aspirations, "") != "",
        ),
        sa.exists().where(EducationEntry.case_id == Case.id),
        sa.exists().where(WorkExperience.case_id == Case.id),
    )


def met_condition(rule: MilestoneRule, language: str, milestone_id: int | None = None):
    """Say in SQL, for the ``Case`` row of the query, whether the milestone is met."""
    rule = MilestoneRule(rule)
    if rule == MilestoneRule.TICKED:
        return sa.exists().where(
            MilestoneTick.case_id == Case.id, MilestoneTick.milestone_id == milestone_id
        )
    if rule in (MilestoneRule.LANGUAGE_A1, MilestoneRule.LANGUAGE_A2, MilestoneRule.LANGUAGE_B1):
        level = CefrLevel(rule.value.removeprefix("language_"))
        return Case.id.in_(at_least_in_every_skill(language, level))
    if rule == MilestoneRule.NEEDS_ASSESSED:
        return sa.exists().where(SkillsProfile.case_id == Case.id)
    if rule == MilestoneRule.SKILLS_PROFILE:
        return _skills_profile_condition()
    if rule == MilestoneRule.CIVIC_ORIENTATION:
        return sa.exists().where(
            Enrolment.case_id == Case.id,
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.offering_id == Offering.id,
            Offering.course_id == Course.id,
            Course.course_type == CourseType.CIVIC_ORIENTATION,
        )
    if rule in (MilestoneRule.RECOGNITION_STARTED, MilestoneRule.RECOGNITION_DECIDED):
        states = (
            DECISIONS
            if rule == MilestoneRule.RECOGNITION_DECIDED
            else set(RecognitionState) - {RecognitionState.NOT_STARTED}
        )
        return sa.exists().where(
            Qualification.case_id == Case.id,
            Qualification.recognition_state.in_(sorted(states)),
        )
    if rule == MilestoneRule.WORK_OR_EDUCATION:
        return _employment_condition()
    return holding_condition(Status.LONG_TERM_RESIDENCE)


def milestones_of(municipality_id: int, *, retired: bool = False) -> list[Milestone]:
    """The municipality's milestones in stage order, then in their order within the stage."""
    statement = select(Milestone).where(Milestone.municipality_id == municipality_id)
    if not retired:
        statement = statement.where(Milestone.retired_at.is_(None))
    rows = db.session.scalars(statement.order_by(Milestone.position, Milestone.id)).all()
    order = {stage: index for index, stage in enumerate(Stage)}
    return sorted(rows, key=lambda m: (order[m.stage], m.retired_at is not None, m.position))


@dataclass(frozen=True)
class ChecklistItem:
    milestone: Milestone
    met: bool
    tick: MilestoneTick | None


def checklist_of(case: Case, stage: Stage | None = None) -> list[ChecklistItem]:
    """The live milestones of the case's current stage (or of ``stage``), each with whether it
    is met: three queries whatever the number of milestones."""
    stage = stage or case.stage
    milestones = [m for m in milestones_of(case.municipality_id) if m.stage == stage]
    if not milestones:
        return []
    language = host_language(municipality_of(case))
    met = db.session.execute(
        select(*(met_condition(m.rule, language, m.id).label(f"m{m.id}") for m in milestones))
        .select_from(Case)
        .where(Case.id == case.id)
    ).one()
    ticks = {
        tick.milestone_id: tick
        for tick in db.session.scalars(
            select(MilestoneTick)
            .where(MilestoneTick.case_id == case.id)
            .options(joinedload(MilestoneTick.ticked_by))
        )
    }
    return [ChecklistItem(m, bool(getattr(met, f"m{m.id}")), ticks.get(m.id)) for m in milestones]


def missing_milestones(checklist: list[ChecklistItem]) -> list[Milestone]:
    """The required milestones of the checklist not met yet."""
    return [item.milestone for item in checklist if item.milestone.required and not item.met]


def ready_from(case: Case, checklist: list[ChecklistItem]) -> bool:
    """Every required milestone of the stage is met (and it has some, and a next stage)."""
    required = [item for item in checklist if item.milestone.required]
    return bool(required) and not missing_milestones(checklist) and case.stage != Stage.INCLUSION


def ready_condition(municipality: Municipality) -> sa.ColumnElement[bool]:
    """Say in SQL whether a ``Case`` row of the municipality is ready to advance: one
    condition per stage, built from the milestones (one query), evaluated by the database."""
    language = host_language(municipality)
    by_stage: dict[Stage, list] = {}
    for milestone in milestones_of(municipality.id):
        if milestone.required and milestone.stage != Stage.INCLUSION:
            by_stage.setdefault(milestone.stage, []).append(
                met_condition(milestone.rule, language, milestone.id)
            )
    if not by_stage:
        return sa.false()
    return sa.and_(
        Case.status == CaseStatus.ACTIVE,
        sa.or_(*(sa.and_(Case.stage == stage, *met) for stage, met in by_stage.items())),
    )


def count_ready_to_advance(user: User, ready: sa.ColumnElement[bool]) -> int:
    """How many of the user's own open cases are ready to advance: one count in SQL."""
    return db.session.scalar(
        scoped(select(sa.func.count(Case.id)), user).where(Case.caseworker_id == user.id, ready)
    )


def _tick_of(case: Case, milestone: Milestone) -> MilestoneTick | None:
    return db.session.scalar(
        select(MilestoneTick).where(
            MilestoneTick.case_id == case.id, MilestoneTick.milestone_id == milestone.id
        )
    )


def tick_milestone(case: Case, milestone: Milestone, met_on: date, actor: User) -> MilestoneTick:
    """Record that a caseworker's milestone is met for the case.

    :raise PathwayError: for a milestone read from data, of another municipality, already
        ticked, or a date in the future.
    """
    if milestone.municipality_id != case.municipality_id or milestone.retired_at:
        raise PathwayError(_l("This milestone is not on the checklist."))
    if milestone.rule.derived:
        raise PathwayError(_l("This milestone is read from the file and cannot be ticked."))
    if met_on > municipality_of(case).today():
        raise PathwayError(_l("This date cannot be in the future."), "met_on")
    if _tick_of(case, milestone) is not None:
        raise PathwayError(_l("This milestone is ticked already."))
    tick = MilestoneTick(
        case_id=case.id, milestone_id=milestone.id, met_on=met_on, ticked_by_id=actor.id
    )
    db.session.add(tick)
    db.session.flush()
    record_event(
        "milestone_ticked",
        case,
        actor=actor,
        changes={"milestone": [None, milestone.name], "met_on": [None, met_on.isoformat()]},
    )
    return tick


def untick_milestone(case: Case, milestone: Milestone, actor: User) -> None:
    """Take a tick back (given by mistake); the timeline keeps both."""
    tick = _tick_of(case, milestone)
    if tick is None:
        raise PathwayError(_l("This milestone is not ticked."))
    db.session.delete(tick)
    record_event(
        "milestone_unticked", case, actor=actor, changes={"milestone": [milestone.name, None]}
    )


# -- the checklists, kept by administrators ---------------------------------------------------


def _check_names(names: dict[str, str], fallback: str) -> dict[str, str]:
    names = {code: (names.get(code) or "").strip() for code in SUPPORTED_LOCALES}
    if not names.get(fallback):
        raise PathwayError(_l("Give the name in the municipality's language."), f"name_{fallback}")
    return {code: name for code, name in names.items() if name}


def add_milestone(
    municipality: Municipality,
    stage: Stage,
    rule: MilestoneRule,
    names: dict[str, str],
    required: bool,
    actor: User,
) -> Milestone:
    """Add a milestone at the end of its stage's checklist."""
    names = _check_names(names, municipality.default_locale)
    last = db.session.scalar(
        select(sa.func.max(Milestone.position)).where(
            Milestone.municipality_id == municipality.id, Milestone.stage == Stage(stage)
        )
    )
    milestone = Milestone(
        municipality_id=municipality.id,
        stage=Stage(stage),
        rule=MilestoneRule(rule),
        names=names,
        required=required,
        position=(last or 0) + 1,
        fallback_locale=municipality.default_locale,
    )
    db.session.add(milestone)
    db.session.flush()
    record_event(
        "milestone_added",
        milestone,
        actor=actor,
        changes={"stage": [None, milestone.stage.value], "rule": [None, milestone.rule.value]},
    )
    return milestone


def update_milestone(
    milestone: Milestone, names: dict[str, str], required: bool, actor: User
) -> None:
    """Rename the milestone (in every locale) and say whether it is required."""
    names = _check_names(names, milestone.fallback_locale)
    changes = {}
    if names != milestone.names:
        changes["names"] = [None, " · ".join(names.values())]
    if required != milestone.required:
        changes["required"] = [milestone.required, required]
    milestone.names = names
    milestone.required = required
    if changes:
        record_event("milestone_changed", milestone, actor=actor, changes=changes)


def move_milestone(milestone: Milestone, step: int, actor: User) -> None:
    """Move the milestone one place up (``step`` -1) or down (+1) in its stage's list."""
    siblings = [m for m in milestones_of(milestone.municipality_id) if m.stage == milestone.stage]
    index = siblings.index(milestone)
    other = index + step
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    record_event(
        "milestone_moved", milestone, actor=actor, changes={"position": [index + 1, other + 1]}
    )


def retire_milestone(milestone: Milestone, actor: User) -> None:
    """Take the milestone off the checklist; ticks already given stay in the timeline."""
    if milestone.retired_at is not None:
        raise PathwayError(_l("This milestone is retired already."))
    milestone.retired_at = utcnow()
    record_event("milestone_retired", milestone, actor=actor)


# Default checklists of new and demo municipalities: (stage, rule, required, name).
S, R = Stage, MilestoneRule
DEFAULT_MILESTONES = [
    (S.PRE_DEPARTURE, R.TICKED, True, _l("Information given before travelling")),
    (S.PRE_DEPARTURE, R.NEEDS_ASSESSED, False, _l("Needs known before arrival")),
    (S.ARRIVAL, R.TICKED, True, _l("Registered and welcomed")),
    (S.ARRIVAL, R.NEEDS_ASSESSED, True, _l("Needs assessment done")),
    (S.ARRIVAL, R.LANGUAGE_A1, False, _l("Host language at A1")),
    (S.EARLY_INTEGRATION, R.LANGUAGE_A2, True, _l("Host language at A2")),
    (S.EARLY_INTEGRATION, R.CIVIC_ORIENTATION, True, _l("Civic orientation completed")),
    (S.EARLY_INTEGRATION, R.SKILLS_PROFILE, True, _l("Skills profile complete")),
    (S.EARLY_INTEGRATION, R.RECOGNITION_STARTED, False, _l("Recognition started")),
    (S.LONG_TERM, R.LANGUAGE_B1, True, _l("Host language at B1")),
    (S.LONG_TERM, R.WORK_OR_EDUCATION, True, _l("In work, education or training")),
    (S.LONG_TERM, R.RECOGNITION_DECIDED, False, _l("Recognition decided")),
    (S.INCLUSION, R.LONG_TERM_RESIDENCE, False, _l("Long-term residence permit")),
]  # fmt: skip


def add_default_milestones(municipality: Municipality, actor: User | None = None) -> None:
    """Give a municipality the default checklists, named in every locale from the catalogs."""
    for stage, rule, required, name in DEFAULT_MILESTONES:
        names = {}
        for code in SUPPORTED_LOCALES:
            with force_locale(code):
                names[code] = str(name)
        add_milestone(municipality, stage, rule, names, required, actor)


# -- the caseworker's day ---------------------------------------------------------------------

DAY_LIMIT = 20  # rows shown per list of the day; the count says how many there are


@dataclass(frozen=True)
class DayList:
    """One list of the caseworker's day: the most urgent rows first, and how many in all."""

    rows: list
    total: int


def _day_list(statement) -> DayList:
    """Run ``statement`` (cases, with a window count) limited to the first rows: one query."""
    rows = db.session.execute(statement.add_columns(sa.func.count().over()).limit(DAY_LIMIT)).all()
    return DayList([row[:-1] for row in rows], rows[0][-1] if rows else 0)


def _own_open_cases(user: User):
    return scoped(select(Case), user).where(
        Case.caseworker_id == user.id, Case.status == CaseStatus.ACTIVE
    )


def permits_expiring(user: User, today: date) -> DayList:
    """The caseworker's open cases whose permit expired or expires within 90 days, soonest
    first (dates in the municipality's calendar)."""
    limit = today + timedelta(days=PERMIT_WARNING_DAYS)
    return _day_list(
        _own_open_cases(user)
        .where(Case.permit_expires_on.is_not(None), Case.permit_expires_on <= limit)
        .order_by(Case.permit_expires_on, Case.id)
    )


def last_activity():
    """When something was last recorded on the ``Case`` row (views do not count)."""
    return (
        select(sa.func.max(AuditEvent.created_at))
        .where(
            AuditEvent.object_type == "Case",
            AuditEvent.object_id == Case.id,
            AuditEvent.action.not_in(VIEW_ACTIONS),
        )
        .correlate(Case)
        .scalar_subquery()
    )


def inactive_cases(user: User, weeks: int) -> DayList:
    """The caseworker's open cases with nothing recorded for ``weeks`` weeks, quietest first."""
    last = last_activity()
    cutoff = utcnow() - timedelta(weeks=weeks)
    return _day_list(
        _own_open_cases(user)
        .add_columns(last.label("last_activity"))
        .where(last < cutoff)
        .order_by(last, Case.id)
    )


def ready_cases(user: User, municipality: Municipality) -> DayList:
    """The caseworker's cases ready to advance, oldest files first."""
    return _day_list(_own_open_cases(user).where(ready_condition(municipality)).order_by(Case.id))


def set_inactivity_weeks(municipality: Municipality, weeks: int, actor: User) -> None:
    """Say after how many quiet weeks the caseworker's day lists a case."""
    if not 1 <= weeks <= 104:
        raise PathwayError(_l("Choose between 1 and 104 weeks."), "inactivity_weeks")
    if weeks != municipality.inactivity_weeks:
        record_event(
            "inactivity_weeks_changed",
            actor=actor,
            changes={"inactivity_weeks": [municipality.inactivity_weeks, weeks]},
        )
    municipality.inactivity_weeks = weeks

"""The pathway of a case: its stage, the moves between stages and the time spent in each."""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..accounts.models import Municipality, Organisation, OrganisationKind, User
from ..assessments.models import (
    ActivityStatus,
    CefrLevel,
    EducationEntry,
    EmploymentStatus,
    LanguageStanding,
    Qualification,
    RecognitionState,
    SkillsProfile,
    WorkExperience,
)
from ..assessments.services import DECISIONS, at_least_in_every_skill
from ..audit import RECORDED_ON_A_CASE, VIEW_ACTIONS, AuditEvent, record_event
from ..cases.models import Case, CaseStatus, Stage, StageChange
from ..cases.services import PERMIT_WARNING_DAYS, files_by_municipality
from ..courses.models import Course, CourseType, Enrolment, EnrolmentStatus, Offering
from ..errors import RuleBroken
from ..extensions import db, kept_before_commit, rows_of_each, utcnow
from ..history import keep_valid_until
from ..i18n import SUPPORTED_LOCALES, format_date, lazy_number
from ..inclusion.models import Status
from ..inclusion.services import holding_condition
from ..security import Role, scoped
from .models import (
    OPEN_STATUSES,
    ActionStatus,
    IntegrationPlan,
    Milestone,
    MilestoneRule,
    MilestoneTick,
    PartnerServiceArea,
    PlanAction,
    PlanGoal,
    PlanVersion,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
    Responsibility,
    ServiceArea,
)


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
    keep_valid_until(StageChange, case.id)
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


def _per_case(*conditions) -> sa.Exists:
    """EXISTS of rows of the ``Case`` row's own, probed by its case_id index case by case.

    A readiness condition is an OR of stages, so PostgreSQL evaluates its EXISTS as subplans
    and, when it may, hashes the whole table behind each one (50,000 language standings,
    48,000 employment statuses) for a caseload of 2,000: 120 ms where the probes take 30. The
    OFFSET 0 keeps it from turning the EXISTS into that hashed IN (it changes no result).
    """
    return select(sa.literal(1)).where(*conditions).offset(0).exists()


def _employment_condition() -> sa.ColumnElement[bool]:
    return _per_case(
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
        _per_case(
            SkillsProfile.case_id == Case.id,
            SkillsProfile.digital_skills.is_not(None),
            sa.func.coalesce(SkillsProfile.job_aspirations, "") != "",
        ),
        _per_case(EducationEntry.case_id == Case.id),
        _per_case(WorkExperience.case_id == Case.id),
    )


def met_condition(rule: MilestoneRule, language: str, milestone_id: int | None = None):
    """Say in SQL, for the ``Case`` row of the query, whether the milestone is met."""
    rule = MilestoneRule(rule)
    if rule == MilestoneRule.TICKED:
        return _per_case(
            MilestoneTick.case_id == Case.id, MilestoneTick.milestone_id == milestone_id
        )
    if rule == MilestoneRule.PLAN_AGREED:
        return _per_case(*_plan_agreed)
    if rule in (MilestoneRule.LANGUAGE_A1, MilestoneRule.LANGUAGE_A2, MilestoneRule.LANGUAGE_B1):
        level = CefrLevel(rule.value.removeprefix("language_"))
        # Correlated: one primary-key probe per case in the stage.
        return _per_case(
            LanguageStanding.case_id == Case.id,
            at_least_in_every_skill(language, level).whereclause,
        )
    if rule == MilestoneRule.NEEDS_ASSESSED:
        return _per_case(SkillsProfile.case_id == Case.id)
    if rule == MilestoneRule.SKILLS_PROFILE:
        return _skills_profile_condition()
    if rule == MilestoneRule.CIVIC_ORIENTATION:
        return _per_case(
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
        return _per_case(
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
    condition per stage, built from the milestones (one query), evaluated by the database.

    Pages do not evaluate it: they read ``Case.ready_to_advance``, which ``_keep_ready``
    sets from it for the files a transaction touched."""
    return ready_condition_of(milestones_of(municipality.id), host_language(municipality))


def ready_condition_of(milestones, language: str) -> sa.ColumnElement[bool]:
    """``ready_condition`` from the live milestones (anything with ``id``, ``stage``,
    ``rule`` and ``required``) and the host language."""
    by_stage: dict[Stage, list] = {}
    for milestone in milestones:
        if milestone.required and Stage(milestone.stage) != Stage.INCLUSION:
            by_stage.setdefault(Stage(milestone.stage), []).append(
                met_condition(milestone.rule, language, milestone.id)
            )
    if not by_stage:
        return sa.false()
    return sa.and_(
        Case.status == CaseStatus.ACTIVE,
        sa.or_(*(sa.and_(Case.stage == stage, *met) for stage, met in by_stage.items())),
    )


def ready_to_advance() -> sa.ColumnElement[bool]:
    """Say in SQL whether the ``Case`` row is ready to advance, as kept on it (the pending
    changes of the transaction kept first)."""
    keep_readiness()
    return Case.ready_to_advance  # as the partial index says it: `IS true` would not use it


def count_ready_to_advance(user: User) -> int:
    """How many of the user's own open cases are ready to advance: one count over the
    partial index of the files ready, so it grows with them, not with the caseload."""
    return db.session.scalar(
        scoped(select(sa.func.count(Case.id)), user).where(
            Case.caseworker_id == user.id, ready_to_advance()
        )
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
    (S.ARRIVAL, R.PLAN_AGREED, True, _l("Integration plan agreed")),
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


# -- referrals to partner services ------------------------------------------------------------


class ReferralError(PathwayError):
    """A rule about referrals was broken."""


RS = ReferralStatus
# Where a referral may go from each status: the partner service answers a sent referral and
# completes an accepted one; the caseworker withdraws a referral while it is open.
REFERRAL_MOVES: dict[ReferralStatus, tuple[ReferralStatus, ...]] = {
    RS.SENT: (RS.ACCEPTED, RS.DECLINED, RS.WITHDRAWN),
    RS.ACCEPTED: (RS.COMPLETED, RS.WITHDRAWN),
    RS.DECLINED: (),
    RS.COMPLETED: (),
    RS.WITHDRAWN: (),
}
# What the timeline calls each move.
REFERRAL_EVENTS = {
    RS.ACCEPTED: "referral_answered",
    RS.DECLINED: "referral_answered",
    RS.COMPLETED: "referral_completed",
    RS.WITHDRAWN: "referral_withdrawn",
}
REASON_LENGTH = 2000


@dataclass(frozen=True)
class PartnerService:
    """An active partner organisation and the service areas it covers."""

    organisation: Organisation
    areas: tuple[ServiceArea, ...]


def partner_services(municipality_id: int) -> list[PartnerService]:
    """The municipality's active partner services, by name, each with its areas: one query."""
    rows = db.session.execute(
        select(Organisation, PartnerServiceArea.area)
        .join(PartnerServiceArea, PartnerServiceArea.organisation_id == Organisation.id)
        .where(
            Organisation.municipality_id == municipality_id,
            Organisation.kind == OrganisationKind.PARTNER_SERVICE,
            Organisation.active.is_(True),
        )
        .order_by(Organisation.name, Organisation.id)
    ).all()
    areas: dict[Organisation, list[ServiceArea]] = {}
    for organisation, area in rows:
        areas.setdefault(organisation, []).append(area)
    order = list(ServiceArea)
    return [
        PartnerService(organisation, tuple(sorted(covered, key=order.index)))
        for organisation, covered in areas.items()
    ]


def service_areas_by_organisation(organisation_ids: list[int]) -> dict[int, list[ServiceArea]]:
    """The areas each of the organisations covers, in the enum's order: one query."""
    found: dict[int, set[ServiceArea]] = {}
    for organisation_id, area in db.session.execute(
        select(PartnerServiceArea.organisation_id, PartnerServiceArea.area).where(
            PartnerServiceArea.organisation_id.in_(organisation_ids)
        )
    ):
        found.setdefault(organisation_id, set()).add(area)
    return {key: [area for area in ServiceArea if area in areas] for key, areas in found.items()}


def service_areas_of(organisation: Organisation) -> list[ServiceArea]:
    """The areas the organisation covers, in the enum's order."""
    return service_areas_by_organisation([organisation.id]).get(organisation.id, [])


def check_service_areas(kind: OrganisationKind, areas) -> list[ServiceArea]:
    """Return the areas an organisation of ``kind`` keeps: a partner service covers at least
    one; other kinds cover none (what was ticked for them does not apply).

    :raise ReferralError: for a partner service without an area.
    """
    if OrganisationKind(kind) != OrganisationKind.PARTNER_SERVICE:
        return []
    chosen = {ServiceArea(area) for area in areas}
    if not chosen:
        raise ReferralError(
            _l("Choose at least one service area this partner service covers."), "service_areas"
        )
    return [area for area in ServiceArea if area in chosen]


def replace_service_areas(organisation: Organisation, areas: list[ServiceArea]) -> list | None:
    """Keep ``areas`` as the organisation's (checked by ``check_service_areas``); return the
    change as ``[old, new]`` codes for the organisation's audit event, or None."""
    before = service_areas_of(organisation)
    if before == areas:
        return None
    db.session.execute(
        sa.delete(PartnerServiceArea).where(PartnerServiceArea.organisation_id == organisation.id)
    )
    db.session.add_all(PartnerServiceArea(organisation_id=organisation.id, area=a) for a in areas)
    return [" ".join(before) or None, " ".join(areas) or None]


def refer_case(
    case: Case,
    partner: Organisation,
    area: ServiceArea,
    reason: str,
    actor: User,
    *,
    sent_on: date,
    answer_expected_on: date | None = None,
    action: PlanAction | None = None,
) -> Referral:
    """Refer the case to a partner service of its municipality; without a date, the answer is
    expected the municipality's number of days after sending.

    :raise ReferralError: for a closed case, an organisation that is not an active partner
        service of the case's municipality or does not cover the area, an empty reason, a
        sending date in the future, an answer expected before the sending, or a plan action
        of another file.
    """
    area = ServiceArea(area)
    reason = (reason or "").strip()
    municipality = municipality_of(case)
    if case.status != CaseStatus.ACTIVE:
        raise ReferralError(_l("A closed case is not referred to partner services."))
    if (
        partner.municipality_id != case.municipality_id
        or partner.kind != OrganisationKind.PARTNER_SERVICE
        or not partner.active
        or area not in service_areas_of(partner)
    ):
        raise ReferralError(_l("Choose a partner service that covers this area."), "partner")
    if not reason:
        raise ReferralError(_l("Say why the newcomer is referred."), "reason")
    if len(reason) > REASON_LENGTH:
        raise ReferralError(_l("The reason is too long."), "reason")
    if sent_on > municipality.today():
        raise ReferralError(_l("This date cannot be in the future."), "sent_on")
    if action is not None and action.plan_id != getattr(plan_of(case), "id", None):
        raise ReferralError(_l("Choose an action of this file's plan."), "action")
    expected = answer_expected_on or sent_on + timedelta(days=municipality.referral_answer_days)
    if expected < sent_on:
        raise ReferralError(
            _l("The answer cannot be expected before the referral is sent."),
            "answer_expected_on",
        )
    referral = Referral(
        case_id=case.id,
        partner_id=partner.id,
        service_area=area,
        reason=reason,
        status=RS.SENT,
        sent_on=sent_on,
        answer_expected_on=expected,
        status_changed_on=sent_on,
        referred_by_id=actor.id,
        action_id=action.id if action is not None else None,
    )
    db.session.add(referral)
    db.session.flush()
    db.session.add(
        ReferralStatusChange(
            referral_id=referral.id, to_status=RS.SENT, changed_on=sent_on, recorded_by_id=actor.id
        )
    )
    record_event(
        "referral_sent",
        case,
        actor=actor,
        changes={
            "partner": [None, partner.name],
            "service_area": [None, area.value],
            "sent_on": [None, sent_on.isoformat()],
            "answer_expected_on": [None, expected.isoformat()],
            **({"plan_action": [None, action.text]} if action is not None else {}),
        },
    )
    return referral


def change_referral_status(
    referral: Referral,
    case: Case,
    to_status: ReferralStatus,
    on: date,
    actor: User,
    note: str | None = None,
) -> ReferralStatusChange:
    """Record the partner's answer, the end of the service, or the caseworker's withdrawal.

    :raise ReferralError: for a move the rules do not allow (an answer only to a sent
        referral, completion only of an accepted one, withdrawal only while open), a date in
        the future or before the referral's last change.
    """
    to_status = ReferralStatus(to_status)
    from_status = referral.status
    if referral.case_id != case.id:
        raise ReferralError(_l("This referral belongs to another case."))
    if to_status not in REFERRAL_MOVES[from_status]:
        raise ReferralError(
            _l(
                "A referral that is “%(from_status)s” cannot become “%(to_status)s”.",
                from_status=from_status.label,
                to_status=to_status.label,
            ),
            "to_status",
        )
    if on > municipality_of(case).today():
        raise ReferralError(_l("This date cannot be in the future."), "on")
    if on < referral.status_changed_on:
        raise ReferralError(
            _l(
                "This date is before the referral's last change, on %(date)s.",
                date=format_date(referral.status_changed_on, "medium"),
            ),
            "on",
        )
    change = ReferralStatusChange(
        referral_id=referral.id,
        from_status=from_status,
        to_status=to_status,
        changed_on=on,
        recorded_by_id=actor.id,
        note=(note or "").strip() or None,
    )
    db.session.add(change)
    referral.status = to_status
    referral.status_changed_on = on
    db.session.flush()
    partner_name = db.session.scalar(
        select(Organisation.name).where(Organisation.id == referral.partner_id)
    )
    record_event(
        REFERRAL_EVENTS[to_status],
        case,
        actor=actor,
        changes={
            "partner": [None, partner_name],
            "referral_status": [from_status.value, to_status.value],
            "status_on": [None, on.isoformat()],
        },
    )
    return change


def referrals_of(case: Case) -> list[Referral]:
    """The case's referrals, newest first, with partner, who referred and each step: two
    queries whatever their number."""
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.case_id == case.id)
            .options(
                joinedload(Referral.partner),
                joinedload(Referral.referred_by),
                joinedload(Referral.action),
                selectinload(Referral.history).joinedload(ReferralStatusChange.recorded_by),
            )
            .order_by(Referral.sent_on.desc(), Referral.id.desc())
        )
    )


def record_reasons_viewed(case: Case, referrals: list[Referral], viewer: User) -> None:
    """Audit a caseworker's view of the referral reasons, as every view of sensitive needs."""
    if referrals:
        record_event(
            "sensitive_flags_viewed",
            case,
            actor=viewer,
            changes={"referral_reasons": [None, len(referrals)]},
        )


def overdue_referral_condition(today: date) -> sa.ColumnElement[bool]:
    """Say in SQL whether the ``Case`` row has a referral still without an answer after the
    day it was expected (``today`` is the municipality's)."""
    return sa.exists().where(
        Referral.case_id == Case.id,
        Referral.status == RS.SENT,
        Referral.answer_expected_on < today,
    )


def referrals_without_answer(user: User, today: date) -> "DayList":
    """The referrals of the caseworker's open cases still waiting for an answer after the day
    it was expected, most overdue first: one query, with the partner's name and contacts."""
    statement, referral = rows_of_each(
        _own_open_cases(user),
        Referral,
        lambda row: (
            row.case_id == Case.id,
            row.status == RS.SENT,
            row.answer_expected_on < today,
        ),
    )
    return _day_list(
        statement.join_from(referral, Organisation, Organisation.id == referral.partner_id)
        .add_columns(referral, Organisation)
        .order_by(referral.answer_expected_on, referral.id)
    )


def set_referral_answer_days(municipality: Municipality, days: int, actor: User) -> None:
    """Say within how many days a partner service is expected to answer a referral."""
    refusal = _l("Choose between 1 and 365 days.")
    _set_setting(municipality, "referral_answer_days", days, range(1, 366), refusal, actor)


# -- end of referrals -------------------------------------------------------------------------


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
    """When something was last recorded on the ``Case`` row (views do not count): one probe
    of the partial index ``ix_audit_event_case_recorded`` per file."""
    return (
        select(sa.func.max(AuditEvent.created_at))
        .where(AuditEvent.object_id == Case.id, sa.text(RECORDED_ON_A_CASE))
        .correlate(Case)
        .scalar_subquery()
    )


def inactive_cases(user: User, weeks: int) -> DayList:
    """The caseworker's open cases with nothing recorded for ``weeks`` weeks, quietest first:
    read from the kept ``last_recorded_at`` on the index that sorts by it, so the page reads
    the rows it shows (and counts the quiet files from the index), not every open file."""
    keep_readiness()
    cutoff = utcnow() - timedelta(weeks=weeks)
    return _counted_list(
        _own_open_cases(user)
        .add_columns(Case.last_recorded_at)
        .where(Case.last_recorded_at < cutoff)
        .order_by(Case.last_recorded_at, Case.id)
    )


def ready_cases(user: User) -> DayList:
    """The caseworker's cases ready to advance, oldest files first."""
    keep_readiness()
    return _counted_list(_own_open_cases(user).where(Case.ready_to_advance).order_by(Case.id))


def _counted_list(statement) -> DayList:
    """Like ``_day_list``, with the count in a subquery of its own: a window count would
    fetch every matching file before the first rows; this one reads the index alone."""
    count = (
        select(sa.func.count())
        .select_from(statement.with_only_columns(Case.id).order_by(None).subquery())
        .scalar_subquery()
    )
    rows = db.session.execute(statement.add_columns(count).limit(DAY_LIMIT)).all()
    return DayList([row[:-1] for row in rows], rows[0][-1] if rows else 0)


def set_inactivity_weeks(municipality: Municipality, weeks: int, actor: User) -> None:
    """Say after how many quiet weeks the caseworker's day lists a case."""
    refusal = _l("Choose between 1 and 104 weeks.")
    _set_setting(municipality, "inactivity_weeks", weeks, range(1, 105), refusal, actor)


def _set_setting(
    municipality: Municipality, name: str, value: int, allowed: range, refusal, actor
) -> None:
    """Keep a number setting of the municipality; a change goes to the audit trail as
    ``<name>_changed``.

    :raise PathwayError: with ``refusal`` for a value outside ``allowed``.
    """
    if value not in allowed:
        raise PathwayError(refusal, name)
    old = getattr(municipality, name)
    if value != old:
        record_event(f"{name}_changed", actor=actor, changes={name: [old, value]})
    setattr(municipality, name, value)


# -- readiness and quiet files, kept on the case ------------------------------------------------
#
# What the milestone rules read (met_condition): the case row (stage, status), rows of the case
# (ticks, language standings, skills profile, education, work experience, enrolments,
# qualifications, employment and residence statuses, the plan), the versions of its plan (by
# plan id), the municipality's milestones and host language, and the type of the course that
# an enrolment's run teaches. None reads the date: a file's readiness changes only with a
# write. Every flush notes the files it touched (any row with a case_id, the case row, an event
# recorded on it), and the commit (or a page about to read the kept columns) sets them for
# exactly those files with the same SQL conditions. A Core UPDATE alone is not seen: the
# services that write one also record an event on the file, which is.

TOUCHED = "pathway_touched"

_MILESTONE_FIELDS = ("municipality_id", "stage", "rule", "required", "retired_at")


def _changed(obj, *fields: str) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[field].history.has_changes() for field in fields)


def _touched(session) -> dict[str, set[int]]:
    return session.info.setdefault(
        TOUCHED, {"cases": set(), "plans": set(), "municipalities": set()}
    )


def note_municipality_changed(municipality_id: int) -> None:
    """Have every file of the municipality recomputed when this transaction is kept."""
    _touched(db.session)["municipalities"].add(municipality_id)


@sa.event.listens_for(Session, "after_flush")
def _note_touched(session, _context) -> None:
    """Note the files whose kept readiness or last activity the flush may have changed."""
    touched = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        gone = obj in session.deleted

        def value(name: str, obj=obj, gone=gone):
            """The attribute, loaded if it expired (a deleted row's is read as it was)."""
            known = sa.inspect(obj).dict
            return known.get(name) if name in known or gone else getattr(obj, name, None)

        case_id = municipality_id = plan_id = None
        if isinstance(obj, Case):
            case_id = value("id")
        elif isinstance(obj, AuditEvent):
            if value("object_type") == "Case" and value("action") not in VIEW_ACTIONS:
                case_id = value("object_id")
        elif isinstance(obj, PlanVersion):
            plan_id = value("plan_id")
        elif isinstance(obj, Milestone):
            if obj not in session.dirty or _changed(obj, *_MILESTONE_FIELDS):
                municipality_id = value("municipality_id")
        elif isinstance(obj, Municipality):
            if obj in session.dirty and _changed(obj, "default_locale"):
                municipality_id = value("id")
        elif isinstance(obj, Course | Offering):
            field = "course_type" if isinstance(obj, Course) else "course_id"
            if obj in session.dirty and _changed(obj, field):
                municipality_id = value("municipality_id")
        else:
            case_id = value("case_id")
        if case_id is None and municipality_id is None and plan_id is None:
            continue
        touched = touched or _touched(session)
        for kind, value in (
            ("cases", case_id),
            ("municipalities", municipality_id),
            ("plans", plan_id),
        ):
            if isinstance(value, int):
                touched[kind].add(value)


@kept_before_commit(TOUCHED)
def keep_readiness(session=None) -> None:
    """Set ``ready_to_advance`` and ``last_recorded_at`` on the files the transaction touched
    (every file of a municipality whose milestones or host language changed): one UPDATE per
    municipality and 5,000 files. Nothing to do, no query."""
    session = session or db.session
    session.flush()  # the last changes noted too (before_commit comes before the last flush)
    if not any(session.info.get(TOUCHED, {}).values()):
        return
    touched = session.info.pop(TOUCHED)
    everywhere = touched["municipalities"]
    cases = touched["cases"]
    if touched["plans"]:
        cases |= set(
            session.scalars(
                select(IntegrationPlan.case_id).where(IntegrationPlan.id.in_(touched["plans"]))
            )
        )
    for municipality, ids in files_by_municipality(session, cases, everywhere):
        ready = ready_condition_of(milestones_of(municipality.id), host_language(municipality))
        if ids is None:  # rewriting only the rows that change
            session.execute(
                kept_state_update(ready).where(
                    Case.municipality_id == municipality.id,
                    sa.or_(
                        Case.ready_to_advance != ready,
                        Case.last_recorded_at.is_distinct_from(last_activity()),
                    ),
                )
            )
        else:
            session.execute(kept_state_update(ready).where(Case.id.in_(ids)))


def kept_state_update(ready: sa.ColumnElement[bool]) -> sa.Update:
    """The UPDATE that sets the kept columns of the ``Case`` rows it is narrowed to."""
    return (
        sa.update(Case)
        # updated_at as it was: derived state is not a change of the file
        .values(
            ready_to_advance=ready, last_recorded_at=last_activity(), updated_at=Case.updated_at
        )
        .execution_options(synchronize_session=False)
    )


# -- the integration plan ---------------------------------------------------------------------
#
# The goals and actions rows are the working copy, edited in place. Agreeing the plan freezes
# a copy of them into a new PlanVersion (its ``content``), which is never changed afterwards:
# an old version reads exactly as agreed, statuses included, whatever happens later. Changes
# to what was agreed (goals, actions, who, by when, links, cancelling) mark the working copy
# as changed, so that agreeing it again makes the next version; ticking off progress (planned,
# in progress, done) does not, and is kept in the audit trail instead.


class PlanError(PathwayError):
    """A rule about the integration plan was broken."""


@dataclass(frozen=True)
class PlannedAction:
    """An action as a plan shows it: from the working copy, or as a version froze it."""

    id: int
    text: str
    responsible: Responsibility
    due_on: date
    status: ActionStatus
    offering_id: int | None = None
    milestone_id: int | None = None

    def overdue(self, today: date) -> bool:
        """Still open after its due date (``today`` is the municipality's day)."""
        return self.status.open and self.due_on < today


@dataclass(frozen=True)
class PlannedGoal:
    id: int
    text: str
    cancelled: bool
    actions: list[PlannedAction]


@dataclass(frozen=True)
class PlanState:
    """A case's plan: the working copy's goals and the agreed versions, newest first."""

    plan: IntegrationPlan | None
    goals: list[PlannedGoal]
    versions: list[PlanVersion]

    @property
    def latest(self) -> PlanVersion | None:
        return self.versions[0] if self.versions else None

    @property
    def unagreed(self) -> bool:
        """The working copy holds changes that no agreed version has."""
        return bool(self.goals) and (self.latest is None or self.plan.changed_since_agreed)

    @property
    def next_number(self) -> int:
        return self.latest.number + 1 if self.latest else 1

    @property
    def agreeable(self) -> bool:
        return self.unagreed and any(not goal.cancelled for goal in self.goals)


def plan_of(case: Case) -> IntegrationPlan | None:
    return db.session.scalar(select(IntegrationPlan).where(IntegrationPlan.case_id == case.id))


def open_plan_actions(case: Case) -> list[PlanAction]:
    """The actions of the case's plan still to do, by due date: what a referral may serve."""
    return list(
        db.session.scalars(
            select(PlanAction)
            .join(IntegrationPlan, IntegrationPlan.id == PlanAction.plan_id)
            .where(
                IntegrationPlan.case_id == case.id,
                PlanAction.status.in_([ActionStatus.PLANNED, ActionStatus.IN_PROGRESS]),
            )
            .order_by(PlanAction.due_on, PlanAction.id)
        )
    )


def plan_state(case: Case) -> PlanState:
    """The plan of the case, its goals with their actions and its versions: four queries
    whatever their number (one when the case has no plan)."""
    plan = plan_of(case)
    if plan is None:
        return PlanState(None, [], [])
    versions = db.session.scalars(
        select(PlanVersion)
        .where(PlanVersion.plan_id == plan.id)
        .options(joinedload(PlanVersion.agreed_by))
        .order_by(PlanVersion.number.desc())
    )
    return PlanState(plan, working_goals(plan), list(versions))


def working_goals(plan: IntegrationPlan) -> list[PlannedGoal]:
    """The goals of the working copy in the order they were set, each with its actions in
    the order they are due."""
    goals = db.session.scalars(
        select(PlanGoal).where(PlanGoal.plan_id == plan.id).order_by(PlanGoal.id)
    ).all()
    actions: dict[int, list[PlannedAction]] = {}
    for action in db.session.scalars(
        select(PlanAction)
        .where(PlanAction.plan_id == plan.id)
        .order_by(PlanAction.due_on, PlanAction.id)
    ):
        actions.setdefault(action.goal_id, []).append(
            PlannedAction(
                action.id,
                action.text,
                action.responsible,
                action.due_on,
                action.status,
                action.offering_id,
                action.milestone_id,
            )
        )
    return [PlannedGoal(g.id, g.text, g.cancelled, actions.get(g.id, [])) for g in goals]


def frozen_content(goals: list[PlannedGoal]) -> dict:
    """The goals as a version keeps them (JSON)."""
    return {
        "goals": [
            {
                "id": goal.id,
                "text": goal.text,
                "cancelled": goal.cancelled,
                "actions": [
                    {
                        "id": action.id,
                        "text": action.text,
                        "responsible": action.responsible.value,
                        "due_on": action.due_on.isoformat(),
                        "status": action.status.value,
                        "offering_id": action.offering_id,
                        "milestone_id": action.milestone_id,
                    }
                    for action in goal.actions
                ],
            }
            for goal in goals
        ]
    }


def version_goals(version: PlanVersion) -> list[PlannedGoal]:
    """The goals and actions exactly as they were when the version was agreed."""
    return [
        PlannedGoal(
            goal["id"],
            goal["text"],
            goal["cancelled"],
            [
                PlannedAction(
                    action["id"],
                    action["text"],
                    Responsibility(action["responsible"]),
                    date.fromisoformat(action["due_on"]),
                    ActionStatus(action["status"]),
                    action["offering_id"],
                    action["milestone_id"],
                )
                for action in goal["actions"]
            ],
        )
        for goal in version.content["goals"]
    ]


def version_of(state: PlanState, number: int) -> PlanVersion | None:
    return next((version for version in state.versions if version.number == number), None)


@dataclass(frozen=True)
class PlanLinks:
    """The course runs and milestones that a plan's actions point to, by id."""

    offerings: dict[int, Offering]
    milestones: dict[int, Milestone]

    def course_title(self, offering_id: int | None, locale: str) -> str | None:
        offering = self.offerings.get(offering_id)
        return offering.course.text_in(locale).title if offering else None

    def milestone_name(self, milestone_id: int | None) -> str | None:
        milestone = self.milestones.get(milestone_id)
        return milestone.name if milestone else None


def links_of(goals: list[PlannedGoal]) -> PlanLinks:
    """Load what the actions link to: at most two queries, whatever the number of actions."""
    actions = [action for goal in goals for action in goal.actions]
    offering_ids = {action.offering_id for action in actions} - {None}
    milestone_ids = {action.milestone_id for action in actions} - {None}
    offerings = (
        db.session.scalars(
            select(Offering)
            .where(Offering.id.in_(offering_ids))
            .options(joinedload(Offering.course).selectinload(Course.texts))
        ).unique()
        if offering_ids
        else []
    )
    milestones = (
        db.session.scalars(select(Milestone).where(Milestone.id.in_(milestone_ids)))
        if milestone_ids
        else []
    )
    return PlanLinks({o.id: o for o in offerings}, {m.id: m for m in milestones})


def _writable_plan(case: Case, *, create: bool = False) -> IntegrationPlan:
    """The plan of an open case, to change it (made on the first goal)."""
    if case.status != CaseStatus.ACTIVE:
        raise PlanError(_l("The plan of a closed case cannot be changed."))
    plan = plan_of(case)
    if plan is None:
        if not create:
            raise PlanError(_l("This case has no integration plan yet."))
        plan = IntegrationPlan(case_id=case.id)
        db.session.add(plan)
        db.session.flush()
    return plan


def _check_text(text: str | None, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise PlanError(_l("This field is required."), field)
    if len(text) > 500:
        raise PlanError(_l("Write at most 500 characters."), field)
    return text


def _owning_plan(case: Case, row: PlanGoal | PlanAction) -> IntegrationPlan:
    """The plan of the open case, to change ``row`` (one of its goals or actions)."""
    plan = _writable_plan(case)
    if row.plan_id != plan.id:
        if isinstance(row, PlanGoal):
            raise PlanError(_l("This goal belongs to another plan."))
        raise PlanError(_l("This action belongs to another plan."))
    return plan


def add_goal(case: Case, text: str, actor: User) -> PlanGoal:
    """Add a goal to the case's plan, starting the plan if it has none.

    :raise PlanError: for a closed case or an empty or too long text.
    """
    text = _check_text(text)
    plan = _writable_plan(case, create=True)
    goal = PlanGoal(plan_id=plan.id, text=text)
    db.session.add(goal)
    plan.changed_since_agreed = True
    db.session.flush()
    record_event("plan_goal_added", case, actor=actor, changes={"plan_goal": [None, text]})
    return goal


def change_goal(case: Case, goal: PlanGoal, text: str, actor: User) -> None:
    """Reword a goal.

    :raise PlanError: for a cancelled goal, a closed case or an empty text.
    """
    text = _check_text(text)
    plan = _owning_plan(case, goal)
    if goal.cancelled:
        raise PlanError(_l("A cancelled goal is not changed: add a new one."))
    if text == goal.text:
        return
    record_event("plan_goal_changed", case, actor=actor, changes={"plan_goal": [goal.text, text]})
    goal.text = text
    plan.changed_since_agreed = True


def cancel_goal(case: Case, goal: PlanGoal, actor: User) -> None:
    """Drop a goal from the plan, and its actions not done yet with it.

    :raise PlanError: for a goal cancelled already or a closed case.
    """
    plan = _owning_plan(case, goal)
    if goal.cancelled:
        raise PlanError(_l("This goal is cancelled already."))
    goal.cancelled = True
    db.session.execute(
        sa.update(PlanAction)
        .where(PlanAction.goal_id == goal.id, PlanAction.status.in_(OPEN_STATUSES))
        .values(status=ActionStatus.CANCELLED, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    plan.changed_since_agreed = True
    record_event("plan_goal_cancelled", case, actor=actor, changes={"plan_goal": [goal.text, None]})


@dataclass(frozen=True)
class ActionData:
    """What a caseworker writes down for an action."""

    text: str
    responsible: Responsibility
    due_on: date
    offering_id: int | None = None
    milestone_id: int | None = None


def _check_links(case: Case, data: ActionData, action: PlanAction | None, actor: User) -> dict:
    """Refuse links outside the case's municipality; return the links' names for the audit
    trail, in the language of the person who made the change."""
    locale = actor.preferred_locale or municipality_of(case).default_locale
    names = {}
    if data.offering_id is not None:
        offering = db.session.get(Offering, data.offering_id)
        if offering is None or offering.municipality_id != case.municipality_id:
            raise PlanError(_l("Choose a course run of this municipality."), "offering_id")
        names["course_run"] = offering.course.text_in(locale).title
    if data.milestone_id is not None:
        milestone = db.session.get(Milestone, data.milestone_id)
        keeps = action is not None and action.milestone_id == data.milestone_id
        if (
            milestone is None
            or milestone.municipality_id != case.municipality_id
            or (milestone.retired_at is not None and not keeps)
        ):
            raise PlanError(_l("Choose a milestone of this municipality."), "milestone_id")
        names["plan_milestone"] = (
            milestone.names.get(locale) or milestone.names.get(milestone.fallback_locale) or ""
        )
    return names


def _action_changes(action: PlanAction | None, data: ActionData, names: dict) -> dict:
    old = {
        "plan_action": action.text if action else None,
        "responsible": action.responsible.value if action else None,
        "due_on": action.due_on.isoformat() if action else None,
        "offering_id": action.offering_id if action else None,
        "milestone_id": action.milestone_id if action else None,
    }
    new = {
        "plan_action": data.text,
        "responsible": Responsibility(data.responsible).value,
        "due_on": data.due_on.isoformat(),
        "offering_id": data.offering_id,
        "milestone_id": data.milestone_id,
    }
    changes = {key: [old[key], new[key]] for key in old if old[key] != new[key]}
    # Links are kept in the trail by name, as the reader saw them, not by id.
    for key, audited in (("offering_id", "course_run"), ("milestone_id", "plan_milestone")):
        if key in changes:
            del changes[key]
            changes[audited] = [None, names.get(audited)]
    if action is not None and "plan_action" not in changes:
        changes["plan_action"] = [None, action.text]  # which action changed
    return changes


def add_action(case: Case, goal: PlanGoal, data: ActionData, actor: User) -> PlanAction:
    """Add an action to a goal of the plan, planned.

    :raise PlanError: for a cancelled goal, a closed case, an empty text, or a course run or
        milestone of another municipality.
    """
    data = replace(data, text=_check_text(data.text))
    plan = _owning_plan(case, goal)
    if goal.cancelled:
        raise PlanError(_l("A cancelled goal gets no new actions."))
    names = _check_links(case, data, None, actor)
    action = PlanAction(
        plan_id=plan.id,
        goal_id=goal.id,
        text=data.text,
        responsible=Responsibility(data.responsible),
        due_on=data.due_on,
        status=ActionStatus.PLANNED,
        offering_id=data.offering_id,
        milestone_id=data.milestone_id,
    )
    db.session.add(action)
    plan.changed_since_agreed = True
    db.session.flush()
    record_event("plan_action_added", case, actor=actor, changes=_action_changes(None, data, names))
    return action


def _refuse_under_cancelled_goal(action: PlanAction) -> None:
    if db.session.get(PlanGoal, action.goal_id).cancelled:
        raise PlanError(_l("A cancelled goal is not changed: add a new one."))


def change_action(case: Case, action: PlanAction, data: ActionData, actor: User) -> None:
    """Change what an action says, who does it, by when, or what it links to.

    :raise PlanError: as ``add_action``, and for an action whose goal is cancelled.
    """
    data = replace(data, text=_check_text(data.text))
    plan = _owning_plan(case, action)
    _refuse_under_cancelled_goal(action)
    names = _check_links(case, data, action, actor)
    changes = _action_changes(action, data, names)
    if set(changes) == {"plan_action"} and changes["plan_action"][0] is None:
        return  # nothing but the name of the action: nothing changed
    action.text = data.text
    action.responsible = Responsibility(data.responsible)
    action.due_on = data.due_on
    action.offering_id = data.offering_id
    action.milestone_id = data.milestone_id
    plan.changed_since_agreed = True
    record_event("plan_action_changed", case, actor=actor, changes=changes)


def set_action_status(case: Case, action: PlanAction, status: ActionStatus, actor: User) -> None:
    """Record how far an action is. Progress (planned, in progress, done) is not a change of
    the agreement; cancelling an action, or taking it up again, is.

    :raise PlanError: for a closed case, or an action whose goal is cancelled.
    """
    status = ActionStatus(status)
    plan = _owning_plan(case, action)
    if status == action.status:
        return
    _refuse_under_cancelled_goal(action)
    if ActionStatus.CANCELLED in (status, action.status):
        plan.changed_since_agreed = True
    record_event(
        "plan_action_status_changed",
        case,
        actor=actor,
        changes={
            "plan_action": [None, action.text],
            "action_status": [action.status.value, status.value],
        },
    )
    action.status = status


def agree_plan(case: Case, agreed_on: date, actor: User) -> PlanVersion:
    """Record that both sides agreed the plan as it is now: its next version.

    :raise PlanError: for a plan without goals, one unchanged since its last version, a date
        in the future or before the last version's, or a closed case.
    """
    plan = _writable_plan(case)
    db.session.execute(
        select(IntegrationPlan.id).where(IntegrationPlan.id == plan.id).with_for_update()
    )  # two agreements at once would both take the same number
    state = plan_state(case)
    if not any(not goal.cancelled for goal in state.goals):
        raise PlanError(_l("Add a goal before agreeing the plan."))
    if not state.unagreed:
        raise PlanError(
            _l(
                "Nothing changed since version %(number)s was agreed.",
                number=lazy_number(state.latest.number),
            )
        )
    if agreed_on > municipality_of(case).today():
        raise PlanError(_l("This date cannot be in the future."), "agreed_on")
    if state.latest and agreed_on < state.latest.agreed_on:
        raise PlanError(
            _l("A new version cannot be agreed before the one it replaces."), "agreed_on"
        )
    version = PlanVersion(
        plan_id=plan.id,
        number=state.next_number,
        agreed_on=agreed_on,
        agreed_by_id=actor.id,
        content=frozen_content(state.goals),
    )
    db.session.add(version)
    plan.changed_since_agreed = False
    db.session.flush()
    record_event(
        "plan_agreed",
        case,
        actor=actor,
        changes={
            "plan_version": [None, version.number],
            "agreed_on": [None, agreed_on.isoformat()],
        },
    )
    return version


def acknowledge_plan(plan_version: PlanVersion, newcomer_user: User) -> None:
    """Record, with its time, that the newcomer has read and acknowledged an agreed version.

    Only the newcomer whose file it is may give it (the portal asks them), once, and for the
    latest version.

    :raise PlanError: for anyone else, an older version, a version acknowledged already, or
        a closed case.
    """
    plan = db.session.get(IntegrationPlan, plan_version.plan_id)
    case = db.session.get(Case, plan.case_id)
    if not (
        newcomer_user.role == Role.MIGRANT
        and newcomer_user.active
        and case.account_id == newcomer_user.id
    ):
        raise PlanError(_l("Only the newcomer whose plan it is can acknowledge it."))
    if case.status != CaseStatus.ACTIVE:
        raise PlanError(_l("The plan of a closed case cannot be changed."))
    latest = db.session.scalar(
        select(sa.func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan.id)
    )
    if plan_version.number != latest:
        raise PlanError(_l("A newer version of this plan has been agreed: acknowledge that one."))
    if plan_version.acknowledged_at is not None:
        raise PlanError(_l("This version has been acknowledged already."))
    plan_version.acknowledged_at = utcnow()
    plan_version.acknowledged_by_id = newcomer_user.id
    record_event(
        "plan_acknowledged",
        case,
        actor=newcomer_user,
        changes={"plan_version": [None, plan_version.number]},
    )


def has_agreed_version(case: Case) -> bool:
    """Whether a version of the case's plan has been agreed (a change then waits for the next)."""
    return db.session.scalar(select(plan_agreed_condition()).where(Case.id == case.id))


_plan_agreed = (IntegrationPlan.case_id == Case.id, PlanVersion.plan_id == IntegrationPlan.id)


def plan_agreed_condition() -> sa.ColumnElement[bool]:
    """Say in SQL whether the ``Case`` row has a plan with an agreed version."""
    return sa.exists().where(*_plan_agreed)


def overdue_actions(user: User, today: date) -> DayList:
    """Open actions past their due date in the plans of the caseworker's open cases, the
    longest overdue first (dates in the municipality's calendar): one query."""
    plan_of_case = (
        select(IntegrationPlan.id).where(IntegrationPlan.case_id == Case.id).correlate(Case)
    )
    statement, action = rows_of_each(
        _own_open_cases(user),
        PlanAction,
        lambda row: (
            row.plan_id == plan_of_case.scalar_subquery(),
            row.due_on < today,
            row.status.in_(OPEN_STATUSES),
        ),
    )
    return _day_list(statement.add_columns(action).order_by(action.due_on, Case.id, action.id))


def record_plan_view(case: Case, viewer: User) -> None:
    """Audit a reading of the plan as a view of the file it belongs to."""
    record_event("case_viewed", case, actor=viewer)

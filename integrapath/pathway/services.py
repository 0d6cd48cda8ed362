"""The pathway of a case: its stage, the moves between stages and the time spent in each."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import Municipality, User
from ..audit import record_event
from ..cases.models import Case, CaseStatus, Stage, StageChange
from ..errors import RuleBroken
from ..extensions import db


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
    """What the pathway section shows: the five stages with their days, and the moves."""
    municipality = municipality_of(case)
    history = stage_history(case)
    return {
        "stage_steps": stage_steps(case, history, municipality.today(), municipality.timezone),
        "stage_moves": history[::-1],
    }

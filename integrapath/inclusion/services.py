"""Rules and questions about housing, health access, civic participation and children's
education: what the case file shows, and what pathway milestones and reports ask.

Every record is a change that holds from its ``since`` date. The situation of a case on a
date is its latest record with ``since`` on or before that date — latest by date, then by
id, so that two changes on one day keep the order they were recorded in. Records are never
edited or removed; a correction is a newer record.

Questions about one case (``housing_on``, ``has_health_insurance``, ...) accept a case or its
id. Reports and caseload filters use the set forms (``housing_situations_on``,
``cases_in_housing``, ``cases_holding``), which answer for every case in one SQL statement.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased, joinedload

from ..accounts.models import Municipality, User
from ..audit import record_event
from ..cases.models import Case, Dependant, HouseholdLink
from ..errors import RuleBroken
from ..extensions import db, read_once
from ..history import is_history, keep_valid_until
from ..security import Role
from .models import (
    CIVIC_STATUSES,
    HEALTH_STATUSES,
    SENSITIVE_STATUSES,
    ChildEducationRecord,
    ChildEducationStage,
    HousingRecord,
    HousingSituation,
    Status,
    StatusRecord,
)

HISTORY_LIMIT = 50  # changes shown per section; the audit trail keeps every one
ADULT_AGE = 18


class InclusionError(RuleBroken):
    """A rule about housing, health or civic records was broken."""


def _case_id(case_or_id: Case | int) -> int:
    return case_or_id if isinstance(case_or_id, int) else case_or_id.id


def _today(actor: User) -> date:
    return db.session.get(Municipality, actor.municipality_id).today()


def _check_since(case: Case, since: date, actor: User) -> None:
    if since > _today(actor):
        raise InclusionError(_l("This date cannot be in the future."), "since")
    if since < case.date_of_birth:
        raise InclusionError(_l("This date is before the person's birth."), "since")


def _add_record(model, case_id: int, since: date, note: str | None, actor: User, **values):
    """Add one change of ``model`` (a housing, status or education record) to the session."""
    record = model(
        case_id=case_id,
        since=since,
        note=(note or "").strip() or None,
        recorded_by_id=actor.id,
        **values,
    )
    db.session.add(record)
    if is_history(model):
        keep_valid_until(model, case_id)
    return record


def _latest(model, on_date: date | None, *same: str) -> sa.ColumnElement[bool]:
    """True for the rows of ``model`` that are the latest of their case (and of the same
    ``same`` columns) on ``on_date`` (or of all, without a date)."""
    newer = aliased(model)
    conditions = [
        newer.case_id == model.case_id,
        *(getattr(newer, column) == getattr(model, column) for column in same),
        sa.or_(newer.since > model.since, sa.and_(newer.since == model.since, newer.id > model.id)),
    ]
    if on_date is not None:
        conditions.append(newer.since <= on_date)
    latest = ~sa.exists().where(*conditions)
    return latest if on_date is None else sa.and_(model.since <= on_date, latest)


# -- housing -----------------------------------------------------------------------------------


def record_housing(
    case: Case,
    situation: HousingSituation,
    since: date,
    adequate: bool | None,
    note: str | None,
    actor: User,
    *,
    household: bool = False,
) -> list[HousingRecord]:
    """Record where the person lives from ``since`` on, and whether the home is adequate for
    the household's size. With ``household`` the same move is recorded on the files of the
    linked family members too (a family moves together).

    :raise InclusionError: when the date is in the future or before the person's birth.
    """
    situation = HousingSituation(situation)
    cases = [case]
    if household:
        cases += list(
            db.session.scalars(
                select(Case)
                .join(HouseholdLink, HouseholdLink.relative_id == Case.id)
                .where(
                    HouseholdLink.case_id == case.id,
                    Case.municipality_id == case.municipality_id,
                    Case.date_of_birth <= since,  # a child born later moved in by birth
                )
                .order_by(Case.id)
            )
        )
    _check_since(case, since, actor)
    records = []
    for person in cases:
        before = current_housing(person)
        records.append(
            _add_record(
                HousingRecord, person.id, since, note, actor, situation=situation, adequate=adequate
            )
        )
        record_event(
            "housing_recorded",
            person,
            actor=actor,
            changes={
                "housing": [before.situation.value if before else None, situation.value],
                "adequate": [before.adequate if before else None, adequate],
                "since": [None, since.isoformat()],
            },
        )
    db.session.flush()
    return records


def housing_history(case: Case, limit: int = HISTORY_LIMIT) -> list[HousingRecord]:
    """Return the case's housing records, latest first."""
    return list(
        db.session.scalars(
            select(HousingRecord)
            .where(HousingRecord.case_id == case.id)
            .options(joinedload(HousingRecord.recorded_by))
            .order_by(HousingRecord.since.desc(), HousingRecord.id.desc())
            .limit(limit)
        )
    )


def housing_on(case_or_id: Case | int, on_date: date | None) -> HousingRecord | None:
    """Return the housing record in force on ``on_date`` (the latest of all with None), or
    None when nothing is recorded by then."""
    statement = select(HousingRecord).where(HousingRecord.case_id == _case_id(case_or_id))
    if on_date is not None:
        statement = statement.where(HousingRecord.since <= on_date)
    return db.session.scalar(
        statement.order_by(HousingRecord.since.desc(), HousingRecord.id.desc()).limit(1)
    )


def current_housing(case_or_id: Case | int) -> HousingRecord | None:
    """Return the latest housing record of the case, or None."""
    return housing_on(case_or_id, None)


def housing_situations_on(cases: Select, on_date: date) -> Select:
    """Return a select of ``(case_id, situation, adequate, since)`` on ``on_date``, one row for
    each case of ``cases`` (a select of case ids) that has a record by then — for reports.
    """
    return select(
        HousingRecord.case_id, HousingRecord.situation, HousingRecord.adequate, HousingRecord.since
    ).where(HousingRecord.case_id.in_(cases), _latest(HousingRecord, on_date))


def cases_in_housing(
    situation: HousingSituation, on_date: date, since_at_least: date | None = None
) -> Select:
    """Return a select of the ids of the cases living in ``situation`` on ``on_date``, and,
    with ``since_at_least``, without interruption since that date at the latest — e.g.
    "still in temporary accommodation after 12 months".
    """
    situation = HousingSituation(situation)
    now = select(HousingRecord.case_id).where(
        HousingRecord.situation == situation, _latest(HousingRecord, on_date)
    )
    if since_at_least is None:
        return now
    # A record of the situation on or before ``since_at_least`` after which, up to
    # ``on_date``, no record says otherwise: the latest record on either date is then of the
    # situation. Read per case from the (case_id, since, id) index, where the latest record
    # of every case on ``since_at_least`` hashed the whole table (250 ms at 100,000 cases).
    other = aliased(HousingRecord)
    return select(HousingRecord.case_id).where(
        HousingRecord.situation == situation,
        HousingRecord.since <= since_at_least,
        ~sa.exists().where(
            other.case_id == HousingRecord.case_id,
            other.situation != situation,
            other.since <= on_date,
            sa.or_(
                other.since > HousingRecord.since,
                sa.and_(other.since == HousingRecord.since, other.id > HousingRecord.id),
            ),
        ),
    )


def housing_condition(
    situation: HousingSituation, on_date: date, since_at_least: date | None = None
) -> sa.ColumnElement[bool]:
    """Return ``cases_in_housing`` as a condition on ``Case`` rows (for the caseload).

    Each database gets the form its planner answers fast at 100,000 cases. PostgreSQL: an IN
    over the set, found once through the (situation, since) index (it misjudges how many
    rows correlated probes keep, and plans them badly). SQLite: per case, the situation of
    its latest record, read from the (case_id, since, id) index — a page and the capped
    count stop early, where building the whole set takes hundreds of milliseconds.
    """
    situation = HousingSituation(situation)
    if db.session.get_bind().dialect.name != "sqlite":
        return Case.id.in_(cases_in_housing(situation, on_date, since_at_least))
    conditions = [_situation_of_case_on(on_date) == situation]
    if since_at_least is not None:
        conditions += [
            _situation_of_case_on(since_at_least) == situation,
            ~sa.exists().where(
                HousingRecord.case_id == Case.id,
                HousingRecord.since > since_at_least,
                HousingRecord.since <= on_date,
                HousingRecord.situation != situation,
            ),
        ]
    return sa.and_(*conditions)


def _situation_of_case_on(on_date: date) -> sa.ScalarSelect:
    """The situation of each ``Case`` row on ``on_date``, as a correlated subquery."""
    return (
        select(HousingRecord.situation)
        .where(HousingRecord.case_id == Case.id, HousingRecord.since <= on_date)
        .order_by(HousingRecord.since.desc(), HousingRecord.id.desc())
        .limit(1)
        .scalar_subquery()
    )


# -- statuses: health access and civic participation -------------------------------------------


def record_status(
    case: Case,
    status: Status,
    holds: bool,
    since: date,
    note: str | None,
    actor: User,
) -> StatusRecord:
    """Record that a status holds (or no longer holds) from ``since`` on.

    :raise InclusionError: when the date is in the future or before the person's birth, or
        when the status already stands as recorded.
    """
    status = Status(status)
    _check_since(case, since, actor)
    before = status_on(case, status)
    if before is not None and before.holds == holds and before.since <= since:
        raise InclusionError(_l("This is already recorded."), "holds")
    record = _add_record(StatusRecord, case.id, since, note, actor, status=status, holds=holds)
    db.session.flush()
    record_event(
        "health_access_recorded" if status in HEALTH_STATUSES else "civic_status_recorded",
        case,
        actor=actor,
        changes={
            status.value: [before.holds if before else None, holds],
            "since": [None, since.isoformat()],
        },
    )
    return record


def status_on(
    case_or_id: Case | int, status: Status, on_date: date | None = None
) -> StatusRecord | None:
    """Return the record of ``status`` in force on ``on_date`` (the latest without a date)."""
    statement = select(StatusRecord).where(
        StatusRecord.case_id == _case_id(case_or_id), StatusRecord.status == Status(status)
    )
    if on_date is not None:
        statement = statement.where(StatusRecord.since <= on_date)
    return db.session.scalar(
        statement.order_by(StatusRecord.since.desc(), StatusRecord.id.desc()).limit(1)
    )


def holds(case_or_id: Case | int, status: Status, on_date: date | None = None) -> bool:
    """Say whether ``status`` holds for the case on ``on_date`` (now, without a date)."""
    record = status_on(case_or_id, status, on_date)
    return record is not None and record.holds


def has_health_insurance(case_or_id: Case | int, on_date: date | None = None) -> bool:
    return holds(case_or_id, Status.HEALTH_INSURANCE, on_date)


def has_general_practitioner(case_or_id: Case | int, on_date: date | None = None) -> bool:
    return holds(case_or_id, Status.GENERAL_PRACTITIONER, on_date)


def holds_long_term_residence(case_or_id: Case | int, on_date: date | None = None) -> bool:
    return holds(case_or_id, Status.LONG_TERM_RESIDENCE, on_date)


def is_naturalised(case_or_id: Case | int, on_date: date | None = None) -> bool:
    return holds(case_or_id, Status.NATURALISED, on_date)


def cases_holding(status: Status, on_date: date | None = None) -> Select:
    """Return a select of the ids of the cases for which ``status`` holds on ``on_date``
    (now, without a date); "does not hold" is ``Case.id.not_in(...)`` of it."""
    return select(StatusRecord.case_id).where(
        StatusRecord.status == Status(status),
        StatusRecord.holds.is_(True),
        _latest(StatusRecord, on_date, "status"),
    )


def holding_condition(status: Status, on_date: date | None = None) -> sa.ColumnElement[bool]:
    """Return ``cases_holding`` as a condition on ``Case`` rows (negate it for "does not
    hold"): a correlated EXISTS, one probe of the (case_id, status, since, id) index per
    case, so a page of the caseload and its capped count stop early."""
    return sa.exists().where(
        StatusRecord.case_id == Case.id,
        StatusRecord.status == Status(status),
        StatusRecord.holds.is_(True),
        _latest(StatusRecord, on_date, "status"),
    )


@dataclass(frozen=True)
class StatusLine:
    """A status as the case file shows it: the latest record and the ones before."""

    status: Status
    current: StatusRecord
    earlier: list[StatusRecord]


def status_lines(case: Case, statuses: tuple[Status, ...]) -> list[StatusLine]:
    """Return the recorded ``statuses`` of the case in the enum's order, each with its history."""
    records = db.session.scalars(
        select(StatusRecord)
        .where(StatusRecord.case_id == case.id, StatusRecord.status.in_(statuses))
        .options(joinedload(StatusRecord.recorded_by))
        .order_by(StatusRecord.since.desc(), StatusRecord.id.desc())
        .limit(HISTORY_LIMIT * len(statuses))
    )
    by_status: dict[Status, list[StatusRecord]] = {}
    for record in records:
        by_status.setdefault(record.status, []).append(record)
    return [
        StatusLine(status, found[0], found[1:])
        for status in statuses
        if (found := by_status.get(status))
    ]


def health_lines(case: Case, viewer: User) -> list[StatusLine]:
    """Return the health statuses the viewer may see; a caseworker's view of sensitive ones
    is audited, as every view of the case's sensitive needs is."""
    shown = (
        HEALTH_STATUSES
        if viewer.role == Role.CASEWORKER
        else tuple(status for status in HEALTH_STATUSES if status not in SENSITIVE_STATUSES)
    )
    lines = status_lines(case, shown)
    sensitive = [line.status.value for line in lines if line.status in SENSITIVE_STATUSES]
    if sensitive:
        record_event(
            "sensitive_flags_viewed",
            case,
            actor=viewer,
            changes={"flags": [None, " ".join(sensitive)]},
        )
    return lines


def civic_lines(case: Case) -> list[StatusLine]:
    return status_lines(case, CIVIC_STATUSES)


def shared_with_newcomer(case: Case) -> tuple[HousingRecord | None, list[StatusLine]]:
    """Return what the newcomer's portal shows of these records: the current housing and the
    statuses that hold now — never the sensitive health ones."""
    shown = tuple(status for status in Status if status not in SENSITIVE_STATUSES)
    holding = [line for line in status_lines(case, shown) if line.current.holds]
    return current_housing(case), holding


# -- children's education ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChildLine:
    """A child of the household with their education, latest first."""

    dependant: Dependant | None  # None: the person of the case file
    name: str
    records: list[ChildEducationRecord]


def is_child(case: Case, today: date) -> bool:
    birth = case.date_of_birth
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return age < ADULT_AGE


def children_of(case: Case, today: date) -> list[ChildLine]:
    """Return the children whose education this file records: the family members without a
    file of their own (of any age: the caseworker knows who goes to school), and the person
    themself when a minor. Linked family members' files record their own."""
    # The case page asks twice (the education section and its form): read once.
    return read_once(("children_of", case.id, today), lambda: _children_of(case, today))


def _children_of(case: Case, today: date) -> list[ChildLine]:
    dependants = list(
        db.session.scalars(
            select(Dependant)
            .where(Dependant.case_id == case.id)
            .order_by(Dependant.birth_year.desc(), Dependant.id)
        )
    )
    records = db.session.scalars(
        select(ChildEducationRecord)
        .where(ChildEducationRecord.case_id == case.id)
        .order_by(ChildEducationRecord.since.desc(), ChildEducationRecord.id.desc())
    )
    by_child: dict[int | None, list[ChildEducationRecord]] = {}
    for record in records:
        by_child.setdefault(record.dependant_id, []).append(record)
    lines = [ChildLine(person, person.name, by_child.get(person.id, [])) for person in dependants]
    if is_child(case, today):
        lines.insert(0, ChildLine(None, case.full_name, by_child.get(None, [])))
    return lines


def record_child_education(
    case: Case,
    dependant: Dependant | None,
    stage: ChildEducationStage,
    since: date,
    note: str | None,
    actor: User,
) -> ChildEducationRecord:
    """Record a child's early childhood education and care or school enrolment from ``since``.

    :raise InclusionError: when the child is not of this household, or the date is in the
        future or before the child's birth year.
    """
    stage = ChildEducationStage(stage)
    if dependant is None:
        if not is_child(case, _today(actor)):
            raise InclusionError(_l("Choose a child of the household."), "child")
        _check_since(case, since, actor)
        name = case.full_name
    else:
        if dependant.case_id != case.id:
            raise InclusionError(_l("Choose a child of the household."), "child")
        if since > _today(actor):
            raise InclusionError(_l("This date cannot be in the future."), "since")
        if since.year < dependant.birth_year:
            raise InclusionError(_l("This date is before the person's birth."), "since")
        name = dependant.name
    record = _add_record(
        ChildEducationRecord,
        case.id,
        since,
        note,
        actor,
        dependant_id=dependant.id if dependant else None,
        stage=stage,
    )
    db.session.flush()
    record_event(
        "child_education_recorded",
        case,
        actor=actor,
        changes={
            "child": [None, name],
            "education": [None, stage.value],
            "since": [None, since.isoformat()],
        },
    )
    return record


def months_before(day: date, months: int) -> date:
    """Return the same day ``months`` earlier (the month's last day when it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - date.resolution).day
    return date(year, month, min(day.day, last_day))

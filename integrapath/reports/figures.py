"""Keeping ``CaseFigures``: one row per file with what the reports count about it.

When a transaction is kept, the files it touched (the file itself, any of its histories, its
languages, qualifications or education, or an audited change of it) get their row written
again from the history, in one statement per municipality and 5,000 files; a change of the
host language rewrites every row of the municipality. What held "today" stays true until the
first day a recorded change takes over (``kept_until``); ``keep_current`` rewrites those
rows before a report of today reads them.
"""

import functools
from datetime import date

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..accounts.models import Municipality
from ..assessments.models import (
    EducationEntry,
    EmploymentStatus,
    LanguageStanding,
    Qualification,
)
from ..audit import VIEW_ACTIONS, AuditEvent
from ..cases.models import Case, StageChange
from ..cases.services import files_by_municipality
from ..extensions import db, kept_before_commit
from ..history import held_between, held_on, since_of
from ..i18n import today_in
from ..inclusion.models import HousingRecord, Status, StatusRecord
from ..pathway.services import host_language
from .models import COHORT_MONTHS, CaseFigures

ARRIVAL = func.coalesce(Case.arrived_in_country_on, Case.arrived_in_municipality_on)
# The statuses the indicators count, by the name of their column.
HELD = {
    "health_insurance": Status.HEALTH_INSURANCE,
    "general_practitioner": Status.GENERAL_PRACTITIONER,
    "long_term_residence": Status.LONG_TERM_RESIDENCE,
    "naturalised": Status.NATURALISED,
}
# Records that can begin on a later day than the one they are entered on.
DATED_HISTORIES = (EmploymentStatus, HousingRecord, StatusRecord)
# What a row is computed from: a change to one of these changes the file's row.
SOURCES = (
    Case,
    EmploymentStatus,
    HousingRecord,
    StatusRecord,
    StageChange,
    LanguageStanding,
    Qualification,
    EducationEntry,
)
NOTED = "reports_files_changed"


def add_months(column, months: int):
    """The same day ``months`` later, or the last day of that month when it is shorter (31
    August + 6 months: 28 February), on both backends."""
    months = int(months)
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(column + sa.literal_column(f"interval '{months} months'"), sa.Date)
    # SQLite's '+6 months' would run over into March; the month's last day caps it.
    same_day = func.date(
        column,
        "start of month",
        f"+{months} months",
        func.printf("+%d days", sa.cast(func.strftime("%d", column), sa.Integer) - 1),
    )
    last_day = func.date(column, "start of month", f"+{months + 1} months", "-1 day")
    return func.min(same_day, last_day)


def _held(model, day, *columns, where=None):
    """The records of ``model`` (meeting ``where``) that held on ``day``: a range test on the
    day each record stopped holding, at most one per case (and status)."""
    query = select(model.case_id, *columns).where(held_on(model, day))
    return (query if where is None else query.where(where)).subquery()


def with_situation(query, case_id, day: date):
    """``query`` (which selects ``case_id``) with what held on ``day`` for each file: its
    activity and occupation group, housing and the four statuses (False when none held)."""
    work = _held(EmploymentStatus, day, EmploymentStatus.status, EmploymentStatus.isco_major)
    housing = _held(HousingRecord, day, HousingRecord.situation)
    # One record of each status held on the day at most: one join per status, no grouping.
    held = {
        name: _held(StatusRecord, day, StatusRecord.holds, where=StatusRecord.status == kind)
        for name, kind in HELD.items()
    }
    query = (
        query.add_columns(
            work.c.status.label("activity"),
            work.c.isco_major.label("isco_major"),
            housing.c.situation.label("housing"),
            *(
                func.coalesce(status.c.holds, sa.false()).label(name)
                for name, status in held.items()
            ),
        )
        .outerjoin(work, work.c.case_id == case_id)
        .outerjoin(housing, housing.c.case_id == case_id)
    )
    for status in held.values():
        query = query.outerjoin(status, status.c.case_id == case_id)
    return query


def highest_isced(case_id):
    """The highest ISCED level of the file's education and qualifications, per row."""
    levels = sa.union_all(
        select(EducationEntry.case_id, EducationEntry.isced_level.label("level")),
        select(Qualification.case_id, Qualification.isced_level.label("level")).where(
            Qualification.isced_level.is_not(None)
        ),
    ).subquery()
    return select(func.max(levels.c.level)).where(levels.c.case_id == case_id).scalar_subquery()


def _value_on(model, value, day):
    """What the file's record of ``model`` said on ``day`` (a date column), per row."""
    return (
        select(sa.type_coerce(value, sa.String))
        .where(model.case_id == Case.id, held_between(since_of(model), model.valid_until, day))
        .order_by(model.id.desc())
        .limit(1)
        .scalar_subquery()
    )


@functools.cache
def _statements(dialect: str, every_file: bool):
    """The rows of the files of municipality ``municipality_id`` (every one, or those of
    ``case_ids``) as kept on ``today`` with ``language`` the host language, and the upsert
    that writes them; built once per backend, the values bound when run."""
    today = sa.bindparam("today", type_=sa.Date)
    stage_since = (
        select(since_of(StageChange))
        .where(
            StageChange.case_id == Case.id,
            StageChange.valid_until.is_(None),
            StageChange.to_stage == Case.stage,
        )
        .limit(1)
        .scalar_subquery()
    )
    later = sa.union_all(
        *(select(model.case_id, model.since) for model in DATED_HISTORIES)
    ).subquery()
    kept_until = (
        select(func.min(later.c.since))
        .where(later.c.case_id == Case.id, later.c.since > today)
        .scalar_subquery()
    )
    at_months = []
    for months in COHORT_MONTHS:
        day = add_months(ARRIVAL, months)
        at_months += [
            day.label(f"day_{months}"),
            _value_on(EmploymentStatus, EmploymentStatus.status, day).label(f"activity_{months}"),
            _value_on(StageChange, StageChange.to_stage, day).label(f"stage_{months}"),
        ]
    which = sa.true() if every_file else Case.id.in_(sa.bindparam("case_ids", expanding=True))
    query = (
        select(
            Case.id.label("case_id"),
            Case.municipality_id,
            Case.created_at,
            Case.status,
            Case.closed_on,
            Case.sex,
            Case.date_of_birth,
            Case.country_of_birth,
            Case.residence_category,
            ARRIVAL.label("arrived_on"),
            today.label("kept_on"),
            kept_until.label("kept_until"),
            Case.stage,
            stage_since.label("stage_since"),
            highest_isced(Case.id).label("isced_level"),
            LanguageStanding.a2_reached_on,
            LanguageStanding.b1_reached_on,
            *at_months,
        )
        .select_from(Case)
        .outerjoin(
            LanguageStanding,
            (LanguageStanding.case_id == Case.id)
            & (LanguageStanding.language == sa.bindparam("language")),
        )
        .where(Case.municipality_id == sa.bindparam("municipality_id"), which)
    )
    rows = with_situation(query, Case.id, today)
    names = [column.name for column in rows.selected_columns]
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(CaseFigures.__table__)
    insert = insert.from_select(names, rows)
    # An upsert: two transactions keeping the same file both end with one row.
    upsert = insert.on_conflict_do_update(
        index_elements=[CaseFigures.__table__.c.case_id],
        set_={name: insert.excluded[name] for name in names if name != "case_id"},
    )
    return rows, upsert


def figures_query(municipality, case_ids=None, session=None):
    """The rows of the files of ``municipality`` (those of ``case_ids`` if given) as they
    are kept today, and the values to run it with."""
    session = session or db.session
    rows, upsert = _statements(session.get_bind().dialect.name, case_ids is None)
    values = {
        "today": today_in(municipality.timezone),
        "language": host_language(municipality),
        "municipality_id": municipality.id,
    }
    if case_ids is not None:
        values["case_ids"] = list(case_ids)
    return rows, upsert, values


def _write(session, municipality, case_ids=None) -> None:
    _rows, upsert, values = figures_query(municipality, case_ids, session)
    session.execute(upsert, values)


def keep_municipality(session, municipality) -> None:
    """Write the row of every file of ``municipality`` (anything with its ``id``,
    ``timezone`` and ``default_locale``: the migration that fills the table passes a row)."""
    _write(session, municipality)


def keep_figures(case_ids=(), municipality_ids=(), session=None) -> None:
    """Write again the rows of the files ``case_ids`` and of every file of the municipalities
    ``municipality_ids``."""
    session = session or db.session
    for municipality, ids in files_by_municipality(session, case_ids, municipality_ids):
        _write(session, municipality, ids)


def keep_current(municipality: Municipality) -> None:
    """Make the rows of the municipality current before a report reads them: those of the
    files this transaction touched, and those whose "held today" a change recorded for a
    later day has overtaken since they were kept (usually none: one look at an index)."""
    keep_noted()
    today = today_in(municipality.timezone)
    overtaken = list(
        db.session.scalars(
            select(CaseFigures.case_id).where(
                CaseFigures.municipality_id == municipality.id,
                CaseFigures.kept_until <= today,
            )
        )
    )
    if overtaken:
        keep_figures(overtaken)


# -- which files a transaction touched ---------------------------------------------------------


def _noted(session) -> dict[str, set[int]]:
    return session.info.setdefault(NOTED, {"cases": set(), "municipalities": set()})


def note_every_file(municipality_id: int) -> None:
    """Have every file of the municipality kept again when this transaction is kept (after
    rows went in without the ORM, which would have noted the files they touch)."""
    _noted(db.session)["municipalities"].add(municipality_id)


def _attribute(obj, name: str, session):
    """The attribute, loaded if it expired (a deleted row's is read as it was)."""
    known = sa.inspect(obj).dict
    if name in known or obj in session.deleted:
        return known.get(name)
    return getattr(obj, name, None)


@sa.event.listens_for(Session, "after_flush")
def _note_changed_files(session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Case):
            case_id = _attribute(obj, "id", session)
        elif isinstance(obj, SOURCES):
            case_id = _attribute(obj, "case_id", session)
        elif isinstance(obj, AuditEvent):
            if _attribute(obj, "object_type", session) != "Case":
                continue
            if _attribute(obj, "action", session) in VIEW_ACTIONS:
                continue
            case_id = _attribute(obj, "object_id", session)
        elif isinstance(obj, Municipality) and obj in session.dirty:
            if sa.inspect(obj).attrs.default_locale.history.has_changes():
                _noted(session)["municipalities"].add(obj.id)
            continue
        else:
            continue
        if isinstance(case_id, int):
            _noted(session)["cases"].add(case_id)


@kept_before_commit(NOTED)
def keep_noted(session=None) -> None:
    """Keep the rows of the files this transaction touched so far. Nothing touched, no
    query."""
    session = session or db.session
    session.flush()  # the last changes noted too
    noted = session.info.pop(NOTED, None)
    if noted and any(noted.values()):
        keep_figures(noted["cases"], noted["municipalities"], session)

"""The day each history record stopped holding.

A case's employment statuses, housing records, status records (per status) and stage changes
each hold from their day until the next record of the same case (and status) takes over.
Each record keeps that day in ``valid_until`` (None while it still holds), so that "what held
on a day" is a range test on one row (``held_on``), not a window over the whole history.

The services that record history call ``keep_valid_until`` for the case in the same
transaction; it recomputes every record of the case, so a record entered with an earlier day,
between two others, closes the right one.

A history is any model with a ``valid_until`` column; it names, if they differ from the
defaults, the column of its first day (``HISTORY_DAY``, "since") and the columns whose equal
values make one record follow another besides the case (``HISTORY_PARTITION``). This module
imports no domain: the domains that keep histories import it.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy import func

from .extensions import db


def history_models() -> list:
    """Every model that keeps ``valid_until``, in table order."""
    return sorted(
        (mapper.class_ for mapper in db.Model.registry.mappers if "valid_until" in mapper.columns),
        key=lambda model: model.__tablename__,
    )


def is_history(model) -> bool:
    return "valid_until" in sa.inspect(model).columns


def since_of(model):
    """The first day a record of ``model`` holds (a stage change: the day of its move)."""
    column = getattr(model, getattr(model, "HISTORY_DAY", "since"))
    return day_of(column) if _is_timestamp(column) else column


def _is_timestamp(column) -> bool:
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):  # UTCDateTime
        kind = kind.impl_instance
    return isinstance(kind, sa.DateTime)


def _partition_of(model) -> tuple:
    return tuple(getattr(model, name) for name in getattr(model, "HISTORY_PARTITION", ()))


def day_of(column):
    """The calendar day of a timestamp column (SQLite's CAST would make a number)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(column, sa.Date)
    return func.date(column)


def next_since(model):
    """The day the next record of the same case (and kind) took over, as a window column."""
    return func.lead(since_of(model), type_=sa.Date).over(
        partition_by=(model.case_id, *_partition_of(model)), order_by=(since_of(model), model.id)
    )


def keep_valid_until(model, case_id: int | None = None) -> None:
    """Set ``valid_until`` on the records of ``model`` of the case (of every case with None)
    that do not have the right day yet, in one statement."""
    db.session.flush()  # the record just added is one of them
    days = sa.select(model.id, next_since(model).label("until"))
    if case_id is not None:
        days = days.where(model.case_id == case_id)
    days = days.subquery()
    db.session.execute(
        sa.update(model)
        .where(model.id == days.c.id, model.valid_until.is_distinct_from(days.c.until))
        .values(valid_until=days.c.until)
        .execution_options(synchronize_session=False)
    )
    for record in list(db.session.identity_map.values()):
        if isinstance(record, model) and case_id in (None, record.case_id):
            db.session.expire(record, ["valid_until"])


def recompute_valid_until() -> None:
    """Set ``valid_until`` on every history record (after rows were inserted in bulk)."""
    for model in history_models():
        keep_valid_until(model)


def held_on(model, day: date):
    """The records of ``model`` that held on ``day``."""
    return held_between(since_of(model), model.valid_until, day)


def held_between(since, valid_until, day):
    """A record from ``since`` until ``valid_until`` (None: still) held on ``day`` (a date or
    a date column)."""
    return (since <= day) & (valid_until.is_(None) | (valid_until > day))

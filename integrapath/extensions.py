"""Flask extensions, created here and bound to the app in ``create_app``."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import flask_babel
import sqlalchemy as sa
from flask import current_app, request
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, aliased, mapped_column
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from .i18n import RegionalDomain

# Stable constraint names, so that Alembic migrations name them the same on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Model)
migrate = Migrate()
compress = Compress()
login_manager = LoginManager()
csrf = CSRFProtect()


class Babel(flask_babel.Babel):
    """Flask-Babel whose regional catalogs (Dari) fall back to their language's (Persian)."""

    @cached_property
    def domain_instance(self) -> RegionalDomain:
        return RegionalDomain(domain=self.domain)


babel = Babel()


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use utcnow() or an aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


# Ids in URLs stay within a 32-bit integer, so a huge number is a 404, not a database error.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """The ``int`` URL converter, bounded to the ids the database can hold."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


# Lists count their rows exactly up to here, then say "more than": counting 100,000 rows on
# every page view would cost more than showing the page.
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class SortKey:
    """One column (or expression) of a list's order. The last key of an order must be the
    model's primary key, so that every row has its own place."""

    column: Any
    descending: bool = False
    nullable: bool = False  # NULLs come last in either direction, on every database

    def order(self, reverse: bool = False):
        descending = self.descending != reverse
        clause = self.column.desc() if descending else self.column.asc()
        if self.nullable:
            clause = clause.nulls_first() if reverse else clause.nulls_last()
        return clause

    def after(self, value, reverse: bool = False):
        """Rows that come after ``value`` in this key's order (before it with ``reverse``)."""
        greater = self.descending == reverse
        if value is None:  # NULLs are last: only NULLs follow, none precede
            return sa.false() if not reverse else self.column.is_not(None)
        beyond = self.column > value if greater else self.column < value
        if self.nullable and not reverse:
            return sa.or_(beyond, self.column.is_(None))
        return beyond

    def equals(self, value):
        return self.column.is_(None) if value is None else self.column == value


def ordered(statement: Select, keys: Sequence[SortKey]) -> Select:
    return statement.order_by(*(key.order() for key in keys))


def rows_of_each(
    outer: Select, entity, conditions: Callable[[Any], Sequence]
) -> tuple[Select, Any]:
    """Join to each row of ``outer`` its ``entity`` rows that meet ``conditions(entity)``,
    which tie them to it (``Referral.case_id == Case.id``); return the statement and what
    stands for ``entity`` in it, to select and sort by.

    PostgreSQL reads them row by row of ``outer`` through ``entity``'s own index: a LATERAL
    subquery that it does not flatten (the OFFSET 0). Flattened into a join, it hashed the
    whole table against a caseworker's 2,300 open files, so their day grew with the
    register: the referrals without answer 29 ms at 1,000,000 files against 7 ms read
    file by file. SQLite has no LATERAL, and joins by nested loops anyway.
    """
    each = outer.column_descriptions[0]["entity"]
    if db.session.get_bind().dialect.name == "sqlite":
        return outer.join_from(each, entity, sa.and_(*conditions(entity))), entity
    per_row = sa.select(entity).where(*conditions(entity)).offset(0).lateral()
    return outer.join_from(each, per_row, sa.true()), aliased(entity, per_row)


def _beyond(keys: Sequence[SortKey], values, reverse: bool):
    """The rows past ``values`` in the order of ``keys`` (before them with ``reverse``).

    Keys that are all of one direction and never NULL compare as one row value, which
    PostgreSQL answers by seeking in the matching index; others spell the comparison out.
    """
    if not any(key.nullable for key in keys) and len({key.descending for key in keys}) == 1:
        row, anchor = sa.tuple_(*(key.column for key in keys)), sa.tuple_(*values)
        return row > anchor if keys[0].descending == reverse else row < anchor
    return sa.or_(
        *(
            sa.and_(
                *(key.equals(value) for key, value in zip(keys[:n], values, strict=False)),
                keys[n].after(values[n], reverse),
            )  # fmt: skip
            for n in range(len(keys))
        )
    )


class KeysetPage:
    """One page of a list, reached by "Previous" and "Next" from the row before or after it
    (``?after=<id>`` / ``?before=<id>``) rather than by an offset, so that a page deep in the
    list costs what the first one does; the count stops at ``COUNT_LIMIT``.
    """

    def __init__(self, statement: Select, keys: Sequence[SortKey], per_page: int):
        self.per_page = per_page
        # Only the key is counted, so that an index can answer without reading the rows.
        counted = statement.with_only_columns(keys[-1].column, maintain_column_froms=True)
        self.total = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                counted.order_by(None).limit(COUNT_LIMIT + 1).subquery()
            )
        )
        self.more = self.total > COUNT_LIMIT
        self.total = min(self.total, COUNT_LIMIT)
        before = _anchor(statement, keys, request.args.get("before"))
        after = None if before else _anchor(statement, keys, request.args.get("after"))
        reverse, anchor = before is not None, before or after
        if anchor is not None:
            statement = statement.where(_beyond(keys, anchor, reverse))
        order = [key.order(reverse) for key in keys]
        rows = list(
            db.session.scalars(
                statement.order_by(None).order_by(*order).limit(per_page + 1)
            ).unique()
        )
        further, self.items = len(rows) > per_page, rows[:per_page]
        if reverse:
            self.items.reverse()
        id_name = keys[-1].column.key
        self.first_id = getattr(self.items[0], id_name) if self.items else None
        self.last_id = getattr(self.items[-1], id_name) if self.items else None
        self.has_prev = further if reverse else anchor is not None
        self.has_next = True if reverse else further


def _anchor(statement: Select, keys: Sequence[SortKey], given: str | None):
    """Return the order values of the row ``given`` (an id), if it is in the list."""
    if not given or not given.isdigit() or int(given) > MAX_ID:
        return None
    id_column = keys[-1].column
    found = db.session.execute(
        sa.select(*(key.column for key in keys)).where(
            statement.whereclause if statement.whereclause is not None else sa.true(),
            id_column == int(given),
        )
    ).first()
    return tuple(found) if found else None


def paginate(statement: Select, keys: Sequence[SortKey]) -> KeysetPage:
    """Return the page of ``statement`` in the order of ``keys`` that the query string asks for."""
    return KeysetPage(statement, keys, current_app.config["PAGE_SIZE"])


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


_READ_ONCE = "read_once"
Answer = TypeVar("Answer")


def read_once(key: tuple, read: Callable[[], Answer]) -> Answer:
    """Answer ``read()`` once per unit of work for ``key``.

    The case page asks some questions from several sections (is a transfer pending? which
    runs fit?); the database is asked once. Any flush, commit or rollback forgets the
    answers, and with changes not yet flushed the question is asked again, so a service
    never sees an answer older than its own writes.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        return read()
    answers = session.info.setdefault(_READ_ONCE, {})
    if key not in answers:
        answers[key] = read()
    return answers[key]


@sa.event.listens_for(Session, "after_flush")
@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_reads(session, *_args) -> None:
    session.info.pop(_READ_ONCE, None)


@sa.event.listens_for(Session, "do_orm_execute")
def _forget_reads_on_write(state) -> None:
    if not state.is_select:  # an UPDATE or DELETE through the session bypasses the flush
        _forget_reads(state.session)


class TimestampMixin:
    """Creation and last-change times, always in UTC."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(),
        default=utcnow,
        onupdate=utcnow,
        server_default=sa.func.now(),
    )


def enum_column(enum_cls, name: str) -> sa.Enum:
    """Store a ``StrEnum`` as its value, guarded by a named CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_cls),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


@sa.event.listens_for(sa.engine.Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """Enforce foreign keys and use WAL on SQLite; other backends are left alone."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy emit BEGIN itself (below) so that transactions and savepoints
    # behave as on PostgreSQL; pysqlite's own implicit transactions get this wrong.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _configure_postgresql(dbapi_connection, _record) -> None:
    """Turn PostgreSQL's JIT compiler and parallel workers off for our connections.

    Our list queries are estimated costly (a caseload's EXISTS conditions per milestone) but
    run in milliseconds; JIT spent 24 ms compiling a ready-to-advance count that ran in 34.
    Parallel workers make one query faster on an idle server, but pages come many at once:
    each request took two more processes onto the same cores. At 1,000,000 files and 8
    clients, the caseload in temporary accommodation went from 23 to 58 req/s without them.
    """
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    dbapi_connection.commit()  # a SET in a transaction rolled back later would be undone


@sa.event.listens_for(sa.engine.Engine, "begin")
def _begin_sqlite_transaction(connection) -> None:
    # IMMEDIATE takes the write lock up front, waiting (busy_timeout) for another writer.
    # A deferred transaction that reads and then writes (every audited page view) fails at
    # once with "database is locked" when another worker wrote in between: make bench saw
    # it with two workers.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def kept_before_commit(noted: str):
    """Run the decorated ``keep(session)`` before every commit, and drop what the
    transaction noted in ``session.info[noted]`` when it ends (kept or rolled back)."""

    def register(keep):
        sa.event.listen(Session, "before_commit", keep)

        def forget(session, transaction) -> None:
            if transaction.parent is None:
                session.info.pop(noted, None)

        sa.event.listen(Session, "after_transaction_end", forget)
        return keep

    return register

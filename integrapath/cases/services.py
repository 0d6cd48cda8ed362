"""Rules for case files: registration, search, household, consent, notes, transfers."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from anyascii import anyascii
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from ..accounts.models import Municipality, User
from ..accounts.services import create_user, issue_activation_code, reset_password
from ..audit import VIEW_ACTIONS, AuditEvent, diff, record_event
from ..errors import RuleBroken
from ..extensions import SortKey, db, ordered
from ..i18n import locale_for_language
from ..security import Role, scoped
from .models import (
    NAME_WORD_LENGTH,
    SENSITIVE_FLAGS,
    Case,
    CaseLanguage,
    CaseNameWord,
    CaseNationality,
    CaseNote,
    CaseStatus,
    ClosingReason,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Dependant,
    HouseholdLink,
    NoteCategory,
    ReferenceCounter,
    Relation,
    Stage,
    StageChange,
)

PERMIT_WARNING_DAYS = 90
CASE_FIELDS = (
    "given_names", "family_name", "given_names_latin", "family_name_latin", "date_of_birth",
    "sex", "country_of_birth", "preferred_language", "phone", "email", "address",
    "residence_category", "permit_number", "permit_issued_on", "permit_expires_on",
    "arrived_in_country_on", "arrived_in_municipality_on", "caseworker_id",
)  # fmt: skip


class CaseError(RuleBroken):
    """A rule about case files was broken."""


class PossibleDuplicates(Exception):
    """Registration matches existing files; the caseworker must confirm it is someone else."""

    def __init__(self, cases: list[Case]):
        super().__init__(f"{len(cases)} possible duplicates")
        self.cases = cases


# -- names and references ----------------------------------------------------------------

# What anyascii gives for apostrophes, the soft sign and the Arabic ayn.
APOSTROPHES = re.compile(r"['`]")


def name_key(*parts: str | None) -> str:
    """Fold names to lower-case ASCII words: 'Müller' and 'Muller', 'Ковальчук' and
    'Kovalchuk', "O'Brien" and 'OBrien'. An apostrophe joins (the soft sign of Cyrillic
    names comes out as one), so that the name stays one word to search by."""
    text = anyascii(" ".join(part for part in parts if part)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", re.sub(APOSTROPHES, "", text)))


def normalise_permit(number: str | None) -> str | None:
    """Permit numbers are kept upper-case without surrounding spaces, so that equal is equal."""
    return (number or "").strip().upper() or None


def _set_name_keys(case: Case) -> None:
    case.permit_number = normalise_permit(case.permit_number)
    case.family_name_key = name_key(case.family_name, case.family_name_latin)[:240]
    case.given_names_key = name_key(case.given_names, case.given_names_latin)[:240]
    case.name_key = name_key(
        case.given_names, case.family_name, case.given_names_latin, case.family_name_latin
    )[:520]


def next_reference(municipality: Municipality, today: date | None = None) -> str:
    """Give out the next reference, e.g. ``LND-2026-000123``, safely under concurrency.

    The counter row is created if missing and incremented with one UPDATE, which locks
    the row until the transaction ends, so two registrations never get the same number.
    """
    year = (today or municipality.today()).year
    table = ReferenceCounter.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(table)
        .values(municipality_id=municipality.id, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    number = db.session.execute(
        sa.update(table)
        .where(table.c.municipality_id == municipality.id, table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    ).scalar_one()
    return f"{municipality.code}-{year}-{number:06d}"


# -- registration and editing --------------------------------------------------------------


@dataclass
class CaseData:
    """What a registration form or an import row says about a person."""

    values: dict
    nationalities: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    mother_tongue: str | None = None
    stage: Stage = Stage.ARRIVAL
    flags: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonKeys:
    """What decides whether two files describe the same person.

    The same residence permit, or the same birth date and names that match folded (case,
    accents, script) and in either order, since given and family names are often swapped
    between documents.
    """

    family: frozenset[str]
    given: frozenset[str]
    date_of_birth: date | None
    permit_number: str | None

    @classmethod
    def of(cls, values: dict) -> "PersonKeys":
        return cls(
            family=frozenset({name_key(values["family_name"]),
                              name_key(values.get("family_name_latin"))} - {""}),
            given=frozenset({name_key(values["given_names"]),
                             name_key(values.get("given_names_latin"))} - {""}),
            date_of_birth=values.get("date_of_birth"),
            permit_number=normalise_permit(values.get("permit_number")),
        )  # fmt: skip

    def matches(self, case: Case) -> bool:
        if self.permit_number and case.permit_number == self.permit_number:
            return True
        if self.date_of_birth is None or case.date_of_birth != self.date_of_birth:
            return False
        return any(
            (family in case.family_name_key and given in case.given_names_key)
            or (given in case.family_name_key and family in case.given_names_key)
            for family in self.family
            for given in self.given
        )


DUPLICATE_BATCH = 500  # people per candidate query: keeps the IN lists a sensible size
MAX_DUPLICATES_SHOWN = 20


def find_duplicates(municipality_id: int, people: list[PersonKeys]) -> list[list[Case]]:
    """Return, for each person, the files of the municipality they may already have.

    One query per batch of people fetches every file with one of their permits or birth
    dates (both indexed); the names are then compared here, so an import of thousands of rows
    costs a handful of queries instead of one per row.
    """
    found: list[list[Case]] = []
    for start in range(0, len(people), DUPLICATE_BATCH):
        batch = people[start : start + DUPLICATE_BATCH]
        permits = {person.permit_number for person in batch} - {None}
        births = {person.date_of_birth for person in batch} - {None}
        by_permit: dict[str, list[Case]] = {}
        by_birth: dict[date, list[Case]] = {}
        if permits or births:
            statement = select(Case).where(
                Case.municipality_id == municipality_id,
                sa.or_(Case.permit_number.in_(permits), Case.date_of_birth.in_(births)),
            )
            for case in db.session.scalars(statement.order_by(Case.reference)):
                by_permit.setdefault(case.permit_number, []).append(case)
                by_birth.setdefault(case.date_of_birth, []).append(case)
        for person in batch:
            pool = by_permit.get(person.permit_number, []) + by_birth.get(person.date_of_birth, [])
            matches = sorted(
                {case for case in pool if person.matches(case)}, key=lambda case: case.reference
            )
            found.append(matches[:MAX_DUPLICATES_SHOWN])
    return found


def duplicates_of(data: "CaseData", municipality_id: int) -> list[Case]:
    """Return the existing files that the person described by ``data`` may already have."""
    return find_duplicates(municipality_id, [PersonKeys.of(data.values)])[0]


OLDEST_AGE = 120


def check_case_dates(values: dict, today: date) -> None:
    """Refuse dates that cannot be true of a person's file.

    :raise CaseError: naming the first field whose date is impossible.
    """
    born = values.get("date_of_birth")
    if born is None:
        raise CaseError(_l("Enter a date."), "date_of_birth")
    if born > today:
        raise CaseError(_l("This date cannot be in the future."), "date_of_birth")
    if today.year - born.year > OLDEST_AGE:
        raise CaseError(
            _l("Check the year: the person would be over 120 years old."), "date_of_birth"
        )
    for name in ("permit_issued_on", "arrived_in_country_on", "arrived_in_municipality_on"):
        if values.get(name) and values[name] > today:
            raise CaseError(_l("This date cannot be in the future."), name)
    for name in ("arrived_in_country_on", "arrived_in_municipality_on"):
        if values.get(name) and values[name] < born:
            raise CaseError(_l("This date is before the date of birth."), name)
    issued, expires = values.get("permit_issued_on"), values.get("permit_expires_on")
    if issued and expires and expires <= issued:
        raise CaseError(_l("The expiry date must be after the issue date."), "permit_expires_on")
    country, here = values.get("arrived_in_country_on"), values.get("arrived_in_municipality_on")
    if country and here and here < country:
        raise CaseError(
            _l("Arrival in the municipality cannot be before arrival in the country."),
            "arrived_in_municipality_on",
        )


def _set_nationalities(case: Case, codes: list[str]) -> None:
    wanted = list(dict.fromkeys(codes))
    case.nationalities = [
        CaseNationality(country_code=code, position=position)
        for position, code in enumerate(wanted)
    ]


_ORDER_COPIED = ("municipality_id", "family_name_key", "given_names_key")


def name_words(case, case_id: int) -> list[dict]:
    """The ``case_name_word`` rows of a file (built or saved): each word of its names once."""
    words = {word[:NAME_WORD_LENGTH] for word in (case.name_key or "").split()}
    return [
        {"case_id": case_id, "word": word, **{name: getattr(case, name) for name in _ORDER_COPIED}}
        for word in sorted(words)
    ]


@sa.event.listens_for(Session, "after_flush")
def _copy_order_to_searches(session, _context) -> None:
    """Copy the municipality and name keys of the files just written onto their
    nationalities and name words, so that the nationality filter and the name search each
    read their own index in name order."""
    files, renamed = set(), {}
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, CaseNationality) and obj in session.new:
            files.add(obj.case_id)
        elif isinstance(obj, Case) and (
            obj in session.new
            or any(
                sa.inspect(obj).attrs[name].history.has_changes()
                for name in (*_ORDER_COPIED, "name_key")
            )
        ):
            files.add(obj.id)
            renamed[obj.id] = obj
    if files:
        session.connection().execute(
            sa.update(CaseNationality.__table__)
            .where(CaseNationality.case_id == Case.id, Case.id.in_(sorted(files)))
            .values({name: getattr(Case, name) for name in _ORDER_COPIED})
        )
        for obj in session.identity_map.values():
            if isinstance(obj, CaseNationality) and obj.case_id in files:
                session.expire(obj, list(_ORDER_COPIED))
    if renamed:
        words = CaseNameWord.__table__
        session.connection().execute(sa.delete(words).where(words.c.case_id.in_(sorted(renamed))))
        if rows := [row for file_id, case in renamed.items() for row in name_words(case, file_id)]:
            session.connection().execute(sa.insert(words), rows)


def _set_languages(case: Case, codes: list[str], mother_tongue: str | None) -> None:
    wanted = list(dict.fromkeys(([mother_tongue] if mother_tongue else []) + codes))
    case.languages = [
        CaseLanguage(language_code=code, mother_tongue=code == mother_tongue, position=position)
        for position, code in enumerate(wanted)
    ]


def _check_caseworker(caseworker_id: int | None, municipality_id: int) -> None:
    if caseworker_id is None:
        return
    caseworker = db.session.get(User, caseworker_id)
    if (
        caseworker is None
        or caseworker.municipality_id != municipality_id
        or caseworker.role != Role.CASEWORKER
        or not caseworker.active
    ):
        raise CaseError(_l("Choose a caseworker of your municipality."), "caseworker_id")


def new_case(data: CaseData, municipality_id: int, reference: str) -> Case:
    """Build (not save) the file ``data`` describes, with its derived search keys.

    Registration saves it; ``seed-volume`` turns it into rows for bulk inserts.
    """
    case = Case(
        municipality_id=municipality_id, reference=reference, stage=data.stage, **data.values
    )
    for flag in SENSITIVE_FLAGS:
        setattr(case, flag, bool(data.flags.get(flag)))
    _set_name_keys(case)
    _set_nationalities(case, data.nationalities)
    _set_languages(case, data.languages, data.mother_tongue)
    return case


def register_case(data: CaseData, actor: User, *, confirmed_new_person: bool = False) -> Case:
    """Open a case file in the actor's municipality.

    :raise PossibleDuplicates: when likely duplicates exist and the caseworker has not
        confirmed that this is someone else.
    :raise CaseError: when the chosen caseworker is not one of the municipality.
    """
    values = data.values
    municipality = db.session.get(Municipality, actor.municipality_id)
    check_case_dates(values, municipality.today())
    _check_caseworker(values.get("caseworker_id"), actor.municipality_id)
    if not confirmed_new_person:
        duplicates = duplicates_of(data, actor.municipality_id)
        if duplicates:
            raise PossibleDuplicates(duplicates)
    case = new_case(data, actor.municipality_id, next_reference(municipality))
    db.session.add(case)
    db.session.flush()
    db.session.add(StageChange(case_id=case.id, to_stage=data.stage, changed_by_id=actor.id))
    record_event(
        "case_registered",
        case,
        actor=actor,
        changes={"reference": [None, case.reference], "stage": [None, data.stage.value]},
    )
    return case


def update_case(case: Case, data: CaseData, actor: User, seen_version: int | None = None) -> None:
    """Save edits to the personal and residence details, keeping who changed what.

    :raise CaseError: when the file changed since the editor loaded it (``seen_version``),
        so that nobody overwrites a colleague's change without seeing it.
    """
    if seen_version is not None and seen_version != case.version:
        raise CaseError(
            _l(
                "Someone else changed this file while you were editing it. "
                "Your input is still here: check the file, then save again."
            )
        )
    check_case_dates(data.values, db.session.get(Municipality, case.municipality_id).today())
    _check_caseworker(data.values.get("caseworker_id"), case.municipality_id)
    changes = diff(case, {**data.values, **data.flags})
    old_nationalities = [n.country_code for n in case.nationalities]
    old_languages = [language.language_code for language in case.languages]
    for name, value in {**data.values, **data.flags}.items():
        setattr(case, name, value)
    _set_name_keys(case)
    if old_nationalities != list(dict.fromkeys(data.nationalities)):
        changes["nationalities"] = [" ".join(old_nationalities), " ".join(data.nationalities)]
        _set_nationalities(case, data.nationalities)
    new_languages = list(
        dict.fromkeys(([data.mother_tongue] if data.mother_tongue else []) + data.languages)
    )
    if old_languages != new_languages or _mother_tongue(case) != data.mother_tongue:
        changes["languages"] = [" ".join(old_languages), " ".join(new_languages)]
        _set_languages(case, data.languages, data.mother_tongue)
    if changes:
        record_event("case_updated", case, actor=actor, changes=changes)


def _mother_tongue(case: Case) -> str | None:
    return next((lang.language_code for lang in case.languages if lang.mother_tongue), None)


def _today(actor: User) -> date:
    return db.session.get(Municipality, actor.municipality_id).today()


# -- finding cases -------------------------------------------------------------------------


@dataclass
class CaseloadFilters:
    q: str | None = None
    mine: bool = True
    caseworker_id: int | None = None
    stage: str | None = None
    status: str | None = CaseStatus.ACTIVE.value
    residence_category: str | None = None
    nationality: str | None = None
    flag: str | None = None
    permit_expiring: bool = False
    sort: str = "name"
    # Filters added by higher domains (cases.page.CaseloadFilter), ready to apply.
    narrowing: tuple[Callable[[Select], Select], ...] = ()


# Each order ends with the id, so that "Next" continues from the last row shown.
SORTS = {
    "name": (SortKey(Case.family_name_key), SortKey(Case.given_names_key), SortKey(Case.id)),
    "reference": (SortKey(Case.reference), SortKey(Case.id)),
    "arrival": (SortKey(Case.arrived_in_municipality_on, descending=True, nullable=True),
                SortKey(Case.id, descending=True)),
    "permit": (SortKey(Case.permit_expires_on, nullable=True), SortKey(Case.id)),
    "updated": (SortKey(Case.updated_at, descending=True), SortKey(Case.id, descending=True)),
}  # fmt: skip


# By name within one nationality: the nationality's own copy of the keys, in its index.
NATIONALITY_BY_NAME = (
    SortKey(CaseNationality.family_name_key),
    SortKey(CaseNationality.given_names_key),
    SortKey(CaseNationality.case_id.label("id")),
)


def caseload_order(filters: CaseloadFilters) -> tuple[SortKey, ...]:
    if filters.nationality and filters.sort not in SORTS.keys() - {"name"}:
        return NATIONALITY_BY_NAME
    return SORTS.get(filters.sort, SORTS["name"])


def caseload_listing(
    user: User, filters: CaseloadFilters, today: date | None = None, *, eager: bool = True
) -> tuple[Select, tuple[SortKey, ...]]:
    """Return the select of the cases a caseworker asked for, and the keys of its order.

    With ``eager`` it loads what the list page shows; the export picks its own columns.
    """
    statement = scoped(select(Case), user)
    keys = caseload_order(filters)
    if eager:
        statement = statement.options(joinedload(Case.caseworker), selectinload(Case.nationalities))
    if filters.q:
        found, named = _search(user, filters.q.strip())
        if named is None:
            statement = statement.where(Case.id.in_(found))
        else:
            statement = statement.where(Case.id == named.c.id)
            if filters.sort not in SORTS.keys() - {"name"}:
                keys = _in_name_order(named)
    if filters.caseworker_id:
        statement = statement.where(Case.caseworker_id == filters.caseworker_id)
    elif filters.mine:
        statement = statement.where(Case.caseworker_id == user.id)
    if filters.stage:
        statement = statement.where(Case.stage == Stage(filters.stage))
    if filters.status:
        statement = statement.where(Case.status == CaseStatus(filters.status))
    if filters.residence_category:
        statement = statement.where(Case.residence_category == filters.residence_category)
    if filters.nationality:
        # In the WHERE clause, not a JOIN (as the search): the page's anchor lookup reuses
        # the conditions.
        statement = statement.where(
            CaseNationality.case_id == Case.id,
            CaseNationality.country_code == filters.nationality,
            CaseNationality.municipality_id == Case.municipality_id,
        )
    if filters.flag in SENSITIVE_FLAGS:
        statement = statement.where(getattr(Case, filters.flag).is_(True))
    if filters.permit_expiring:
        today = today or db.session.get(Municipality, user.municipality_id).today()
        statement = statement.where(
            Case.permit_expires_on.is_not(None),
            Case.permit_expires_on <= today + timedelta(days=PERMIT_WARNING_DAYS),
        )
    for narrow in filters.narrowing:
        statement = narrow(statement)
    return statement, keys


def caseload_query(
    user: User, filters: CaseloadFilters, today: date | None = None, *, eager: bool = True
) -> Select:
    """Return the select of the cases a caseworker asked for, in its order."""
    return ordered(*caseload_listing(user, filters, today, eager=eager))


def _search(user: User, term: str) -> tuple[list[int], sa.Subquery | None]:
    """The cases a search term finds: its exact reference or permit number (their ids), or
    else the files with a name word beginning with each word of the term (a subquery of
    their ids and name keys, to be read in name order).

    An exact match is answered by its own index first, and a hit ends the search: OR-ed with
    the name search, PostgreSQL scanned the names for a permit number.
    """
    exact = [Case.reference == term.upper(), Case.permit_number == term.upper()]
    if term.isdigit() and len(term) <= 6:  # "123" finds LND-2026-000123
        exact.append(Case.reference.endswith("-" + term.zfill(6)))
    found = db.session.scalars(scoped(select(Case.id), user).where(sa.or_(*exact))).all()
    words = [word[:NAME_WORD_LENGTH] for word in name_key(term).split()]
    if found or not words:
        return found, None
    return found, _named(user.municipality_id, words)


# A term word that begins more name words than this ("a") has its files found by walking
# the municipality's files in name order: they are many, and a page fills soon.
NAME_WORDS_WALKED = 20


def _named(municipality_id: int, words: list[str]) -> sa.Subquery:
    """The files of the municipality with, for each of ``words``, a name word beginning
    with it: their ids and name keys.

    The longest word (most likely the rarest) is walked: for each name word it begins, its
    files come from ``ix_case_name_word_by_name`` already in name order, and PostgreSQL
    merges these walks, so a page reads the rows it shows however many files share the name.
    "muller" is 9,900 of 1,000,000 files; a trigram search of the names found all of them
    for every page. The conditions stand outside the walks: inside one, PostgreSQL planned
    it whole (hashed and sorted) before the merge.
    """
    walked = max(words, key=len)
    others = list(words)
    others.remove(walked)
    beginning = _name_words_beginning(municipality_id, walked, NAME_WORDS_WALKED + 1)
    word = CaseNameWord.word
    name_order = (CaseNameWord.family_name_key, CaseNameWord.given_names_key, CaseNameWord.case_id)

    def walk(*conditions) -> Select:
        return select(CaseNameWord.case_id.label("id"), *name_order[:2], word).where(
            CaseNameWord.municipality_id == municipality_id, *conditions
        )

    if len(beginning) > NAME_WORDS_WALKED:
        files = aliased(Case)
        return (
            select(files.id, files.family_name_key, files.given_names_key)
            .where(
                files.municipality_id == municipality_id,
                *(_has_name_word(files.id, lambda other, w=w: _begins(other, w)) for w in words),
            )
            .subquery("named")
        )
    if not beginning:
        found = walk(sa.false()).subquery("walks")
    elif len(beginning) == 1:
        found = walk(word == _written(beginning[0])).subquery("walks")
    else:
        walks = [
            walk(word == _written(each)).order_by(*name_order).subquery() for each in beginning
        ]
        found = sa.union_all(*(select(*each.c) for each in walks)).subquery("walks")
    conditions = [_has_name_word(found.c.id, lambda other, w=w: _begins(other, w)) for w in others]
    if len(beginning) > 1:  # a file with two name words beginning with the term: the first
        first = ~_has_name_word(
            found.c.id, lambda other: (other >= walked) & (other < found.c.word)
        )
        conditions.append(first)
    return (
        select(found.c.id, found.c.family_name_key, found.c.given_names_key)
        .where(*conditions)
        .subquery("named")
    )


def _written(word: str):
    """A name word written into the statement, not bound: a statement prepared with a bound
    word was planned for the average word (1,800 files at 100,000), and its count read
    every open file's id (17 ms against 4)."""
    return sa.literal(word, literal_execute=True)


def _begins(column, prefix: str):
    """Words that begin with ``prefix``: a range of the index (name words are a-z and 0-9
    only, and "{" sorts after them)."""
    return sa.and_(column >= prefix, column < prefix + "{")


def _has_name_word(case_id, condition: Callable[[Any], Any]) -> sa.Exists:
    """The file ``case_id`` has a name word meeting ``condition(word)``."""
    other = aliased(CaseNameWord)
    return sa.exists().where(other.case_id == case_id, condition(other.word))


def _name_words_beginning(municipality_id: int, prefix: str, limit: int) -> list[str]:
    """The municipality's distinct name words that begin with ``prefix``, at most ``limit``:
    one index lookup each, skipping the files that share a word."""
    word = CaseNameWord.word
    in_range = (CaseNameWord.municipality_id == municipality_id, _begins(word, prefix))
    found = select(
        select(word).where(*in_range).order_by(word).limit(1).scalar_subquery().label("word")
    ).cte("found", recursive=True)
    following = select(word).where(*in_range, word > found.c.word).order_by(word).limit(1)
    found = found.union_all(select(following.scalar_subquery()).where(found.c.word.is_not(None)))
    return db.session.scalars(
        select(found.c.word).where(found.c.word.is_not(None)).limit(limit)
    ).all()


def _in_name_order(named: sa.Subquery) -> tuple[SortKey, ...]:
    """By name among a search's matches: their own sorted keys (see ``_search``)."""
    return (
        SortKey(named.c.family_name_key),
        SortKey(named.c.given_names_key),
        SortKey(named.c.id),
    )


def caseworkers_of(municipality_id: int) -> list[sa.Row]:
    """The municipality's active caseworkers by name: their id, full name and email only
    (every caseload page lists them: whole accounts took more than twice as long)."""
    return db.session.execute(
        select(User.id, User.full_name, User.email)
        .where(
            User.municipality_id == municipality_id,
            User.role == Role.CASEWORKER,
            User.active.is_(True),
        )
        .order_by(User.full_name)
    ).all()


def load_case_file(case_id: int, user: User) -> Case | None:
    """Load a case with what its page shows, within the user's scope."""
    return db.session.scalar(
        scoped(select(Case).where(Case.id == case_id), user).options(
            joinedload(Case.caseworker),
            joinedload(Case.account),
            selectinload(Case.nationalities),
            selectinload(Case.languages),
        )
    )


def permit_alert(case: Case, today: date) -> str | None:
    """Say whether the residence permit has expired or expires within 90 days of ``today``
    (the municipality's day)."""
    if case.permit_expires_on is None:
        return None
    if case.permit_expires_on < today:
        return "expired"
    if case.permit_expires_on <= today + timedelta(days=PERMIT_WARNING_DAYS):
        return "expiring"
    return None


def record_case_view(case: Case, viewer: User) -> None:
    """Audit each view of a case file, and separately each view of its sensitive flags."""
    record_event("case_viewed", case, actor=viewer)
    if viewer.role == Role.CASEWORKER and case.caseworker_id != viewer.id:
        record_event("unassigned_case_viewed", case, actor=viewer)
    if viewer.role == Role.CASEWORKER and case.active_flags:
        record_event(
            "sensitive_flags_viewed",
            case,
            actor=viewer,
            changes={"flags": [None, " ".join(case.active_flags)]},
        )


def case_timeline(case: Case, limit: int = 100) -> list[AuditEvent]:
    """Return what happened to the case, newest first, without the page views."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "Case",
                AuditEvent.object_id == case.id,
                AuditEvent.action.not_in(VIEW_ACTIONS),
            )
            .options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


# -- notes -----------------------------------------------------------------------------------


def add_note(
    case: Case, category: NoteCategory, text: str, actor: User, amends: CaseNote | None = None
) -> CaseNote:
    """Add a note, or an amendment that corrects an earlier note without changing it.

    :raise CaseError: when the note to amend belongs to another case.
    """
    if amends is not None and amends.case_id != case.id:
        raise CaseError(_l("This note belongs to another case."))
    note = CaseNote(
        case_id=case.id,
        category=NoteCategory(category),
        text=text.strip(),
        author_id=actor.id,
        amends_id=amends.id if amends else None,
    )
    db.session.add(note)
    db.session.flush()
    record_event(
        "note_amended" if amends else "note_added",
        case,
        actor=actor,
        changes={"note": [amends.id if amends else None, note.id]},
    )
    return note


def notes_of(case: Case) -> list[tuple[CaseNote, list[CaseNote]]]:
    """Return original notes, newest first, each with its amendments in order."""
    notes = list(
        db.session.scalars(
            case.notes.select()
            .options(joinedload(CaseNote.author))
            .order_by(CaseNote.created_at, CaseNote.id)
        )
    )
    amendments: dict[int, list[CaseNote]] = {}
    for note in notes:
        if note.amends_id:
            amendments.setdefault(note.amends_id, []).append(note)
    originals = [note for note in notes if not note.amends_id]
    return [(note, amendments.get(note.id, [])) for note in reversed(originals)]


# -- household -------------------------------------------------------------------------------


def link_household(case: Case, relative: Case, relation: Relation, actor: User) -> None:
    """Link two files of the same municipality as family, in both directions.

    :raise CaseError: for a link to itself, across municipalities, or one that exists.
    """
    relation = Relation(relation)
    if relative.id == case.id:
        raise CaseError(_l("A case cannot be linked to itself."), "reference")
    if relative.municipality_id != case.municipality_id:
        raise CaseError(_l("No case with this reference in your municipality."), "reference")
    exists = db.session.scalar(
        select(HouseholdLink.id).where(
            HouseholdLink.case_id == case.id, HouseholdLink.relative_id == relative.id
        )
    )
    if exists:
        raise CaseError(_l("These files are linked already."), "reference")
    db.session.add(HouseholdLink(case_id=case.id, relative_id=relative.id, relation=relation))
    db.session.add(
        HouseholdLink(case_id=relative.id, relative_id=case.id, relation=relation.inverse)
    )
    for one, other, rel in ((case, relative, relation), (relative, case, relation.inverse)):
        record_event(
            "household_linked",
            one,
            actor=actor,
            changes={"relation": [None, rel.value], "relative": [None, other.reference]},
        )


def link_household_by_reference(
    case: Case, reference: str, relation: Relation, actor: User
) -> None:
    """Link the file with ``reference`` (of the actor's municipality) as family.

    :raise CaseError: when no such file is visible to the actor, or the link is refused.
    """
    relative = db.session.scalar(
        scoped(select(Case), actor).where(Case.reference == reference.strip().upper())
    )
    if relative is None:
        raise CaseError(_l("No case with this reference in your municipality."), "reference")
    link_household(case, relative, relation, actor)


def unlink_household(case: Case, link: HouseholdLink, actor: User) -> None:
    relative = db.session.get(Case, link.relative_id)
    db.session.execute(
        sa.delete(HouseholdLink).where(
            sa.or_(
                sa.and_(HouseholdLink.case_id == case.id, HouseholdLink.relative_id == relative.id),
                sa.and_(HouseholdLink.case_id == relative.id, HouseholdLink.relative_id == case.id),
            )
        )
    )
    for one, other in ((case, relative), (relative, case)):
        record_event(
            "household_unlinked", one, actor=actor, changes={"relative": [other.reference, None]}
        )


def household_of(case: Case, viewer: User) -> list[HouseholdLink]:
    """Return the family links whose other file the viewer may see."""
    visible = scoped(select(Case.id), viewer)
    return list(
        db.session.scalars(
            select(HouseholdLink)
            .where(HouseholdLink.case_id == case.id, HouseholdLink.relative_id.in_(visible))
            .options(joinedload(HouseholdLink.relative))
            .order_by(HouseholdLink.id)
        )
    )


def add_dependant(
    case: Case, name: str, birth_year: int, relation: Relation, actor: User
) -> Dependant:
    dependant = Dependant(
        case_id=case.id, name=name.strip(), birth_year=birth_year, relation=Relation(relation)
    )
    db.session.add(dependant)
    db.session.flush()
    record_event(
        "dependant_added",
        case,
        actor=actor,
        changes={"dependant": [None, f"{name} ({birth_year})"]},
    )
    return dependant


def remove_dependant(case: Case, dependant: Dependant, actor: User) -> None:
    record_event(
        "dependant_removed",
        case,
        actor=actor,
        changes={"dependant": [f"{dependant.name} ({dependant.birth_year})", None]},
    )
    db.session.delete(dependant)


def dependants_of(case: Case) -> list[Dependant]:
    return list(
        db.session.scalars(
            select(Dependant).where(Dependant.case_id == case.id).order_by(Dependant.birth_year)
        )
    )


# -- consent -----------------------------------------------------------------------------------


def record_consent(
    case: Case, purpose: ConsentPurpose, given_on: date, method: ConsentMethod, actor: User
) -> Consent:
    """Record a consent given for one purpose.

    :raise CaseError: when it is already in force, or dated in the future.
    """
    purpose = ConsentPurpose(purpose)
    if given_on > _today(actor):
        raise CaseError(_l("The date cannot be in the future."), "given_on")
    if purpose in consents_in_force(case):
        raise CaseError(_l("This consent is already in force."), "purpose")
    consent = Consent(
        case_id=case.id,
        purpose=purpose,
        given_on=given_on,
        method=ConsentMethod(method),
        recorded_by_id=actor.id,
    )
    db.session.add(consent)
    db.session.flush()
    record_event(
        "consent_given",
        case,
        actor=actor,
        changes={"purpose": [None, purpose.value], "given_on": [None, given_on.isoformat()]},
    )
    return consent


def withdraw_consent(case: Case, consent: Consent, withdrawn_on: date, actor: User) -> None:
    """Record that a consent was withdrawn; the record itself is kept.

    :raise CaseError: when it is withdrawn already or the date is impossible.
    """
    if consent.withdrawn_on is not None:
        raise CaseError(_l("This consent has been withdrawn already."))
    if withdrawn_on < consent.given_on or withdrawn_on > _today(actor):
        raise CaseError(_l("The withdrawal date must lie between the consent and today."))
    consent.withdrawn_on = withdrawn_on
    record_event(
        "consent_withdrawn",
        case,
        actor=actor,
        changes={
            "purpose": [consent.purpose.value, consent.purpose.value],
            "withdrawn_on": [None, withdrawn_on.isoformat()],
        },
    )


def consent_history(case: Case) -> list[Consent]:
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.case_id == case.id)
            .order_by(Consent.given_on.desc(), Consent.id.desc())
        )
    )


def consents_in_force(case: Case) -> set[ConsentPurpose]:
    return set(
        db.session.scalars(
            select(Consent.purpose).where(
                Consent.case_id == case.id, Consent.withdrawn_on.is_(None)
            )
        )
    )


@dataclass(frozen=True)
class ParticipantView:
    """What a course provider may know of a participant: the minimum to run a course."""

    reference: str
    name: str | None
    preferred_language: str | None
    phone: str | None = None


def participant_view(case: Case) -> ParticipantView:
    """Show the provider the name, language and phone only with the sharing consent in force."""
    return participant_views([case])[case.id]


def participant_views(cases: list[Case]) -> dict[int, ParticipantView]:
    """``participant_view`` of many cases, by case id, in one query."""
    sharing = set(
        db.session.scalars(
            select(Consent.case_id).where(
                Consent.case_id.in_([case.id for case in cases]),
                Consent.purpose == ConsentPurpose.PROVIDER_SHARING,
                Consent.withdrawn_on.is_(None),
            )
        )
    )
    return {
        case.id: ParticipantView(
            case.reference, case.full_name, case.preferred_language, case.phone
        )
        if case.id in sharing
        else ParticipantView(case.reference, None, None)
        for case in cases
    }


# -- assignment, closing --------------------------------------------------------------------


def reassign_case(case: Case, caseworker_id: int, actor: User) -> None:
    """Give the case to another caseworker of the municipality.

    :raise CaseError: when the caseworker is not one of the municipality.
    """
    _check_caseworker(caseworker_id, case.municipality_id)
    if case.caseworker_id == caseworker_id:
        return
    record_event(
        "case_reassigned",
        case,
        actor=actor,
        changes={"caseworker_id": [case.caseworker_id, caseworker_id]},
    )
    case.caseworker_id = caseworker_id


# Rules of other domains that must hold before a case is closed (a transfer waiting for an
# answer, say). Each raises CaseError; domains above cases add theirs when imported.
CLOSING_CHECKS: list[Callable[[Case], None]] = []


def may_close(case: Case) -> bool:
    """Say whether the case could be closed now (open, and every closing check passes)."""
    if case.status != CaseStatus.ACTIVE:
        return False
    try:
        for check in CLOSING_CHECKS:
            check(case)
    except CaseError:
        return False
    return True


def close_case(case: Case, reason: ClosingReason, closed_on: date, actor: User) -> None:
    """Close the case with a reason.

    :raise CaseError: when it is closed already or the date is impossible.
    """
    if case.status == CaseStatus.CLOSED:
        raise CaseError(_l("This case is closed already."))
    if closed_on > _today(actor):
        raise CaseError(_l("The date cannot be in the future."), "closed_on")
    for check in CLOSING_CHECKS:
        check(case)
    case.status = CaseStatus.CLOSED
    case.closing_reason = ClosingReason(reason)
    case.closed_on = closed_on
    record_event(
        "case_closed", case, actor=actor, changes={"reason": [None, case.closing_reason.value]}
    )


def reopen_case(case: Case, actor: User) -> None:
    """Open a closed case again; the closing stays in the timeline."""
    if case.status != CaseStatus.CLOSED:
        raise CaseError(_l("This case is open already."))
    record_event(
        "case_reopened", case, actor=actor, changes={"reason": [case.closing_reason.value, None]}
    )
    case.status = CaseStatus.ACTIVE
    case.closing_reason = None
    case.closed_on = None


# -- portal access ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalInvitation:
    """What the newcomer's letter carries: the one-time link and the same access as a code to
    type. Both are shown once; the database keeps only their digests."""

    token: str
    code: str


def open_portal_access(case: Case, email: str, actor: User) -> tuple[User, PortalInvitation]:
    """Create the newcomer's account for this file and return it with its letter's link and
    code. The account is bound to this one file (``Case.account_id`` is unique).

    The account speaks the file's preferred language when the portal offers it.

    :raise CaseError: when the file has an account already.
    :raise AccountError: when the e-mail address is taken.
    """
    if case.account_id is not None:
        raise CaseError(_l("This file has portal access already."))
    locale = locale_for_language(case.preferred_language) or actor.municipality.default_locale
    account, token = create_user(
        full_name=case.full_name,
        email=email,
        role=Role.MIGRANT,
        preferred_locale=locale,
        organisation=None,
        actor=actor,
    )
    case.account_id = account.id
    record_event(
        "portal_access_opened", case, actor=actor, changes={"account": [None, account.email]}
    )
    return account, PortalInvitation(token, issue_activation_code(account))


def renew_activation_link(case: Case, account: User, actor: User) -> PortalInvitation:
    """Give the newcomer a new letter (link and code), e.g. when the first one got lost or the
    password is forgotten; the old password, link and code stop working.

    :raise CaseError: unless ``account`` is this file's own newcomer account, held by the
        same municipality as the file and the actor.
    """
    if (
        case.account_id != account.id
        or account.role != Role.MIGRANT
        or not account.municipality_id == case.municipality_id == actor.municipality_id
    ):
        raise CaseError(_l("This file has no portal account of its own to renew."))
    token = reset_password(account, actor)
    record_event("portal_link_renewed", case, actor=actor)
    return PortalInvitation(token, issue_activation_code(account))


# -- files noted by a transaction, for the state kept on them ----------------------------------

CHUNK = 5000  # ids per statement: SQLite takes at most 32,766 parameters


def files_by_municipality(
    session, case_ids, every_file_of=()
) -> Iterator[tuple[Municipality, list[int] | None]]:
    """The municipalities of the files ``case_ids`` and the municipalities ``every_file_of``,
    each with its files in chunks of ``CHUNK`` ids, or with None once for every file of it."""
    everywhere = set(every_file_of)
    by_municipality: dict[int, list[int]] = {}
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), CHUNK):
        for case_id, municipality_id in session.execute(
            select(Case.id, Case.municipality_id).where(Case.id.in_(ids[start : start + CHUNK]))
        ):
            if municipality_id not in everywhere:
                by_municipality.setdefault(municipality_id, []).append(case_id)
    for municipality_id in sorted(everywhere | set(by_municipality)):
        municipality = session.get(Municipality, municipality_id)
        if municipality is None:
            continue
        if municipality_id in everywhere:
            yield municipality, None
            continue
        ids = by_municipality[municipality_id]
        for start in range(0, len(ids), CHUNK):
            yield municipality, ids[start : start + CHUNK]

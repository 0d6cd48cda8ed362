"""Realistic volumes for the load benchmark: ``flask --app integrapath seed-volume --cases N``.

The same N always gives the same people. Each file is built as the registration service's
``new_case`` builds it (same search keys, nationalities, languages and reference format) and
written in batches, together with the stage change and audit event that registration writes;
``tests/test_volume.py`` checks that the rows equal those of ``register_case``. Most people
also take one or two courses of the generated providers, with the enrolments, status changes
and attendance the course services would store.

Rows go through COPY on PostgreSQL (multi-row INSERTs elsewhere), built as plain values: a
million files take minutes, not the better part of an hour. There, ``seed-volume`` fills the
tables in one process per core: each table is written by one of them, in the order of the
people, so the rows and their ids are the same however many processes there are
(``tests/test_volume.py`` compares them).
"""

import gc
import json
import multiprocessing
import queue
import random
import threading
from bisect import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from operator import itemgetter
from types import SimpleNamespace

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from .accounts.models import Municipality, Organisation, OrganisationKind, User, new_session_token
from .assessments.models import (
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    EmploymentStatus,
    LanguageAssessment,
    LanguageSkill,
    LanguageStanding,
    Qualification,
    RecognitionState,
    WorkExperience,
)
from .assessments.reference import load_reference_data
from .audit import AuditEvent, seal_rows
from .cases.models import (
    SENSITIVE_FLAGS,
    Case,
    CaseLanguage,
    CaseNameWord,
    CaseNationality,
    CaseStatus,
    ReferenceCounter,
    ResidenceCategory,
    Sex,
    Stage,
    StageChange,
)
from .cases.services import CaseData, _set_name_keys, name_words, normalise_permit
from .courses.models import (
    Attendance,
    AttendanceStatus,
    Course,
    CourseSession,
    CourseText,
    CourseType,
    Enrolment,
    EnrolmentChange,
    EnrolmentStatus,
    Offering,
)
from .courses.services import schedule_dates
from .extensions import db
from .history import recompute_valid_until
from .inclusion.models import HousingRecord, HousingSituation, Status, StatusRecord
from .pathway.models import (
    ActionStatus,
    IntegrationPlan,
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
from .pathway.services import (
    PlannedAction,
    PlannedGoal,
    add_default_milestones,
    frozen_content,
    note_municipality_changed,
)
from .reports.figures import note_every_file
from .security import Role

VOLUME_CODE = "VOL"
VOLUME_DOMAIN = "volume.example"
VOLUME_PASSWORD = "volume-password-2026"  # noqa: S105 - published, like the demo's
CASES_PER_CASEWORKER = 2_500
PORTAL_SHARE = 10  # one newcomer in ten has a portal account
BATCH = 5_000

# Origin -> (given names, family names, mother tongue, other script?). Names in the
# person's script come with a Latin transliteration, as on their documents.
ORIGINS = {
    "SY": (["Amina", "Yusuf", "Layla", "Omar", "Rania", "Khaled"],
           ["Haddad", "Al-Khatib", "Darwish", "Nasser", "Sabbagh", "Hamdan"], "ar"),
    "UA": (["Оксана", "Дарія", "Олена", "Андрій", "Микола", "Ірина"],
           ["Мельник", "Коваленко", "Бондаренко", "Шевченко", "Ткаченко", "Кравчук"], "uk"),
    "AF": (["فرید", "زهرا", "احمد", "مریم", "نجیب", "شبنم"],
           ["رحیمی", "احمدی", "حیدری", "نوری", "کریمی", "صدیقی"], "fa"),
    "ER": (["Yonas", "Selam", "Tesfay", "Helen", "Mebrahtu", "Senait"],
           ["Tesfaye", "Gebremariam", "Haile", "Kidane", "Berhane", "Woldu"], "ti"),
    "IQ": (["Mohammed", "Zainab", "Ali", "Noor", "Hussein", "Fatima"],
           ["Al-Hassan", "Kareem", "Jaber", "Al-Obeidi", "Saleh", "Mahmoud"], "ar"),
    "CO": (["José", "María", "Andrés", "Lucía", "Camilo", "Valentina"],
           ["Müller Pérez", "García", "Rodríguez", "Martínez", "Gómez", "López"], "es"),
    "IN": (["Priya", "Arjun", "Lakshmi", "Rahul", "Deepa", "Vikram"],
           ["Raman", "Iyer", "Nair", "Sharma", "Reddy", "Menon"], "ta"),
    "GN": (["Aïcha", "Mamadou", "Fatoumata", "Ibrahima", "Mariama", "Ousmane"],
           ["Diallo", "Barry", "Bah", "Camara", "Sow", "Condé"], "fr"),
    "TR": (["Zeynep", "Mehmet", "Ayşe", "Mustafa", "Elif", "Emre"],
           ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk"], "tr"),
    "SO": (["Hodan", "Abdi", "Faadumo", "Mahad", "Ifrah", "Liban"],
           ["Warsame", "Farah", "Osman", "Jama", "Hirsi", "Ali"], "so"),
}  # fmt: skip
# How often each origin occurs (weights), roughly as in European arrivals.
ORIGIN_WEIGHTS = {"SY": 22, "UA": 25, "AF": 15, "ER": 6, "IQ": 8, "CO": 6, "IN": 5, "GN": 4,
                  "TR": 6, "SO": 3}  # fmt: skip
STAGE_WEIGHTS = {Stage.PRE_DEPARTURE: 3, Stage.ARRIVAL: 20, Stage.EARLY_INTEGRATION: 45,
                 Stage.LONG_TERM: 25, Stage.INCLUSION: 7}  # fmt: skip
LOCALES = ("en", "de", "fr", "es", "uk", "ar", "fa")
# Enum members listed once: listing an enum costs more than the rest of a row.
RESIDENCE_CATEGORIES = list(ResidenceCategory)
RECOGNITION_STATES = list(RecognitionState)
LEVELS = list(CefrLevel)
RANKS = {level: level.rank for level in CefrLevel}
SKILLS = list(LanguageSkill)


def pick(rng: random.Random, weights: dict):
    """``rng.choices(list(weights), weights=...)[0]``, the same draw, without summing the
    weights again at every call (millions of calls)."""
    cumulative = _CUMULATIVE.get(id(weights))
    if cumulative is None:
        sums = list(accumulate(weights.values()))
        cumulative = _CUMULATIVE[id(weights)] = (list(weights), sums, sums[-1] + 0.0, len(sums) - 1)
    population, sums, total, last = cumulative
    return population[bisect(sums, rng.random() * total, 0, last)]  # what choices does


_CUMULATIVE: dict[int, tuple] = {}


@dataclass
class Person:
    """One generated file: what registration receives, and how it was registered."""

    data: CaseData
    registered: datetime
    caseworker_index: int
    closed: bool
    has_portal: bool


def caseworker_count(cases: int) -> int:
    return max(2, cases // CASES_PER_CASEWORKER)


def person(number: int, caseworkers: int, today: date) -> Person:
    """Return the ``number``-th generated person; the same number always gives the same one."""
    rng = random.Random(number)  # noqa: S311 - test data, not secrets
    country = pick(rng, ORIGIN_WEIGHTS)
    given_names, family_names, tongue = ORIGINS[country]
    given, family = rng.choice(given_names), rng.choice(family_names)
    latin = not given.isascii() and country in ("UA", "AF")
    born = today - timedelta(days=rng.randrange(16 * 365, 70 * 365))
    arrived = today - timedelta(days=rng.randrange(30, 8 * 365))
    issued = arrived + timedelta(days=rng.randrange(0, 120))
    issued = min(issued, today)
    values = {
        "given_names": given,
        "family_name": family,
        "given_names_latin": _latin(given) if latin else None,
        "family_name_latin": _latin(family) if latin else None,
        "date_of_birth": born,
        "sex": Sex.FEMALE if rng.random() < 0.48 else Sex.MALE,
        "country_of_birth": country,
        "preferred_language": tongue if tongue in LOCALES else rng.choice(("en", "fr", "de")),
        "phone": f"+49 151 {number % 10_000_000:07d}" if rng.random() < 0.7 else None,
        "email": f"person{number}@mail.example" if rng.random() < 0.4 else None,
        "address": f"Hauptstraße {number % 300 + 1}" if rng.random() < 0.8 else None,
        "residence_category": rng.choice(RESIDENCE_CATEGORIES),
        "permit_number": f"{country}{number:08d}" if rng.random() < 0.95 else None,
        "permit_issued_on": issued,
        "permit_expires_on": issued + timedelta(days=rng.choice((365, 730, 1095))),
        "arrived_in_country_on": arrived,
        "arrived_in_municipality_on": arrived + timedelta(days=rng.randrange(0, 30)),
        "caseworker_id": None,  # set when the caseworkers' ids are known
    }
    values["arrived_in_municipality_on"] = min(values["arrived_in_municipality_on"], today)
    nationalities = [country] + (["TR"] if country == "SY" and rng.random() < 0.05 else [])
    others = rng.sample(["en", "fr", "de", "ru", "tr", "ar"], rng.randrange(0, 3))
    data = CaseData(
        values=values,
        nationalities=nationalities,
        languages=[code for code in others if code != tongue],
        mother_tongue=tongue,
        stage=pick(rng, STAGE_WEIGHTS),
        flags={flag: rng.random() < 0.02 for flag in SENSITIVE_FLAGS},
    )
    registered = datetime.combine(values["arrived_in_municipality_on"], time(9), tzinfo=UTC)
    return Person(
        data=data,
        registered=registered + timedelta(minutes=number % 480),
        caseworker_index=number % caseworkers,
        closed=rng.random() < 0.1,
        has_portal=number % PORTAL_SHARE == 0,
    )


LATIN = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "h", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia",
})  # fmt: skip


@lru_cache(maxsize=1024)
def _latin(name: str) -> str:
    """Transliterate as a passport office would (Cyrillic by table, else anyascii)."""
    from anyascii import anyascii

    return anyascii(name.lower().translate(LATIN)).title()


def seed_volume(
    cases: int, progress: Callable[[int], None] = lambda _done: None, processes: int = 1
) -> Municipality:
    """Fill a municipality with ``cases`` generated files, their caseworkers and accounts;
    with ``processes`` > 1 on PostgreSQL, in that many processes (see ``add_cases``): the
    same rows, committed as they go.

    :raise ValueError: when the volume municipality exists already.
    """
    if db.session.scalar(sa.select(Municipality.id).where(Municipality.code == VOLUME_CODE)):
        raise ValueError(f"The municipality {VOLUME_CODE} exists already; use a new database.")
    town = Municipality(name="Volumen", code=VOLUME_CODE, default_locale="en")
    db.session.add(town)
    db.session.flush()
    office = Organisation(
        municipality_id=town.id, name="Integrationsbüro", kind=OrganisationKind.MUNICIPAL_OFFICE
    )
    school = Organisation(
        municipality_id=town.id, name="Sprachschule", kind=OrganisationKind.COURSE_PROVIDER
    )
    db.session.add_all([office, school])
    partners = [
        (Organisation(municipality_id=town.id, name=name, kind=OrganisationKind.PARTNER_SERVICE,
                      contact_email=f"{login}@partner.example", phone="+49 30 555 0100"), areas)
        for name, login, areas in PARTNERS
    ]  # fmt: skip
    db.session.add_all(partner for partner, _areas in partners)
    db.session.flush()
    db.session.add_all(
        PartnerServiceArea(organisation_id=partner.id, area=area)
        for partner, areas in partners
        for area in areas
    )
    load_reference_data()  # the occupations that work experience and jobs are coded with
    add_default_milestones(town)  # lists that read them (ready to advance) cost what they will
    password = generate_password_hash(VOLUME_PASSWORD)
    staff = [("admin", "Ada Admin", Role.ADMIN, None), ("teacher", "Tom Teacher", Role.PROVIDER,
             school.id)] + [(f"caseworker{n}", f"Caseworker {n:03d}", Role.CASEWORKER, office.id)
                            for n in range(caseworker_count(cases))]  # fmt: skip
    users = [
        User(email=f"{login}@{VOLUME_DOMAIN}", full_name=name, role=role, password_hash=password,
             municipality_id=town.id, organisation_id=organisation, preferred_locale="en")
        for login, name, role, organisation in staff
    ]  # fmt: skip
    db.session.add_all(users)
    db.session.flush()
    seed_providers(town, users[0], password)
    class_ = open_class(town, users[1])  # first, so that its sessions come first by id
    if db.session.get_bind().dialect.name != "postgresql":
        processes = 1
    with indexes_built_afterwards(BULK_TABLES, ways=min(processes, 2)):
        add_cases(town, range(cases), progress, processes, keep=False)
    if db.session.get_bind().dialect.name == "postgresql":
        # The rules' lookups by case are planned from statistics: without them, over the fresh
        # rows, keeping 100,000 files ran for minutes; with them, 20,000 take 3 s.
        db.session.execute(sa.text("ANALYZE"))
    # Kept at the next commit, with the indexes built again (the builds commit on their way).
    note_municipality_changed(town.id)
    note_every_file(town.id)
    fill_class(class_, users[1], next(user for user in users if user.role == Role.CASEWORKER))
    recompute_valid_until()  # the history rows' kept days, after every row is in
    return town


@contextmanager
def indexes_built_afterwards(models, ways: int = 1):
    """On PostgreSQL, set the indexes of ``models`` aside while they are filled, and build
    them again afterwards: one sorted build costs a fraction of millions of insertions in
    random order (2 million attendance rows: 21 s with their indexes, 9 s without and the
    builds). Unique constraints come back as constraints, so the load is still checked, at
    the end. Primary keys, indexes a foreign key relies on and partial indexes stay (a
    partial index's condition would come back written differently, though it means the
    same). In the transaction: a failed load leaves every index as it was; except with
    ``ways`` > 1 (a load in several processes), where the builds run on that many
    connections at once, each in its own transaction, after the rows are committed."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    aside = db.session.execute(
        sa.text(
            "SELECT t.relname AS table_name, i.relname AS index_name, "
            "pg_get_indexdef(i.oid) AS index_definition, k.conname AS constraint_name, "
            "pg_get_constraintdef(k.oid) AS constraint_definition "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "LEFT JOIN pg_constraint k ON k.conindid = i.oid AND k.contype IN ('u', 'x') "
            "WHERE t.relnamespace = current_schema()::regnamespace "
            "AND t.relname = ANY(:tables) AND NOT x.indisprimary AND x.indpred IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
            "                WHERE f.contype = 'f' AND f.conindid = i.oid) "
            "ORDER BY t.relname, i.relname"
        ),
        {"tables": [model.__table__.name for model in models]},
    ).all()
    for index in aside:
        if index.constraint_name:
            db.session.execute(
                sa.text(
                    f'ALTER TABLE "{index.table_name}" DROP CONSTRAINT "{index.constraint_name}"'
                )
            )
        else:
            db.session.execute(sa.text(f'DROP INDEX "{index.index_name}"'))
    yield
    statements = [
        f'ALTER TABLE "{index.table_name}" ADD CONSTRAINT "{index.constraint_name}" '
        f"{index.constraint_definition}"
        if index.constraint_name
        else index.index_definition
        for index in aside
    ]
    if ways > 1:
        db.session.commit()  # the rows are in: the builds may run on other connections
        build_in_parallel(statements, [index.table_name for index in aside], ways)
        return
    db.session.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    for statement in statements:
        db.session.execute(sa.text(statement))


def build_in_parallel(statements: list[str], tables: list[str], ways: int) -> None:
    """Run the index builds on ``ways`` connections at once (those of the largest tables
    first, so that the last ones are short)."""
    sizes = table_sizes(tables)
    db.session.commit()
    order = sorted(range(len(statements)), key=lambda n: -sizes.get(tables[n], 0))
    in_parallel([statements[n] for n in order], ways)


def table_sizes(tables: list[str]) -> dict[str, int]:
    return dict(
        db.session.execute(
            sa.text(
                "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(:t) "
                "AND relnamespace = current_schema()::regnamespace"
            ),
            {"t": tables},
        ).all()
    )


def in_parallel(statements: list[str], ways: int) -> None:
    """Run ``statements`` in order on ``ways`` connections at once, each statement in a
    transaction of its own, each connection taking the next one when it is free."""
    waiting = queue.SimpleQueue()
    for statement in statements:
        waiting.put(statement)
    failures = []
    engine = db.engine  # here: the threads have no application context

    def run() -> None:
        try:
            with engine.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql("SET maintenance_work_mem = '256MB'")
                while not failures:
                    try:
                        statement = waiting.get_nowait()
                    except queue.Empty:
                        return
                    connection.exec_driver_sql(statement)
        except Exception as error:  # raised again by the caller's thread
            failures.append(error)

    runners = [threading.Thread(target=run) for _way in range(ways)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    if failures:
        raise failures[0]


# The town's partner services: (name, e-mail login, areas covered).
PARTNERS = [
    ("Jobcenter Volumen", "jobcenter", (ServiceArea.EMPLOYMENT, ServiceArea.EDUCATION)),
    ("Wohnungsamt Volumen", "wohnen", (ServiceArea.HOUSING,)),
    ("Beratungszentrum Volumen", "beratung",
     (ServiceArea.PSYCHOSOCIAL_SUPPORT, ServiceArea.LEGAL_ADVICE, ServiceArea.HEALTH)),
]  # fmt: skip
CLASS_SIZE = 30  # a full classroom: the attendance page `make bench` measures


def open_class(town: Municipality, teacher: User):
    """A language course of the school running with a session today (filled by
    ``fill_class``), so that the provider's pages have a real class to show."""
    from .courses import services as courses

    course = courses.save_course(
        None,
        courses.CourseData(
            {"course_type": CourseType.LANGUAGE, "hours": 300, "target_language": "de",
             "entry_level": CefrLevel.A1, "target_level": CefrLevel.A2},
            teacher.organisation_id, "en", "German A1 to A2",
        ),
        teacher,
    )  # fmt: skip
    today = town.today()
    return courses.create_offering(
        course,
        {"start_date": today - timedelta(days=14), "end_date": today + timedelta(days=60),
         "weekday_numbers": list(range(1, 8)), "starts_at": time(9), "ends_at": time(12),
         "place": "Sprachschule", "online": False, "capacity": CLASS_SIZE,
         "instruction_languages": "de en", "childcare": False, "attendance_threshold": 80},
        teacher,
    )  # fmt: skip


def fill_class(offering, teacher: User, caseworker: User) -> None:
    """Enrol the first open files of the town in the school's class, from its first day."""
    from .courses import services as courses

    class_ = db.session.scalars(
        sa.select(Case)
        .where(Case.municipality_id == offering.municipality_id, Case.status == CaseStatus.ACTIVE)
        .order_by(Case.id).limit(CLASS_SIZE)
    )  # fmt: skip
    class_ = list(class_)
    for case in class_:
        courses.enrol_case(offering, case, caseworker).enrolled_on = offering.start_date
    give_the_newcomer_login(class_[0], teacher.password_hash)


NEWCOMER_LOGIN = f"newcomer@{VOLUME_DOMAIN}"  # the portal `make bench` measures


def give_the_newcomer_login(case: Case, password_hash: str) -> None:
    """A portal account with a known e-mail for one person of the class, so that the bench
    signs in as a newcomer with a course, sessions and attendance to show."""
    account = db.session.get(User, case.account_id) if case.account_id else None
    if account is None:
        account = User(
            full_name=case.full_name,
            role=Role.MIGRANT,
            municipality_id=case.municipality_id,
            preferred_locale=case.preferred_language,
        )
        db.session.add(account)
    account.email = NEWCOMER_LOGIN
    account.password_hash = password_hash
    db.session.flush()
    case.account_id = account.id


def add_cases(
    town: Municipality,
    numbers: range,
    progress: Callable[[int], None] = lambda _done: None,
    processes: int = 1,
    keep: bool = True,
) -> None:
    """Add the generated people ``numbers`` to the volume municipality ``town``, with their
    courses (runs are added as the volume grows, so a later call adds to the same weeks);
    ``keep=False`` leaves the files' kept readiness to the caller.

    With ``processes`` > 1 (PostgreSQL, a fresh database) the tables are filled by that many
    processes at once, each on its own connection: the transaction so far is committed first
    and each process commits its own tables, so a failed load leaves a partial database."""
    load = Load.read(town, numbers)
    groups = STREAM_GROUPS[min(processes, len(STREAM_GROUPS))] if processes > 1 else None
    if groups is None:
        write_streams(load, numbers, STREAMS, db.session.connection(), progress)
    else:
        db.session.commit()  # the town, its staff and providers: seen by every process
        in_processes(load, numbers, groups, progress)
    advance_sequences(
        User, Case, CaseNationality, CaseLanguage, StageChange, AuditEvent, *ASSESSMENT_TABLES,
        *PLAN_TABLES, Referral, ReferralStatusChange, *COURSE_TABLES,
    )  # fmt: skip
    if keep:
        # The rows above went in without the ORM, which would have noted the files they
        # touch: every file of the town is kept when the transaction commits.
        note_municipality_changed(town.id)
        note_every_file(town.id)


@dataclass
class Load:
    """What every stream of a load needs, read before any row is written, as plain values:
    the streams may run in other processes, each on its own connection."""

    town_id: int
    town_code: str
    host_language: str
    today: date
    first_case_id: int
    caseworkers: list
    password: str
    counters: dict
    partners: list
    ids: dict
    courses: "Courses"

    @classmethod
    def read(cls, town: Municipality, numbers: range) -> "Load":
        staff = db.session.execute(
            sa.select(User.id, User.email, User.role, User.password_hash)
            .where(User.municipality_id == town.id, User.email.like(f"%@{VOLUME_DOMAIN}"))
            .where(User.role.in_([Role.CASEWORKER, Role.ADMIN]))
            .order_by(User.id)
        ).all()
        counters = dict(
            db.session.execute(
                sa.select(ReferenceCounter.year, ReferenceCounter.last_number).where(
                    ReferenceCounter.municipality_id == town.id
                )
            ).all()
        )
        partners = db.session.execute(
            sa.select(PartnerServiceArea.organisation_id, PartnerServiceArea.area)
            .join(Organisation, Organisation.id == PartnerServiceArea.organisation_id)
            .where(Organisation.municipality_id == town.id)
            .order_by(PartnerServiceArea.organisation_id, PartnerServiceArea.area)
        ).all()
        ids = {model: Ids(model) for model in (User, *PLAN_TABLES, Referral)}
        return cls(
            town_id=town.id, town_code=town.code, host_language=town.default_locale,
            today=town.today(), first_case_id=Ids(Case).next,
            caseworkers=[(row.id, row.email) for row in staff if row.role == Role.CASEWORKER],
            password=staff[0].password_hash, counters=counters,
            partners=[tuple(row) for row in partners], ids=ids,
            courses=Courses(town, numbers.stop, town.today()),
        )  # fmt: skip


def write_streams(load: Load, numbers: range, streams, connection, progress) -> None:
    """Generate the people ``numbers`` batch by batch and write the tables of ``streams``.
    Each table belongs to one stream, and a stream writes its tables in the order of the
    people: the rows and their ids are the same whichever process runs which stream."""
    writer = BulkWriter(connection)
    with _without_gc():
        _write_batches(load, numbers, streams, writer, progress)
    if _files in streams:
        _keep_counters(load, connection)


@contextmanager
def _without_gc():
    """No cycle collection while generating: the rows make no cycles, and the collector
    would walk millions of them again and again (a quarter of the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_batches(load: Load, numbers: range, streams, writer, progress) -> None:
    for start in range(numbers.start, numbers.stop, BATCH):
        batch = range(start, min(numbers.stop, start + BATCH))
        people = [person(n, len(load.caseworkers), load.today) for n in batch]
        first = load.first_case_id + start - numbers.start
        case_ids = list(range(first, first + len(batch)))
        for stream in streams:
            stream(load, people, case_ids, writer)
        progress(len(batch))


def _keep_counters(load: Load, connection) -> None:
    """Store the last reference number given out each year."""
    table = ReferenceCounter.__table__
    for year, last in load.counters.items():
        where = (table.c.municipality_id == load.town_id) & (table.c.year == year)
        if connection.execute(sa.update(table).where(where).values(last_number=last)).rowcount:
            continue
        connection.execute(
            sa.insert(table).values(municipality_id=load.town_id, year=year, last_number=last)
        )


def in_processes(load: Load, numbers: range, groups, progress) -> None:
    """Run each group of streams in a process of its own (forked: it starts with ``load``),
    on its own connection and in its own transaction; the bar follows the slowest."""
    context = multiprocessing.get_context("fork")
    reports = context.Queue()
    url = db.engine.url
    workers = [
        context.Process(target=_worker, args=(load, numbers, group, url, reports, index))
        for index, group in enumerate(groups)
    ]
    for worker in workers:
        worker.start()
    done, shown, failure = [0] * len(workers), 0, None
    try:
        while failure is None and not all(count is None for count in done):
            try:
                index, count = reports.get(timeout=1)
            except queue.Empty:
                if any(worker.exitcode not in (None, 0) for worker in workers):
                    failure = "a generating process stopped"
                continue
            if isinstance(count, str):
                failure = count
            elif count is None:
                done[index] = None
            else:
                done[index] += count
            least = min((count for count in done if count is not None), default=len(numbers))
            progress(least - shown)
            shown = least
    finally:
        for worker in workers:
            if failure is not None:
                worker.terminate()
            worker.join()
    if failure is not None:
        raise RuntimeError(f"Generating failed: {failure}")


def _worker(load: Load, numbers: range, streams, url, reports, index: int) -> None:
    # Never the parent's connections (inherited, in use): a new engine of its own.
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            # Started only for a superuser (see seed-volume): the keys are the generator's.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            write_streams(
                load, numbers, streams, connection, lambda count: reports.put((index, count))
            )
    except BaseException as error:
        reports.put((index, f"{type(error).__name__}: {error}"))
        raise
    reports.put((index, None))


# -- courses at volume -------------------------------------------------------------------------
# Course providers besides the school (whose class of 30 the bench measures), each with a
# teacher who takes the attendance: (name, e-mail login).
PROVIDERS = [
    ("Volkshochschule Volumen", "vhs"),
    ("Bildungswerk Volumen", "bildungswerk"),
    ("Sprachinstitut Volumen", "sprachinstitut"),
    ("Kulturverein Volumen", "kulturverein"),
]


@dataclass(frozen=True)
class Template:
    """A course every provider teaches, run as a new offering each week (one per section)."""

    course_type: CourseType
    title: str
    entry: CefrLevel | None
    target: CefrLevel | None
    weeks: int
    # Two timetables (ISO weekdays, start, end): morning and evening sections.
    timetables: tuple
    share: float  # how many of the generated people take it


def _timetable(days, start, end):
    return (tuple(days), time(start), time(end))


TEMPLATES = (
    Template(CourseType.LANGUAGE, "German A1 to A2", CefrLevel.A1, CefrLevel.A2, 10,
             (_timetable((1, 3), 9, 12), _timetable((2, 4), 18, 21)), 0.58),
    Template(CourseType.LANGUAGE, "German A2 to B1", CefrLevel.A2, CefrLevel.B1, 10,
             (_timetable((1, 3), 13, 16), _timetable((2, 4), 18, 21)), 0.31),
    Template(CourseType.CIVIC_ORIENTATION, "Living in Germany: civic orientation", None, None,
             5, (_timetable((2, 4), 9, 12), _timetable((1, 3), 18, 21)), 0.26),
    Template(CourseType.INTRODUCTION, "Welcome to Volumen", None, None, 6,
             (_timetable((5,), 10, 12), _timetable((3,), 17, 19)), 0.20),
)  # fmt: skip
MEAN_CLASS = 14  # people a section expects; sections are added as the files grow
CAPACITY = 20
RESULT_AFTER = 7  # days after the last session the exam result is recorded
DROPOUT_REASONS = ("Moved to another town", "Started work", "Childcare", "Health")
# How a participant comes (weights): most reliably, some often missing.
RELIABILITY = {0.95: 60, 0.85: 28, 0.6: 12}
EXCUSE = "Doctor's appointment"
ATTENDANCE_COLUMNS = ["id", "session_id", "enrolment_id", "status", "reason",
                      "recorded_by_id", "recorded_at"]  # fmt: skip
SESSION_COLUMNS = ["id", "offering_id", "date", "starts_at", "ends_at", "cancelled",
                   "cancel_reason"]  # fmt: skip


def seed_providers(town: Municipality, admin: User, password_hash: str) -> None:
    """The generated course providers, their teachers and their catalogue (through the
    catalogue's own service: a few rows)."""
    from .courses import services as courses

    for name, login in PROVIDERS:
        provider = Organisation(
            municipality_id=town.id, name=name, kind=OrganisationKind.COURSE_PROVIDER
        )
        db.session.add(provider)
        db.session.flush()
        db.session.add(
            User(email=f"teacher.{login}@{VOLUME_DOMAIN}", full_name=f"Teacher {name}",
                 role=Role.PROVIDER, password_hash=password_hash, municipality_id=town.id,
                 organisation_id=provider.id, preferred_locale="de")
        )  # fmt: skip
        for template in TEMPLATES:
            courses.save_course(
                None,
                courses.CourseData(
                    {"course_type": template.course_type, "target_language": "de",
                     "hours": _hours(template), "entry_level": template.entry,
                     "target_level": template.target},
                    provider.id, "en", template.title,
                ),
                admin,
            )  # fmt: skip
    db.session.flush()


def _hours(template: Template) -> int:
    days, starts, ends = template.timetables[0]
    return template.weeks * len(days) * (ends.hour - starts.hour)


@dataclass
class Run:
    """A generated offering as the generator keeps it in memory: its sessions are the
    consecutive ids from ``first_session`` on, one per date."""

    id: int
    dates: tuple
    first_session: int
    capacity: int
    teacher_id: int
    places: int = 0  # people given a place (whatever happened since)
    waiting: int = 0

    @property
    def start(self) -> date:
        return self.dates[0]

    @property
    def end(self) -> date:
        return self.dates[-1]


def cancelled_session(number: int) -> bool:
    """One session in forty is cancelled (and so never has attendance); ``number`` counts the
    sessions as a fresh database would number them (``Ids.skipped``)."""
    return number % 40 == 17


class Courses:
    """Puts the generated people on the generated providers' courses, as caseworkers would
    through ``enrol_case``, and takes attendance at every past session as teachers would
    through ``record_attendance`` (the kept sums included); results and drop-outs as
    ``record_result`` and ``leave_offering`` store them (without a level reached, so that no
    assessment follows). No audit events: the generated files' trail is their registration.
    """

    def __init__(self, town: Municipality, scale: int, today: date):
        self.today, self.scale, self.town_id = today, scale, town.id
        self.now = datetime.now(UTC)
        self.postgres = db.session.get_bind().dialect.name == "postgresql"
        providers = db.session.execute(
            sa.select(Organisation.id, Organisation.name)
            .where(Organisation.municipality_id == town.id)
            .where(Organisation.name.in_([name for name, _login in PROVIDERS]))
            .order_by(Organisation.id)
        ).all()
        self.providers = [row.id for row in providers]
        teachers = dict(
            db.session.execute(
                sa.select(User.organisation_id, User.id)
                .where(User.organisation_id.in_(self.providers), User.role == Role.PROVIDER)
                .order_by(User.id.desc())
            ).all()
        )
        self.teachers = teachers
        titles = {template.title: number for number, template in enumerate(TEMPLATES)}
        self.courses = {}  # (provider index, template index) -> course id
        self.template_of = {}  # course id -> (provider index, template index)
        for course_id, organisation_id, title in db.session.execute(
            sa.select(Course.id, Course.organisation_id, CourseText.title)
            .join(CourseText, CourseText.course_id == Course.id)
            .where(Course.organisation_id.in_(self.providers))
        ):
            key = (self.providers.index(organisation_id), titles[title])
            self.courses[key] = course_id
            self.template_of[course_id] = key
        self.runs: dict[tuple, Run] = {}
        self.schedules: dict[tuple, tuple] = {}  # (template, section parity, start) -> dates
        self.ids = {model: Ids(model) for model in COURSE_TABLES}
        self._load_runs()
        self.stamps: dict[date, tuple] = {}
        self.held: dict[int, tuple] = {}  # run id -> what ``_held`` returns

    def _load_runs(self) -> None:
        """Take up the offerings made by an earlier call (``add_cases`` more files)."""
        if not self.providers:
            return
        offerings = db.session.execute(
            sa.select(Offering.id, Offering.course_id, Offering.place, Offering.capacity).where(
                Offering.organisation_id.in_(self.providers)
            )
        ).all()
        if not offerings:
            return
        sessions = defaultdict(list)
        for session_id, offering_id, day in db.session.execute(
            sa.select(CourseSession.id, CourseSession.offering_id, CourseSession.date)
            .where(CourseSession.offering_id.in_([row.id for row in offerings]))
            .order_by(CourseSession.id)
        ):
            sessions[offering_id].append((session_id, day))
        places = defaultdict(int)
        waiting = defaultdict(int)
        for offering_id, status, count in db.session.execute(
            sa.select(Enrolment.offering_id, Enrolment.status, sa.func.count())
            .where(Enrolment.offering_id.in_([row.id for row in offerings]))
            .group_by(Enrolment.offering_id, Enrolment.status)
        ):
            if status == EnrolmentStatus.WAITLISTED:
                waiting[offering_id] += count
            else:
                places[offering_id] += count
        for offering in offerings:
            provider, template = self.template_of[offering.course_id]
            room = int(offering.place.rsplit(" ", 1)[1])
            section = (room - 1) * len(self.providers) + provider
            dates = tuple(day for _id, day in sessions[offering.id])
            self.runs[(template, dates[0], section)] = Run(
                offering.id, dates, sessions[offering.id][0][0], offering.capacity,
                self.teachers[self.providers[provider]], places[offering.id],
                waiting[offering.id],
            )  # fmt: skip

    def sections(self, template: int) -> int:
        """How many sections start each week: enough for the files generated so far."""
        weekly = self.scale * TEMPLATES[template].share / (8 * 52)
        return max(1, round(weekly / MEAN_CLASS))

    def add(self, case_ids, people, caseworkers, writer: "BulkWriter") -> None:
        """Enrol a batch of generated people and write everything their courses add."""
        new_runs: list[tuple] = []
        enrolments, changes, marks, lines = [], [], [], []
        for one, case_id in zip(people, case_ids, strict=True):
            rng = random.Random(case_id * 7919 + 3)  # noqa: S311 - test data, not secrets
            for template, starts in self._plan(one, rng):
                self._enrol(one, case_id, template, starts, rng, caseworkers, new_runs,
                            enrolments, changes, marks, lines)  # fmt: skip
        offerings, sessions = [], []
        for key, run in new_runs:
            offerings.append(self._offering_row(key, run))
            sessions += self._session_rows(key, run)
        writer.rows(Offering, offerings)
        writer.tuples(CourseSession, SESSION_COLUMNS, sessions)
        writer.rows(Enrolment, enrolments)
        writer.rows(EnrolmentChange, changes)
        writer.lines(Attendance, ATTENDANCE_COLUMNS, lines, lambda: marks)

    def _plan(self, one: Person, rng: random.Random) -> list[tuple[int, date]]:
        """Which courses this person takes, and from when they would start: the language
        course a few weeks after registration, then often civic orientation or the
        introduction; nothing before arrival, one course for a file closed since."""
        if one.data.stage == Stage.PRE_DEPARTURE or rng.random() < 0.08:
            return []
        registered = one.registered.date()
        language = 0 if rng.random() < 0.65 else 1
        first = registered + timedelta(days=rng.randrange(14, 70))
        plan = [(language, first)]
        if not one.closed and rng.random() < 0.57:
            other = 2 if rng.random() < 0.56 else 3
            plan.append((other, first + timedelta(days=rng.randrange(7, 160))))
        return plan

    def _run(self, template: int, starts: date, section: int, new_runs: list) -> Run:
        monday = starts - timedelta(days=starts.weekday())
        key = (template, monday, section)
        run = self.runs.get(key)
        if run is None:
            days, _starts_at, _ends_at = TEMPLATES[template].timetables[section % 2]
            dates = self.schedules.get((template, section % 2, monday))
            if dates is None:
                end = monday + timedelta(weeks=TEMPLATES[template].weeks) - timedelta(days=1)
                dates = tuple(schedule_dates(monday, end, days))
                self.schedules[(template, section % 2, monday)] = dates
            provider = section % len(self.providers)
            run = Run(self.ids[Offering].take(1)[0], dates,
                      self.ids[CourseSession].take(len(dates))[0], CAPACITY,
                      self.teachers[self.providers[provider]])  # fmt: skip
            self.runs[key] = run
            new_runs.append((key, run))
        return run

    def _enrol(self, one, case_id, template, starts, rng, caseworkers, new_runs,
               enrolments, changes, marks, lines) -> None:  # fmt: skip
        sections = self.sections(template)
        # The first runs of a week (the first provider's) are asked for most.
        chosen = min(rng.randrange(sections), rng.randrange(sections))
        run = self._run(template, starts, chosen, new_runs)
        if run.places >= run.capacity and run.start <= self.today:
            # It was full when they asked: they went to another run of the week, if one
            # had room (runs still to come keep them on the waiting list instead).
            others = (self._run(template, starts, (chosen + step) % sections, new_runs)
                      for step in range(1, sections))  # fmt: skip
            run = next((other for other in others if other.places < other.capacity), None)
            if run is None:
                return
        caseworker = caseworkers[one.caseworker_index][0]
        requested = datetime.combine(run.start - timedelta(days=rng.randrange(3, 21)), time(10),
                                     tzinfo=UTC)  # fmt: skip
        requested = min(max(one.registered + timedelta(hours=1), requested), self.now)
        enrolment_id = self.ids[Enrolment].take(1)[0]
        full = run.places >= run.capacity
        row = {
            "id": enrolment_id, "offering_id": run.id, "case_id": case_id,
            "status": EnrolmentStatus.WAITLISTED if full else EnrolmentStatus.ENROLLED,
            "requested_at": requested, "enrolled_on": None if full else run.start,
            "enrolled_by_id": caseworker, "promoted_unseen": False, "passed": None,
            "level_reached": None, "certificate_number": None, "certificate_issuer": None,
            "result_on": None, "marked_sessions": 0, "attended_sessions": 0,
            "created_at": requested, "updated_at": requested,
        }  # fmt: skip
        enrolments.append(row)
        changes.append(self._change(enrolment_id, None, row["status"], requested, caseworker))
        if full:
            run.waiting += 1
            return
        run.places += 1
        self._attend(run, row, rng, caseworker, changes, marks, lines)

    def _attend(self, run: Run, row: dict, rng, caseworker, changes, marks, lines) -> None:
        """Marks at every past session, and how the course ended for this person."""
        held, sessions = self._held(run)
        leaves_at = None  # the index of the session they stopped before
        ended = run.end + timedelta(days=RESULT_AFTER) <= self.today
        if held >= 3 and rng.random() < (0.15 if ended else 0.1):
            leaves_at = rng.randrange(2, held)
        reliability = pick(rng, RELIABILITY)
        # The thresholds of a chance, cheaper compared than worked out at each mark.
        present, late = reliability * 0.93, reliability
        excused = reliability + (1 - reliability) * 0.4
        marked = attended = 0
        enrolment_id, ids = row["id"], self.ids[Attendance]
        next_id, random_ = ids.next, rng.random
        stop = leaves_at if leaves_at is not None else held
        for index, session_id, head, tail, at in sessions:
            if index >= stop:
                break
            chance = random_()
            if chance < late:
                status = MARKS[0] if chance < present else MARKS[1]
                attended += 1
            else:
                status = MARKS[2] if chance < excused else MARKS[3]
            marked += 1
            if self.postgres:
                lines.append(f"{next_id}{head}{enrolment_id}\t{status[1]}{tail}")
            else:
                marks.append((next_id, session_id, enrolment_id, status[0], status[2],
                              run.teacher_id, at))  # fmt: skip
            next_id += 1
        ids.next = next_id
        row["marked_sessions"], row["attended_sessions"] = marked, attended
        if leaves_at is not None:
            left = datetime.combine(run.dates[leaves_at], time(12), tzinfo=UTC)
            row.update(status=EnrolmentStatus.DROPPED_OUT, updated_at=left)
            changes.append(self._change(row["id"], EnrolmentStatus.ENROLLED,
                                        EnrolmentStatus.DROPPED_OUT, left, caseworker,
                                        rng.choice(DROPOUT_REASONS)))  # fmt: skip
        elif ended:
            passed = rng.random() < 0.9
            result_on = run.end + timedelta(days=RESULT_AFTER)
            at = datetime.combine(result_on, time(12), tzinfo=UTC)
            status = EnrolmentStatus.COMPLETED if passed else EnrolmentStatus.FAILED
            row.update(status=status, passed=passed, result_on=result_on, updated_at=at)
            changes.append(
                self._change(row["id"], EnrolmentStatus.ENROLLED, status, at, run.teacher_id)
            )

    def _held(self, run: Run) -> tuple[int, list]:
        """How many sessions of ``run`` were held before today, and those not cancelled,
        each as (index, id, its COPY line around the mark's id and enrolment, saved at)."""
        held = self.held.get(run.id)
        if held is None:
            count = sum(1 for day in run.dates if day < self.today)
            sessions = []
            for index, day in enumerate(run.dates[:count]):
                session_id = run.first_session + index
                if cancelled_session(session_id - self.ids[CourseSession].skipped):
                    continue
                text, at = self._stamp(day)
                sessions.append(
                    (index, session_id, f"\t{session_id}\t", f"\t{run.teacher_id}\t{text}\n", at)
                )
            held = self.held[run.id] = (count, sessions)
        return held

    def _stamp(self, day: date) -> tuple:
        """When a session's attendance was saved (at noon), as text for COPY and as a value."""
        stamp = self.stamps.get(day)
        if stamp is None:
            at = min(datetime.combine(day, time(12), tzinfo=UTC), self.now)
            stamp = self.stamps[day] = (at.isoformat(), at)
        return stamp

    def _change(self, enrolment_id, before, after, at, actor, reason=None) -> dict:
        return {"id": self.ids[EnrolmentChange].take(1)[0], "enrolment_id": enrolment_id,
                "from_status": before, "to_status": after, "changed_at": at,
                "changed_by_id": actor, "reason": reason}  # fmt: skip

    def _offering_row(self, key: tuple, run: Run) -> dict:
        template_index, _monday, section = key
        template = TEMPLATES[template_index]
        days, starts_at, ends_at = template.timetables[section % 2]
        provider = section % len(self.providers)
        room = section // len(self.providers) + 1
        created = datetime.combine(run.start - timedelta(days=60), time(8), tzinfo=UTC)
        return {
            "id": run.id, "course_id": self.courses[(provider, template_index)],
            "municipality_id": self.town_id, "organisation_id": self.providers[provider],
            "start_date": run.start, "end_date": run.end,
            "weekdays": " ".join(str(day) for day in days), "starts_at": starts_at,
            "ends_at": ends_at, "place": f"Room {room}", "online": False,
            "capacity": run.capacity, "instruction_languages": "de en", "childcare": room % 3 == 1,
            "attendance_threshold": 80, "created_at": min(created, self.now),
            "updated_at": min(created, self.now),
        }  # fmt: skip

    def _session_rows(self, key: tuple, run: Run) -> list[tuple]:
        template_index, _monday, section = key
        _days, starts_at, ends_at = TEMPLATES[template_index].timetables[section % 2]
        rows = []
        for index, day in enumerate(run.dates):
            session_id = run.first_session + index
            cancelled = cancelled_session(session_id - self.ids[CourseSession].skipped)
            rows.append((session_id, run.id, day, starts_at, ends_at, cancelled,
                         "The teacher is ill" if cancelled else None))  # fmt: skip
        return rows


COURSE_TABLES = (Offering, CourseSession, Enrolment, EnrolmentChange, Attendance)
NULL = "\\N"  # COPY's text format for a missing value
EXCUSE_TEXT = EXCUSE.replace("\\", "\\\\")
# A mark: its status, as COPY text with its reason, and its reason (present, late, excused,
# absent).
MARKS = (
    (AttendanceStatus.PRESENT, f"present\t{NULL}", None),
    (AttendanceStatus.LATE, f"late\t{NULL}", None),
    (AttendanceStatus.EXCUSED, f"excused\t{EXCUSE_TEXT}", EXCUSE),
    (AttendanceStatus.ABSENT, f"absent\t{NULL}", None),
)


class BulkWriter:
    """Writes generated rows in bulk: COPY on PostgreSQL (several times faster than INSERT),
    multi-row INSERTs elsewhere; in the session's transaction either way."""

    def __init__(self, connection: sa.Connection | None = None):
        self.connection = connection if connection is not None else db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"

    def rows(self, model, rows: list[dict]) -> None:
        """Write ``rows`` (dicts with the same keys) into ``model``'s table."""
        if not rows:
            return
        if not self.postgres:
            self.connection.execute(sa.insert(model.__table__), rows)
            return
        names = list(rows[0])
        values = itemgetter(*names)
        as_json = [
            position
            for position, name in enumerate(names)
            if isinstance(model.__table__.c[name].type, sa.JSON)
        ]
        if as_json:
            self.tuples(model, names, (_with_json(values(row), as_json) for row in rows))
        else:
            self.tuples(model, names, map(values, rows))

    def tuples(self, model, names: list[str], rows: Iterable[tuple]) -> None:
        """Write ``rows`` (tuples in the order of the column ``names``)."""
        if not self.postgres:
            dicts = [dict(zip(names, row, strict=True)) for row in rows]
            if dicts:
                self.connection.execute(sa.insert(model.__table__), dicts)
            return
        with self._copy(model, names) as copy:
            for row in rows:
                copy.write_row(row)

    def lines(self, model, names: list[str], lines: list[str], rows: Callable[[], list]) -> None:
        """Write rows already in COPY's text format (the largest table, made cheaply); where
        there is no COPY, write the tuples ``rows()`` gives instead."""
        if not self.postgres:
            self.tuples(model, names, rows())
            return
        with self._copy(model, names) as copy:
            for start in range(0, len(lines), 20_000):
                copy.write("".join(lines[start : start + 20_000]))

    def _copy(self, model, names: list[str]):
        cursor = self.connection.connection.driver_connection.cursor()
        columns = ", ".join(names)
        return _Copy(cursor, f"COPY {model.__table__.name} ({columns}) FROM STDIN")


class _Copy:
    """A COPY on its own cursor, closed with it."""

    def __init__(self, cursor, statement: str):
        self.cursor, self.statement = cursor, statement

    def __enter__(self):
        self.copy = self.cursor.copy(self.statement)
        return self.copy.__enter__()

    def __exit__(self, *failure):
        try:
            return self.copy.__exit__(*failure)
        finally:
            self.cursor.close()


def _with_json(row: tuple, positions: list[int]) -> tuple:
    values = list(row)
    for position in positions:
        if values[position] is not None:
            values[position] = json.dumps(values[position])
    return tuple(values)


class Ids:
    """Hands out the next primary keys of a table, so that rows are inserted without RETURNING
    (several times faster); ``advance_sequences`` tells PostgreSQL afterwards."""

    def __init__(self, model):
        last, count = db.session.execute(sa.select(sa.func.max(model.id), sa.func.count())).one()
        self.next = (last or 0) + 1
        # Ids a database handed out to rows rolled back since: rules that go by a row's
        # number subtract them, so the same load gives the same data in any database.
        self.skipped = (last or 0) - count

    def take(self, count: int) -> list[int]:
        ids = list(range(self.next, self.next + count))
        self.next += count
        return ids


def advance_sequences(*models) -> None:
    """Move PostgreSQL's id sequences past the ids given out here."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__table__.name
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        )


def _files(load: Load, people, case_ids, writer: "BulkWriter") -> None:
    """The files as registration stores them: portal accounts, case rows, nationalities,
    languages, first stage, the audit event, and the housing and status histories."""
    built = []
    counters, caseworkers = load.counters, load.caseworkers
    for one in people:
        year = one.registered.year
        counters[year] = counters.get(year, 0) + 1
        one.data.values["caseworker_id"] = caseworkers[one.caseworker_index][0]
        reference = f"{load.town_code}-{year}-{counters[year]:06d}"
        built.append(draft_case(one.data, load.town_id, reference))
    portal = [(one, case) for one, case in zip(people, built, strict=True) if one.has_portal]
    account_ids = load.ids[User].take(len(portal))
    accounts_rows = [
        {"id": account_id, "email": f"newcomer.{case.reference.lower()}@{VOLUME_DOMAIN}",
         "role": Role.MIGRANT,
         "full_name": case.full_name, "municipality_id": load.town_id,
         "password_hash": load.password, "preferred_locale": case.preferred_language,
         "session_token": new_session_token(), "active": True}
        for account_id, (_one, case) in zip(account_ids, portal, strict=True)
    ]  # fmt: skip
    if accounts_rows:
        writer.rows(User, accounts_rows)
    accounts = {
        id(case): account for (_one, case), account in zip(portal, account_ids, strict=True)
    }
    rows = []
    for one, case, case_id in zip(people, built, case_ids, strict=True):
        row = case_row(case, one.registered)
        row["id"] = case_id
        row["account_id"] = accounts.get(id(case))
        if one.closed:
            row.update(status=CaseStatus.CLOSED, closing_reason="moved_away",
                       closed_on=one.registered.date() + timedelta(days=200))  # fmt: skip
        rows.append(row)
    writer.rows(Case, rows)
    children: dict = {
        CaseNationality: [], CaseNameWord: [], CaseLanguage: [], StageChange: [], AuditEvent: []
    }  # fmt: skip
    for one, case, case_id in zip(people, built, case_ids, strict=True):
        children[CaseNameWord] += name_words(case, case_id)
        actor_id, actor_email = caseworkers[one.caseworker_index]
        children[CaseNationality] += [
            {"case_id": case_id, "country_code": n.country_code, "position": n.position,
             "municipality_id": case.municipality_id, "family_name_key": case.family_name_key,
             "given_names_key": case.given_names_key}
            for n in case.nationalities
        ]  # fmt: skip
        children[CaseLanguage] += [
            {"case_id": case_id, "language_code": lang.language_code,
             "mother_tongue": lang.mother_tongue, "position": lang.position}
            for lang in case.languages
        ]  # fmt: skip
        children[StageChange].append(
            {"case_id": case_id, "to_stage": case.stage, "changed_by_id": actor_id,
             "changed_at": one.registered, "from_stage": None, "reason": None}
        )  # fmt: skip
        children[AuditEvent].append(
            registration_event(case, case_id, (actor_id, actor_email), one.registered)
        )
    children[HousingRecord], children[StatusRecord] = [], []
    for one, case_id in zip(people, case_ids, strict=True):
        actor_id = caseworkers[one.caseworker_index][0]
        housing, statuses = inclusion_rows(case_id, one.registered, load.today)
        recorded = {"recorded_by_id": actor_id, "recorded_at": one.registered, "note": None}
        children[HousingRecord] += [{**row, **recorded} for row in housing]
        children[StatusRecord] += [{**row, **recorded} for row in statuses]
    seal_rows(writer.connection, children[AuditEvent])
    for model, child_rows in children.items():
        if child_rows:
            writer.rows(model, child_rows)


def _assessments(load: Load, people, case_ids, writer: "BulkWriter") -> None:
    """Language levels, work experience, job status and qualifications."""
    assessed: dict = {LanguageAssessment: [], LanguageStanding: [], EmploymentStatus: [],
                      WorkExperience: [], Qualification: []}  # fmt: skip
    for one, case_id in zip(people, case_ids, strict=True):
        for model, rows_of_case in assessment_rows(case_id, one, load.host_language).items():
            assessed[model] += rows_of_case
    for model, child_rows in assessed.items():
        if child_rows:
            writer.rows(model, child_rows)


def _plans(load: Load, people, case_ids, writer: "BulkWriter") -> None:
    """Integration plans and referrals."""
    plans: dict = {model: [] for model in PLAN_TABLES}
    for one, case_id in zip(people, case_ids, strict=True):
        if not one.closed and case_id % 4 < 2:
            actor_id = load.caseworkers[one.caseworker_index][0]
            for model, rows_of_case in plan_rows(
                case_id, one, load.today, load.ids, actor_id
            ).items():
                plans[model] += rows_of_case
    for model, child_rows in plans.items():  # in this order: each refers to the one before
        if child_rows:
            writer.rows(model, child_rows)
    _insert_referrals(case_ids, people, load, writer)


def _courses(load: Load, people, case_ids, writer: "BulkWriter") -> None:
    """Enrolments, their changes and attendance, and the runs they need."""
    if load.courses.providers:
        load.courses.add(case_ids, people, load.caseworkers, writer)


# Which streams run together when the load runs in 2 or 3 processes (about even shares of
# the work, measured).
STREAMS = (_files, _assessments, _plans, _courses)
STREAM_GROUPS = {
    2: ((_files, _plans), (_assessments, _courses)),
    3: ((_files,), (_assessments, _plans), (_courses,)),
}


# How the generated referrals stand (weights): most answered, many still waiting, some of
# them past the day the answer was expected.
REFERRAL_PATHS = {
    (ReferralStatus.SENT,): 30,
    (ReferralStatus.ACCEPTED,): 20,
    (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED): 25,
    (ReferralStatus.DECLINED,): 15,
    (ReferralStatus.WITHDRAWN,): 10,
}


def _insert_referrals(case_ids, people, load: Load, writer: "BulkWriter") -> None:
    """One generated file in five has been referred to a partner service (no audit events:
    the generated files' trail is their registration)."""
    referrals, steps = [], []
    caseworkers, partners, today, ids = load.caseworkers, load.partners, load.today, load.ids
    for one, case_id in zip(people, case_ids, strict=True):
        rng = random.Random(case_id * 31 + 7)  # noqa: S311 - test data, not secrets
        if rng.random() >= 0.2 or not partners:
            continue
        partner_id, area = rng.choice(partners)
        sent_on = min(today, one.registered.date() + timedelta(days=rng.randrange(7, 400)))
        path = pick(rng, REFERRAL_PATHS)
        changed_on = [min(today, sent_on + timedelta(days=5 * (n + 1))) for n in range(len(path))]
        if path == (ReferralStatus.SENT,):
            changed_on = []
        referral_id = ids[Referral].take(1)[0]
        actor = caseworkers[one.caseworker_index][0]
        referrals.append(
            {"id": referral_id, "case_id": case_id, "partner_id": partner_id,
             "service_area": area, "reason": "Generated referral", "status": path[-1],
             "sent_on": sent_on, "answer_expected_on": sent_on + timedelta(days=14),
             "status_changed_on": changed_on[-1] if changed_on else sent_on,
             "referred_by_id": actor}
        )  # fmt: skip
        statuses = [ReferralStatus.SENT, *path] if changed_on else [ReferralStatus.SENT]
        days = [sent_on, *changed_on]
        steps += [
            {"referral_id": referral_id, "from_status": statuses[n - 1] if n else None,
             "to_status": status, "changed_on": days[n], "recorded_by_id": actor, "note": None,
             "recorded_at": datetime.combine(days[n], time(10), tzinfo=UTC)}
            for n, status in enumerate(statuses)
        ]  # fmt: skip
    if referrals:
        writer.rows(Referral, referrals)
        writer.rows(ReferralStatusChange, steps)


# Housing after the reception centre, by case id % 10: where the filters find most people.
HOUSING_PATHS = {
    0: [(HousingSituation.TEMPORARY_ACCOMMODATION, 60)],
    1: [(HousingSituation.TEMPORARY_ACCOMMODATION, 60)],
    2: [(HousingSituation.TEMPORARY_ACCOMMODATION, 45), (HousingSituation.SOCIAL_HOUSING, 400)],
    3: [(HousingSituation.SHARED_FLAT, 90)],
    4: [(HousingSituation.SHARED_FLAT, 90), (HousingSituation.PRIVATE_RENTAL, 500)],
    5: [(HousingSituation.SOCIAL_HOUSING, 200)],
    6: [(HousingSituation.WITH_FAMILY_OR_FRIENDS, 30), (HousingSituation.PRIVATE_RENTAL, 300)],
    7: [(HousingSituation.PRIVATE_RENTAL, 120)],
    8: [(HousingSituation.TEMPORARY_ACCOMMODATION, 30), (HousingSituation.HOMELESS, 250)],
    9: [],
}


def inclusion_rows(case_id: int, registered: datetime, today: date) -> tuple[list, list]:
    """Return a generated file's housing records and statuses (health insurance for nine in
    ten, long-term residence for one in five after 400 days), none dated after ``today``."""
    start = registered.date()
    housing = [(HousingSituation.RECEPTION_CENTRE, 0), *HOUSING_PATHS[case_id % 10]]
    statuses = [(Status.HEALTH_INSURANCE, 14)] if case_id % 10 != 9 else []
    if case_id % 5 == 0:
        statuses.append((Status.LONG_TERM_RESIDENCE, 400))
    housing_rows = [
        {"case_id": case_id, "situation": situation, "adequate": None,
         "since": start + timedelta(days=days)}
        for situation, days in housing if start + timedelta(days=days) <= today
    ]  # fmt: skip
    # Each record held until the next one's day (what ``recompute_valid_until`` would set:
    # written with the rows, not updated in millions of them afterwards).
    for row, following in zip(housing_rows, [*housing_rows[1:], None], strict=True):
        row["valid_until"] = following["since"] if following else None
    status_rows = [
        {"case_id": case_id, "status": status, "holds": True, "since": start + timedelta(days=days)}
        for status, days in statuses
        if start + timedelta(days=days) <= today
    ]
    return housing_rows, status_rows


ASSESSMENT_TABLES = (LanguageAssessment, EmploymentStatus, WorkExperience, Qualification)
# Occupations of the generated people (ISCO-08 unit groups) and how often they occur.
OCCUPATIONS = {"2221": 4, "3221": 4, "2142": 2, "2310": 2, "5120": 6, "7112": 5, "8322": 6,
               "9112": 8, "9329": 5, "7231": 3, "4110": 3, "5223": 5}  # fmt: skip
# Current status (weights): about half of working age employed or self-employed.
STATUSES = {ActivityStatus.EMPLOYED: 40, ActivityStatus.SELF_EMPLOYED: 5,
            ActivityStatus.UNEMPLOYED: 25, ActivityStatus.IN_EDUCATION: 8,
            ActivityStatus.IN_VOCATIONAL_TRAINING: 7, ActivityStatus.NOT_ACTIVE: 15}  # fmt: skip


def assessment_rows(case_id: int, one: Person, host_language: str) -> dict:
    """Language levels, work experience, a job status and a qualification for one generated
    person, in realistic shares: three in four assessed in the host language (one to three
    times, all five skills, levels rising), four in five with a status, two in five with work
    experience, one in five with a foreign qualification."""
    rng = random.Random(-case_id)  # noqa: S311 - test data, not secrets
    start = one.registered.date()
    rows: dict = {LanguageAssessment: [], LanguageStanding: [], EmploymentStatus: [],
                  WorkExperience: [], Qualification: []}  # fmt: skip
    if rng.random() < 0.75:
        rank = rng.randrange(0, 3)
        tests = rng.randrange(1, 4)
        reached: dict = {}  # the first day all five skills stood at A2, at B1
        for number in range(tests):
            level = LEVELS[min(rank + number, 6)]
            on = start + timedelta(days=30 + 150 * number)
            for first in (CefrLevel.A2, CefrLevel.B1):
                if RANKS[level] >= RANKS[first]:
                    reached.setdefault(first, on)
            rows[LanguageAssessment] += [
                {"case_id": case_id, "language": host_language, "skill": skill, "level": level,
                 "level_rank": RANKS[level], "assessed_on": on,
                 "source": AssessmentSource.PLACEMENT_TEST if number == 0
                 else AssessmentSource.COURSE_EXAM,
                 "certificate_number": None, "certificate_issuer": None, "organisation": None,
                 "note": None, "current": number == tests - 1, "recorded_by_id": None,
                 "recorded_at": one.registered}
                for skill in SKILLS
            ]  # fmt: skip
        rows[LanguageStanding].append(
            {"case_id": case_id, "language": host_language, "skills": len(LanguageSkill),
             "lowest_rank": RANKS[level], "highest_rank": RANKS[level],
             "a2_reached_on": reached.get(CefrLevel.A2),
             "b1_reached_on": reached.get(CefrLevel.B1)}
        )  # fmt: skip
    occupation = pick(rng, OCCUPATIONS)
    if rng.random() < 0.4:
        rows[WorkExperience].append(
            {"case_id": case_id, "isco_code": occupation, "isco_major": occupation[0],
             "sector": None, "country": one.data.values["country_of_birth"],
             "years": rng.randrange(1, 15)}
        )  # fmt: skip
    if rng.random() < 0.8:
        status = pick(rng, STATUSES)
        job = pick(rng, OCCUPATIONS)
        working = status in (ActivityStatus.EMPLOYED, ActivityStatus.SELF_EMPLOYED)
        rows[EmploymentStatus].append(
            {"case_id": case_id, "status": status, "since": start + timedelta(days=200),
             "isco_code": job if working else None, "isco_major": job[0] if working else None,
             "current": True, "recorded_by_id": None}
        )  # fmt: skip
    if rng.random() < 0.2:
        state = rng.choice(RECOGNITION_STATES)
        rows[Qualification].append(
            {"case_id": case_id, "title": "Bachelor", "institution": None,
             "country": one.data.values["country_of_birth"], "year": 2010,
             "isced_field": None, "isced_level": rng.choice((4, 5, 6, 7)), "eqf_level": None,
             "regulated": occupation in ("2221", "3221"), "documents_available": True,
             "recognition_state": state, "authority": None, "submitted_on": None,
             "decided_on": None, "decision": None, "decision_reference": None}
        )  # fmt: skip
    return rows


PLAN_TABLES = (IntegrationPlan, PlanGoal, PlanAction, PlanVersion)
# The tables the generator fills in bulk.
BULK_TABLES = (
    User, Case, CaseNationality, CaseNameWord, CaseLanguage, StageChange, AuditEvent, HousingRecord,
    StatusRecord, LanguageAssessment, LanguageStanding, EmploymentStatus, WorkExperience,
    Qualification, *PLAN_TABLES, Referral, ReferralStatusChange, *COURSE_TABLES,
)  # fmt: skip
# The generated plan: goals, each with (action, who does it, days after registration).
PLAN_STEPS = [
    ("Learn German up to B1", [("Attend the integration course", Responsibility.MIGRANT, 60),
                               ("Take the B1 exam", Responsibility.MIGRANT, 300)]),
    ("Work in their trade again", [("Apply for recognition", Responsibility.MIGRANT, 90),
                                   ("Meet the job centre", Responsibility.PARTNER, 120)]),
]  # fmt: skip


def plan_rows(case_id: int, one: Person, today: date, ids: dict, actor_id: int) -> dict:
    """An integration plan (one open file in two has one: ids ending 0 or 1 in base 4, so every
    caseworker gets some) agreed a month after registration: two goals, four actions. Actions
    due two weeks ago or more are done, except in one plan in three, where they are overdue."""
    start = one.registered.date()
    plan_id = ids[IntegrationPlan].take(1)[0]
    goal_ids = iter(ids[PlanGoal].take(len(PLAN_STEPS)))
    action_ids = iter(ids[PlanAction].take(sum(len(steps) for _goal, steps in PLAN_STEPS)))
    behind = case_id % 3 == 0
    goals, rows = [], {model: [] for model in PLAN_TABLES}
    for text, steps in PLAN_STEPS:
        goal_id = next(goal_ids)
        actions = [PlannedAction(next(action_ids), action, responsible,
                                 start + timedelta(days=days), ActionStatus.PLANNED)
                   for action, responsible, days in steps]  # fmt: skip
        goals.append(PlannedGoal(goal_id, text, False, actions))
        rows[PlanGoal].append({"id": goal_id, "plan_id": plan_id, "text": text, "cancelled": False})
        rows[PlanAction] += [
            {"id": action.id, "plan_id": plan_id, "goal_id": goal_id, "text": action.text,
             "responsible": action.responsible, "due_on": action.due_on,
             "status": ActionStatus.DONE
             if action.due_on <= today - timedelta(days=14) and not behind
             else ActionStatus.PLANNED,
             "offering_id": None, "milestone_id": None}
            for action in actions
        ]  # fmt: skip
    rows[IntegrationPlan].append({"id": plan_id, "case_id": case_id, "changed_since_agreed": False})
    rows[PlanVersion].append(
        {"plan_id": plan_id, "number": 1, "agreed_on": min(start + timedelta(days=30), today),
         "agreed_at": min(one.registered + timedelta(days=30), datetime.now(UTC)),
         "agreed_by_id": actor_id,
         "content": frozen_content(goals), "id": ids[PlanVersion].take(1)[0]}
    )  # fmt: skip
    return rows


CASE_COLUMNS = [column.key for column in Case.__table__.columns]
NAME_PARTS = ("given_names", "family_name", "given_names_latin", "family_name_latin")
NAME_KEYS = ("family_name_key", "given_names_key", "name_key")


class Draft(SimpleNamespace):
    """A case file as ``new_case`` builds it, without the ORM's bookkeeping: a million of
    them are built. ``tests/test_volume.py`` compares the rows with ``register_case``'s."""

    full_name = Case.full_name


@lru_cache(maxsize=4096)
def _name_keys(*names) -> tuple:
    """The search keys of a name (few names recur: fold each once)."""
    draft = Draft(permit_number=None, **dict(zip(NAME_PARTS, names, strict=True)))
    _set_name_keys(draft)
    return tuple(getattr(draft, key) for key in NAME_KEYS)


def draft_case(data: CaseData, municipality_id: int, reference: str) -> Draft:
    """Build what ``new_case`` builds: the file, its search keys, nationalities, languages."""
    case = Draft(municipality_id=municipality_id, reference=reference, stage=data.stage,
                 **data.values)  # fmt: skip
    for flag in SENSITIVE_FLAGS:
        setattr(case, flag, bool(data.flags.get(flag)))
    case.permit_number = normalise_permit(case.permit_number)
    keys = _name_keys(*(data.values[part] for part in NAME_PARTS))
    for key, value in zip(NAME_KEYS, keys, strict=True):
        setattr(case, key, value)
    case.nationalities = [
        Draft(country_code=code, position=position)
        for position, code in enumerate(dict.fromkeys(data.nationalities))
    ]
    tongue = data.mother_tongue
    case.languages = [
        Draft(language_code=code, mother_tongue=code == tongue, position=position)
        for position, code in enumerate(dict.fromkeys([tongue, *data.languages] if tongue
                                                        else data.languages))
    ]  # fmt: skip
    return case


def case_row(case: Draft, registered: datetime) -> dict:
    """Return the ``case_file`` row of a built case, as registration would store it."""
    values = vars(case)
    row = {key: values.get(key) for key in CASE_COLUMNS}
    del row["id"]
    row.update(
        status=CaseStatus.ACTIVE, version=1, created_at=registered, updated_at=registered,
        account_id=None, closing_reason=None, closed_on=None,
        ready_to_advance=False, last_recorded_at=None,  # set once every row is in
    )  # fmt: skip
    return row


def registration_event(case: Case, case_id: int, actor: tuple[int, str], at: datetime) -> dict:
    """Return the audit row of a registration (what ``register_case`` records)."""
    return {
        "created_at": at,
        "municipality_id": case.municipality_id,
        "actor_id": actor[0],
        "actor_email": actor[1],
        "action": "case_registered",
        "object_type": "Case",
        "object_id": case_id,
        "ip_address": None,
        "changes": {"reference": [None, case.reference], "stage": [None, case.stage.value]},
    }

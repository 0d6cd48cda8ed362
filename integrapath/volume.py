"""Realistic volumes for the load benchmark: ``flask --app integrapath seed-volume --cases N``.

The same N always gives the same people. Each file is built by the registration service's own
``new_case`` (same search keys, nationalities, languages and reference format) and written
with bulk inserts in batches, together with the stage change and audit event that
registration writes; ``tests/test_volume.py`` checks that the rows equal those of
``register_case``.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

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
    CaseNationality,
    CaseStatus,
    ReferenceCounter,
    ResidenceCategory,
    Sex,
    Stage,
    StageChange,
)
from .cases.services import CaseData, new_case
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
from .pathway.services import PlannedAction, PlannedGoal, add_default_milestones, frozen_content
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
    country = rng.choices(list(ORIGIN_WEIGHTS), weights=list(ORIGIN_WEIGHTS.values()))[0]
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
        "residence_category": rng.choice(list(ResidenceCategory)),
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
        stage=rng.choices(list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values()))[0],
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


def _latin(name: str) -> str:
    """Transliterate as a passport office would (Cyrillic by table, else anyascii)."""
    from anyascii import anyascii

    return anyascii(name.lower().translate(LATIN)).title()


def seed_volume(cases: int, progress: Callable[[int], None] = lambda _done: None) -> Municipality:
    """Fill a municipality with ``cases`` generated files, their caseworkers and accounts.

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
    add_cases(town, range(cases), progress)
    seed_class(town, users[1], next(user for user in users if user.role == Role.CASEWORKER))
    recompute_valid_until()
    return town


# The town's partner services: (name, e-mail login, areas covered).
PARTNERS = [
    ("Jobcenter Volumen", "jobcenter", (ServiceArea.EMPLOYMENT, ServiceArea.EDUCATION)),
    ("Wohnungsamt Volumen", "wohnen", (ServiceArea.HOUSING,)),
    ("Beratungszentrum Volumen", "beratung",
     (ServiceArea.PSYCHOSOCIAL_SUPPORT, ServiceArea.LEGAL_ADVICE, ServiceArea.HEALTH)),
]  # fmt: skip
CLASS_SIZE = 30  # a full classroom: the attendance page `make bench` measures


def seed_class(town: Municipality, teacher: User, caseworker: User) -> None:
    """A language course of the school running with a class of open files and a session
    today, so that the provider's pages have a real class to show."""
    from .courses import services as courses
    from .courses.models import CefrLevel, CourseType

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
    offering = courses.create_offering(
        course,
        {"start_date": today - timedelta(days=14), "end_date": today + timedelta(days=60),
         "weekday_numbers": list(range(1, 8)), "starts_at": time(9), "ends_at": time(12),
         "place": "Sprachschule", "online": False, "capacity": CLASS_SIZE,
         "instruction_languages": "de en", "childcare": False, "attendance_threshold": 80},
        teacher,
    )  # fmt: skip
    class_ = db.session.scalars(
        sa.select(Case).where(Case.municipality_id == town.id, Case.status == CaseStatus.ACTIVE)
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
    town: Municipality, numbers: range, progress: Callable[[int], None] = lambda _done: None
) -> None:
    """Add the generated people ``numbers`` to the volume municipality ``town``."""
    today = town.today()
    staff = db.session.execute(
        sa.select(User.id, User.email, User.role, User.password_hash)
        .where(User.municipality_id == town.id, User.email.like(f"%@{VOLUME_DOMAIN}"))
        .where(User.role.in_([Role.CASEWORKER, Role.ADMIN]))
        .order_by(User.id)
    ).all()
    caseworkers = [(row.id, row.email) for row in staff if row.role == Role.CASEWORKER]
    password = staff[0].password_hash
    counters = dict(
        db.session.execute(
            sa.select(ReferenceCounter.year, ReferenceCounter.last_number).where(
                ReferenceCounter.municipality_id == town.id
            )
        ).all()
    )
    known = set(counters)
    ids = {model: Ids(model) for model in (User, Case, *PLAN_TABLES, Referral)}
    partners = db.session.execute(
        sa.select(PartnerServiceArea.organisation_id, PartnerServiceArea.area)
        .join(Organisation, Organisation.id == PartnerServiceArea.organisation_id)
        .where(Organisation.municipality_id == town.id)
        .order_by(PartnerServiceArea.organisation_id, PartnerServiceArea.area)
    ).all()
    for start in range(numbers.start, numbers.stop, BATCH):
        batch = range(start, min(numbers.stop, start + BATCH))
        people = [person(n, len(caseworkers), today) for n in batch]
        case_ids = _insert_batch(town, people, caseworkers, counters, password, ids)
        _insert_referrals(case_ids, people, caseworkers, partners, today, ids)
        progress(len(batch))
    advance_sequences(
        User, Case, CaseNationality, CaseLanguage, StageChange, AuditEvent, *ASSESSMENT_TABLES,
        *PLAN_TABLES, Referral, ReferralStatusChange,
    )  # fmt: skip
    for year, last in counters.items():
        if year in known:
            db.session.execute(
                sa.update(ReferenceCounter)
                .where(ReferenceCounter.municipality_id == town.id, ReferenceCounter.year == year)
                .values(last_number=last)
            )
        else:
            db.session.add(ReferenceCounter(municipality_id=town.id, year=year, last_number=last))
    db.session.flush()


class Ids:
    """Hands out the next primary keys of a table, so that rows are inserted without RETURNING
    (several times faster); ``advance_sequences`` tells PostgreSQL afterwards."""

    def __init__(self, model):
        self.next = (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1

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


def _insert_batch(town, people, caseworkers, counters, password, ids) -> list[int]:
    built = []
    for one in people:
        year = one.registered.year
        counters[year] = counters.get(year, 0) + 1
        one.data.values["caseworker_id"] = caseworkers[one.caseworker_index][0]
        built.append(new_case(one.data, town.id, f"{town.code}-{year}-{counters[year]:06d}"))
    portal = [(one, case) for one, case in zip(people, built, strict=True) if one.has_portal]
    account_ids = ids[User].take(len(portal))
    accounts_rows = [
        {"id": account_id, "email": f"newcomer.{case.reference.lower()}@{VOLUME_DOMAIN}",
         "role": Role.MIGRANT,
         "full_name": case.full_name, "municipality_id": town.id, "password_hash": password,
         "preferred_locale": case.preferred_language, "session_token": new_session_token(),
         "active": True}
        for account_id, (_one, case) in zip(account_ids, portal, strict=True)
    ]  # fmt: skip
    if accounts_rows:
        db.session.execute(sa.insert(User.__table__), accounts_rows)
    accounts = {
        id(case): account for (_one, case), account in zip(portal, account_ids, strict=True)
    }
    rows = []
    case_ids = ids[Case].take(len(people))
    for one, case, case_id in zip(people, built, case_ids, strict=True):
        row = case_row(case, one.registered)
        row["id"] = case_id
        row["account_id"] = accounts.get(id(case))
        if one.closed:
            row.update(status=CaseStatus.CLOSED, closing_reason="moved_away",
                       closed_on=one.registered.date() + timedelta(days=200))  # fmt: skip
        rows.append(row)
    db.session.execute(sa.insert(Case.__table__), rows)
    children: dict = {CaseNationality: [], CaseLanguage: [], StageChange: [], AuditEvent: []}
    for one, case, case_id in zip(people, built, case_ids, strict=True):
        actor_id, actor_email = caseworkers[one.caseworker_index]
        children[CaseNationality] += [
            {"case_id": case_id, "country_code": n.country_code, "position": n.position}
            for n in case.nationalities
        ]
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
    today = town.today()
    for one, case_id in zip(people, case_ids, strict=True):
        actor_id = caseworkers[one.caseworker_index][0]
        housing, statuses = inclusion_rows(case_id, one.registered, today)
        recorded = {"recorded_by_id": actor_id, "recorded_at": one.registered, "note": None}
        children[HousingRecord] += [{**row, **recorded} for row in housing]
        children[StatusRecord] += [{**row, **recorded} for row in statuses]
    seal_rows(db.session.connection(), children[AuditEvent])
    for model, child_rows in children.items():
        if child_rows:
            db.session.execute(sa.insert(model.__table__), child_rows)
    assessed: dict = {LanguageAssessment: [], LanguageStanding: [], EmploymentStatus: [],
                      WorkExperience: [], Qualification: []}  # fmt: skip
    for one, case_id in zip(people, case_ids, strict=True):
        for model, rows_of_case in assessment_rows(case_id, one, town.default_locale).items():
            assessed[model] += rows_of_case
    for model, child_rows in assessed.items():
        if child_rows:
            db.session.execute(sa.insert(model.__table__), child_rows)
    plans: dict = {model: [] for model in PLAN_TABLES}
    for one, case_id in zip(people, case_ids, strict=True):
        if not one.closed and case_id % 4 < 2:
            actor_id = caseworkers[one.caseworker_index][0]
            for model, rows_of_case in plan_rows(case_id, one, today, ids, actor_id).items():
                plans[model] += rows_of_case
    for model, child_rows in plans.items():  # in this order: each refers to the one before
        if child_rows:
            db.session.execute(sa.insert(model.__table__), child_rows)
    return case_ids


# How the generated referrals stand (weights): most answered, many still waiting, some of
# them past the day the answer was expected.
REFERRAL_PATHS = {
    (ReferralStatus.SENT,): 30,
    (ReferralStatus.ACCEPTED,): 20,
    (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED): 25,
    (ReferralStatus.DECLINED,): 15,
    (ReferralStatus.WITHDRAWN,): 10,
}


def _insert_referrals(case_ids, people, caseworkers, partners, today, ids) -> None:
    """One generated file in five has been referred to a partner service (no audit events:
    the generated files' trail is their registration)."""
    referrals, steps = [], []
    for one, case_id in zip(people, case_ids, strict=True):
        rng = random.Random(case_id * 31 + 7)  # noqa: S311 - test data, not secrets
        if rng.random() >= 0.2 or not partners:
            continue
        partner_id, area = rng.choice(partners)
        sent_on = min(today, one.registered.date() + timedelta(days=rng.randrange(7, 400)))
        path = rng.choices(list(REFERRAL_PATHS), weights=list(REFERRAL_PATHS.values()))[0]
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
        db.session.execute(sa.insert(Referral.__table__), referrals)
        db.session.execute(sa.insert(ReferralStatusChange.__table__), steps)


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
            level = list(CefrLevel)[min(rank + number, 6)]
            on = start + timedelta(days=30 + 150 * number)
            for first in (CefrLevel.A2, CefrLevel.B1):
                if level.rank >= first.rank:
                    reached.setdefault(first, on)
            rows[LanguageAssessment] += [
                {"case_id": case_id, "language": host_language, "skill": skill, "level": level,
                 "level_rank": level.rank, "assessed_on": on,
                 "source": AssessmentSource.PLACEMENT_TEST if number == 0
                 else AssessmentSource.COURSE_EXAM,
                 "certificate_number": None, "certificate_issuer": None, "organisation": None,
                 "note": None, "current": number == tests - 1, "recorded_by_id": None,
                 "recorded_at": one.registered}
                for skill in LanguageSkill
            ]  # fmt: skip
        rows[LanguageStanding].append(
            {"case_id": case_id, "language": host_language, "skills": len(LanguageSkill),
             "lowest_rank": level.rank, "highest_rank": level.rank,
             "a2_reached_on": reached.get(CefrLevel.A2),
             "b1_reached_on": reached.get(CefrLevel.B1)}
        )  # fmt: skip
    occupation = rng.choices(list(OCCUPATIONS), weights=list(OCCUPATIONS.values()))[0]
    if rng.random() < 0.4:
        rows[WorkExperience].append(
            {"case_id": case_id, "isco_code": occupation, "isco_major": occupation[0],
             "sector": None, "country": one.data.values["country_of_birth"],
             "years": rng.randrange(1, 15)}
        )  # fmt: skip
    if rng.random() < 0.8:
        status = rng.choices(list(STATUSES), weights=list(STATUSES.values()))[0]
        job = rng.choices(list(OCCUPATIONS), weights=list(OCCUPATIONS.values()))[0]
        working = status in (ActivityStatus.EMPLOYED, ActivityStatus.SELF_EMPLOYED)
        rows[EmploymentStatus].append(
            {"case_id": case_id, "status": status, "since": start + timedelta(days=200),
             "isco_code": job if working else None, "isco_major": job[0] if working else None,
             "current": True, "recorded_by_id": None}
        )  # fmt: skip
    if rng.random() < 0.2:
        state = rng.choice(list(RecognitionState))
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


def case_row(case: Case, registered: datetime) -> dict:
    """Return the ``case_file`` row of a built case, as registration would store it."""
    row = {column.key: getattr(case, column.key) for column in Case.__table__.columns}
    del row["id"]
    row.update(
        status=CaseStatus.ACTIVE, version=1, created_at=registered, updated_at=registered,
        account_id=None, closing_reason=None, closed_on=None,
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

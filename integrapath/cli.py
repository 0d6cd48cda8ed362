"""Command-line tasks: ``flask --app integrapath create-admin`` and ``seed-demo``."""

import os
from dataclasses import replace
from datetime import date, time, timedelta
from time import monotonic

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .accounts.models import Municipality, Organisation, OrganisationKind, User
from .accounts.services import find_user_by_email, normalise_email
from .assessments.models import (
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    LanguageAssessment,
    LanguageSkill,
    RecognitionState,
)
from .assessments.reference import load_reference_data
from .assessments.services import (
    AssessmentData,
    add_qualification,
    add_work_experience,
    move_recognition,
    record_assessment,
    record_employment_status,
)
from .audit import record_event
from .cases.models import (
    Case,
    ConsentMethod,
    ConsentPurpose,
    ResidenceCategory,
    Sex,
    Stage,
)
from .cases.services import CaseData, record_consent, register_case
from .extensions import db
from .i18n import locale_for_language
from .security import Role
from .volume import person

DEMO_PASSWORD = "demo-password-2026"
CLASS_SIZE = 25  # the demo language class: a full classroom to take attendance of

DEMO_MUNICIPALITIES = [
    {
        "code": "LND",
        "name": "Lindenau",
        "default_locale": "de",
        "timezone": "Europe/Berlin",
        "domain": "lindenau.example",
        "office": "Integrationsbüro Lindenau",
        "provider": "Volkshochschule Lindenau",
        "staff": [
            ("admin", "Petra Albers", Role.ADMIN, "de"),
            ("caseworker", "Jonas Weber", Role.CASEWORKER, "de"),
            ("caseworker2", "Leyla Demir", Role.CASEWORKER, "en"),
            ("teacher", "Hannah Krüger", Role.PROVIDER, "de"),
        ],
        # (name, service areas, e-mail, phone)
        "partners": [
            (
                "Agentur für Arbeit Lindenau",
                ("employment", "education"),
                "lindenau.arbeit@partner.example",
                "+49 341 555 0101",
            ),
            (
                "Gesundheitsamt Lindenau",
                ("health",),
                "gesundheit@lindenau.example",
                "+49 341 555 0102",
            ),
            ("Wohnungsamt Lindenau", ("housing",), "wohnen@lindenau.example", "+49 341 555 0103"),
            (
                "Psychosoziales Zentrum für Geflüchtete",
                ("psychosocial_support", "health"),
                "psz@partner.example",
                "+49 341 555 0104",
            ),
            ("Refugee Law Clinic Lindenau", ("legal_advice",), "rlc@partner.example", None),
        ],
        # The caseworker's referrals: (area, reason, sent so many days ago), the last accepted.
        "referrals": [
            (
                "housing",
                "Familie zu viert in einem Zimmer der Erstaufnahme; sucht eine Wohnung.",
                20,
            ),
            (
                "employment",
                "Arbeitsuchend gemeldet; möchte Beratung zur Ausbildung in der Pflege.",
                3,
            ),
            ("legal_advice", "Fragen zum Familiennachzug für zwei Kinder.", 10),
        ],
        "newcomers": [
            ("amina", "Amina Haddad", "ar"),
            ("oksana", "Oksana Melnyk", "uk"),
            ("farid", "Farid Rahimi", "fa_AF"),
        ],
        # (given, family, latin given, latin family, birth, sex, nationality, language, category)
        "cases": [
            ("Amina", "Haddad", None, None, "1991-03-14", "female", "SY", "ar", "refugee", "amina"),
            (
                "Оксана",
                "Мельник",
                "Oksana",
                "Melnyk",
                "1986-09-02",
                "female",
                "UA",
                "uk",
                "subsidiary_protection",
                "oksana",
            ),
            (
                "فرید",
                "رحیمی",
                "Farid",
                "Rahimi",
                "1998-01-20",
                "male",
                "AF",
                "prs",
                "resettled",
                "farid",
            ),
            ("Yonas", "Tesfaye", None, None, "2001-06-30", "male", "ER", "ti", "refugee", None),
            (
                "Layla",
                "Haddad",
                None,
                None,
                "2015-11-05",
                "female",
                "SY",
                "ar",
                "family_reunification",
                None,
            ),
            (
                "José",
                "Müller Pérez",
                None,
                None,
                "1979-12-24",
                "male",
                "CO",
                "es",
                "labour_migrant",
                None,
            ),
            (
                "Priya",
                "Raman",
                None,
                None,
                "1993-04-18",
                "female",
                "IN",
                "ta",
                "highly_skilled",
                None,
            ),
            (
                "Mohammed",
                "Al-Hassan",
                None,
                None,
                "1988-07-07",
                "male",
                "IQ",
                "ar",
                "asylum_applicant",
                None,
            ),
        ],
    },
    {
        "code": "BMT",
        "name": "Beaumont",
        "default_locale": "fr",
        "timezone": "Europe/Paris",
        "domain": "beaumont.example",
        "office": "Bureau d'intégration de Beaumont",
        "provider": "Alliance Langues Beaumont",
        "staff": [
            ("admin", "Claire Martin", Role.ADMIN, "fr"),
            ("caseworker", "Karim Benali", Role.CASEWORKER, "fr"),
            ("caseworker2", "Sofia García", Role.CASEWORKER, "es"),
            ("teacher", "Lucas Bernard", Role.PROVIDER, "fr"),
        ],
        "partners": [
            (
                "France Travail Beaumont",
                ("employment",),
                "beaumont@partenaire.example",
                "+33 3 55 50 10 01",
            ),
            (
                "Centre médico-psychologique de Beaumont",
                ("psychosocial_support", "health"),
                "cmp@partenaire.example",
                "+33 3 55 50 10 02",
            ),
            (
                "Service logement de Beaumont",
                ("housing",),
                "logement@beaumont.example",
                "+33 3 55 50 10 03",
            ),
            ("Point-justice de Beaumont", ("legal_advice",), "justice@partenaire.example", None),
            (
                "Centre d'information et d'orientation",
                ("education",),
                "cio@partenaire.example",
                "+33 3 55 50 10 05",
            ),
        ],
        "referrals": [
            (
                "housing",
                "Hébergée chez une amie depuis trois mois ; cherche un logement social.",
                20,
            ),
            ("employment", "Souhaite un accompagnement vers un emploi dans la restauration.", 3),
            ("legal_advice", "Questions sur le renouvellement du titre de séjour.", 10),
        ],
        "newcomers": [
            ("yusuf", "Yusuf Al-Khatib", "ar"),
            ("daria", "Daria Kovalenko", "uk"),
        ],
        "cases": [
            (
                "Yusuf",
                "Al-Khatib",
                None,
                None,
                "1984-02-11",
                "male",
                "SY",
                "ar",
                "refugee",
                "yusuf",
            ),
            (
                "Дарія",
                "Коваленко",
                "Daria",
                "Kovalenko",
                "1995-05-27",
                "female",
                "UA",
                "uk",
                "subsidiary_protection",
                "daria",
            ),
            (
                "Aïcha",
                "Diallo",
                None,
                None,
                "1999-08-15",
                "female",
                "GN",
                "fr",
                "asylum_applicant",
                None,
            ),
        ],
    },
]


def _get_or_create_municipality(code: str, **values) -> Municipality:
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if municipality is None:
        municipality = Municipality(code=code, **values)
        db.session.add(municipality)
        db.session.flush()
    return municipality


def _get_or_create_organisation(municipality: Municipality, name: str, kind) -> Organisation:
    organisation = db.session.scalar(
        select(Organisation).where(
            Organisation.municipality_id == municipality.id, Organisation.name == name
        )
    )
    if organisation is None:
        organisation = Organisation(municipality_id=municipality.id, name=name, kind=kind)
        db.session.add(organisation)
        db.session.flush()
    return organisation


def _ensure_user(email: str, password: str, **values) -> tuple[User, bool]:
    user = find_user_by_email(email)
    if user is not None:
        return user, False
    user = User(email=normalise_email(email), **values)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("user_created", user, actor=None, changes={"role": [None, user.role.value]})
    return user, True


def _seed_cases(municipality: Municipality, spec: dict) -> None:
    """Open demo case files, each newcomer account linked to its own file."""
    if db.session.scalar(select(Case.id).where(Case.municipality_id == municipality.id).limit(1)):
        return
    caseworker = find_user_by_email(f"caseworker@{spec['domain']}")
    colleague = find_user_by_email(f"caseworker2@{spec['domain']}")
    for number, row in enumerate(spec["cases"]):
        given, family, given_latin, family_latin, born, sex, country, language, category, login = (
            row
        )
        data = CaseData(
            values={
                "given_names": given,
                "family_name": family,
                "given_names_latin": given_latin,
                "family_name_latin": family_latin,
                "date_of_birth": date.fromisoformat(born),
                "sex": Sex(sex),
                "country_of_birth": country,
                "preferred_language": locale_for_language(language) or "en",
                "phone": None,
                "email": None,
                "address": None,
                "residence_category": ResidenceCategory(category),
                "permit_number": f"{spec['code']}{7310452 + number}",
                "permit_issued_on": date.today() - timedelta(days=400 + 30 * number),
                "permit_expires_on": date.today() + timedelta(days=45 + 120 * number),
                "arrived_in_country_on": date.today() - timedelta(days=500 + 30 * number),
                "arrived_in_municipality_on": date.today() - timedelta(days=420 + 30 * number),
                "caseworker_id": (caseworker if number % 3 else colleague).id,
            },
            nationalities=[country],
            mother_tongue=language,
            languages=["en"] if number % 2 else [],
            stage=Stage.EARLY_INTEGRATION if number % 2 else Stage.ARRIVAL,
        )
        case = register_case(data, caseworker, confirmed_new_person=True)
        if login:
            case.account_id = find_user_by_email(f"{login}@{spec['domain']}").id
        _seed_inclusion(case, number, caseworker)


def _seed_inclusion(case: Case, number: int, caseworker) -> None:
    """Give a demo file a housing history, health access and a residence status."""
    from .inclusion.models import HousingSituation as Housing
    from .inclusion.models import Status
    from .inclusion.services import record_housing, record_status

    arrival = case.arrived_in_municipality_on
    moves = [
        [(Housing.TEMPORARY_ACCOMMODATION, 60, False)],
        [(Housing.TEMPORARY_ACCOMMODATION, 45, False), (Housing.SOCIAL_HOUSING, 300, True)],
        [(Housing.SHARED_FLAT, 90, True), (Housing.PRIVATE_RENTAL, 365, True)],
    ][number % 3]
    record_housing(case, Housing.RECEPTION_CENTRE, arrival, None, None, caseworker)
    for situation, days, adequate in moves:
        record_housing(case, situation, arrival + timedelta(days=days), adequate, None, caseworker)
    record_status(
        case, Status.HEALTH_INSURANCE, True, arrival + timedelta(days=14), None, caseworker
    )
    if number % 2 == 0:
        record_status(
            case, Status.GENERAL_PRACTITIONER, True, arrival + timedelta(days=40), None, caseworker
        )
    if number == 1:
        record_status(
            case, Status.LONG_TERM_RESIDENCE, True, arrival + timedelta(days=400), None, caseworker
        )
    if number % 4 == 2:
        record_status(
            case, Status.VOLUNTEERING, True, arrival + timedelta(days=200), None, caseworker
        )


def _seed_courses(municipality: Municipality, spec: dict, provider: Organisation) -> None:
    """A language and a civic orientation course of the provider, one running since three
    weeks with every demo file enrolled, attendance taken, and a session today."""
    from .courses import services as courses
    from .courses.models import AttendanceStatus, CefrLevel, Course, CourseType

    if db.session.scalar(select(Course.id).where(Course.organisation_id == provider.id).limit(1)):
        return
    teacher = find_user_by_email(f"teacher@{spec['domain']}")
    caseworker = find_user_by_email(f"caseworker@{spec['domain']}")
    texts = {
        "de": ("Deutsch A1 bis A2 (Integrationskurs)", "Alltagsdeutsch für Neuzugewanderte."),
        "fr": ("Français A1 vers A2", "Le français de tous les jours."),
        "en": ("German A1 to A2 (integration course)", "Everyday German for newcomers."),
    }
    language = municipality.default_locale
    values = {"course_type": CourseType.LANGUAGE, "hours": 300, "target_language": language,
              "entry_level": CefrLevel.A1, "target_level": CefrLevel.A2}  # fmt: skip
    course = None
    for locale in (language, "en"):
        title, description = texts.get(locale, texts["en"])
        if locale == "en" and language == "fr":
            title, description = "French A1 to A2", "Everyday French for newcomers."
        course = courses.save_course(
            course,
            courses.CourseData(values, provider.id, locale, title, description),
            teacher,
        )
    civics = courses.CourseData(
        {"course_type": CourseType.CIVIC_ORIENTATION, "hours": 60},
        provider.id,
        "en",
        "Living here: rights, duties and services",
    )
    civic_course = courses.save_course(None, civics, teacher)
    today = municipality.today()
    start = today - timedelta(days=21)
    offering = courses.create_offering(
        course,
        {"start_date": start, "end_date": start + timedelta(days=69),
         "weekday_numbers": [1, 2, 3, 4, 5], "starts_at": time(9), "ends_at": time(12, 30),
         "place": spec["provider"], "online": False, "capacity": CLASS_SIZE,
         "instruction_languages": f"{language} ar uk", "childcare": True,
         "attendance_threshold": 80},
        teacher,
    )  # fmt: skip
    courses.create_offering(
        civic_course,
        {"start_date": today + timedelta(days=14), "end_date": today + timedelta(days=42),
         "weekday_numbers": [2], "starts_at": time(14), "ends_at": time(17),
         "place": spec["provider"], "online": False, "capacity": 20,
         "instruction_languages": f"{language} ar fa uk", "childcare": False,
         "attendance_threshold": 80},
        teacher,
    )  # fmt: skip
    sessions = courses.sessions_of(offering)
    if not any(session.date == today for session in sessions):
        courses.add_session(offering, today, time(9), time(12, 30), teacher)
    colleague = find_user_by_email(f"caseworker2@{spec['domain']}")
    for number in range(CLASS_SIZE - len(spec["cases"])):  # the rest of the class
        generated = person(number + 1, 2, today)
        generated.data.values["caseworker_id"] = (colleague if number % 2 else caseworker).id
        generated.data.flags = {}
        register_case(generated.data, caseworker, confirmed_new_person=True)
    cases = db.session.scalars(
        select(Case).where(Case.municipality_id == municipality.id).order_by(Case.id)
    ).all()
    enrolments = []
    for number, case in enumerate(cases):
        if number % 6 != 5:  # most agreed that the course provider may know who they are
            record_consent(
                case, ConsentPurpose.PROVIDER_SHARING, start, ConsentMethod.WRITTEN, caseworker
            )
        enrolment = courses.enrol_case(offering, case, caseworker)
        enrolment.enrolled_on = start
        enrolments.append(enrolment)
    db.session.flush()
    # The first person misses every third session: below the threshold, on the alert list.
    for number, session in enumerate(s for s in sessions if s.date < today):
        marks = {
            enrolment.id: courses.Mark(
                AttendanceStatus.ABSENT
                if position == 0 and number % 3 == 0
                else AttendanceStatus.PRESENT
            )
            for position, enrolment in enumerate(enrolments)
        }
        courses.record_attendance(session, marks, teacher)


def _seed_assessments(municipality: Municipality, spec: dict) -> None:
    """Give the demo files language levels, a qualification or two and employment statuses."""
    cases = list(
        db.session.scalars(
            select(Case).where(Case.municipality_id == municipality.id).order_by(Case.id)
        )
    )
    known = select(LanguageAssessment.id).where(
        LanguageAssessment.case_id.in_([case.id for case in cases])
    )
    if not cases or db.session.scalar(known.limit(1)):
        return
    actor = find_user_by_email(f"caseworker@{spec['domain']}")
    host = spec["default_locale"]
    today = municipality.today()
    every_skill = list(LanguageSkill)
    for number, case in enumerate(cases):
        steps = [
            (AssessmentSource.PLACEMENT_TEST, CefrLevel.A1, every_skill, 330),
            (AssessmentSource.COURSE_EXAM, CefrLevel.A2, every_skill, 150),
        ]
        if number % 2 == 0:
            steps.append((AssessmentSource.CERTIFIED_EXAM, CefrLevel.B1, every_skill, 20))
        for source, level, skills, days_ago in steps[: 1 + number % 3 if number else 3]:
            record_assessment(
                case,
                AssessmentData(
                    language=host,
                    skills=skills,
                    level=level,
                    assessed_on=today - timedelta(days=days_ago + number),
                    source=source,
                    certificate_number=f"DTZ-{2026000 + number}"
                    if source == AssessmentSource.CERTIFIED_EXAM
                    else None,
                    certificate_issuer="telc gGmbH"
                    if source == AssessmentSource.CERTIFIED_EXAM
                    else None,
                    organisation=spec["provider"],
                ),
                actor,
            )
        if number == 0:  # a nurse in recognition, unemployed
            nursing = add_qualification(
                case,
                {
                    "title": "Bachelor of Nursing",
                    "institution": "University of Damascus",
                    "country": "SY",
                    "year": 2015,
                    "isced_field": "091",
                    "isced_level": 6,
                    "eqf_level": 6,
                    "regulated": True,
                    "documents_available": True,
                },
                actor,
            )
            for state, days_ago in (
                (RecognitionState.SUBMITTED, 200),
                (RecognitionState.IN_ASSESSMENT, 120),
            ):
                move_recognition(nursing, state, today - timedelta(days=days_ago), actor)
            add_work_experience(
                case,
                {"isco_code": "2221", "sector": "Hospital", "country": "SY", "years": 6},
                actor,
            )
            record_employment_status(
                case, ActivityStatus.UNEMPLOYED, today - timedelta(days=300), None, actor
            )
        elif number == 1:  # an engineer working as a cleaner: over-qualified
            add_qualification(
                case,
                {
                    "title": "Master of Civil Engineering",
                    "institution": None,
                    "country": "UA",
                    "year": 2012,
                    "isced_field": "073",
                    "isced_level": 7,
                    "eqf_level": 7,
                    "regulated": False,
                    "documents_available": False,
                },
                actor,
            )
            record_employment_status(
                case, ActivityStatus.EMPLOYED, today - timedelta(days=90), "9112", actor
            )
        elif number % 2:
            record_employment_status(
                case, ActivityStatus.IN_EDUCATION, today - timedelta(days=60), None, actor
            )


@click.command("load-reference-data")
@with_appcontext
def load_reference_data_command():
    """Load ISCO-08, ISCED 2011 and ISCED-F 2013 into their tables (safe to run again)."""
    counts = load_reference_data()
    db.session.commit()
    click.echo(", ".join(f"{table}: {count} rows" for table, count in counts.items()))


@click.command("create-admin")
@click.option("--municipality-code", required=True, help="Short code, e.g. LND.")
@click.option("--municipality-name", help="Name, when the municipality is new.")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--locale", default="en", show_default=True)
@click.password_option()
@with_appcontext
def create_admin(municipality_code, municipality_name, email, full_name, locale, password):
    """Create an administrator (and the municipality, if it is new)."""
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    code = municipality_code.strip().upper()
    existing = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if existing is None and not municipality_name:
        raise click.BadParameter(
            "the municipality is new: give its name too", param_hint="--municipality-name"
        )
    municipality = existing or _get_or_create_municipality(
        code, name=municipality_name, default_locale=locale
    )
    user, created = _ensure_user(
        email,
        password,
        full_name=full_name,
        role=Role.ADMIN,
        municipality_id=municipality.id,
        preferred_locale=locale,
    )
    if not created:
        raise click.ClickException(f"An account for {user.email} exists already.")
    db.session.commit()
    click.echo(f"Administrator {user.email} created for {municipality.name} ({municipality.code}).")


def _refuse_in_production(command: str) -> None:
    """Seeded accounts share a published password: never in a production database."""
    if current_app.config["ENVIRONMENT"] == "production":
        raise click.ClickException(
            f"{command} creates accounts with a published password and is refused in "
            "production. Set INTEGRAPATH_ENV=development for a demo database."
        )


def _seed_milestones(municipality: Municipality) -> None:
    """The default checklists of the pathway's stages, once per municipality."""
    from .pathway.models import Milestone
    from .pathway.services import add_default_milestones

    if not db.session.scalar(
        select(Milestone.id).where(Milestone.municipality_id == municipality.id).limit(1)
    ):
        add_default_milestones(municipality)


# Demo integration plans, by the login of the newcomer whose file it is: per plan, the days ago
# of each agreement, whether the newcomer acknowledged the last one, and the goals as the
# caseworker wrote them down, each with (action, who, due in days, status now, linked course).
DEMO_PLANS = {
    "LND": [
        ("oksana", (60, 30), True, [
            ("Als Bauingenieurin in Deutschland arbeiten", [
                ("Anerkennung des Masterabschlusses beantragen", "migrant", -5, "planned", None),
                ("Termin in der Anerkennungsberatung vereinbaren", "municipality", -20, "done",
                 None),
                ("Fachsprachkurs Technik finden", "provider", 45, "planned", None),
            ]),
            ("Deutsch bis B1 lernen", [
                ("Integrationskurs besuchen", "migrant", 48, "in_progress", "language"),
                ("Orientierungskurs besuchen", "migrant", 42, "planned", "civic"),
            ]),
        ]),
        ("farid", (), False, [
            ("Deutsch lernen und eine Ausbildung beginnen", [
                ("Beim Integrationskurs anmelden", "municipality", 7, "planned", "language"),
                ("Berufsberatung der Agentur für Arbeit besuchen", "partner", 21, "planned",
                 None),
            ]),
            ("Eine Hausarztpraxis finden", [
                ("Liste der Praxen in der Nähe mitgeben", "municipality", 3, "planned", None),
            ]),
        ]),
    ],
    "BMT": [
        ("daria", (10,), False, [
            ("Reprendre le métier d'infirmière", [
                ("Faire traduire le diplôme", "migrant", -3, "planned", None),
                ("Rendez-vous au centre de reconnaissance des diplômes", "municipality", 12,
                 "planned", None),
            ]),
            ("Apprendre le français jusqu'au niveau B1", [
                ("Suivre le cours de français A1 vers A2", "migrant", 48, "in_progress",
                 "language"),
            ]),
        ]),
    ],
}  # fmt: skip


def _seed_plans(municipality: Municipality, spec: dict) -> None:
    """The demo plans: agreed and acknowledged with an action overdue, a draft, one waiting
    for the newcomer's acknowledgement. An earlier agreement had the first action due three
    weeks sooner, so that the file has an old version to read."""
    from .courses.models import Course, CourseType, Offering
    from .pathway import services as pathway
    from .pathway.models import ActionStatus, IntegrationPlan, PlanAction, Responsibility

    known = select(IntegrationPlan.id).join(Case).where(Case.municipality_id == municipality.id)
    if db.session.scalar(known.limit(1)):
        return
    caseworker = find_user_by_email(f"caseworker@{spec['domain']}")
    today = municipality.today()
    offerings = {
        "language" if course_type == CourseType.LANGUAGE else "civic": offering_id
        for offering_id, course_type in db.session.execute(
            select(Offering.id, Course.course_type)
            .join(Course)
            .where(Offering.municipality_id == municipality.id)
        )
    }
    for login, agreements, acknowledged, goals in DEMO_PLANS.get(spec["code"], []):
        newcomer = find_user_by_email(f"{login}@{spec['domain']}")
        case = db.session.scalar(select(Case).where(Case.account_id == newcomer.id))
        first = None
        for goal_text, actions in goals:
            goal = pathway.add_goal(case, goal_text, caseworker)
            for text, who, days, _status, course in actions:
                data = pathway.ActionData(text, Responsibility(who), today + timedelta(days=days),
                                          offerings.get(course))  # fmt: skip
                if first is None and len(agreements) > 1:  # due sooner in the first version
                    data = replace(data, due_on=data.due_on - timedelta(days=21))
                action = pathway.add_action(case, goal, data, caseworker)
                first = first or (action, replace(data, due_on=today + timedelta(days=days)))
        for number, days_ago in enumerate(agreements):
            if number:
                pathway.change_action(case, first[0], first[1], caseworker)
            version = pathway.agree_plan(case, today - timedelta(days=days_ago), caseworker)
        if acknowledged:
            pathway.acknowledge_plan(version, newcomer)
        statuses = {action[0]: action[3] for _goal, actions in goals for action in actions}
        for goal in pathway.plan_state(case).goals:
            for action in goal.actions:
                if statuses[action.text] != "planned":
                    stored = db.session.get(PlanAction, action.id)
                    pathway.set_action_status(
                        case, stored, ActionStatus(statuses[action.text]), caseworker
                    )


def _seed_partners(municipality: Municipality, spec: dict) -> None:
    """The municipality's partner services, and a few referrals of the caseworker's files:
    one still without an answer after its date, one waiting, one accepted."""
    from .pathway.models import Referral, ReferralStatus, ServiceArea
    from .pathway.services import change_referral_status, refer_case, replace_service_areas

    partners = {}
    for name, areas, email, phone in spec["partners"]:
        partner = _get_or_create_organisation(municipality, name, OrganisationKind.PARTNER_SERVICE)
        partner.contact_email, partner.phone = email, phone
        replace_service_areas(partner, [ServiceArea(area) for area in areas])
        partners[areas[0]] = partner
    db.session.flush()
    if db.session.scalar(
        select(Referral.id).join(Case).where(Case.municipality_id == municipality.id).limit(1)
    ):
        return
    caseworker = find_user_by_email(f"caseworker@{spec['domain']}")
    cases = db.session.scalars(
        select(Case).where(Case.caseworker_id == caseworker.id).order_by(Case.id).limit(3)
    ).all()
    today = municipality.today()
    for case, (area, reason, days) in zip(cases, spec["referrals"], strict=False):
        referral = refer_case(case, partners[area], ServiceArea(area), reason, caseworker,
                              sent_on=today - timedelta(days=days))  # fmt: skip
        if area == "legal_advice":
            change_referral_status(referral, case, ReferralStatus.ACCEPTED,
                                   today - timedelta(days=4), caseworker)  # fmt: skip


# Last year's arrivals for the reports (unassigned files: no caseworker's caseload changes):
# women and men, each with (employed, unemployed, not active or in education), and a few whose
# sex is not stated. Groups are large enough for the reports to show them (5 and more, and
# 5 and more not counted), as a real intake would be.
REPORT_COHORT = {Sex.FEMALE: (8, 5, 7), Sex.MALE: (10, 5, 5), Sex.UNKNOWN: (0, 0, 6)}
REPORT_FAMILY_NAMES = ("Naseri", "Omari", "Rahimi", "Sultani", "Yousef", "Zaman")
REPORT_JOBS = ("5120", "9112", "8322", "2221", "7112", "4110")
CIVIC_CLASS = 12  # of whom 7 completed the civic orientation course and 5 did not pass


def _seed_report_cohort(municipality: Municipality, spec: dict, provider: Organisation) -> None:
    """Last year's arrivals with their work, language results and a civic orientation course
    that ended, so that the reports have groups large enough to show (safe to run again)."""
    from .courses import services as courses
    from .courses.models import AttendanceStatus, Course, CourseType

    marker = f"{spec['code']}R00000"
    if db.session.scalar(select(Case.id).where(Case.permit_number == marker).limit(1)):
        return
    actor = find_user_by_email(f"caseworker@{spec['domain']}")
    today = municipality.today()
    last_year = today.year - 1
    cases, number = [], 0
    for sex, counts in REPORT_COHORT.items():
        statuses = [ActivityStatus.EMPLOYED] * counts[0] + [ActivityStatus.UNEMPLOYED] * counts[1]
        rest = ActivityStatus.IN_EDUCATION if sex == Sex.MALE else ActivityStatus.NOT_ACTIVE
        statuses += [rest] * counts[2]
        for status in statuses:
            generated = person(5000 + number, 2, today)
            arrived = date(last_year, 1 + number % 12, 1 + number % 27)
            generated.data.values.update(
                sex=sex,
                date_of_birth=date(today.year - 25 - number % 25, 1 + number % 12, 10),
                arrived_in_country_on=arrived,
                arrived_in_municipality_on=arrived + timedelta(days=10),
                permit_number=f"{spec['code']}R{number:05d}",
                caseworker_id=None,
                # After "K" in the all-files caseload, whose first page the journeys read.
                family_name=REPORT_FAMILY_NAMES[number % len(REPORT_FAMILY_NAMES)],
                family_name_latin=None,
                given_names_latin=None,
            )
            generated.data.flags = {}
            case = register_case(generated.data, actor, confirmed_new_person=True)
            since = min(today, arrived + timedelta(days=200))
            working = status == ActivityStatus.EMPLOYED
            job = REPORT_JOBS[number % len(REPORT_JOBS)] if working else None
            record_employment_status(case, status, since, job, actor)
            if number % 3 != 2 or sex == Sex.UNKNOWN:  # most took the language exam this year
                for level, days in ((CefrLevel.A2, 120), (CefrLevel.B1, 20)):
                    on = max(date(today.year, 1, 1), today - timedelta(days=days + number))
                    record_assessment(
                        case,
                        AssessmentData(municipality.default_locale, list(LanguageSkill), level,
                                       on, AssessmentSource.COURSE_EXAM),
                        actor,
                    )  # fmt: skip
            cases.append(case)
            number += 1
    civic = db.session.scalar(
        select(Course).where(
            Course.organisation_id == provider.id,
            Course.course_type == CourseType.CIVIC_ORIENTATION,
        )
    )
    if civic is None:
        return
    teacher = find_user_by_email(f"teacher@{spec['domain']}")
    start = today - timedelta(days=63)
    offering = courses.create_offering(
        civic,
        {"start_date": start, "end_date": today, "weekday_numbers": [2], "starts_at": time(14),
         "ends_at": time(17), "place": spec["provider"], "online": False,
         "capacity": CIVIC_CLASS, "instruction_languages": f"{municipality.default_locale} ar",
         "childcare": False, "attendance_threshold": 80},
        teacher,
    )  # fmt: skip
    enrolments = []
    for case in cases[:CIVIC_CLASS]:
        enrolment = courses.enrol_case(offering, case, actor)
        enrolment.enrolled_on = start
        enrolments.append(enrolment)
    db.session.flush()
    for week, session in enumerate(s for s in courses.sessions_of(offering) if s.date < today):
        marks = {
            enrolment.id: courses.Mark(
                AttendanceStatus.ABSENT if (position + week) % 6 == 0 else AttendanceStatus.PRESENT
            )
            for position, enrolment in enumerate(enrolments)
        }
        courses.record_attendance(session, marks, teacher)
    for position, enrolment in enumerate(enrolments):
        courses.record_result(enrolment, courses.ResultData(passed=position < 7), teacher)
    # It ended yesterday: no class today, and no longer among the courses a file can take.
    for session in courses.sessions_of(offering):
        if session.date >= today:
            db.session.delete(session)
    offering.end_date = today - timedelta(days=1)


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create demo municipalities, staff and newcomers (safe to run again)."""
    _refuse_in_production("seed-demo")
    load_reference_data()
    rows = []
    for spec in DEMO_MUNICIPALITIES:
        municipality = _get_or_create_municipality(
            spec["code"],
            name=spec["name"],
            default_locale=spec["default_locale"],
            timezone=spec["timezone"],
        )
        office = _get_or_create_organisation(
            municipality, spec["office"], OrganisationKind.MUNICIPAL_OFFICE
        )
        provider = _get_or_create_organisation(
            municipality, spec["provider"], OrganisationKind.COURSE_PROVIDER
        )
        people = [(login, name, role, locale) for login, name, role, locale in spec["staff"]]
        people += [(login, name, Role.MIGRANT, locale) for login, name, locale in spec["newcomers"]]
        for login, full_name, role, locale in people:
            organisation = {Role.PROVIDER: provider, Role.CASEWORKER: office}.get(role)
            user, _created = _ensure_user(
                f"{login}@{spec['domain']}",
                DEMO_PASSWORD,
                full_name=full_name,
                role=role,
                municipality_id=municipality.id,
                organisation_id=organisation.id if organisation else None,
                preferred_locale=locale,
            )
            rows.append((municipality.name, role.value, user.email))
        _seed_cases(municipality, spec)
        _seed_courses(municipality, spec, provider)
        _seed_assessments(municipality, spec)
        _seed_milestones(municipality)
        _seed_plans(municipality, spec)
        _seed_partners(municipality, spec)
        _seed_report_cohort(municipality, spec, provider)
    db.session.commit()
    click.echo(f"Demo data ready. Every demo account's password is: {DEMO_PASSWORD}")
    for municipality_name, role, email in rows:
        click.echo(f"  {municipality_name:<10} {role:<11} {email}")


@click.command("purge-uploads")
@with_appcontext
def purge_uploads():
    """Delete import files never imported within a day (run it daily, e.g. from cron)."""
    from .cases.spreadsheets import purge_abandoned_uploads

    count = purge_abandoned_uploads()
    db.session.commit()
    click.echo(f"{count} abandoned import files deleted.")


@click.command("seed-volume")
@click.option("--cases", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    help="Processes generating at once (PostgreSQL as a superuser; default: one per core).",
)
@with_appcontext
def seed_volume(cases, processes):
    """Fill a new database with N generated case files for the load benchmark (make bench)."""
    from .volume import VOLUME_CODE, VOLUME_DOMAIN, VOLUME_PASSWORD, in_parallel, table_sizes
    from .volume import seed_volume as fill

    _refuse_in_production("seed-volume")
    started = monotonic()
    trusted = db.engine.dialect.name == "postgresql" and trust_generated_keys()
    if trusted:
        # The generator's foreign keys are checked by its tests at small sizes; at a million
        # files, checking each of ~60 million rows one by one would take most of the time.
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    # Several processes write on their own connections, each table from one of them: only
    # where the keys need not be checked row by row (rows refer to other processes' rows).
    processes = (processes or os.cpu_count() or 1) if trusted else 1
    with click.progressbar(length=cases, label="Generating case files") as bar:
        try:
            fill(cases, progress=bar.update, processes=processes)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    db.session.commit()
    written = monotonic()
    if processes > 1:  # the tables' statistics on as many connections, largest first
        tables = db.session.scalars(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).all()
        sizes = table_sizes(tables)
        db.session.commit()
        tables = sorted(tables, key=lambda table: -sizes.get(table, 0))
        in_parallel([f'VACUUM ANALYZE "{table}"' for table in tables], processes)
    elif db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    click.echo(
        f"{cases:,} case files in {VOLUME_CODE} in {monotonic() - started:.0f} s "
        f"(written in {written - started:.0f} s by {processes} process"
        f"{'es' if processes > 1 else ''}, then VACUUM ANALYZE); sign in as "
        f"caseworker0@{VOLUME_DOMAIN} or admin@{VOLUME_DOMAIN} with {VOLUME_PASSWORD}"
    )


def trust_generated_keys() -> bool:
    """Whether this PostgreSQL role may skip the per-row foreign-key triggers (a superuser)."""
    return db.session.scalar(sa.text("SELECT current_setting('is_superuser')")) == "on"


@click.command("audit-verify")
@click.option("--municipality-code", help="Check one municipality's chain only.")
@with_appcontext
def audit_verify(municipality_code):
    """Check that no audit entry was changed, deleted or slipped in; exit 1 if one was."""
    from .audit import AuditChain, verify_chains

    municipality_id = None
    if municipality_code:
        municipality = db.session.scalar(
            select(Municipality).where(Municipality.code == municipality_code)
        )
        if municipality is None:
            raise click.ClickException(f"No municipality with the code {municipality_code!r}.")
        municipality_id = municipality.id
    faults = verify_chains(db.session.connection(), municipality_id)
    for fault in faults:
        where = f"entry {fault.seq}" if fault.seq is not None else "an entry"
        row = f" (row id {fault.event_id})" if fault.event_id is not None else ""
        click.echo(f"chain {fault.chain}, {where}{row}: {fault.problem}", err=True)
    for head in db.session.scalars(select(AuditChain).order_by(AuditChain.chain_key)):
        if municipality_id is None or head.chain_key == municipality_id:
            click.echo(f"chain {head.chain_key}: {head.last_seq} entries, head {head.last_hash}")
    db.session.rollback()
    if faults:
        raise click.ClickException(f"The audit trail does not verify: {len(faults)} problems.")
    click.echo("The audit trail verifies: no entry changed, deleted or inserted.")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(target):
    """Write a consistent copy of the whole database to TARGET (readable by you only)."""
    from .backups import BackupError, back_up

    try:
        back_up(db.engine, target)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {target}. It holds personal data: keep it encrypted.")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source, yes):
    """Replace the whole database with the backup in SOURCE (stop the app servers first)."""
    from .audit import verify_chains
    from .backups import BackupError, restore

    if not yes:
        click.confirm(
            f"Everything in {db.engine.url.render_as_string()} will be replaced. Go on?",
            abort=True,
        )
    db.session.remove()
    try:
        restore(db.engine, source)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    faults = verify_chains(db.session.connection())
    db.session.remove()
    click.echo(f"Restored from {source}.")
    if faults:
        raise click.ClickException(
            f"The restored audit trail does not verify ({len(faults)} problems): run audit-verify."
        )


@click.command("apply-retention")
@with_appcontext
def apply_retention_command():
    """Erase the closed files whose retention period has ended (run it daily, e.g. from cron).

    Each municipality is done in its own transaction, with its own retention period.
    """
    from .privacy.services import apply_retention

    total = 0
    for municipality in db.session.scalars(select(Municipality).order_by(Municipality.id)):
        count = apply_retention(municipality)
        db.session.commit()
        total += count
        if count:
            click.echo(f"{municipality.name}: {count} closed files erased.")
    click.echo(f"{total} closed files erased at the end of their retention period.")

"""Shared fixtures: one app per database backend, a rolled-back transaction per test.

Every test that asks for ``app`` (directly or through ``client``/``make_user``) runs on
SQLite and, when ``TEST_DATABASE_URL`` is set, again on PostgreSQL.
"""

import os
import re
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import orm

from integrapath import create_app
from integrapath.accounts.models import Municipality, Organisation, OrganisationKind, User
from integrapath.assessments.reference import load_reference_data
from integrapath.cases.models import NoteCategory
from integrapath.cases.services import add_note
from integrapath.extensions import db
from integrapath.security import Role

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
# Under pytest-xdist each worker process gets a database of its own next to the given one
# (``test`` -> ``test_gw0``), published in the environment for the modules that read it.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
PASSWORD = "correct-horse-battery"
# Cheap hashing keeps the suite fast; one test checks the production default separately.
FAST_HASH = "pbkdf2:sha256:1000"


def worker_database(url: str, worker: str) -> str:
    """Create (once) and return the URL of ``worker``'s own database beside ``url``'s."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


if POSTGRES_URL and WORKER:
    POSTGRES_URL = os.environ["TEST_DATABASE_URL"] = worker_database(POSTGRES_URL, WORKER)


def pytest_report_header(config):
    if POSTGRES_URL:
        return "database backends: SQLite and PostgreSQL (TEST_DATABASE_URL)"
    return (
        "database backends: SQLite only -- PostgreSQL tests SKIPPED: TEST_DATABASE_URL is not set"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in (
            callspec.params.get("app"),
            callspec.params.get("demo_app"),
        ):
            item.add_marker(pytest.mark.postgres)


_postgres_passed = []


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed.append(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if POSTGRES_URL:
        terminalreporter.write_line(
            f"PostgreSQL: {len(_postgres_passed)} tests passed on PostgreSQL"
        )
    else:
        terminalreporter.write_line(
            "PostgreSQL: SKIPPED -- set TEST_DATABASE_URL to run the database tests on it too",
            yellow=True,
        )


def pytest_sessionfinish(session, exitstatus):
    if REQUIRE_POSTGRES and not _postgres_passed and exitstatus == 0:
        session.exitstatus = 1
        print("\nREQUIRE_POSTGRES=1 but no test ran on PostgreSQL")  # noqa: T201


@contextmanager
def own_postgres_database(prefix: str):
    """Yield the URL of a new PostgreSQL database beside TEST_DATABASE_URL's, dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def reset_postgres(url: str) -> None:
    """Start from an empty schema, so that the migrations build everything."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def database_url(backend: str, tmp_path_factory) -> str:
    if backend == "postgresql":
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'integrapath.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    url = database_url(request.param, tmp_path_factory)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PASSWORD_HASH_METHOD=FAST_HASH)
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class TestSession(orm.scoped_session):
    """A session that outlives requests, so objects made by a test stay usable.

    At the end of each request Flask-SQLAlchemy calls ``remove()``; here that discards
    uncommitted work (as closing would) but keeps the session and its objects.
    """

    def remove(self):
        if self.registry.has():
            self.registry().rollback()

    def close_for_good(self):
        super().remove()


@pytest.fixture(autouse=True)
def _transaction(request):
    """Run each database test in a transaction that is rolled back afterwards."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    original_session = db.session
    db.session = TestSession(
        orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    )
    try:
        yield
    finally:
        db.session.close_for_good()
        db.session = original_session
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    """An application context for calling services directly."""
    with app.test_request_context():
        yield


_counter = iter(range(1, 10**6))


@pytest.fixture
def make_municipality(app):
    def make(name: str | None = None, code: str | None = None, **values) -> Municipality:
        number = next(_counter)
        municipality = Municipality(
            name=name or f"Town {number}", code=code or f"T{number:05d}", **values
        )
        db.session.add(municipality)
        db.session.commit()
        return municipality

    return make


@pytest.fixture
def municipality(make_municipality):
    return make_municipality("Lindenau", "LND", default_locale="en")


@pytest.fixture
def today(municipality):
    """Today in the test municipality's time zone: what the app calls today."""
    return municipality.today()


@pytest.fixture
def make_organisation(app):
    def make(municipality, name=None, kind=OrganisationKind.COURSE_PROVIDER) -> Organisation:
        organisation = Organisation(
            municipality_id=municipality.id, name=name or f"Provider {next(_counter)}", kind=kind
        )
        db.session.add(organisation)
        db.session.commit()
        return organisation

    return make


@pytest.fixture
def make_partner(app, make_organisation):
    """A partner service of ``municipality`` covering ``areas``, with contact details."""
    from integrapath.pathway.models import ServiceArea
    from integrapath.pathway.services import replace_service_areas

    def make(municipality, areas=(ServiceArea.HOUSING,), name=None) -> Organisation:
        partner = make_organisation(
            municipality, name or f"Partner {next(_counter)}", OrganisationKind.PARTNER_SERVICE
        )
        partner.contact_email, partner.phone = "help@partner.example", "+49 30 1234 567"
        replace_service_areas(partner, list(areas))
        db.session.commit()
        return partner

    return make


@pytest.fixture
def make_user(app, municipality, make_organisation):
    def make(role: Role = Role.CASEWORKER, *, in_municipality=None, password=PASSWORD, **values):
        home = in_municipality or municipality
        if role == Role.PROVIDER and "organisation_id" not in values:
            values["organisation_id"] = make_organisation(home).id
        number = next(_counter)
        user = User(
            email=values.pop("email", f"{role.value}{number}@example.org"),
            full_name=values.pop("full_name", f"{role.value.title()} {number}"),
            role=role,
            municipality_id=home.id,
            **values,
        )
        with app.app_context():
            user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def csrf_token_from(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


class Auth:
    """Sign in through the real login form, as a person would."""

    def __init__(self, client):
        self.client = client

    def token(self, path: str = "/login") -> str:
        return csrf_token_from(self.client.get(path).get_data(as_text=True))

    def login(self, user_or_email, password: str = PASSWORD, **kwargs):
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post(
            "/login" + kwargs.pop("query", ""),
            data={"email": email, "password": password, "csrf_token": self.token()},
            **kwargs,
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.token("/account/password")})

    def post(self, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
        """POST a form with a valid CSRF token taken from ``token_from`` (default: the path)."""
        token = csrf_token_from(self.client.get(token_from or path).get_data(as_text=True))
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def make_case(app, municipality, make_user):
    """Register a case through the real service, as a caseworker of its municipality."""
    from datetime import date

    from integrapath.cases.models import ResidenceCategory, Sex
    from integrapath.cases.services import CaseData, register_case

    def make(in_municipality=None, caseworker=None, nationalities=("SY",), **values):
        home = in_municipality or municipality
        caseworker = caseworker or make_user(Role.CASEWORKER, in_municipality=home)
        number = next(_counter)
        fields = {
            "given_names": f"Given{number}",
            "family_name": f"Family{number}",
            "given_names_latin": None,
            "family_name_latin": None,
            "date_of_birth": date(1990, 1, 1),
            "sex": Sex.FEMALE,
            "country_of_birth": "SY",
            "preferred_language": "ar",
            "phone": None,
            "email": None,
            "address": None,
            "residence_category": ResidenceCategory.REFUGEE,
            "permit_number": None,
            "permit_issued_on": None,
            "permit_expires_on": None,
            "arrived_in_country_on": None,
            "arrived_in_municipality_on": None,
            "caseworker_id": caseworker.id,
        }
        flags = {name: values.pop(name) for name in list(values) if name in FLAG_NAMES}
        fields.update(values)
        with app.test_request_context():
            case = register_case(
                CaseData(values=fields, nationalities=list(nationalities), flags=flags),
                caseworker,
                confirmed_new_person=True,
            )
            db.session.commit()
        return case

    return make


FLAG_NAMES = {
    "unaccompanied_minor", "disability", "health_need", "psychosocial_need", "single_parent",
    "trafficking_victim",
}  # fmt: skip


@contextmanager
def _recording(entry):
    """Collect ``entry(statement, parameters)`` for each statement sent while in the block."""
    engine = db.session.get_bind().engine
    sent = []

    def record(_connection, _cursor, statement, parameters, *_args):
        sent.append(entry(statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as statements:`` collects the SQL a block sends."""
    return lambda: _recording(lambda statement, _parameters: statement)


@pytest.fixture
def sent_statements(app):
    """``with sent_statements() as sent:`` collects the (statement, parameters) a block sends."""
    return lambda: _recording(lambda statement, parameters: (statement, parameters))


def sent_with(sent, *fragments: str) -> tuple[str, dict]:
    """The first statement sent that contains every fragment."""
    found = [(s, p) for s, p in sent if all(fragment in s for fragment in fragments)]
    assert found, f"no statement with {fragments}"
    return found[0]


def plan_with_priced_out(statement: str, parameters, *kinds: str) -> str:
    """PostgreSQL's plan of a statement with kinds of plan (``seqscan``, ``sort``) priced
    out: a small test table is read row by row whatever the indexes, but with that priced out
    the planner still cannot use an index that does not answer the query as it is written."""
    connection = db.session.connection()
    for kind in kinds:
        connection.exec_driver_sql(f"SET LOCAL enable_{kind} = off")
    plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
    for kind in kinds:
        connection.exec_driver_sql(f"RESET enable_{kind}")
    return "\n".join(plan)


PAGES = {
    Role.ADMIN: ["/admin/users", "/admin/users/new", "/admin/organisations",
                 "/admin/organisations/new", "/admin/audit", "/admin/users/{user}",
                 "/account/password", "/courses/catalogue", "/courses/catalogue/{course}",
                 "/admin/milestones", "/admin/milestones/new", "/admin/data-protection",
                 "/reports/", "/reports/print"],
    Role.CASEWORKER: ["/today", "/cases/", "/cases/new", "/cases/{case}", "/cases/{case}/edit",
                      "/cases/transfers", "/cases/import", "/courses/offerings",
                      "/courses/offerings/{offering}", "/courses/alerts",
                      "/cases/{case}/plan", "/cases/{case}/plan/print",
                      "/cases/{case}/plan/versions/1", "/cases/{case}/plan/versions/1/print",
                      "/cases/{case}/plan/goals/{goal}", "/cases/{case}/plan/actions/{action}",
                      "/cases/{case}/plan/goals/{goal}/actions/new", "/reports/?breakdown=age"],
    Role.PROVIDER: ["/courses/provider", "/courses/catalogue", "/courses/catalogue/new",
                    "/courses/catalogue/{course}", "/courses/catalogue/{course}/offerings/new",
                    "/courses/offerings/{offering}", "/courses/offerings/{offering}/edit",
                    "/courses/sessions/{session}/attendance",
                    "/courses/offerings/{offering}/register"],
    Role.MIGRANT: ["/my/", "/my/plan", "/my/courses", "/my/skills", "/my/details", "/my/data",
                   "/my/data/document"],
}  # fmt: skip


@pytest.fixture(params=["ar", "ps", "ti"])
def every_page(request, app, auth, client, make_user, make_case, make_partner, municipality):
    """Render every page of every role, in Arabic and in Pashto (the harder, right-to-left
    cases; Pashto also with its own digits and font) and in Tigrinya (Ge'ez script).

    Returns ``{name: html}``; the file has a note, a sensitive flag and a referral without
    answer after its date, so all sections and the day's lists show.
    """
    from datetime import timedelta

    from integrapath.cases.models import Stage
    from integrapath.pathway.models import MilestoneRule, ServiceArea
    from integrapath.pathway.services import add_milestone, refer_case
    from tests.courses.seeds import running_course
    from tests.pathway.plans import seeded_plan

    locale = request.param
    browser = {"Accept-Language": locale}
    pages = {
        "login": client.get("/login", headers=browser).get_data(as_text=True),
        "code": client.get("/code", headers=browser).get_data(as_text=True),
    }
    course = running_course(make_user, make_case)
    partner = make_partner(municipality)
    for role, paths in PAGES.items():
        extra = {"organisation_id": course.organisation_id} if role == Role.PROVIDER else {}
        user = make_user(role, preferred_locale=locale, **extra)
        case = make_case(caseworker=user if role == Role.CASEWORKER else None, disability=True)
        add_note(case, NoteCategory.GENERAL, "a note", user)
        if role == Role.CASEWORKER:
            with app.test_request_context():
                sent_on = municipality.today() - timedelta(days=30)
                refer_case(case, partner, ServiceArea.HOUSING, "a reason", user, sent_on=sent_on)
        if role == Role.MIGRANT:  # the newcomer's own file
            case.account_id = user.id
        db.session.commit()
        course.enrol(case)
        plan = {}
        if role == Role.CASEWORKER:  # a plan with every part its pages show
            milestone = add_milestone(user.municipality, Stage.ARRIVAL, MilestoneRule.PLAN_AGREED,
                                      {"en": "Plan agreed"}, True, user)  # fmt: skip
            plan = seeded_plan(case, user, offering_id=course.offering.id,
                               milestone_id=milestone.id)  # fmt: skip
        if role == Role.MIGRANT:  # their plan, agreed with a caseworker
            seeded_plan(case, make_user(Role.CASEWORKER))
        auth.login(user)
        for path in paths:
            url = path.format(user=user.id, case=case.id, **course.ids, **plan)
            pages[f"{role.value} {url}"] = client.get(url).get_data(as_text=True)
        if role == Role.CASEWORKER:  # the printable letter that opens the portal
            pages["caseworker letter"] = auth.post(
                f"/cases/{case.id}/portal-access",
                {"portal-email": f"letter.{case.id}@example.org"},
                token_from=f"/cases/{case.id}",
            ).get_data(as_text=True)
        auth.logout()
    return pages

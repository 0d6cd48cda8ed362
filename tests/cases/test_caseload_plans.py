"""Every benchmarked page's queries read indexes, never the whole case table, on
PostgreSQL with a case table of realistic size (issue 21: plans kept honest).

The generator fills a small town with every kind of record; its case files are then copied
in SQL to 90,000, and the table analysed, so the planner chooses as it would for a city.
Each page `make bench` measures (the caseload, the case files, the plan, the reports, the
provider's and the newcomer's pages) is requested by its own account, and every statement
it sends that reads the case table is explained. The day has its own test, with its child
tables copied too (``tests/pathway/test_day_plans.py``).
"""

import re
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from integrapath import create_app
from integrapath.assessments.reference import load_reference_data
from integrapath.extensions import db
from integrapath.volume import VOLUME_PASSWORD, seed_volume
from tests.conftest import FAST_HASH, POSTGRES_URL, Auth, own_postgres_database

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from load import LOGINS, facts  # noqa: E402
from pages import PAGES  # noqa: E402

pytestmark = pytest.mark.postgres  # counted among the tests that ran on PostgreSQL

GENERATED, COPIES = 300, 300  # 90,000 case files
# Every page that is read (a POST writes; a download is one big read of every file). The
# day is checked with its child tables copied too: with them small, as here, the planner
# rightly hashes the case table against them.
READ_PAGES = [
    page for page in PAGES if not page.form and not page.download and page.path != "/today"
]
SCANS_CASE_TABLE = re.compile(r"Seq Scan on case_file\b")

# Every column but the id; the copies get references of their own and no portal account.
COPY_CASES = """
INSERT INTO case_file ({columns})
SELECT {values}
FROM case_file AS c, generate_series(1, :copies) AS copy
"""


def copy_case_files(connection) -> None:
    columns = [
        column.name for column in db.metadata.tables["case_file"].columns if column.name != "id"
    ]
    values = {"reference": "c.reference || '-' || copy", "account_id": "NULL"}
    connection.execute(
        sa.text(
            COPY_CASES.format(
                columns=", ".join(columns),
                values=", ".join(values.get(name, f"c.{name}") for name in columns),
            )
        ),
        {"copies": COPIES - 1},
    )
    # The copies' name words, as the migration fills them: the name search walks these.
    connection.execute(
        sa.text(
            "INSERT INTO case_name_word "
            "SELECT DISTINCT c.id, w.word, c.municipality_id, c.family_name_key, "
            "c.given_names_key FROM case_file AS c, regexp_split_to_table(c.name_key, ' ') "
            "AS w(word) WHERE w.word <> '' AND c.reference LIKE '%-%-%-%' "
            "ON CONFLICT DO NOTHING"
        )
    )


def scans_of_case_table(connection, statement: str, parameters) -> list[str]:
    """The lines of the statement's plan that read the case table row by row."""
    plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
    return [line.strip() for line in plan if SCANS_CASE_TABLE.search(line)]


@contextmanager
def realistic_register(prefix: str, fill, tables=("case_file", "case_name_word")):
    """An app on a database of its own: filled by the generator, then by ``fill(connection)``
    in SQL, committed, vacuumed and analysed as autovacuum keeps a live one (the shared test
    database rolls back)."""
    with own_postgres_database(prefix) as url:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PASSWORD_HASH_METHOD=FAST_HASH)
        with app.test_request_context():
            upgrade()
            # The planner must size the tables by the final ANALYZE. In one CI run it planned
            # with the statistics of the 300 generated files (every query a sequential scan),
            # most likely from an autovacuum ANALYZE racing the copy: autovacuum is off for
            # the copied tables, and the first test checks the row count the planner knows.
            for table in tables:
                db.session.execute(sa.text(f"ALTER TABLE {table} SET (autovacuum_enabled = off)"))
            load_reference_data()
            seed_volume(GENERATED)
            db.session.commit()
            fill(db.session.connection())
            db.session.commit()
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE"
                )
            yield app
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def city():
    if not POSTGRES_URL:
        pytest.skip("plans are PostgreSQL's (TEST_DATABASE_URL)")
    with realistic_register("integrapath_plans", copy_case_files) as app:
        yield app


def test_the_plan_check_catches_a_query_that_scans_the_case_table(city):
    with city.app_context(), db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM case_file")) == GENERATED * COPIES
        planned = "SELECT reltuples FROM pg_class WHERE relname = 'case_file'"
        assert connection.scalar(sa.text(planned)) == GENERATED * COPIES  # what the planner knows
        # No index has the given names first: the planner can only read every row.
        scanning = "SELECT count(*) FROM case_file WHERE given_names LIKE %(term)s"
        assert scans_of_case_table(connection, scanning, {"term": "%a%"})
        indexed = "SELECT id FROM case_file WHERE id = %(id)s"
        assert not scans_of_case_table(connection, indexed, {"id": 1})


def test_no_benchmarked_page_scans_the_case_table_at_90000_cases(city):
    # Each request gets an app context of its own: the fixture's outer one would keep the
    # first account signed in (Flask-Login remembers the user on ``g``).
    clients = {}
    for who, email in LOGINS.items():
        clients[who] = city.test_client()
        with city.app_context():
            Auth(clients[who]).login(email, VOLUME_PASSWORD)
    with city.app_context():
        engine = db.engine
    with engine.connect() as connection:
        found = facts(connection)
    sent = []

    def record(_connection, _cursor, statement, parameters, *_args):
        if "case_file" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    scans, silent = [], []
    for page in READ_PAGES:
        sent.clear()
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            with city.app_context():
                response = clients[page.who].get(page.path.format(**found))
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200, page.name
        if not sent:
            silent.append(page.name)
        with engine.connect() as connection:
            for statement, parameters in sent:
                if lines := scans_of_case_table(connection, statement, parameters):
                    scans.append(f"{page.name}: {' '.join(statement.split())[:150]} -> {lines}")
    assert not scans, "\n".join(scans)
    # The caseload pages and the case files read the case table: the check saw their queries.
    assert not [name for name in silent if name.startswith(("caseload", "a case file"))]

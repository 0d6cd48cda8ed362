"""The caseworker's day reads each open file's referrals, plan actions and enrolments through
their indexes, never a whole table, on PostgreSQL with a register of realistic size (issue 21:
plans kept honest).

The generator fills a small town; its files are copied in SQL to 90,000, with their plans,
plan actions, referrals and enrolments, and shared among 40 caseworkers, so that one
caseworker's files are under 3 % of the register, as in the benchmark's city. Before the day
read file by file, PostgreSQL hashed the whole referral and plan tables against them.
"""

import re

import pytest
import sqlalchemy as sa

from integrapath.extensions import db
from integrapath.volume import VOLUME_PASSWORD
from tests.cases.test_caseload_plans import (
    COPIES,
    GENERATED,
    copy_case_files,
    realistic_register,
)
from tests.conftest import POSTGRES_URL, Auth

pytestmark = pytest.mark.postgres  # counted among the tests that ran on PostgreSQL

CASEWORKERS = 40
# The tables copied to size (attendance is not: it stays small, and a scan is right for it).
COPIED = ("case_file", "integration_plan", "plan_action", "referral", "enrolment")
WHOLE_TABLE = re.compile(rf"Seq Scan on ({'|'.join(COPIED)})\b")
# Each copied file is found from its original by reference ("VOL-2026-000001-7").
COPY_OF = """
FROM {table} AS row
JOIN case_file AS original ON original.id = row.case_id
JOIN generate_series(1, :copies) AS copy ON true
JOIN case_file AS twin
  ON twin.municipality_id = original.municipality_id
 AND twin.reference = original.reference || '-' || copy
"""


def _copy_rows(connection, table: str, values: dict[str, str]) -> None:
    """Give every copied file the ``table`` rows of its original (``values`` overrides)."""
    columns = [column.name for column in db.metadata.tables[table].columns if column.name != "id"]
    values = {"case_id": "twin.id", **values}
    connection.execute(
        sa.text(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(values.get(name, f'row.{name}') for name in columns)} "
            + COPY_OF.format(table=table)
        ),
        {"copies": COPIES - 1},
    )


def _fill_the_register(connection) -> None:
    caseworker_id = connection.scalar(
        sa.text("SELECT id FROM user_account WHERE email = 'caseworker0@volume.example'")
    )
    copy_case_files(connection)
    _copy_rows(connection, "integration_plan", {})
    _copy_rows(connection, "referral", {"action_id": "NULL"})
    _copy_rows(connection, "enrolment", {})
    connection.execute(  # the actions of each copied plan, on the copied plan
        sa.text(
            "INSERT INTO plan_action (plan_id, goal_id, text, responsible, due_on, status, "
            "offering_id, milestone_id, created_at, updated_at) "
            "SELECT copied.id, action.goal_id, action.text, action.responsible, action.due_on, "
            "action.status, action.offering_id, action.milestone_id, action.created_at, "
            "action.updated_at FROM plan_action AS action "
            "JOIN integration_plan AS plan ON plan.id = action.plan_id "
            "JOIN case_file AS original ON original.id = plan.case_id "
            "JOIN generate_series(1, :copies) AS copy ON true "
            "JOIN case_file AS twin ON twin.municipality_id = original.municipality_id "
            " AND twin.reference = original.reference || '-' || copy "
            "JOIN integration_plan AS copied ON copied.case_id = twin.id"
        ),
        {"copies": COPIES - 1},
    )
    # 40 caseworkers share the register: any account will do for the others' files.
    accounts = connection.scalars(
        sa.text("SELECT id FROM user_account WHERE id != :me ORDER BY id LIMIT :n"),
        {"me": caseworker_id, "n": CASEWORKERS - 1},
    ).all()
    connection.execute(
        sa.text(
            "UPDATE case_file SET caseworker_id = (:ids)[1 + id % :n] "
            "WHERE reference LIKE '%-%-%-%'"
        ),
        {"ids": [caseworker_id, *accounts], "n": CASEWORKERS},
    )


@pytest.fixture(scope="module")
def register():
    if not POSTGRES_URL:
        pytest.skip("plans are PostgreSQL's (TEST_DATABASE_URL)")
    with realistic_register("integrapath_day_plans", _fill_the_register, COPIED) as app:
        yield app


def test_the_caseworkers_day_reads_no_table_whole_in_a_register_of_90000_files(register):
    with register.app_context(), db.engine.connect() as connection:
        mine = connection.scalar(
            sa.text(
                "SELECT count(*) FROM case_file JOIN user_account u ON u.id = caseworker_id "
                "WHERE u.email = 'caseworker0@volume.example'"
            )
        )
        referrals = connection.scalar(sa.text("SELECT count(*) FROM referral"))
        engine = db.engine
    assert GENERATED * COPIES // CASEWORKERS // 2 < mine < GENERATED * COPIES // 10
    assert referrals > 10_000  # the table is large enough for the planner to weigh a scan
    client = register.test_client()
    Auth(client).login("caseworker0@volume.example", VOLUME_PASSWORD)
    sent = []

    def record(_connection, _cursor, statement, parameters, *_args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/today")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Overdue plan actions" in html and "Referrals without answer" in html
    scans = []
    with engine.connect() as connection:
        for statement, parameters in sent:
            plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
            if lines := [line.strip() for line in plan if WHOLE_TABLE.search(line)]:
                scans.append(f"{' '.join(statement.split())[:150]} -> {lines}")
    assert not scans, "\n".join(scans)

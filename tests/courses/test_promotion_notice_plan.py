"""The caseload's notice of places freed for the caseworker's people reads the few unseen
ones from a partial index, not every enrolment of the register, on PostgreSQL (issue 21)."""

import pytest
import sqlalchemy as sa

from integrapath.accounts.models import Role
from integrapath.extensions import db
from tests.conftest import Auth, plan_with_priced_out, sent_with

PEOPLE = 2000


def test_the_caseload_finds_freed_places_without_reading_every_enrolment(
    app, client, make_user, make_case, make_offering, provider, sent_statements
):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker)
    offering = make_offering(provider, capacity=PEOPLE)
    # A full class of seen enrolments, analysed, so the planner prices the table as it is.
    connection = db.session.connection()
    columns = [c.name for c in db.metadata.tables["case_file"].columns if c.name != "id"]
    copied = {"reference": "c.reference || '-' || n", "account_id": "NULL"}
    connection.execute(
        sa.text(
            f"INSERT INTO case_file ({', '.join(columns)}) "  # noqa: S608 (our own columns)
            f"SELECT {', '.join(copied.get(c, f'c.{c}') for c in columns)} "
            "FROM case_file AS c, generate_series(1, :people) AS n WHERE c.id = :case"
        ),
        {"people": PEOPLE, "case": case.id},
    )
    connection.execute(
        sa.text(
            "INSERT INTO enrolment (offering_id, case_id, status, requested_at, promoted_unseen)"
            " SELECT :offering, id, 'enrolled', now(), false FROM case_file"
            " WHERE municipality_id = :municipality"
        ),
        {"offering": offering.id, "municipality": case.municipality_id},
    )
    connection.exec_driver_sql("ANALYZE enrolment")
    connection.exec_driver_sql("ANALYZE case_file")
    Auth(client).login(caseworker)
    with sent_statements() as sent:
        assert client.get("/cases/").status_code == 200
    statement, parameters = sent_with(sent, "FROM enrolment", "promoted_unseen")
    plan = plan_with_priced_out(statement, parameters, "seqscan")
    assert "ix_enrolment_promoted_unseen" in plan, plan

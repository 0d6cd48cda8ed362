"""The admin's account list reads its first page in name order from an index, instead of
sorting every account of the municipality (newcomers' portal accounts included), on
PostgreSQL (issue 21)."""

import pytest

from integrapath.accounts.models import Role
from integrapath.extensions import db
from tests.conftest import Auth, plan_with_priced_out, sent_with


def test_the_admin_reads_the_first_accounts_in_name_order_from_an_index(
    app, client, make_user, sent_statements
):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    Auth(client).login(make_user(Role.ADMIN))
    with sent_statements() as sent:
        assert client.get("/admin/users").status_code == 200
    statement, parameters = sent_with(sent, "FROM user_account", "ORDER BY lower(")
    plan = plan_with_priced_out(statement, parameters, "seqscan", "sort")
    assert "ix_user_account_municipality_name" in plan, plan
    assert "Sort" not in plan, plan

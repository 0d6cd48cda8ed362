"""Filters that a domain above cases adds to the caseload through ``cases.page``."""

from datetime import date

import pytest
from sqlalchemy import func, select
from wtforms import SelectField

from integrapath.audit import AuditEvent
from integrapath.cases import page
from integrapath.cases.models import Case
from integrapath.extensions import db


@pytest.fixture
def born_in_march(monkeypatch):
    """A filter as another domain would add it: people born in a chosen month."""
    monkeypatch.setattr(page, "CASELOAD_FILTERS", [])
    monkeypatch.setattr(page, "_filter_form", [])
    page.add_caseload_filter(
        page.CaseloadFilter(
            fields={
                "birth_month": SelectField(
                    "Birth month", choices=[("", "Any"), ("3", "March")], default=""
                )
            },
            narrow=lambda statement, values: statement.where(
                func.extract("month", Case.date_of_birth) == int(values["birth_month"])
            ),
            audited_as="sensitive_flags_searched",
        )
    )


def test_an_added_filter_shows_its_field_and_narrows_the_caseload(
    born_in_march, auth, caseworker, client, make_case
):

    make_case(caseworker=caseworker, family_name="Marchborn", date_of_birth=date(1990, 3, 2))
    make_case(caseworker=caseworker, family_name="Mayborn", date_of_birth=date(1990, 5, 2))
    unfiltered = client.get("/cases/").get_data(as_text=True)
    assert 'name="birth_month"' in unfiltered
    assert "Marchborn" in unfiltered and "Mayborn" in unfiltered
    assert '<details class="mt-3">' in unfiltered  # more filters stay folded when unused

    filtered = client.get("/cases/?birth_month=3").get_data(as_text=True)
    assert "Marchborn" in filtered and "Mayborn" not in filtered
    assert '<details class="mt-3" open>' in filtered  # the filter in use is visible
    assert '<option selected value="3">' in filtered

    export = client.get("/cases/export.csv?birth_month=3").get_data(as_text=True)
    assert "Marchborn" in export and "Mayborn" not in export


def test_using_an_added_sensitive_filter_is_audited_and_leaving_it_empty_is_not(
    born_in_march, auth, caseworker, client
):
    def searches():
        return db.session.scalar(
            select(func.count()).where(AuditEvent.action == "sensitive_flags_searched")
        )

    client.get("/cases/?birth_month=")
    assert searches() == 0
    client.get("/cases/?birth_month=3")
    assert searches() == 1


def test_an_invalid_value_of_an_added_filter_shows_an_error_not_a_500(
    born_in_march, auth, caseworker, client, make_case
):
    make_case(caseworker=caseworker, family_name="Visible")
    response = client.get("/cases/?birth_month=13")
    assert response.status_code == 200
    assert "Visible" in response.get_data(as_text=True)  # the list ignores the bad filter

"""'Today' is the municipality's calendar day in its time zone, read at every request."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from integrapath.cases import services
from integrapath.security import Role

# 11:30 UTC on New Year's Eve is already 00:30 on 1 January in Auckland (UTC+13).
AUCKLAND_NEW_YEAR = datetime(2026, 12, 31, 11, 30, tzinfo=UTC)


@pytest.fixture
def auckland(make_municipality):
    return make_municipality(timezone="Pacific/Auckland")


def test_the_municipality_is_already_in_the_new_year_while_the_server_is_not(auckland):
    with time_machine.travel(AUCKLAND_NEW_YEAR, tick=False):
        assert date.today() == date(2026, 12, 31)  # the server's clock, in UTC here
        assert auckland.today() == date(2027, 1, 1)


def test_a_child_born_on_new_years_day_is_accepted_by_a_worker_started_last_year(
    app, auth, client, make_user, make_case, auckland
):
    caseworker = make_user(Role.CASEWORKER, in_municipality=auckland)
    case = make_case(in_municipality=auckland, caseworker=caseworker)
    url = f"/cases/{case.id}"
    with time_machine.travel(AUCKLAND_NEW_YEAR, tick=False):  # the app was built in 2026
        auth.login(caseworker)
        auth.post(
            f"{url}/dependants",
            {"dependant-name": "Baby", "dependant-birth_year": "2027",
             "dependant-relation": "child"},
            token_from=url,
        )  # fmt: skip
        page = client.get(url).get_data(as_text=True)
    assert "Baby" in page


def test_consent_dated_on_the_municipalitys_today_is_not_in_the_future(
    app_ctx, make_user, make_case, auckland
):
    caseworker = make_user(Role.CASEWORKER, in_municipality=auckland)
    case = make_case(in_municipality=auckland, caseworker=caseworker)
    with time_machine.travel(AUCKLAND_NEW_YEAR, tick=False):
        services.record_consent(case, "statistics", date(2027, 1, 1), "verbal", caseworker)
        with pytest.raises(services.CaseError):
            services.record_consent(case, "case_management", date(2027, 1, 2), "verbal", caseworker)


def test_permit_alerts_count_days_in_the_municipality(app_ctx, make_case, auckland):
    case = make_case(in_municipality=auckland, permit_expires_on=date(2026, 12, 31))
    with time_machine.travel(AUCKLAND_NEW_YEAR, tick=False):
        assert services.permit_alert(case, auckland.today()) == "expired"


def test_references_take_the_year_of_the_municipality(app_ctx, auckland):
    with time_machine.travel(AUCKLAND_NEW_YEAR, tick=False):
        assert services.next_reference(auckland).split("-")[1] == "2027"


def test_the_case_service_refuses_impossible_dates_without_any_form(
    app_ctx, make_case, make_user, today
):
    caseworker = make_user(Role.CASEWORKER)
    base = {name: None for name in services.CASE_FIELDS} | {
        "given_names": "Ana", "family_name": "Lima", "date_of_birth": date(1990, 1, 1),
        "sex": "female", "preferred_language": "pt", "residence_category": "refugee",
    }  # fmt: skip
    impossible = [
        ({"date_of_birth": today + timedelta(days=1)}, "date_of_birth"),
        ({"date_of_birth": date(1800, 1, 1)}, "date_of_birth"),
        ({"permit_issued_on": date(2020, 1, 1), "permit_expires_on": date(2019, 1, 1)},
         "permit_expires_on"),
        ({"arrived_in_country_on": date(2021, 1, 1),
          "arrived_in_municipality_on": date(2020, 1, 1)}, "arrived_in_municipality_on"),
        ({"arrived_in_country_on": date(1980, 1, 1)}, "arrived_in_country_on"),
        ({"permit_issued_on": today + timedelta(days=1)}, "permit_issued_on"),
    ]  # fmt: skip
    for changes, field in impossible:
        with pytest.raises(services.CaseError) as raised:
            services.register_case(services.CaseData(values={**base, **changes}), caseworker)
        assert raised.value.field == field
    case = make_case(caseworker=caseworker)
    values = {name: getattr(case, name) for name in services.CASE_FIELDS}
    with pytest.raises(services.CaseError):
        services.update_case(
            case,
            services.CaseData(values={**values, "date_of_birth": today + timedelta(days=1)}),
            caseworker,
        )

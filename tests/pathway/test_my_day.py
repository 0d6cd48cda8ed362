"""The caseworker's day: what needs attention, with counts, most urgent first."""

from datetime import UTC, datetime, timedelta

import time_machine

from integrapath.cases.models import Stage
from integrapath.extensions import db
from integrapath.pathway import services
from integrapath.pathway.models import MilestoneRule
from integrapath.security import Role
from integrapath.volume import VOLUME_PASSWORD, add_cases, seed_volume


def test_the_caseworkers_day_lists_permits_quiet_files_and_ready_cases_most_urgent_first(
    auth, caseworker, client, make_case, municipality, today
):
    services.add_milestone(
        municipality, Stage.ARRIVAL, MilestoneRule.NEEDS_ASSESSED, {"en": "Needs"}, True, None
    )
    soon = make_case(caseworker=caseworker, family_name="Soonexpiring",
                     permit_expires_on=today + timedelta(days=30))  # fmt: skip
    make_case(caseworker=caseworker, family_name="Expiredalready",
              permit_expires_on=today - timedelta(days=3))  # fmt: skip
    make_case(caseworker=caseworker, family_name="Farfuture",
              permit_expires_on=today + timedelta(days=200))  # fmt: skip
    make_case(family_name="Someoneelses", permit_expires_on=today + timedelta(days=5))
    with time_machine.travel(datetime.now(UTC) - timedelta(weeks=10)):
        make_case(caseworker=caseworker, family_name="Quietone")
    db.session.commit()
    page = client.get("/today").get_data(as_text=True)
    assert page.index("Expiredalready") < page.index("Soonexpiring")  # most urgent first
    assert "Farfuture" not in page and "Someoneelses" not in page
    assert "Quietone" in page and "No activity for 8 weeks" in page
    assert "No case is ready to advance." in page
    # Recording something on the quiet file takes it off; a saved skills profile makes
    # the new arrival ready to advance (needs recorded).
    from integrapath.assessments.services import save_skills_profile

    save_skills_profile(soon, {"job_aspirations": "Nurse"}, caseworker)
    db.session.commit()
    page = client.get("/today").get_data(as_text=True)
    ready_part = page[page.index('id="ready"') :]
    assert "Soonexpiring" in ready_part


def test_permits_within_90_days_follow_the_municipalitys_midnight(
    auth, caseworker, client, make_case, municipality
):
    municipality.timezone = "Pacific/Auckland"  # 13 hours ahead of UTC in December
    db.session.commit()
    # 10:59 UTC on 1 December is 23:59 on 1 December in Auckland; a minute later, 2 December.
    before, after = (
        datetime(2026, 12, 1, 10, 59, tzinfo=UTC),
        datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
    )
    with time_machine.travel(before, tick=False):
        # Signed in at that moment: a session cookie signed later is refused as from the future.
        auth.login(caseworker)
        local_today = municipality.today()
        make_case(caseworker=caseworker, family_name="Ninetyone",
                  permit_expires_on=local_today + timedelta(days=91))  # fmt: skip
        assert "Ninetyone" not in client.get("/today").get_data(as_text=True)
    with time_machine.travel(after, tick=False):
        assert "Ninetyone" in client.get("/today").get_data(as_text=True)


def test_an_administrator_sets_the_weeks_before_a_quiet_file_is_listed(
    auth, client, make_user, make_case, municipality
):
    worker = make_user(Role.CASEWORKER)
    with time_machine.travel(datetime.now(UTC) - timedelta(weeks=3)):
        make_case(caseworker=worker, family_name="Threeweeks")
    auth.login(worker)
    assert "Threeweeks" not in client.get("/today").get_data(as_text=True)
    auth.logout()
    auth.login(make_user(Role.ADMIN))
    refused = auth.post("/admin/milestones/settings", {"inactivity_weeks": "0"},
                        token_from="/admin/milestones")  # fmt: skip
    assert refused.status_code == 200
    response = auth.post("/admin/milestones/settings", {"inactivity_weeks": "2"},
                         token_from="/admin/milestones")  # fmt: skip
    assert response.status_code == 302
    auth.logout()
    auth.login(worker)
    page = client.get("/today").get_data(as_text=True)
    assert "Threeweeks" in page and "No activity for 2 weeks" in page


def _day_queries(app, client, count_queries) -> int:
    db.session.connection()
    with count_queries() as statements:
        assert client.get("/today").status_code == 200
    return len(statements)


def test_the_day_runs_as_many_queries_with_1000_cases_as_with_10(app, count_queries):
    from tests.conftest import Auth

    with app.test_request_context():
        town = seed_volume(10)
        services.add_default_milestones(town)
        db.session.commit()
    client = app.test_client()
    Auth(client).login("caseworker0@volume.example", VOLUME_PASSWORD)
    few = _day_queries(app, client, count_queries)
    with app.test_request_context():
        add_cases(town, range(10, 1000))
        db.session.commit()
    many = _day_queries(app, client, count_queries)
    assert many == few

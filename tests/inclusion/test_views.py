"""The housing, health and civic sections of the case file, and the caseload filters."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from integrapath.audit import AuditEvent
from integrapath.cases.models import Relation
from integrapath.cases.services import add_dependant, link_household
from integrapath.extensions import db
from integrapath.inclusion import services
from integrapath.inclusion.models import (
    HousingRecord,
    HousingSituation,
    Status,
    StatusRecord,
)
from integrapath.security import Role

POSTS = ["housing", "health", "civic", "education"]


def _post(auth, case, section, token_from=None, **fields):
    data = {f"{section}-{name}": value for name, value in fields.items()}
    return auth.post(
        f"/cases/{case.id}/{section}", data, token_from=token_from or f"/cases/{case.id}"
    )


def test_a_caseworker_records_a_familys_move_a_gp_and_long_term_residence_and_sees_them(
    auth, caseworker, client, make_case
):
    mother = make_case(caseworker=caseworker, family_name="Haddad", sex="female")
    father = make_case(caseworker=caseworker, family_name="Haddad", sex="male")
    link_household(mother, father, Relation.SPOUSE, caseworker)
    db.session.commit()
    for situation, since in (("reception_centre", "2025-01-10"), ("social_housing", "2025-07-01")):
        response = _post(
            auth, mother, "housing", situation=situation, since=since, adequate="yes", household="y"
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith("#housing")
    _post(auth, mother, "health", status="general_practitioner", holds="yes", since="2025-02-03")
    _post(auth, father, "civic", status="long_term_residence", holds="yes", since="2025-11-20")

    page = client.get(f"/cases/{mother.id}").get_data(as_text=True)
    assert "Social housing" in page and "Reception centre" in page
    assert "Registered with a general practitioner" in page
    assert "Housing situation recorded" in page and "Health access recorded" in page
    father_page = client.get(f"/cases/{father.id}").get_data(as_text=True)
    assert "Social housing" in father_page  # the family moved together
    assert "Long-term residence permit" in father_page
    assert "Residence status or participation recorded" in father_page
    assert services.housing_on(father, date(2025, 3, 1)).situation == "reception_centre"
    assert services.holds_long_term_residence(father)


def test_a_future_date_shows_next_to_the_field_and_records_nothing(
    auth, caseworker, make_case, today
):
    case = make_case(caseworker=caseworker)
    response = _post(
        auth, case, "housing", situation="owner", since=(today + timedelta(days=3)).isoformat()
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This date cannot be in the future." in page
    assert 'id="housing-since"' in page and "aria-invalid" in page
    assert db.session.scalar(select(func.count(HousingRecord.id))) == 0


def test_childrens_education_is_recorded_for_a_child_without_a_file(
    auth, caseworker, client, make_case
):
    case = make_case(caseworker=caseworker)
    child = add_dependant(case, "Lina", 2020, Relation.CHILD, caseworker)
    db.session.commit()
    response = _post(
        auth, case, "education", child=str(child.id), stage="school", since="2026-09-01"
    )
    assert response.status_code in (200, 302)
    _post(auth, case, "education", child=str(child.id), stage="early_childhood", since="2024-09-01")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Early childhood education and care" in page
    assert "Child&#39;s education recorded" in page or "Child's education recorded" in page


def test_viewing_a_file_with_a_health_referral_is_audited_each_time(
    auth, caseworker, client, make_case
):
    case = make_case(caseworker=caseworker)
    services.record_status(case, Status.HEALTH_REFERRAL, True, date(2025, 3, 1), None, caseworker)
    db.session.commit()
    for _ in range(2):
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "Referred to a health or support service" in page
    viewed = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "sensitive_flags_viewed", AuditEvent.object_id == case.id
        )
    )
    assert viewed == 2


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.MIGRANT, Role.ADMIN])
@pytest.mark.parametrize("section", POSTS)
def test_other_roles_cannot_record(auth, client, make_user, make_case, role, section):
    case = make_case()
    auth.login(make_user(role))
    token = "/account/password"
    response = _post(auth, case, section, token_from=token, status="health_insurance", holds="yes",
                     situation="owner", since="2025-01-01")  # fmt: skip
    assert response.status_code in (403, 404)
    assert db.session.scalar(select(func.count(StatusRecord.id))) == 0
    assert db.session.scalar(select(func.count(HousingRecord.id))) == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, make_case):
    case = make_case()
    for section in POSTS:
        response = client.post(f"/cases/{case.id}/{section}", data={})
        assert response.status_code in (302, 400)


def test_caseload_lists_households_still_in_temporary_accommodation_after_twelve_months(
    auth, caseworker, client, make_case, today
):
    long_ago = services.months_before(today, 14)
    stuck = make_case(caseworker=caseworker, family_name="Stuckinplace")
    recent = make_case(caseworker=caseworker, family_name="Newlyplaced")
    housed = make_case(caseworker=caseworker, family_name="Wellhoused")
    temporary = HousingSituation.TEMPORARY_ACCOMMODATION
    services.record_housing(stuck, temporary, long_ago, None, None, caseworker)
    services.record_housing(recent, temporary, today - timedelta(days=30), None, None, caseworker)
    services.record_housing(housed, temporary, long_ago, None, None, caseworker)
    services.record_housing(
        housed, HousingSituation.PRIVATE_RENTAL, today - timedelta(days=10), None, None, caseworker
    )
    services.record_status(stuck, Status.HEALTH_INSURANCE, True, long_ago, None, caseworker)
    db.session.commit()

    page = client.get("/cases/?housing=temporary_accommodation&housing_months=12").get_data(
        as_text=True
    )
    assert "Stuckinplace" in page
    assert "Newlyplaced" not in page and "Wellhoused" not in page
    page = client.get("/cases/?housing=temporary_accommodation").get_data(as_text=True)
    assert "Stuckinplace" in page and "Newlyplaced" in page and "Wellhoused" not in page
    insured = client.get("/cases/?health_insurance=yes").get_data(as_text=True)
    assert "Stuckinplace" in insured and "Wellhoused" not in insured
    uninsured = client.get("/cases/?health_insurance=no").get_data(as_text=True)
    assert "Stuckinplace" not in uninsured and "Wellhoused" in uninsured
    export = client.get("/cases/export.csv?long_term_residence=yes").get_data(as_text=True)
    assert "Stuckinplace" not in export


def test_case_page_queries_stay_the_same_as_records_grow(
    auth, caseworker, client, make_case, count_queries
):
    case = make_case(caseworker=caseworker)
    child = add_dependant(case, "Lina", 1999, Relation.CHILD, caseworker)
    services.record_housing(case, "reception_centre", date(2024, 1, 1), None, None, caseworker)
    services.record_status(case, Status.HEALTH_REFERRAL, True, date(2024, 1, 1), None, caseworker)
    services.record_child_education(case, child, "school", date(2026, 9, 1), None, caseworker)
    db.session.commit()
    with count_queries() as few:
        assert client.get(f"/cases/{case.id}").status_code == 200
    for year in range(2000, 2024):
        day = date(year, 5, 1)
        services.record_housing(case, "shared_flat", day, True, "a note", caseworker)
        for status in Status:
            services.record_status(case, status, year % 2 == 0, day, None, caseworker)
        services.record_child_education(case, child, "school", day, None, caseworker)
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Shared flat" in page
    assert len(many) == len(few)


def test_the_newcomer_sees_their_housing_and_statuses_but_never_health_needs(
    auth, client, make_user, make_case
):
    migrant = make_user(Role.MIGRANT)
    case = make_case()
    worker = db.session.get(type(migrant), case.caseworker_id)
    case.account_id = migrant.id
    services.record_housing(case, "social_housing", date(2025, 7, 1), True, "flat 3", worker)
    services.record_status(case, Status.HEALTH_INSURANCE, True, date(2025, 2, 1), None, worker)
    services.record_status(case, Status.HEALTH_REFERRAL, True, date(2025, 3, 1), None, worker)
    services.record_status(case, Status.NATURALISED, False, date(2025, 3, 1), None, worker)
    db.session.commit()
    auth.login(migrant)
    page = client.get("/my/").get_data(as_text=True)
    assert "Social housing" in page
    assert "Registered with health insurance" in page
    assert "Referred to a health or support service" not in page
    assert "Naturalised" not in page  # recorded as not holding
    assert "flat 3" not in page  # notes stay with the office

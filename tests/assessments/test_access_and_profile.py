"""Who reaches the assessment pages, and the skills profile with its occupation picker."""

import re

import pytest
from sqlalchemy import func, select

from integrapath.assessments.models import SkillsProfile, WorkExperience
from integrapath.audit import AuditEvent
from integrapath.extensions import db
from integrapath.security import Role
from tests.conftest import csrf_token_from


def _assessment_urls(app, case_id: int) -> list[tuple[str, str]]:
    """Every URL of the assessments blueprint, walked from the URL map, ids filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("assessments."):
            continue
        path = re.sub(r"<int:case_id>", str(case_id), rule.rule)
        path = re.sub(r"<int:\w+>", "1", path)
        urls += [(method, path) for method in ("GET", "POST") if method in rule.methods]
    return urls


def test_the_walk_covers_every_assessment_url(app):
    assert len(_assessment_urls(app, 1)) == 9


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.MIGRANT, Role.ADMIN, "other municipality"])
def test_everyone_but_the_municipalitys_caseworkers_gets_404_on_every_url(
    app, auth, client, make_user, make_case, make_municipality, role
):
    if role == "other municipality":
        user = make_user(Role.CASEWORKER, in_municipality=make_municipality())
        case = make_case()
    else:
        user = make_user(role)
        case = make_case()
        if role == Role.MIGRANT:  # the newcomer's own file: the portal issue shows it, not these
            case.account_id = user.id
            db.session.commit()
    auth.login(user)
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    for method, url in _assessment_urls(app, case.id):
        if role == "other municipality" and f"/{case.id}/" not in url:
            continue  # the occupation list is the same reference data for every municipality
        response = (
            client.get(url)
            if method == "GET"
            else client.post(url, data={"csrf_token": token, "form": "profile"})
        )
        assert response.status_code == 404, (method, url)
    assert db.session.scalar(select(func.count(SkillsProfile.id))) == 0


def test_anonymous_visitors_are_sent_to_sign_in(app, client, make_case):
    case = make_case()
    for method, url in _assessment_urls(app, case.id):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.location


def test_a_partly_filled_profile_is_saved_and_shows_what_is_missing(
    auth, caseworker, client, make_case
):
    case = make_case(caseworker=caseworker)
    url = f"/cases/{case.id}/skills-profile"
    response = auth.post(
        url,
        {
            "form": "profile",
            "profile-digital_skills": "basic",
            "profile-driving_licences": "B",
            "profile-needs_childcare": "y",
        },
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    missing = page[page.index('id="profile-missing"') :].split("</p>")[0]
    assert "Work experience" in missing and "Job aspirations" in missing
    assert "Digital skills" not in missing
    assert db.session.scalar(select(SkillsProfile.needs_childcare)) is True
    file_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Still missing:" in file_page
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "skills_profile_saved"))
        == 1
    )


def test_the_occupation_picker_works_without_javascript(auth, caseworker, client, make_case):
    case = make_case(caseworker=caseworker)
    url = f"/cases/{case.id}/skills-profile"
    page = client.get(url + "?occupation=Krankenpfleger").get_data(as_text=True)
    assert 'value="2221"' in page and "Nursing professionals" in page
    response = auth.post(
        url + "?occupation=Krankenpfleger",
        {
            "form": "work",
            "work-isco_code": "2221",
            "work-sector": "Hospital",
            "work-country": "SY",
            "work-years": "6",
        },
        token_from=url,
    )
    assert response.status_code == 302
    work = db.session.scalar(select(WorkExperience))
    assert (work.isco_code, work.isco_major, work.years) == ("2221", "2", 6)
    assert "Nursing professionals" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_made_up_occupation_code_is_refused(auth, caseworker, make_case):
    case = make_case(caseworker=caseworker)
    url = f"/cases/{case.id}/skills-profile"
    page = auth.post(url, {"form": "work", "work-isco_code": "9999", "work-country": ""})
    assert page.status_code == 200
    assert "Choose an occupation from the list." in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WorkExperience.id))) == 0


def test_unemployed_nurses_at_b1_or_above_are_found_in_the_caseload(
    auth, caseworker, client, make_case, today
):
    from integrapath.assessments import services
    from integrapath.assessments.models import (
        ActivityStatus,
        AssessmentSource,
        CefrLevel,
        LanguageSkill,
    )

    def person(name, level, status, isco):
        case = make_case(caseworker=caseworker, family_name=name)
        services.record_assessment(
            case,
            services.AssessmentData(
                "de", list(LanguageSkill), level, today, AssessmentSource.PLACEMENT_TEST
            ),
            caseworker,
        )
        services.add_work_experience(case, {"isco_code": isco}, caseworker)
        services.record_employment_status(
            case, status, today, isco if status == ActivityStatus.EMPLOYED else None, caseworker
        )
        db.session.commit()

    person("Nursefound", CefrLevel.B1, ActivityStatus.UNEMPLOYED, "2221")
    person("Nurseworking", CefrLevel.B2, ActivityStatus.EMPLOYED, "2221")
    person("Nursebeginner", CefrLevel.A2, ActivityStatus.UNEMPLOYED, "2221")
    person("Driverseeking", CefrLevel.C1, ActivityStatus.UNEMPLOYED, "8322")
    page = client.get(
        "/cases/?caseworker=&cefr_language=de&cefr_from=b1&employment=unemployed&isco_major=2"
    ).get_data(as_text=True)
    assert "Nursefound" in page
    for other in ("Nurseworking", "Nursebeginner", "Driverseeking"):
        assert other not in page

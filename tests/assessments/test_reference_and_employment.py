"""The ISCO-08 and ISCED lists, the occupation search, employment status and
over-qualification."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from integrapath.assessments import services
from integrapath.assessments.models import ActivityStatus, IscedLevel, IscoGroup
from integrapath.assessments.reference import load_reference_data, search_occupations
from integrapath.errors import RuleBroken
from integrapath.extensions import db


def test_the_isco_list_is_complete(app_ctx):
    assert db.session.scalar(select(func.count(IscoGroup.code))) == 619
    assert db.session.scalar(select(func.count()).where(IscoGroup.level == 4)) == 436
    assert db.session.scalar(select(func.count(IscedLevel.code))) == 9


def test_loading_the_reference_data_again_changes_nothing(app_ctx):
    counts = load_reference_data()
    assert counts == {"isco_group": 619, "isced_level": 9, "isced_field": 219}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Krankenpfleger", {"2221", "3221"}),  # German, another word form of the ESCO title
        ("infirmière", {"2221"}),  # French, with its accent
        ("enfermería", {"2221", "3221"}),  # Spanish
        ("nursing", {"2221", "3221"}),  # English
    ],
)
def test_occupations_are_found_by_their_title_in_any_language(app_ctx, typed, expected):
    assert expected <= {code for code, _title in search_occupations(typed)}


def test_the_title_is_in_the_readers_language_or_marked_english(app, auth, client, make_user):
    from integrapath.security import Role

    for locale, title in (
        ("de", "Akademische und vergleichbare Krankenpflegefachkräfte"),
        ("ar", "Nursing professionals (بالإنجليزية)"),  # no Arabic ESCO title: English, marked
    ):
        auth.login(make_user(Role.CASEWORKER, preferred_locale=locale))
        found = client.get("/cases/occupations.json?q=Krankenpfleger").get_json()
        assert {"code": "2221", "title": title} in found
        auth.logout()


def test_an_employed_person_needs_an_isco_unit_group(app_ctx, make_case, make_user, today):
    case, actor = make_case(), make_user()
    with pytest.raises(RuleBroken):
        services.record_employment_status(case, ActivityStatus.EMPLOYED, today, None, actor)
    with pytest.raises(RuleBroken):  # a major group is not an occupation
        services.record_employment_status(case, ActivityStatus.EMPLOYED, today, "2", actor)
    services.record_employment_status(case, ActivityStatus.EMPLOYED, today, "9112", actor)


def test_the_latest_status_is_the_current_one(app_ctx, make_case, make_user, today):
    case, actor = make_case(), make_user()
    services.record_employment_status(case, ActivityStatus.UNEMPLOYED, today, None, actor)
    services.record_employment_status(
        case, ActivityStatus.EMPLOYED, today - timedelta(days=400), "9112", actor
    )
    history = services.employment_history(case)
    assert [row.status for row in history if row.current] == [ActivityStatus.UNEMPLOYED]


def _tertiary(case, actor, level=7):
    services.add_qualification(
        case, {"title": "Master of Civil Engineering", "isced_level": level}, actor
    )


@pytest.mark.parametrize(
    ("isced", "isco", "born", "flagged"),
    [
        (7, "9112", date(1985, 1, 1), True),  # an engineer cleaning offices
        (7, "2142", date(1985, 1, 1), False),  # an engineer working as one
        (4, "9112", date(1985, 1, 1), False),  # no tertiary education
        (5, "4110", date(1985, 1, 1), True),  # short-cycle tertiary, a clerk
        (7, "9112", date(1950, 1, 1), False),  # older than 64
    ],
)
def test_over_qualification_is_tertiary_education_in_major_groups_4_to_9(
    app_ctx, make_case, make_user, today, isced, isco, born, flagged
):
    case, actor = make_case(date_of_birth=born), make_user()
    _tertiary(case, actor, isced)
    current = services.record_employment_status(case, ActivityStatus.EMPLOYED, today, isco, actor)
    assert services.is_over_qualified(case, current, today) is flagged


def test_the_case_page_shows_the_over_qualification(auth, caseworker, client, make_case, today):
    case = make_case(caseworker=caseworker)
    _tertiary(case, caseworker)
    db.session.commit()
    response = auth.post(
        f"/cases/{case.id}/employment",
        {
            "employment-status": "employed",
            "employment-since": today.isoformat(),
            "employment-isco_code": "9112",
        },
        token_from=f"/cases/{case.id}",
    )
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Over-qualified" in page
    assert "Cleaners and helpers in offices, hotels and other establishments" in page

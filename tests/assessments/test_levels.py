"""CEFR levels: recorded per skill or for all five at once; the current level is the latest."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from integrapath.assessments import services
from integrapath.assessments.models import (
    AssessmentSource,
    CefrLevel,
    LanguageAssessment,
    LanguageSkill,
)
from integrapath.audit import AuditEvent
from integrapath.errors import RuleBroken
from integrapath.extensions import db


def _record(case, actor, level, on, skills=tuple(LanguageSkill), language="de", **extra):
    with_defaults = {"source": AssessmentSource.PLACEMENT_TEST, **extra}
    services.record_assessment(
        case,
        services.AssessmentData(
            language=language, skills=list(skills), level=level, assessed_on=on, **with_defaults
        ),
        actor,
    )
    db.session.commit()


def _grid_row(page: str, language_name: str) -> str:
    start = page.index('id="level-grid"')
    row_start = page.index(f'<th scope="row">{language_name}</th>', start)
    return page[row_start : page.index("</tr>", row_start)]


def test_the_current_level_is_the_latest_assessment_not_the_highest(
    app_ctx, caseworker, client, make_case, today
):
    case = make_case(caseworker=caseworker)
    _record(case, caseworker, CefrLevel.B2, today - timedelta(days=100), [LanguageSkill.WRITING])
    _record(case, caseworker, CefrLevel.A2, today - timedelta(days=10), [LanguageSkill.WRITING])
    # Recorded later, but assessed earlier: it does not become current.
    _record(case, caseworker, CefrLevel.C1, today - timedelta(days=200), [LanguageSkill.WRITING])
    levels = services.language_levels(case, "de")[0]
    assert levels.current[LanguageSkill.WRITING].level == CefrLevel.A2
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert ">A2</span>" in _grid_row(page, "Writing")
    assert ">B2</span>" not in _grid_row(page, "Writing")


def test_recording_all_five_skills_at_once_through_the_case_page(auth, caseworker, make_case):
    case = make_case(caseworker=caseworker)
    response = auth.post(
        f"/cases/{case.id}/language-levels",
        {
            "level-language": "de",
            "level-skill": "all",
            "level-level": "b1",
            "level-assessed_on": "2026-01-15",
            "level-source": "course_exam",
            "level-organisation": "VHS Lindenau",
        },
        token_from=f"/cases/{case.id}",
    )
    assert response.status_code == 302
    rows = db.session.scalars(
        select(LanguageAssessment).where(LanguageAssessment.case_id == case.id)
    ).all()
    assert sorted(row.skill for row in rows) == sorted(LanguageSkill)
    assert {row.level for row in rows} == {CefrLevel.B1}
    assert all(row.current for row in rows)
    page = auth.client.get(f"/cases/{case.id}").get_data(as_text=True)
    grid = page[page.index('id="level-grid"') :].split("</table>")[0]
    assert grid.count(">B1</span>") == 5
    timeline = page[page.index('id="timeline"') :]
    assert "All five skills" in timeline and "Course exam" in timeline
    recorded = db.session.scalar(
        select(func.count()).where(AuditEvent.action == "language_level_recorded")
    )
    assert recorded == 1


def test_a_certified_exam_needs_its_certificate_number(auth, caseworker, make_case):
    case = make_case(caseworker=caseworker)
    data = {
        "level-language": "de",
        "level-skill": "reading",
        "level-level": "b1",
        "level-assessed_on": "2026-01-15",
        "level-source": "certified_exam",
    }
    page = auth.post(f"/cases/{case.id}/language-levels", data, token_from=f"/cases/{case.id}")
    assert page.status_code == 200
    assert "A certified exam needs the certificate number." in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(LanguageAssessment.id))) == 0
    data["level-certificate_number"] = "DTZ-123"
    response = auth.post(f"/cases/{case.id}/language-levels", data, token_from=f"/cases/{case.id}")
    assert response.status_code == 302


def test_a_level_in_the_future_is_refused(app_ctx, caseworker, make_case, today):
    case = make_case(caseworker=caseworker)
    with pytest.raises(RuleBroken):
        _record(case, caseworker, CefrLevel.A1, today + timedelta(days=1))


def test_the_history_shows_as_a_chart_and_as_a_table(app_ctx, caseworker, client, make_case, today):
    case = make_case(caseworker=caseworker)
    _record(case, caseworker, CefrLevel.A1, today - timedelta(days=200))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<svg viewBox" not in page  # one date is no line
    _record(
        case,
        caseworker,
        CefrLevel.A2,
        today - timedelta(days=50),
        source=AssessmentSource.COURSE_EXAM,
    )
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count("<polyline") == 5
    assert 'role="img" aria-labelledby="chart-de-caption"' in page
    # Five skills assessed together are one line of the table.
    assert page.count("<td>Course exam") == 1 and page.count("<td>Placement test") == 1
    assert page.count("<td>All five skills</td>") == 2


def _more_of_everything(case, actor, today, number: int) -> None:
    """One more assessment, qualification with its steps and measure, job status, work."""
    from integrapath.assessments.models import ActivityStatus, MeasureKind, RecognitionState

    _record(
        case,
        actor,
        list(CefrLevel)[number % 7],
        today - timedelta(days=number),
        [list(LanguageSkill)[number % 5]],
        language=("de", "en")[number % 2],
    )
    qualification = services.add_qualification(
        case, {"title": f"Diploma {number}", "isced_level": 6, "isced_field": "091"}, actor
    )
    qualification.authority = "Landesamt"
    for state in (RecognitionState.SUBMITTED, RecognitionState.IN_ASSESSMENT):
        services.move_recognition(qualification, state, today, actor)
    services.move_recognition(
        qualification,
        RecognitionState.PARTIALLY_RECOGNISED,
        today,
        actor,
        measure=MeasureKind.APTITUDE_TEST,
    )
    services.record_employment_status(
        case, ActivityStatus.EMPLOYED, today - timedelta(days=number), "9112", actor
    )
    services.add_work_experience(case, {"isco_code": "2221", "years": 2}, actor)
    db.session.commit()


def test_the_case_page_runs_as_many_queries_with_40_assessments_as_with_1(
    app_ctx, caseworker, client, make_case, today, count_queries
):
    case = make_case(caseworker=caseworker)
    _more_of_everything(case, caseworker, today, 0)
    client.get(f"/cases/{case.id}")  # option lists are built once per language
    with count_queries() as few:
        assert client.get(f"/cases/{case.id}").status_code == 200
    for number in range(1, 40):
        _more_of_everything(case, caseworker, today, number)
    with count_queries() as many:
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "History in English" in page and "Diploma 39" in page
    assert page.count("Aptitude test – Planned") == 40
    assert len(many) == len(few)


def test_the_skills_profile_page_runs_as_many_queries_with_40_entries_as_with_1(
    app_ctx, caseworker, client, make_case, today, count_queries
):
    case = make_case(caseworker=caseworker)
    _more_of_everything(case, caseworker, today, 0)
    url = f"/cases/{case.id}/skills-profile?occupation=nurse"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for number in range(1, 40):
        _more_of_everything(case, caseworker, today, number)
    with count_queries() as many:
        assert client.get(url).get_data(as_text=True).count("Nursing professionals") >= 40
    assert len(many) == len(few)


def _levels(case, actor, day, ranks: dict[LanguageSkill, CefrLevel], language="de"):
    for skill, level in ranks.items():
        _record(case, actor, level, day, [skill], language=language)


def test_at_least_b1_in_every_skill_is_one_filter_of_the_caseload(
    app_ctx, caseworker, client, make_case, today
):
    day = today - timedelta(days=5)
    everywhere = make_case(caseworker=caseworker, family_name="Everywhere")
    _levels(everywhere, caseworker, day, dict.fromkeys(LanguageSkill, CefrLevel.B2))
    one_short = make_case(caseworker=caseworker, family_name="Oneshort")
    _levels(
        one_short,
        caseworker,
        day,
        {**dict.fromkeys(LanguageSkill, CefrLevel.C1), LanguageSkill.WRITING: CefrLevel.A2},
    )
    four_only = make_case(caseworker=caseworker, family_name="Fouronly")
    _levels(four_only, caseworker, day, {skill: CefrLevel.B1 for skill in list(LanguageSkill)[:4]})
    fell_back = make_case(caseworker=caseworker, family_name="Fellback")
    _levels(
        fell_back, caseworker, day - timedelta(days=100), dict.fromkeys(LanguageSkill, CefrLevel.B2)
    )
    _levels(fell_back, caseworker, day, {LanguageSkill.READING: CefrLevel.A2})
    english = make_case(caseworker=caseworker, family_name="Englishonly")
    _levels(english, caseworker, day, dict.fromkeys(LanguageSkill, CefrLevel.C2), language="en")

    page = client.get("/cases/?cefr_language=de&cefr_from=b1").get_data(as_text=True)
    assert "Everywhere" in page
    for name in ("Oneshort", "Fouronly", "Fellback", "Englishonly"):
        assert name not in page

    # One skill: writing at B1 or above.
    page = client.get("/cases/?cefr_language=de&cefr_from=b1&cefr_skill=writing").get_data(
        as_text=True
    )
    assert "Everywhere" in page and "Fellback" in page and "Oneshort" not in page
    # A range: up to A2 in reading.
    page = client.get("/cases/?cefr_language=de&cefr_to=a2&cefr_skill=reading").get_data(
        as_text=True
    )
    assert "Fellback" in page and "Everywhere" not in page

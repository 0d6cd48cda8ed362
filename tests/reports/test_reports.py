"""Indicators against figures worked out by hand, small-cell protection, access, speed."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from integrapath.assessments.models import (
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    EducationEntry,
    EmploymentStatus,
    LanguageSkill,
    LanguageStanding,
)
from integrapath.assessments.services import AssessmentData, record_assessment
from integrapath.cases.models import Sex
from integrapath.courses import services as courses
from integrapath.courses.models import Attendance, AttendanceStatus, Enrolment
from integrapath.extensions import db
from integrapath.reports import services
from integrapath.reports.services import Breakdown
from integrapath.security import Role
from tests.courses.seeds import running_course


def _born(today, age):
    return date(today.year - age - 1, 12, 31) if today.month < 12 else date(today.year - age, 1, 1)


def _status(case, status, since, isco_major=None):
    db.session.add(
        EmploymentStatus(
            case_id=case.id, status=status, since=since, isco_major=isco_major, current=True
        )
    )


@pytest.fixture
def people(make_case, municipality, today):
    """Six people whose figures are worked out by hand in the tests below.

    Women aged about 30, 40 and 50 (employed with a degree, employed with a degree in an
    elementary job, unemployed); men aged about 30 and 22 (employed, in education; the
    younger one without a country of birth); one person of 70 whose sex is not stated.
    """
    since = date(today.year, 1, 1)
    w1 = make_case(sex=Sex.FEMALE, date_of_birth=_born(today, 30),
                   arrived_in_country_on=date(today.year - 1, 1, 15))  # fmt: skip
    w2 = make_case(sex=Sex.FEMALE, date_of_birth=_born(today, 40),
                   arrived_in_country_on=date(today.year - 2, 1, 5))  # fmt: skip
    w3 = make_case(sex=Sex.FEMALE, date_of_birth=_born(today, 50))
    m1 = make_case(sex=Sex.MALE, date_of_birth=_born(today, 30),
                   arrived_in_country_on=date(today.year - 1, 1, 1))  # fmt: skip
    m2 = make_case(sex=Sex.MALE, date_of_birth=_born(today, 22), country_of_birth=None)
    u1 = make_case(sex=Sex.UNKNOWN, date_of_birth=_born(today, 70))
    _status(w1, ActivityStatus.EMPLOYED, since, "2")
    _status(w2, ActivityStatus.EMPLOYED, since, "9")
    _status(w3, ActivityStatus.UNEMPLOYED, since)
    _status(m1, ActivityStatus.SELF_EMPLOYED, since, "5")
    _status(m2, ActivityStatus.IN_EDUCATION, since)
    _status(u1, ActivityStatus.NOT_ACTIVE, since)
    db.session.add_all(
        [EducationEntry(case_id=w1.id, isced_level=6), EducationEntry(case_id=w2.id, isced_level=7)]
    )
    for case, reached in ((w1, date(today.year, 1, 10)), (w2, date(today.year, 1, 5)),
                          (m1, date(today.year, 1, 2))):  # fmt: skip
        db.session.add(
            LanguageStanding(case_id=case.id, language="en", skills=5, lowest_rank=3,
                             highest_rank=3, a2_reached_on=reached, b1_reached_on=reached)
        )  # fmt: skip
    municipality.report_threshold = 1  # nothing hidden: the figures themselves are tested
    db.session.commit()
    return {"w1": w1, "w2": w2, "w3": w3, "m1": m1, "m2": m2, "u1": u1}


def _threshold(municipality, threshold):
    municipality.report_threshold = threshold
    db.session.commit()


def _report(municipality, today, breakdown=Breakdown.SEX, arrived=None):
    period = services.period_of(today.year, today, breakdown, arrived)
    return services.build_report(municipality, period, today)


def _cell(table, key, column):
    row = next(row for row in table.rows if row.key == key)
    return row.cells[column]


def test_employment_figures_match_the_hand_count(app_ctx, people, municipality, today):
    employment = _report(municipality, today).table("employment")
    # Aged 20-64: the three women and the two men; working: two women and one man.
    assert (_cell(employment, None, "employment_rate").count,
            _cell(employment, None, "employment_rate").base) == (3, 5)  # fmt: skip
    assert _cell(employment, "female", "employment_rate").rate == pytest.approx(2 / 3)
    assert _cell(employment, "male", "employment_rate").rate == pytest.approx(1 / 2)
    # Not stated: one person of 70, outside the ages counted.
    assert _cell(employment, "unknown", "employment_rate").base == 0
    assert _cell(employment, None, "unemployment_rate").rate == pytest.approx(1 / 4)
    assert _cell(employment, None, "activity_rate").rate == pytest.approx(4 / 5)
    # Two employed with a degree, one of them in an elementary job.
    assert _cell(employment, None, "over_qualification").rate == pytest.approx(1 / 2)
    education = _report(municipality, today).table("education")
    assert (_cell(education, None, "in_education_18_24").count,
            _cell(education, None, "in_education_18_24").base) == (1, 1)  # fmt: skip
    assert _cell(education, None, "attainment_high").rate == pytest.approx(1)


def test_median_months_to_b1(app_ctx, people, municipality, today):
    language = _report(municipality, today).table("language")
    # 11 months (15 Jan to 10 Jan), 24 months and 12 months: the median is 12.
    assert _cell(language, None, "b1_median").value == 12
    assert _cell(language, None, "b1_people").count == 3
    assert _cell(language, "female", "b1_median").value == pytest.approx((11 + 24) / 2)
    assert _cell(language, "male", "b1_median").value == 12


def test_arrival_year_narrows_the_people_counted(app_ctx, people, municipality, today):
    employment = _report(municipality, today, arrived=today.year - 1).table("employment")
    # Arrived last year: the first woman and the first man, both working.
    assert _cell(employment, "female", "employment_rate").count == 1
    assert _cell(employment, "male", "employment_rate").count == 1
    assert _cell(employment, None, "employment_rate").base == 2


@pytest.mark.parametrize("breakdown", list(Breakdown))
def test_groups_add_up_to_the_total(app_ctx, people, municipality, today, breakdown):
    report = _report(municipality, today, breakdown)
    for table in report.families:
        assert not any(row.hidden for row in table.rows)
        for key, cell in table.total.cells.items():
            assert sum(row.cells[key].count for row in table.groups) == cell.count
            assert sum(row.cells[key].base for row in table.groups) == cell.base
    countries = _report(municipality, today, Breakdown.COUNTRY).table("employment")
    assert "" in [row.key for row in countries.groups]  # missing country: its own group


def test_nobody_and_one_person(app_ctx, municipality, make_case, today):
    _threshold(municipality, 1)
    empty = _report(municipality, today)
    assert empty.table("employment").total.cells["employment_rate"].rate is None
    assert empty.table("language").total.cells["b1_median"].value is None
    make_case(sex=Sex.UNKNOWN, date_of_birth=_born(today, 30))
    one = _report(municipality, today).table("employment")
    assert [row.key for row in one.groups] == ["unknown"]
    assert one.total.cells["employment_rate"].rate == 0


# -- small-cell protection -------------------------------------------------------------------


def _many(make_case, today, count, **values):
    return [make_case(date_of_birth=_born(today, 30), **values) for _ in range(count)]


def test_small_groups_are_hidden_and_cannot_be_worked_out(app_ctx, municipality, make_case, today):
    _threshold(municipality, 5)
    _many(make_case, today, 12, sex=Sex.FEMALE)
    _many(make_case, today, 6, sex=Sex.MALE)
    _many(make_case, today, 2, sex=Sex.DIVERSE)
    db.session.commit()
    table = _report(municipality, today).table("employment")
    rows = {row.key: row.cells["employment_rate"] for row in table.rows}
    assert rows["diverse"].hidden  # two people
    # The total (20) minus women (12) would give the 8 others away; men (6) are hidden
    # too, so 8 is only what the two hidden groups hold together.
    assert rows["male"].hidden and not rows["female"].hidden and not rows[None].hidden
    assert table.groups[-1].hidden  # every figure of the two people


def _no_figure_can_be_worked_out(table, threshold):
    """No shown figure is small, and no column of groups adding up to a shown total has
    exactly one hidden group (with people in it)."""
    for row in table.rows:
        for cell in row.cells.values():
            assert cell.hidden or not cell.too_small(threshold), (table.key, row.key)
    total = table.total
    if total is None:
        return
    for key, total_cell in total.cells.items():
        if total_cell.hidden:
            continue
        hidden = [row for row in table.groups if key in row.cells and row.cells[key].hidden]
        assert len(hidden) != 1 or not hidden[0].cells[key].size, (table.key, key)


def test_no_table_on_the_page_gives_a_hidden_group_away(app_ctx, municipality, make_case, today):
    _threshold(municipality, 5)
    _many(make_case, today, 9, sex=Sex.FEMALE, country_of_birth="SY")
    _many(make_case, today, 7, sex=Sex.MALE, country_of_birth="AF")
    _many(make_case, today, 3, sex=Sex.MALE, country_of_birth="UA")
    db.session.commit()
    for breakdown in Breakdown:
        for table in _report(municipality, today, breakdown).tables:
            _no_figure_can_be_worked_out(table, 5)


def test_linked_figures_of_a_row_are_hidden_together():
    from integrapath.reports.suppression import Cell, Row, protect

    rows = [
        Row(None, "All", {"employed": Cell(30, 60), "unemployed": Cell(10, 40)}, 60, total=True),
        Row("a", "A", {"employed": Cell(20, 40), "unemployed": Cell(3, 23)}, 40),
        Row("b", "B", {"employed": Cell(10, 20), "unemployed": Cell(7, 17)}, 20),
    ]
    protect(rows, 5, [{"employed", "unemployed"}])
    # A's 3 unemployed hide A's employment too, then B is hidden to protect A from the total.
    assert all(cell.hidden for row in rows[1:] for cell in row.cells.values())
    assert not any(cell.hidden for cell in rows[0].cells.values())


def test_rates_hide_the_few_left_out_too():
    from integrapath.reports.suppression import Cell

    assert Cell(98, 100).too_small(5)  # the 2 not counted
    assert Cell(3, 100).too_small(5)
    assert not Cell(0, 100).too_small(5)
    assert not Cell(50, 100).too_small(5)


def test_csv_shows_hidden_for_small_groups(auth, client, make_user, municipality, make_case, today):
    _threshold(municipality, 5)
    _many(make_case, today, 6, sex=Sex.FEMALE)
    _many(make_case, today, 1, sex=Sex.MALE)
    db.session.commit()
    auth.login(make_user(Role.ADMIN))
    response = client.get("/reports/export.csv?table=employment&breakdown=sex")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Group", "Employment rate"]
    by_group = {row[0]: row[1] for row in rows[1:]}
    assert by_group["Male"] == "Hidden"
    assert by_group["Female"] == "Hidden"  # secondary: the total would tell
    assert by_group["All"] == "0%"


def test_consent_setting_leaves_people_out_and_says_how_many(
    app_ctx, municipality, make_case, make_user, today
):
    from integrapath.cases.models import Consent, ConsentMethod, ConsentPurpose

    _threshold(municipality, 1)
    agreed = make_case(date_of_birth=_born(today, 30))
    make_case(date_of_birth=_born(today, 30))
    db.session.add(
        Consent(
            case_id=agreed.id,
            purpose=ConsentPurpose.STATISTICS,
            given_on=date(today.year, 1, 1),
            method=ConsentMethod.WRITTEN,
        )
    )
    assert _report(municipality, today).left_out is None
    municipality.report_needs_consent = True
    db.session.commit()
    report = _report(municipality, today)
    assert report.left_out == 1
    assert report.table("employment").total.people == 1


# -- the sums reports read -------------------------------------------------------------------


def test_attended_sessions_equal_the_attendance_rows(app_ctx, make_user, make_case, today):
    course = running_course(make_user, make_case)
    came, missed = course.enrol(make_case()), course.enrol(make_case())
    marks = {came.id: courses.Mark(AttendanceStatus.LATE),
             missed.id: courses.Mark(AttendanceStatus.ABSENT)}  # fmt: skip
    courses.record_attendance(course.session, marks, course.caseworker)
    courses.record_attendance(  # a correction: still one row each
        course.session, {missed.id: courses.Mark(AttendanceStatus.PRESENT)}, course.caseworker
    )
    db.session.commit()
    for enrolment in (came, missed):
        db.session.refresh(enrolment)
        rows = db.session.scalar(
            select(func.count(Attendance.id)).where(Attendance.enrolment_id == enrolment.id)
        )
        attended = db.session.scalar(
            select(func.count(Attendance.id)).where(
                Attendance.enrolment_id == enrolment.id,
                Attendance.status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE)),
            )
        )
        assert (enrolment.marked_sessions, enrolment.attended_sessions) == (rows, attended)
    assert db.session.get(Enrolment, missed.id).attended_sessions == 1


def test_course_attendance_rate(app_ctx, make_user, make_case, municipality, today):
    _threshold(municipality, 1)
    course = running_course(make_user, make_case)
    came, missed = course.enrol(make_case()), course.enrol(make_case())
    marks = {came.id: courses.Mark(AttendanceStatus.PRESENT),
             missed.id: courses.Mark(AttendanceStatus.ABSENT)}  # fmt: skip
    courses.record_attendance(course.session, marks, course.caseworker)
    db.session.commit()
    table = _report(municipality, today).table("courses")
    assert _cell(table, "language", "attendance").ratio == pytest.approx(1 / 2)
    assert _cell(table, "language", "participants").count == 2


def test_first_days_at_a2_and_b1_are_kept(app_ctx, make_case, make_user, today):
    case = make_case()
    actor = make_user(Role.CASEWORKER)

    def assess(level, on, skills=tuple(LanguageSkill)):
        record_assessment(
            case, AssessmentData("en", list(skills), level, on, AssessmentSource.PLACEMENT_TEST),
            actor,
        )  # fmt: skip

    start = date(today.year - 1, 1, 1)
    assess(CefrLevel.A2, start, skills=list(LanguageSkill)[:4])  # four skills: not yet
    standing = db.session.get(LanguageStanding, (case.id, "en"))
    assert standing.a2_reached_on is None
    assess(CefrLevel.A2, date(today.year - 1, 2, 1), skills=list(LanguageSkill)[4:])
    assess(CefrLevel.B1, date(today.year - 1, 6, 1))
    assess(CefrLevel.A2, date(today.year - 1, 7, 1))  # a lower result later: B1 was reached
    assert standing.a2_reached_on == date(today.year - 1, 2, 1)
    assert standing.b1_reached_on == date(today.year - 1, 6, 1)


# -- access and speed ------------------------------------------------------------------------

URLS = [
    "/reports/",
    "/reports/print",
    "/reports/export.csv?table=employment",
    "/reports/export.csv",
]


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.MIGRANT])
@pytest.mark.parametrize("url", URLS)
def test_providers_and_newcomers_get_404(
    auth, client, make_user, role, url, make_organisation, municipality
):
    extra = {"organisation_id": make_organisation(municipality).id} if role == Role.PROVIDER else {}
    auth.login(make_user(role, **extra))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.ADMIN])
def test_staff_see_every_report_and_an_unknown_table_leads_to_the_dashboard(
    auth, client, make_user, role, people
):
    auth.login(make_user(role))
    for url in URLS[:3]:
        assert client.get(url).status_code == 200, url
    unknown = client.get("/reports/export.csv?table=nothing")
    assert unknown.status_code == 302 and unknown.headers["Location"].endswith("/reports/")
    page = client.get("/reports/?breakdown=sex").get_data(as_text=True)
    assert "Employment rate" in page and "Gap: women minus men" in page


def test_query_count_does_not_grow(auth, client, make_user, make_case, count_queries, today):
    auth.login(make_user(Role.ADMIN))
    counts = []
    for size in (2, 12):
        while len(counts) * 0 + size > 0 and len(_created) < size:
            _created.append(make_case(date_of_birth=_born(today, 30)))
        client.get("/reports/")  # warm the option lists
        with count_queries() as statements:
            assert client.get("/reports/?breakdown=age").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    _created.clear()


_created: list = []


def test_admin_sets_the_threshold_and_the_consent_rule(auth, client, make_user, municipality):
    from integrapath.audit import AuditEvent

    admin = make_user(Role.ADMIN)
    auth.login(admin)
    response = auth.post(
        "/reports/settings",
        {"settings-threshold": "10", "settings-needs_consent": "y"},
        token_from="/reports/",
    )
    assert response.status_code == 302
    db.session.refresh(municipality)
    assert (municipality.report_threshold, municipality.report_needs_consent) == (10, True)
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "report_settings_changed")
    )
    refused = auth.post("/reports/settings", {"settings-threshold": "2"}, token_from="/reports/")
    assert refused.status_code == 422
    db.session.refresh(municipality)
    assert municipality.report_threshold == 10


def test_caseworkers_cannot_change_the_settings(auth, client, make_user, municipality):
    auth.login(make_user(Role.CASEWORKER))
    assert "settings-threshold" not in client.get("/reports/").get_data(as_text=True)
    response = auth.post("/reports/settings", {"settings-threshold": "9"}, token_from="/reports/")
    assert response.status_code in (403, 404)
    db.session.refresh(municipality)
    assert municipality.report_threshold == 5

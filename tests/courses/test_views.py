"""Course pages as providers, caseworkers and administrators use them, and what nobody
else can reach."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from integrapath.cases.models import ConsentMethod, ConsentPurpose, NoteCategory
from integrapath.cases.services import add_note, record_consent
from integrapath.courses import services, spreadsheets
from integrapath.courses.models import (
    Attendance,
    AttendanceStatus,
    Course,
    CourseSession,
    CourseType,
    Enrolment,
    EnrolmentStatus,
)
from integrapath.extensions import db
from integrapath.security import Role


def _todays_session(offering, today) -> CourseSession:
    return db.session.scalar(
        select(CourseSession).where(
            CourseSession.offering_id == offering.id, CourseSession.date == today
        )
    )


@pytest.fixture
def running(provider, make_offering, make_case, enrol, make_user, today):
    """An offering with three participants, one with the sharing consent and a phone."""
    caseworker = make_user(Role.CASEWORKER)
    offering = make_offering(provider)
    cases = [
        make_case(caseworker=caseworker, given_names="Amina", family_name="Haddad",
                  phone="+49 170 5550001", address="Hidden Lane 5", email="amina@example.org",
                  permit_number="PERMIT-77", disability=True),
        make_case(caseworker=caseworker, given_names="Oksana", family_name="Melnyk"),
        make_case(caseworker=caseworker, given_names="Farid", family_name="Rahimi"),
    ]  # fmt: skip
    enrolments = [enrol(offering, case, caseworker) for case in cases]
    record_consent(
        cases[0], ConsentPurpose.PROVIDER_SHARING, today, ConsentMethod.WRITTEN, caseworker
    )
    add_note(cases[0], NoteCategory.HEALTH, "Private note about trauma", caseworker)
    db.session.commit()
    return offering, cases, enrolments, caseworker


def test_provider_opens_todays_session_from_home_and_marks_everyone_present_in_one_tap(
    auth, client, provider, running, today
):
    offering, _cases, enrolments, _ = running
    auth.login(provider)
    home = client.get("/courses/provider").get_data(as_text=True)
    session = _todays_session(offering, today)
    assert f'href="/courses/sessions/{session.id}/attendance"' in home
    page = client.get(f"/courses/sessions/{session.id}/attendance").get_data(as_text=True)
    assert page.count('type="radio"') == 3 * 4
    response = auth.post(f"/courses/sessions/{session.id}/attendance", {"all_present": "1"})
    assert response.status_code == 302
    statuses = db.session.scalars(
        select(Attendance.status).where(Attendance.session_id == session.id)
    ).all()
    assert statuses == [AttendanceStatus.PRESENT] * 3


def test_saving_the_session_again_updates_the_marks_without_duplicates(
    auth, client, provider, running, today
):
    offering, _cases, enrolments, _ = running
    auth.login(provider)
    session = _todays_session(offering, today)
    url = f"/courses/sessions/{session.id}/attendance"
    marks = {f"mark-{e.id}": "present" for e in enrolments}
    auth.post(url, marks)
    auth.post(url, {**marks, f"mark-{enrolments[1].id}": "excused",
                    f"reason-{enrolments[1].id}": "Sick child"})  # fmt: skip
    rows = db.session.execute(
        select(Attendance.enrolment_id, Attendance.status, Attendance.reason)
        .where(Attendance.session_id == session.id)
        .order_by(Attendance.enrolment_id)
        .execution_options(populate_existing=True)
    ).all()
    assert [(r.status, r.reason) for r in rows] == [
        (AttendanceStatus.PRESENT, None),
        (AttendanceStatus.EXCUSED, "Sick child"),
        (AttendanceStatus.PRESENT, None),
    ]
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'id="mark-{enrolments[1].id}-excused"[^>]*checked', page)


def test_providers_see_only_name_reference_language_and_consented_phone(
    auth, client, provider, running, today
):
    offering, cases, _enrolments, _ = running
    auth.login(provider)
    session = _todays_session(offering, today)
    pages = [
        client.get(url).get_data(as_text=True)
        for url in (
            "/courses/provider",
            f"/courses/offerings/{offering.id}",
            f"/courses/sessions/{session.id}/attendance",
            f"/courses/offerings/{offering.id}/register",
            f"/courses/offerings/{offering.id}/register.csv",
        )
    ]
    shown = "\n".join(pages)
    assert "Amina Haddad" in shown and "+49 170 5550001" in shown  # consented
    assert cases[1].reference in shown
    assert "Oksana" not in shown and "Melnyk" not in shown  # no consent: reference only
    for secret in ("Hidden Lane", "amina@example.org", "PERMIT-77", "Disability", "trauma"):
        assert secret not in shown, secret
    assert f"/cases/{cases[0].id}" not in shown


P, C, A = Role.PROVIDER, Role.CASEWORKER, Role.ADMIN


def _course_urls(offering, session, enrolment, upload_id=None, with_roles=False):
    """Every course URL with an id, and the roles whose own objects it serves."""
    urls = [
        ("get", f"/courses/catalogue/{offering.course_id}", {P, A}),
        ("get", f"/courses/catalogue/{offering.course_id}/offerings/new", {P}),
        ("get", f"/courses/offerings/{offering.id}", {P, C}),
        ("get", f"/courses/offerings/{offering.id}/edit", {P}),
        ("get", f"/courses/offerings/{offering.id}/register", {P}),
        ("get", f"/courses/offerings/{offering.id}/register.csv", {P}),
        ("get", f"/courses/sessions/{session.id}/attendance", {P}),
        ("post", f"/courses/sessions/{session.id}/attendance", {P}),
        ("post", f"/courses/offerings/{offering.id}/sessions", {P}),
        ("post", f"/courses/sessions/{session.id}/move", {P}),
        ("post", f"/courses/sessions/{session.id}/cancel", {P}),
        ("post", f"/courses/sessions/{session.id}/upload", {P}),
        ("post", f"/courses/offerings/{offering.id}/enrol", {C}),
        ("post", f"/courses/enrolments/{enrolment.id}/leave", {C}),
        ("post", f"/courses/enrolments/{enrolment.id}/result", {P}),
    ]
    if upload_id:
        urls.append(("get", f"/courses/attendance-uploads/{upload_id}", {P}))
    return urls if with_roles else [(method, url) for method, url, _roles in urls]


def test_the_url_table_covers_every_course_route_with_an_id(app):
    routes = {
        rule.rule for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/courses/") and "<int:" in rule.rule
        and "/cases/" not in rule.rule
    }  # fmt: skip
    covered = {
        re.sub(r"/\d+", "/<id>", path)
        for _m, path in _course_urls(
            type("O", (), {"id": 1, "course_id": 1}), type("S", (), {"id": 1}),
            type("E", (), {"id": 1}), upload_id=1,
        )
    }  # fmt: skip
    assert {re.sub(r"<int:\w+>", "<id>", route) for route in routes} == covered


def _answers(auth, client, method, url):
    if method == "get":
        return client.get(url).status_code
    return auth.post(
        url, {"reason": "x", "reference": "X"}, token_from="/account/password"
    ).status_code


@pytest.mark.parametrize("who", ["other provider", "foreign provider", "foreign caseworker"])
def test_course_pages_answer_404_outside_their_provider_and_municipality(
    app, auth, client, provider, running, make_user, make_municipality, today, who
):
    offering, _cases, enrolments, _ = running
    session = _todays_session(offering, today)
    elsewhere = make_municipality()
    stranger = {
        "other provider": lambda: make_user(Role.PROVIDER),  # same municipality
        "foreign provider": lambda: make_user(Role.PROVIDER, in_municipality=elsewhere),
        "foreign caseworker": lambda: make_user(Role.CASEWORKER, in_municipality=elsewhere),
    }[who]()
    with app.test_request_context():
        table = spreadsheets.read_attendance(b"Reference,Attendance\nX,present\n", "en")
        upload = spreadsheets.store_upload(session, "a.csv", table, provider)
        db.session.commit()
    auth.login(stranger)
    urls = _course_urls(offering, session, enrolments[0], upload.id, with_roles=True)
    for method, url, roles in urls:
        # A page of the stranger's role answers 404: nothing confirms the object exists.
        expected = 404 if stranger.role in roles else 403
        assert _answers(auth, client, method, url) == expected, url
    assert db.session.scalar(select(func.count(Attendance.id))) == 0
    assert db.session.scalar(select(func.count(Enrolment.id))) == 3


@pytest.mark.parametrize("role", [Role.MIGRANT, Role.ADMIN])
def test_newcomers_and_administrators_never_reach_participants(
    auth, client, provider, running, make_user, role, today
):
    offering, _cases, enrolments, _ = running
    session = _todays_session(offering, today)
    auth.login(make_user(role))
    for method, url in _course_urls(offering, session, enrolments[0]):
        if role == Role.ADMIN and url.startswith("/courses/catalogue/"):
            continue  # administrators keep the catalogue
        assert _answers(auth, client, method, url) in (403, 404), url


def test_anonymous_visitors_are_sent_to_sign_in_from_course_pages(client, provider, running, today):
    offering, _cases, enrolments, _ = running
    session = _todays_session(offering, today)
    for method, url in _course_urls(offering, session, enrolments[0]):
        if method == "get":
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_caseworker_enrols_from_the_case_file_and_sees_why_an_offering_fits(
    auth, client, provider, make_offering, make_case, make_user
):
    caseworker = make_user(Role.CASEWORKER)
    offering = make_offering(provider, capacity=1)
    case = make_case(caseworker=caseworker, preferred_language="ar")
    auth.login(caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Courses that fit" in page
    assert "Taught in Arabic, which the person speaks." in page
    response = auth.post(f"/courses/cases/{case.id}/enrol", {"enrol-offering_id": offering.id},
                         token_from=f"/cases/{case.id}")  # fmt: skip
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The person is enrolled." in page
    second = make_case(caseworker=caseworker)
    response = auth.post(
        f"/courses/offerings/{offering.id}/enrol",
        {"reference": second.reference},
        follow_redirects=True,
        token_from=f"/courses/offerings/{offering.id}",
    )
    assert "the person is on the waiting list" in response.get_data(as_text=True)
    statuses = db.session.scalars(
        select(Enrolment.status).where(Enrolment.offering_id == offering.id).order_by(Enrolment.id)
    ).all()
    assert statuses == [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]


def _enrol_list(page: str) -> list[int]:
    select_html = re.search(r'<select[^>]*id="enrol-offering_id".*?</select>', page, re.S).group(0)
    return [int(value) for value in re.findall(r'value="(\d+)"', select_html)]


def test_the_case_file_offers_a_few_runs_the_fitting_ones_first_and_checks_any_other(
    auth,
    client,
    provider,
    make_offering,
    make_course,
    make_case,
    make_user,
    enrol,
    today,
    monkeypatch,
):
    monkeypatch.setattr(services, "ENROL_CHOICES", 3)
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker, preferred_language="ar")
    civics = make_course(provider, CourseType.CIVIC_ORIENTATION, "Civics")
    # Taught in a language the person does not speak: never suggested, offered when soon.
    runs = [
        make_offering(provider, course=civics, start=today + timedelta(days=day),
                      instruction_languages="ti", capacity=1)
        for day in (1, 2, 3, 4, 5)
    ]  # fmt: skip
    enrol(runs[0], make_case(), caseworker)  # full
    enrol(runs[1], case, caseworker)  # the person is on it
    started = make_offering(provider, course=civics, instruction_languages="ti")
    ended = make_offering(provider, course=civics, start=today - timedelta(days=60))
    fitting = make_offering(provider, start=today + timedelta(days=40))  # German, taught in ar
    auth.login(caseworker)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _enrol_list(page) == [runs[2].id, runs[3].id, fitting.id]
    assert "All courses" in page

    # Runs not in the list are checked by the server, not refused for missing from it.
    response = auth.post(f"/courses/cases/{case.id}/enrol", {"enrol-offering_id": ended.id},
                         token_from=f"/cases/{case.id}")  # fmt: skip
    page = response.get_data(as_text=True)
    assert "This course has ended." in page
    assert f'<option selected value="{ended.id}">' in page
    response = auth.post(f"/courses/cases/{case.id}/enrol", {"enrol-offering_id": started.id},
                         follow_redirects=True, token_from=f"/cases/{case.id}")  # fmt: skip
    assert "The person is enrolled." in response.get_data(as_text=True)
    assert auth.post(f"/courses/cases/{case.id}/enrol", {"enrol-offering_id": 10**9},
                     token_from=f"/cases/{case.id}").status_code == 404  # fmt: skip


def test_the_case_file_costs_the_same_with_three_runs_as_with_thirty(
    auth,
    client,
    provider,
    make_offering,
    make_course,
    make_case,
    make_user,
    today,
    count_queries,
):
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker, preferred_language="ar")
    civics = make_course(provider, CourseType.CIVIC_ORIENTATION, "Civics")

    def add_runs(days):
        for day in days:
            make_offering(provider, course=civics, start=today + timedelta(days=day),
                          weekdays=(1,))  # fmt: skip

    add_runs(range(3))  # all three suggested: no other run to offer
    auth.login(caseworker)
    with count_queries() as few:
        few_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    add_runs(range(3, 30))
    with count_queries() as many:
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert len(many) == len(few)
    assert len(_enrol_list(few_page)) == 3
    assert len(_enrol_list(page)) == services.ENROL_CHOICES
    assert page.count("Civics</bdi>") == services.RUNS_SUGGESTED_PER_COURSE


def test_a_freed_place_is_announced_on_the_caseworkers_caseload(
    auth, client, provider, make_offering, make_case, make_user, enrol
):
    caseworker = make_user(Role.CASEWORKER)
    offering = make_offering(provider, capacity=1)
    first, waiting = (
        enrol(offering, make_case(caseworker=caseworker), caseworker) for _ in range(2)
    )
    auth.login(caseworker)
    auth.post(f"/courses/enrolments/{first.id}/leave", {"leave-reason": "Found work"},
              token_from=f"/courses/offerings/{offering.id}")  # fmt: skip
    caseload = client.get("/cases/").get_data(as_text=True)
    assert "1 of your people got a place that became free on a course." in caseload
    history = client.get(f"/cases/{waiting.case_id}").get_data(as_text=True)
    assert "On the waiting list" in history and "A place became free" in history
    alerts = client.get("/courses/alerts").get_data(as_text=True)
    assert "Places that became free" in alerts
    db.session.commit()
    assert "became free" not in client.get("/cases/").get_data(as_text=True)  # seen now


def test_provider_records_a_result_and_the_caseworker_sees_the_level(
    auth, client, provider, running, app
):
    offering, cases, enrolments, caseworker = running
    auth.login(provider)
    response = auth.post(
        f"/courses/enrolments/{enrolments[0].id}/result",
        {"passed": "yes", "level_reached": "a1", "certificate_number": "DTZ-1",
         "certificate_issuer": "telc"},
        token_from=f"/courses/offerings/{offering.id}",
    )  # fmt: skip
    assert response.status_code == 302
    auth.logout()
    auth.login(caseworker)
    page = client.get(f"/cases/{cases[0].id}").get_data(as_text=True)
    assert "Completed" in page and ">A1<" in page


def test_attendance_csv_with_an_error_saves_nothing_and_a_good_one_saves_every_row(
    auth, client, provider, running, today
):
    offering, cases, enrolments, _ = running
    auth.login(provider)
    session = _todays_session(offering, today)

    def upload(text):
        token = auth.token(f"/courses/sessions/{session.id}/attendance")
        return client.post(
            f"/courses/sessions/{session.id}/upload",
            data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "a.csv")},
            content_type="multipart/form-data",
        )

    bad = upload(f"Reference,Attendance\n{cases[0].reference},present\nNOPE-1,asleep\n")
    preview = client.get(bad.headers["Location"]).get_data(as_text=True)
    assert "Nobody with this reference" in preview and "Write present, late" in preview
    assert client.post(bad.headers["Location"], data={"csrf_token": auth.token(
        f"/courses/sessions/{session.id}/attendance")}).status_code == 200  # fmt: skip
    assert db.session.scalar(select(func.count(Attendance.id))) == 0
    # German headings and labels, as a German office's Excel writes them.
    good = upload(
        "Aktenzeichen;Anwesenheit;Grund\n"
        f"{cases[0].reference};anwesend;\n{cases[1].reference};entschuldigt;Arzt\n"
        f"{cases[2].reference};absent;\n"
    )
    location = good.headers["Location"]
    assert "table-danger" not in client.get(location).get_data(as_text=True)
    saved = client.post(location, data={"csrf_token": auth.token(location)})
    assert saved.status_code == 302
    statuses = db.session.scalars(
        select(Attendance.status).where(Attendance.session_id == session.id)
        .order_by(Attendance.enrolment_id)
    ).all()  # fmt: skip
    assert statuses == [AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT]


def test_the_register_csv_is_in_the_providers_language(
    auth, client, make_user, running, today, provider
):
    offering, cases, enrolments, _ = running
    german = make_user(
        Role.PROVIDER, organisation_id=provider.organisation_id, preferred_locale="de"
    )
    auth.login(german)
    session = _todays_session(offering, today)
    auth.post(f"/courses/sessions/{session.id}/attendance", {"all_present": "1"})
    response = client.get(f"/courses/offerings/{offering.id}/register.csv")
    text = response.get_data().decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("Aktenzeichen;Name;")
    assert first.startswith(f"{cases[0].reference};Amina Haddad;") and "Anwesend" in first
    sheet = client.get(f"/courses/offerings/{offering.id}/register").get_data(as_text=True)
    assert "Anwesenheitsliste" in sheet


def test_the_attendance_page_runs_as_many_queries_for_30_participants_as_for_5(
    auth, client, provider, make_offering, make_case, make_user, enrol, count_queries, today
):
    caseworker = make_user(Role.CASEWORKER)
    offering = make_offering(provider, capacity=40)
    for _ in range(5):
        enrol(offering, make_case(caseworker=caseworker), caseworker)
    session = _todays_session(offering, today)
    auth.login(provider)
    url = f"/courses/sessions/{session.id}/attendance"
    db.session.connection()
    counts = []
    for more in (0, 25):
        for _ in range(more):
            enrol(offering, make_case(caseworker=caseworker), caseworker)
        auth.post(url, {"all_present": "1"})
        with count_queries() as page:
            assert client.get(url).status_code == 200
        with count_queries() as offering_page:
            assert client.get(f"/courses/offerings/{offering.id}").status_code == 200
        counts.append((len(page), len(offering_page)))
    assert counts[0] == counts[1]


def test_administrators_keep_the_catalogue_of_every_provider(auth, client, make_user, provider):
    admin = make_user(Role.ADMIN)
    auth.login(admin)
    response = auth.post("/courses/catalogue/new", {
        "organisation_id": provider.organisation_id, "course_type": "civic_orientation",
        "locale": "en", "title": "Living in Lindenau", "hours": "60",
        "target_language": "", "entry_level": "", "target_level": "",
    })  # fmt: skip
    assert response.status_code == 302
    course = db.session.scalar(select(Course))
    assert course.organisation_id == provider.organisation_id
    auth.post(f"/courses/catalogue/{course.id}", {
        "organisation_id": provider.organisation_id, "course_type": "civic_orientation",
        "locale": "de", "title": "Leben in Lindenau", "hours": "60",
        "target_language": "", "entry_level": "", "target_level": "",
    })  # fmt: skip
    auth.logout()
    auth.login(make_user(Role.PROVIDER, organisation_id=provider.organisation_id,
                         preferred_locale="de"))  # fmt: skip
    assert "Leben in Lindenau" in client.get("/courses/catalogue").get_data(as_text=True)
    auth.logout()
    auth.login(make_user(Role.PROVIDER, preferred_locale="fr"))  # another provider
    assert "in Lindenau" not in client.get("/courses/catalogue").get_data(as_text=True)


def test_a_provider_schedules_a_run_whose_sessions_appear(
    auth, client, provider, make_course, today
):
    course = make_course(provider)
    auth.login(provider)
    start = today + timedelta(days=7)
    response = auth.post(f"/courses/catalogue/{course.id}/offerings/new", {
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=13)).isoformat(),
        "weekdays": ["1", "4"], "starts_at": "09:00", "ends_at": "12:30", "place": "Room 2",
        "capacity": "15", "instruction_languages": ["de"], "attendance_threshold": "80",
    })  # fmt: skip
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("Move or cancel") == 4


def test_provider_moves_and_cancels_a_future_session_from_its_page(
    auth, client, provider, make_offering, today
):
    offering = make_offering(provider)
    sessions = {s.date: s for s in db.session.scalars(
        select(CourseSession).where(CourseSession.offering_id == offering.id))}  # fmt: skip
    later, last = sessions[today + timedelta(days=3)], sessions[today + timedelta(days=4)]
    auth.login(provider)
    page = f"/courses/sessions/{later.id}/attendance"
    assert "Move or cancel" in client.get(page).get_data(as_text=True)
    moved = auth.post(f"/courses/sessions/{later.id}/move", {
        "move-date": (today + timedelta(days=30)).isoformat(), "move-starts_at": "14:00",
        "move-ends_at": "13:00"}, token_from=page)  # fmt: skip
    assert "A session must end after it starts." in moved.get_data(as_text=True)
    auth.post(f"/courses/sessions/{later.id}/move", {
        "move-date": (today + timedelta(days=30)).isoformat(), "move-starts_at": "14:00",
        "move-ends_at": "16:00"}, token_from=page)  # fmt: skip
    auth.post(f"/courses/sessions/{last.id}/cancel", {"cancel-reason": "Public holiday"},
              token_from=page)  # fmt: skip
    db.session.expire_all()
    assert later.date == today + timedelta(days=30) and later.starts_at.hour == 14
    assert last.cancelled and last.cancel_reason == "Public holiday"
    assert "Public holiday" in client.get(f"/courses/offerings/{offering.id}").get_data(
        as_text=True
    )


def test_the_case_file_runs_as_many_queries_with_one_course_as_with_five(
    auth, client, provider, make_offering, make_case, make_user, enrol, count_queries
):
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker)
    enrol(make_offering(provider), case, caseworker)
    auth.login(caseworker)
    with count_queries() as one:
        assert client.get(f"/cases/{case.id}").status_code == 200
    for _ in range(4):
        enrol(make_offering(provider), case, caseworker)
    with count_queries() as five:
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count("Changes</summary>") == 5
    assert len(five) == len(one)


def test_the_result_page_shows_the_saved_result_and_keeps_errors_next_to_fields(
    auth, client, provider, running
):
    offering, _cases, enrolments, _ = running
    auth.login(provider)
    url = f"/courses/enrolments/{enrolments[0].id}/result"
    refused = auth.post(url, {"passed": "yes", "certificate_number": "X-1"})
    assert "Give who issued the certificate." in refused.get_data(as_text=True)
    auth.post(url, {"passed": "no", "certificate_number": "", "certificate_issuer": ""})
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<option selected value="no">|<option value="no" selected>', page)

"""What the newcomer reads and does in the portal, and what the caseworker then sees."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from integrapath.audit import AuditEvent
from integrapath.extensions import db
from integrapath.portal.models import NewcomerMessage
from integrapath.security import Role
from tests.conftest import Auth
from tests.portal.conftest import course_run


def test_the_pathway_says_where_i_am_what_is_done_and_what_is_next(portal, full_file):
    page = portal.client.get("/my/").get_data(as_text=True)
    assert "You are in stage 2 of 5: Arrival and orientation." in page
    current = re.search(r'<li class="pathway-step pathway-current" aria-current="step">(.*?)</li>',
                        page, re.S).group(1)  # fmt: skip
    assert "Arrival and orientation" in current and "You are here" in current
    assert "Skipped" in page  # pre-departure, never entered: said in words, not by a colour
    now = page[page.index('id="now-title"') : page.index('id="next-title"')]
    assert "Registered and welcomed" in now and "Done" in now  # ticked by the caseworker
    assert "Needs assessment done" in now and "Not yet" not in now.split("Needs")[0]
    assert "You talked with your caseworker about what you need." in now
    later = page[page.index('id="next-title"') :]
    assert "After this stage comes stage 3: Early integration." in later
    # The host language is the municipality's (English here).
    assert "You know English at level A2 or higher in every skill." in later
    assert "My next class" in page and "German A2 evening" in page


def test_courses_show_next_classes_attendance_results_and_the_waiting_list(portal, full_file):
    page = portal.client.get("/my/courses").get_data(as_text=True)
    upcoming = page[page.index('id="upcoming-title"') : page.index('id="current-title"')]
    assert upcoming.count('class="session ') + upcoming.count('class="session"') == 5
    assert "9:00" in upcoming and "12:30" in upcoming and "German A2 evening room" in upcoming
    assert "Cancelled" in upcoming  # the cancelled class stays listed, in words
    assert "You are number 1 on the waiting list." in page  # the other person has the place
    assert "You came to 1 of 2 classes." in page  # excused counts as not attended
    assert "Excused" in page and "Present" in page
    past = page[page.index('id="past-title"') :]
    assert "German A1 summer" in past and "Passed" in past and "TELC-1" in past
    assert "Digital basics" in past and "Dropped out" in past


def _events(body: bytes) -> list:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_the_calendar_file_parses_and_has_the_classes_at_local_time_in_the_municipality(
    app, newcomer, make_user, municipality, today
):
    """Berlin's 9:00 is 08:00 UTC in winter and 07:00 UTC in summer: a whole year of Tuesdays
    crosses both clock changes."""
    from integrapath.courses import services as courses

    municipality.timezone = "Europe/Berlin"
    db.session.commit()
    with app.test_request_context():
        offering, _provider = course_run(make_user, newcomer.caseworker, title="Deutsch B1",
                                         start=today, days=364, weekdays=(2,))  # fmt: skip
        courses.enrol_case(offering, newcomer.case, newcomer.caseworker)
        db.session.commit()
    client = app.test_client()
    Auth(client).login(newcomer.account)
    response = client.get("/my/courses/calendar.ics")
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    zones = [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/Berlin"]
    events = _events(response.data)
    tuesdays = sum((today + timedelta(days=n)).weekday() == 1 for n in range(365))
    assert len(events) == tuesdays
    berlin = ZoneInfo("Europe/Berlin")
    utc_hours = set()
    for event in events:
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start.weekday() == 1 and start.tzinfo is not None
        assert start.astimezone(berlin).time() == time(9) and end.astimezone(berlin).time() == time(
            12, 30
        )
        utc_hours.add(start.astimezone(UTC).hour)
        assert str(event["summary"]) == "Deutsch B1"
        assert str(event["location"]) == "Deutsch B1 room"
    assert utc_hours == {7, 8}  # summer and winter time, each right
    assert len({str(event["uid"]) for event in events}) == tuesdays  # updates, never doubles


def test_a_cancelled_class_is_cancelled_in_the_calendar(portal, full_file):
    events = _events(portal.client.get("/my/courses/calendar.ics").data)
    cancelled = [e for e in events if str(e.get("status", "")) == "CANCELLED"]
    assert [e.decoded("dtstart").date() for e in cancelled] == [full_file["cancelled"].date]
    assert all(str(e["summary"]) == "German A2 evening" for e in events)  # not the waiting list


def test_detail_changes_are_saved_and_shown_on_the_caseworkers_timeline(app, portal, auth):
    person = portal.newcomer
    response = portal.post(
        "/my/details",
        {"phone": "+۴۹ ۱۷۶ ۱۲۳۴۵۶", "email": "Olena.New@example.org ", "address": "Hauptstr. 5",
         "preferred_language": "uk"},
    )  # fmt: skip
    assert response.headers["Location"] == "/my/details"
    case = person.case
    assert (case.phone, case.email, case.address) == (
        "+49 176 123456", "Olena.New@example.org", "Hauptstr. 5")  # fmt: skip
    assert case.preferred_language == "uk" and person.account.preferred_locale == "uk"
    assert 'lang="uk"' in portal.client.get("/my/details").get_data(as_text=True)
    auth.login(person.caseworker)
    timeline = auth.client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = timeline[timeline.index('id="timeline"') :]
    assert "Contact details changed by the newcomer" in timeline
    assert person.account.full_name in timeline  # who changed it: the newcomer
    assert "+49 176 123456" in timeline and "Hauptstr. 5" in timeline
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "details_changed_in_portal")
    )
    assert event.actor_id == person.account.id and event.object_id == case.id


def test_wrong_details_keep_what_was_typed_and_say_why(portal):
    page = portal.post(
        "/my/details", {"phone": "call me maybe", "email": "not-an-address",
                        "address": "Somewhere 1", "preferred_language": "en"}
    ).get_data(as_text=True)  # fmt: skip
    assert "Use digits, spaces and an optional leading +." in page
    assert "Please check the e-mail address." in page
    assert 'value="call me maybe"' in page and 'value="Somewhere 1"' in page
    assert portal.newcomer.case.address is None


def test_a_message_lands_on_the_caseworkers_day_until_it_is_dealt_with(
    app, portal, make_user, make_municipality
):
    person = portal.newcomer
    response = portal.post(
        "/my/skills/message", {"topic": "language_levels", "text": "My reading is B1 now."}
    )
    assert response.headers["Location"] == "/my/skills#message"
    assert "Waiting for an answer" in portal.client.get("/my/skills").get_data(as_text=True)
    message = db.session.scalar(select(NewcomerMessage))
    caseworker = app.test_client()
    Auth(caseworker).login(person.caseworker)
    day = caseworker.get("/today").get_data(as_text=True)
    listed = day[day.index('id="messages"') :]
    assert "Messages from newcomers" in listed and "My reading is B1 now." in listed
    assert re.search(r'href="#messages">Messages from newcomers <span[^>]*>1</span>', day)
    colleague = app.test_client()
    Auth(colleague).login(make_user(Role.CASEWORKER))  # not their file: not on their day
    assert "My reading is B1 now." not in colleague.get("/today").get_data(as_text=True)
    foreign = app.test_client()
    Auth(foreign).login(make_user(Role.CASEWORKER, in_municipality=make_municipality()))
    assert (
        Auth(foreign).post(f"/today/messages/{message.id}/done", token_from="/today").status_code
        == 404
    )
    assert message.handled_at is None
    Auth(caseworker).post(f"/today/messages/{message.id}/done", token_from="/today")
    assert message.handled_at is not None and message.handled_by_id == person.caseworker.id
    assert "My reading is B1 now." not in caseworker.get("/today").get_data(as_text=True)
    assert "Dealt with" in portal.client.get("/my/skills").get_data(as_text=True)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == person.case.id)
    ).all()
    assert {"newcomer_message_sent", "newcomer_message_handled"} <= set(actions)


def test_an_empty_message_is_refused_next_to_the_field(portal):
    page = portal.post("/my/skills/message", {"topic": "other", "text": "   "}).get_data(
        as_text=True
    )
    assert 'id="text-error"' in page and "Please write what is wrong." in page
    assert db.session.scalar(select(NewcomerMessage)) is None


def test_who_opened_my_file_is_named_by_role_and_organisation_not_by_person(
    app, portal, make_organisation, municipality
):
    person = portal.newcomer
    office = make_organisation(municipality, name="Integrationsbüro Lindenau",
                               kind="municipal_office")  # fmt: skip
    person.caseworker.organisation_id = office.id
    db.session.commit()
    caseworker = app.test_client()
    Auth(caseworker).login(person.caseworker)
    caseworker.get(f"/cases/{person.case.id}")
    page = portal.client.get("/my/data").get_data(as_text=True)
    opened = page[page.index('id="opened-title"') :]
    assert "Caseworker · <bdi>Integrationsbüro Lindenau</bdi>" in opened
    assert person.caseworker.full_name not in opened


def test_downloading_my_data_is_in_the_audit_trail(portal):
    portal.client.get("/my/data/my-data.json")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "personal_data_exported")
    )
    assert event.actor_id == portal.newcomer.account.id and event.changes == {
        "format": [None, "json"]
    }


def _more_of_everything(app, person, make_user, today, number):
    """Another course with its sessions and attendance, and a message: more rows per page."""
    from integrapath.courses import services as courses
    from integrapath.courses.models import AttendanceStatus
    from integrapath.portal.models import MessageTopic
    from integrapath.portal.services import send_message

    with app.test_request_context():
        offering, provider = course_run(make_user, person.caseworker, title=f"Course {number}",
                                        start=today - timedelta(days=10), days=40,
                                        weekdays=(1, 2, 3, 4, 5))  # fmt: skip
        enrolment = courses.enrol_case(offering, person.case, person.caseworker)
        enrolment.enrolled_on = offering.start_date
        for session in courses.sessions_of(offering):
            if session.date < today:
                courses.record_attendance(
                    session, {enrolment.id: courses.Mark(AttendanceStatus.PRESENT)}, provider
                )
        send_message(person.case, MessageTopic.OTHER, f"Message {number}", person.account)
        db.session.commit()


@pytest.mark.parametrize("path", ["/my/", "/my/courses", "/my/skills", "/my/data",
                                  "/my/data/document", "/my/courses/calendar.ics"])  # fmt: skip
def test_portal_pages_keep_their_number_of_queries_as_the_file_grows(
    app, portal, full_file, make_user, today, count_queries, path
):
    def queries() -> int:
        db.session.connection()
        with count_queries() as statements:
            assert portal.client.get(path).status_code == 200
        return len(statements)

    _more_of_everything(app, portal.newcomer, make_user, today, 1)
    small = queries()
    for number in range(2, 5):
        _more_of_everything(app, portal.newcomer, make_user, today, number)
    assert queries() == small


def test_the_letters_expiry_is_in_the_municipalitys_time(app, auth, open_portal, municipality):
    municipality.timezone = "America/New_York"
    db.session.commit()
    person = open_portal(preferred_language="en")
    auth.login(person.caseworker)
    url = f"/cases/{person.case.id}"
    page = auth.post(f"{url}/portal-access/link", token_from=url).get_data(as_text=True)
    expires = person.account.activation_expires_at.astimezone(ZoneInfo("America/New_York"))
    assert expires.strftime("%-I:%M") in page
    assert datetime.now(UTC) + timedelta(hours=71) < person.account.activation_expires_at

"""A newcomer reaches only their own file: every other URL answers 404, and nothing that only
staff may read, nor anything of another person, is on a portal page, in the export or in the
calendar file."""

import json
import re

import pytest

from integrapath.cases.models import SENSITIVE_FLAGS
from integrapath.extensions import db
from integrapath.portal.models import NewcomerMessage
from integrapath.security import Role
from tests.conftest import csrf_token_from
from tests.portal.conftest import STAFF_ONLY

PORTAL_PAGES = [
    "/my/", "/my/plan", "/my/courses", "/my/skills", "/my/details", "/my/data", "/my/data/document",
    "/my/data/my-data.json", "/my/courses/calendar.ics",
]  # fmt: skip
# What a signed-in newcomer may open outside the portal: their password, signing out, the
# language switch; the pages for signing in and activating send them home (or say the link
# is not valid: a 404 too).
OPEN_TO_NEWCOMERS = {
    "auth.index", "auth.login", "auth.logout", "auth.change_password", "auth.switch_language",
    "auth.activate", "auth.enter_code", "auth.activate_with_code",
}  # fmt: skip


def _everything_a_newcomer_downloads(client) -> dict[str, str]:
    return {path: client.get(path).get_data(as_text=True) for path in PORTAL_PAGES}


def _url(rule, ids: dict) -> str:
    def fill(match):
        converter, name = match.group(1), match.group(2)
        if converter == "int":
            return str(ids.get(name, ids["default"]))
        return "abc"

    return re.sub(r"<(?:(\w+):)?(\w+)>", fill, rule.rule)


def test_a_newcomer_gets_404_on_every_url_but_their_portal(app, portal, full_file):
    """Walk the whole URL map with the ids of the other newcomer's records."""
    other = full_file["other"]
    other_message = db.session.scalar(
        db.select(NewcomerMessage.id).where(NewcomerMessage.case_id == other.case.id)
    )
    ids = {"case_id": other.case.id, "message_id": other_message, "user_id": other.account.id,
           "enrolment_id": full_file["enrolment"].id, "version_id": full_file["other_plan"],
           "default": other.case.id}  # fmt: skip
    client = portal.client
    token = csrf_token_from(client.get("/my/details").get_data(as_text=True))
    reached = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint in OPEN_TO_NEWCOMERS:
            continue
        url = _url(rule, ids)
        for method in ("GET", "POST"):
            if method not in rule.methods:
                continue
            response = (
                client.get(url)
                if method == "GET"
                else client.post(url, data={"csrf_token": token, "text": "x", "topic": "other"})
            )
            # A portal URL that names a record names the other newcomer's: 404 as well.
            portal_page = rule.endpoint.startswith("portal.") and not rule.arguments
            if portal_page:
                assert response.status_code in (200, 302), (method, url)
                reached.append(rule.endpoint)
            else:
                assert response.status_code == 404, (method, url, response.status_code)
    assert {"portal.home", "portal.courses", "portal.data_json"} <= set(reached)
    assert db.session.get(NewcomerMessage, other_message).handled_at is None
    # Still signed in, still themself: no URL above signed them out or let them act.
    assert portal.newcomer.case.reference in client.get("/my/").get_data(as_text=True)


def test_no_staff_only_word_and_nothing_of_another_person_in_any_page_or_download(
    portal, full_file
):
    downloads = _everything_a_newcomer_downloads(portal.client)
    other = full_file["other"]
    forbidden = [*STAFF_ONLY.values(), other.case.given_names, other.case.family_name,
                 other.case.reference, other.case.phone, other.case.address,
                 other.account.email, "OTHER-PERSON-MESSAGE", "OTHER-PERSON-GOAL",
                 "teacher ill"]  # fmt: skip
    # The sensitive needs and health statuses by their names, and the health needs of the
    # skills profile.
    forbidden += [str(label) for label in SENSITIVE_FLAGS.values()]
    forbidden += ["Needs support to reach health care", "Psychosocial support"]
    for path, body in downloads.items():
        for word in forbidden:
            assert word not in body, (path, word)
    # The caseworker's name is shown (the newcomer's contact), never other staff names.
    assert portal.newcomer.caseworker.full_name in downloads["/my/"]


def test_the_json_export_holds_every_record_of_the_person(portal, full_file, today):
    data = json.loads(portal.client.get("/my/data/my-data.json").get_data(as_text=True))
    case = portal.newcomer.case
    assert data["person"][0]["reference"] == case.reference
    assert data["person"][0]["given_names"] == case.given_names
    assert data["account"][0]["email"] == portal.newcomer.account.email
    assert [move["to_stage"] for move in data["stages"]] == [
        "arrival", "early_integration", "arrival"]  # fmt: skip
    assert [tick["met_on"] for tick in data["milestones"]] == [today.isoformat()]
    assert [c["purpose"] for c in data["consents"]] == ["provider_sharing"]
    assert data["family"] == [{"name": "Mila", "birth_year": today.year - 5, "relation": "child"}]
    assert [h["situation"] for h in data["housing"]] == ["shared_flat"]
    assert [s["status"] for s in data["statuses"]] == ["health_insurance"]  # not the sensitive
    assert [c["education"] for c in data["child_education"]] == ["early_childhood"]
    assert {a["skill"] for a in data["language_levels"]} == {
        "listening", "reading", "spoken_interaction", "spoken_production", "writing"}  # fmt: skip
    assert data["qualifications"][0]["recognition_state"] == "partially_recognised"
    assert data["qualifications"][0]["decision_reference"] == "LA-77"
    assert len(data["recognition_steps"]) == 3
    assert data["compensation_measures"][0]["kind"] == "adaptation_period"
    assert data["skills_profile"][0]["needs"] == ["Childcare"]
    assert data["education"][0]["isced_level"] == "6"
    assert data["work"][0]["occupation"] == "2221"
    assert data["employment"][0]["status"] == "unemployed"
    statuses = {e["course"]: e["status"] for e in data["enrolments"]}
    assert statuses == {
        "German A2 evening": "enrolled", "Civic orientation": "waitlisted",
        "German A1 summer": "completed", "Digital basics": "dropped_out",
    }  # fmt: skip
    assert {a["attendance"] for a in data["attendance"]} == {"excused", "present"}
    assert [m["text"] for m in data["messages"]] == ["My diploma is from 2016."]
    assert [(p["goal"], p["action"]) for p in data["plan"]] == [
        ("Work as a nurse", "Send the diploma")
    ]
    assert "not_included" in data


def test_the_readable_document_holds_the_same_records(portal, full_file):
    page = portal.client.get("/my/data/document").get_data(as_text=True)
    for text in ("Bachelor of Nursing", "LA-77", "Mila", "German A1 summer", "TELC-1",
                 "My diploma is from 2016.", "Shared flat", "Adaptation period",
                 "Send the diploma"):  # fmt: skip
        assert text in page, text


def test_a_newcomer_without_a_file_sees_that_it_is_not_open_yet(auth, client, make_user):
    auth.login(make_user(Role.MIGRANT))
    assert "has not opened your case file yet" in client.get("/my/").get_data(as_text=True)
    for path in PORTAL_PAGES[1:]:
        assert client.get(path).headers["Location"] == "/my/"


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.ADMIN, Role.CASEWORKER])
def test_staff_do_not_reach_the_portal(auth, client, make_user, role):
    auth.login(make_user(role))
    for path in PORTAL_PAGES:
        assert client.get(path).status_code == 403

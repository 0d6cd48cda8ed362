"""The newcomer's plan in the portal: the version agreed last (never the working copy), their
own actions first, the confirmation with its time on the municipality's clock, asked again for
a newer version, only by the newcomer themself; and the plan in the data export."""

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time
from sqlalchemy import select

from integrapath.audit import AuditEvent
from integrapath.extensions import db
from integrapath.pathway import services as pathway
from integrapath.pathway.models import ActionStatus, PlanVersion, Responsibility
from integrapath.pathway.services import ActionData
from integrapath.security import Role
from tests.conftest import PASSWORD, Auth, csrf_token_from

CONFIRM = "I have read my plan and I agree"


def _action(case, goal, text, worker, due_on, who=Responsibility.MIGRANT):
    return pathway.add_action(case, goal, ActionData(text, who, due_on), worker)


def _agreed_plan(app, person, today) -> PlanVersion:
    """Goal with the office's action set first and the newcomer's own (one overdue) after."""
    case, worker = person.case, person.caseworker
    with app.test_request_context():
        goal = pathway.add_goal(case, "Work as a nurse", worker)
        _action(case, goal, "Book the B1 exam for you", worker, today + timedelta(days=5),
                Responsibility.MUNICIPALITY)  # fmt: skip
        _action(case, goal, "Send your diploma", worker, today - timedelta(days=2))
        _action(case, goal, "Go to the job fair", worker, today + timedelta(days=9))
        version = pathway.agree_plan(case, today, worker)
        db.session.commit()
    return version


def _page(portal) -> str:
    return portal.client.get("/my/plan").get_data(as_text=True)


def _confirm(portal, version_id: int):
    return portal.post(f"/my/plan/{version_id}/acknowledge", token_from="/my/plan")


def test_the_page_shows_only_the_agreed_version_until_a_change_is_agreed(app, portal, today):
    person = portal.newcomer
    assert "You do not have an agreed plan yet" in _page(portal)
    with app.test_request_context():
        goal = pathway.add_goal(person.case, "Learn German", person.caseworker)
        db.session.commit()
    assert "Learn German" not in _page(portal)  # a working copy, not agreed
    with app.test_request_context():
        pathway.agree_plan(person.case, today, person.caseworker)
        pathway.change_goal(person.case, goal, "UNAGREED-change-of-the-goal", person.caseworker)
        _action(person.case, goal, "UNAGREED-new-action", person.caseworker, today)
        db.session.commit()
    page = _page(portal)
    assert "Learn German" in page
    assert "UNAGREED" not in page
    with app.test_request_context():
        pathway.agree_plan(person.case, today, person.caseworker)
        db.session.commit()
    page = _page(portal)
    assert "UNAGREED-change-of-the-goal" in page and "UNAGREED-new-action" in page


def test_own_actions_come_first_and_late_is_said_in_words(app, portal, today):
    _agreed_plan(app, portal.newcomer, today)
    page = _page(portal)
    mine, theirs = page.index("What you do"), page.index("What the office and others do for you")
    assert mine < page.index("Send your diploma") < page.index("Go to the job fair") < theirs
    assert page.index("Book the B1 exam for you") > theirs
    assert "Who: Your integration office" in page[theirs:]
    late = page[page.index("Send your diploma") : page.index("Go to the job fair")]
    assert "Late: this date has passed." in late
    assert "Late" not in page[page.index("Go to the job fair") : theirs]


def test_progress_ticked_off_shows_at_once_but_a_cancellation_waits_for_the_agreement(
    app, portal, today
):
    person = portal.newcomer
    _agreed_plan(app, person, today)
    actions = {a.text: a for g in pathway.plan_state(person.case).goals for a in g.actions}
    with app.test_request_context():
        pathway.set_action_status(person.case, _row(actions["Send your diploma"]),
                                  ActionStatus.DONE, person.caseworker)  # fmt: skip
        pathway.set_action_status(person.case, _row(actions["Go to the job fair"]),
                                  ActionStatus.CANCELLED, person.caseworker)  # fmt: skip
        db.session.commit()
    page = _page(portal)
    done = page[page.index("Send your diploma") : page.index("Go to the job fair")]
    assert "Done" in done and "Late" not in done
    assert "Go to the job fair" in page  # cancelled in the working copy, not yet agreed


def _row(planned):
    from integrapath.pathway.models import PlanAction

    return db.session.get(PlanAction, planned.id)


def test_the_confirmation_is_recorded_with_its_time_and_audited(app, portal, municipality, today):
    version = _agreed_plan(app, portal.newcomer, today)
    assert CONFIRM in _page(portal)
    before = datetime.now(UTC).replace(microsecond=0)
    assert _confirm(portal, version.id).status_code == 302
    db.session.refresh(version)
    assert version.acknowledged_by_id == portal.newcomer.account.id
    assert before <= version.acknowledged_at <= datetime.now(UTC)
    # Shown on the municipality's clock, not the server's (UTC).
    local = version.acknowledged_at.astimezone(ZoneInfo(municipality.timezone))
    shown = f"You confirmed on {format_date(local, 'long', locale='en')} at " + format_time(
        local, "short", locale="en"
    )
    page = _page(portal)
    assert shown in page
    assert CONFIRM not in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "plan_acknowledged"))
    case = portal.newcomer.case
    assert (event.actor_id, event.object_id) == (portal.newcomer.account.id, case.id)
    worker = app.test_client()
    Auth(worker).login(portal.newcomer.caseworker)
    timeline = worker.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = timeline[timeline.index('id="timeline"') :]
    assert "Integration plan acknowledged by the newcomer" in timeline


def test_a_newer_version_asks_again_and_an_older_one_cannot_be_confirmed(app, portal, today):
    person = portal.newcomer
    first = _agreed_plan(app, person, today)
    _confirm(portal, first.id)
    assert "You confirmed on" in _page(portal)
    with app.test_request_context():
        goal = pathway.add_goal(person.case, "Find a flat", person.caseworker)
        db.session.commit()
        assert "You confirmed on" in _page(portal)  # the change is not agreed yet
        _action(person.case, goal, "Register with the housing office", person.caseworker, today)
        second = pathway.agree_plan(person.case, today, person.caseworker)
        db.session.commit()
    page = _page(portal)
    assert CONFIRM in page and "You confirmed on" not in page and "Find a flat" in page
    stale = _confirm(portal, first.id)  # a page left open before the new version
    assert stale.status_code == 200
    assert "A newer version of this plan has been agreed" in stale.get_data(as_text=True)
    _confirm(portal, second.id)
    db.session.refresh(second)
    assert second.acknowledged_at is not None


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.ADMIN, Role.PROVIDER, Role.MIGRANT])
def test_anyone_but_the_newcomer_gets_404_on_the_confirmation(
    app, portal, open_portal, make_user, today, role
):
    version = _agreed_plan(app, portal.newcomer, today)
    if role == Role.MIGRANT:  # another newcomer of the same caseworker, signed in
        other = open_portal(caseworker=portal.newcomer.caseworker, preferred_language="en")
        with app.app_context():
            other.account.set_password(PASSWORD)
            other.account.activation_token_hash = other.account.activation_code_hash = None
            db.session.commit()
        user = other.account
    else:
        user = make_user(role)
    client = app.test_client()
    Auth(client).login(user)
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    response = client.post(f"/my/plan/{version.id}/acknowledge", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.refresh(version)
    assert version.acknowledged_at is None


def test_the_confirmation_refuses_a_post_without_its_csrf_token(app, portal, today):
    version = _agreed_plan(app, portal.newcomer, today)
    response = portal.client.post(f"/my/plan/{version.id}/acknowledge", data={})
    assert response.status_code == 400
    db.session.refresh(version)
    assert version.acknowledged_at is None


def test_the_plan_page_runs_as_many_queries_for_a_big_plan_as_for_a_small_one(
    app, portal, count_queries, today
):
    person = portal.newcomer

    def queries() -> int:
        db.session.connection()
        with count_queries() as statements:
            assert portal.client.get("/my/plan").status_code == 200
        return len(statements)

    version = _agreed_plan(app, person, today)
    _confirm(portal, version.id)
    few = queries()
    with app.test_request_context():
        for number in range(6):
            goal = pathway.add_goal(person.case, f"Goal {number}", person.caseworker)
            for day in range(4):
                who = list(Responsibility)[day]
                _action(person.case, goal, f"Action {day}", person.caseworker,
                        today + timedelta(days=day - 2), who)  # fmt: skip
        pathway.agree_plan(person.case, today, person.caseworker)
        db.session.commit()
    _confirm(portal, pathway.plan_state(person.case).latest.id)
    assert queries() == few


def test_the_export_holds_every_agreed_version_as_agreed_and_the_confirmation(app, portal, today):
    person = portal.newcomer
    first = _agreed_plan(app, person, today)
    _confirm(portal, first.id)
    with app.test_request_context():
        goal = pathway.add_goal(person.case, "Find a flat", person.caseworker)
        _action(person.case, goal, "Register with the housing office", person.caseworker, today)
        pathway.agree_plan(person.case, today, person.caseworker)
        db.session.commit()
    data = json.loads(portal.client.get("/my/data/my-data.json").get_data(as_text=True))
    rows = data["plan"]
    assert {row["version"] for row in rows} == {1, 2}
    diploma = next(r for r in rows if r["version"] == 1 and r["action"] == "Send your diploma")
    assert diploma["done_by"] == "migrant" and diploma["status"] == "planned"
    assert diploma["confirmed_at"] == first.acknowledged_at.isoformat()
    assert all(r["confirmed_at"] is None for r in rows if r["version"] == 2)
    assert not any(r["goal"] == "Find a flat" for r in rows if r["version"] == 1)
    document = portal.client.get("/my/data/document").get_data(as_text=True)
    assert "My integration plan" in document and "Register with the housing office" in document
    assert re.search(r"Status when agreed", document)

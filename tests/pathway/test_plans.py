"""The integration plan: goals and actions, agreed versions kept as agreed, the newcomer's
acknowledgement, overdue actions by the municipality's calendar, and who may see what."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from integrapath.audit import AuditEvent
from integrapath.cases.models import Case, ClosingReason, Stage
from integrapath.cases.services import close_case
from integrapath.extensions import db
from integrapath.pathway import services
from integrapath.pathway.models import (
    ActionStatus,
    MilestoneRule,
    PlanAction,
    PlanGoal,
    PlanVersion,
    Responsibility,
)
from integrapath.pathway.services import ActionData, PlanError
from integrapath.security import Role
from tests.conftest import csrf_token_from
from tests.courses.seeds import running_course
from tests.pathway.plans import seeded_plan

MIGRANT, MUNICIPALITY = Responsibility.MIGRANT, Responsibility.MUNICIPALITY


def _action(case, goal, text, actor, due_on, responsible=MIGRANT, **links):
    return services.add_action(case, goal, ActionData(text, responsible, due_on, **links), actor)


def _as_agreed(goals) -> list:
    """The plan as a reader sees it: goal texts with (action, who, due, status)."""
    return [
        (goal.text, goal.cancelled,
         [(a.text, a.responsible, a.due_on, a.status) for a in goal.actions])
        for goal in goals
    ]  # fmt: skip


# -- versions -----------------------------------------------------------------------------------


def test_an_agreed_version_reads_exactly_as_agreed_after_the_plan_changes(
    app_ctx, make_case, make_user, today
):
    worker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=worker)
    goal = services.add_goal(case, "Work as a nurse", worker)
    apply = _action(case, goal, "Apply for recognition", worker, today + timedelta(days=10))
    exam = _action(case, goal, "Book the B1 exam", worker, today + timedelta(days=40), MUNICIPALITY)
    first = services.agree_plan(case, today, worker)
    agreed = _as_agreed(services.version_goals(first))
    assert agreed == [("Work as a nurse", False, [
        ("Apply for recognition", MIGRANT, today + timedelta(days=10), ActionStatus.PLANNED),
        ("Book the B1 exam", MUNICIPALITY, today + timedelta(days=40), ActionStatus.PLANNED),
    ])]  # fmt: skip
    # Weeks later: one action done, one moved, one goal added and reworded, one action dropped.
    services.set_action_status(case, apply, ActionStatus.DONE, worker)
    services.change_action(
        case, exam, ActionData("Book the B1 exam", MIGRANT, today + timedelta(days=60)), worker
    )
    flat = services.add_goal(case, "Find a flat", worker)
    services.change_goal(case, flat, "Find a flat of their own", worker)
    services.set_action_status(case, exam, ActionStatus.CANCELLED, worker)
    second = services.agree_plan(case, today, worker)
    db.session.commit()
    db.session.expire_all()
    assert _as_agreed(services.version_goals(db.session.get(PlanVersion, first.id))) == agreed
    assert _as_agreed(services.version_goals(second)) == [
        ("Work as a nurse", False, [
            ("Apply for recognition", MIGRANT, today + timedelta(days=10), ActionStatus.DONE),
            ("Book the B1 exam", MIGRANT, today + timedelta(days=60), ActionStatus.CANCELLED),
        ]),
        ("Find a flat of their own", False, []),
    ]  # fmt: skip
    assert [v.number for v in services.plan_state(case).versions] == [2, 1]


def test_ticking_off_progress_makes_no_new_version_but_changing_the_agreement_does(
    app_ctx, make_case, make_user, today
):
    worker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=worker)
    goal = services.add_goal(case, "Learn German", worker)
    action = _action(case, goal, "Attend the A2 course", worker, today + timedelta(days=5))
    services.agree_plan(case, today, worker)
    for status in (ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.IN_PROGRESS):
        services.set_action_status(case, action, status, worker)
        assert not services.plan_state(case).unagreed
    with pytest.raises(PlanError, match="Nothing changed since version 1"):
        services.agree_plan(case, today, worker)
    services.set_action_status(case, action, ActionStatus.CANCELLED, worker)
    assert services.plan_state(case).unagreed  # dropping an action changes the agreement
    statuses = db.session.scalars(
        select(AuditEvent.changes).where(AuditEvent.action == "plan_action_status_changed")
    ).all()
    assert [change["action_status"] for change in statuses] == [
        ["planned", "in_progress"], ["in_progress", "done"], ["done", "in_progress"],
        ["in_progress", "cancelled"],
    ]  # fmt: skip


def test_cancelling_a_goal_cancels_its_open_actions_and_keeps_the_done_ones(
    app_ctx, make_case, make_user, today
):
    worker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=worker)
    goal = services.add_goal(case, "Get a driving licence", worker)
    done = _action(case, goal, "Theory lessons", worker, today)
    open_one = _action(case, goal, "Driving test", worker, today + timedelta(days=9))
    services.set_action_status(case, done, ActionStatus.DONE, worker)
    services.cancel_goal(case, goal, worker)
    db.session.expire_all()
    assert db.session.get(PlanAction, done.id).status == ActionStatus.DONE
    assert db.session.get(PlanAction, open_one.id).status == ActionStatus.CANCELLED
    with pytest.raises(PlanError):
        _action(case, db.session.get(PlanGoal, goal.id), "More lessons", worker, today)
    with pytest.raises(PlanError):
        services.cancel_goal(case, db.session.get(PlanGoal, goal.id), worker)
    with pytest.raises(PlanError):  # nothing under a dropped goal comes back to life
        services.set_action_status(case, open_one, ActionStatus.PLANNED, worker)
    with pytest.raises(PlanError, match="Add a goal"):
        services.agree_plan(case, today, worker)  # nothing left to agree on


def test_an_agreement_needs_a_goal_a_date_not_in_the_future_nor_before_the_last_one(
    app_ctx, make_case, make_user, today
):
    worker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=worker)
    with pytest.raises(PlanError):
        services.agree_plan(case, today, worker)  # no plan at all
    goal = services.add_goal(case, "Work", worker)
    with pytest.raises(PlanError) as refused:
        services.agree_plan(case, today + timedelta(days=1), worker)
    assert refused.value.field == "agreed_on"
    services.agree_plan(case, today - timedelta(days=5), worker)
    services.change_goal(case, goal, "Work as an electrician", worker)
    with pytest.raises(PlanError) as refused:
        services.agree_plan(case, today - timedelta(days=6), worker)
    assert refused.value.field == "agreed_on"
    close_case(case, ClosingReason.MOVED_AWAY, today, worker)
    with pytest.raises(PlanError):
        services.agree_plan(case, today, worker)
    with pytest.raises(PlanError):
        services.add_goal(case, "Another", worker)
    assert db.session.scalar(select(func.count(PlanVersion.id))) == 1


def test_actions_link_only_to_course_runs_and_milestones_of_the_municipality(
    app_ctx, make_case, make_user, make_municipality, today
):
    course = running_course(make_user, make_case)
    elsewhere = make_municipality()
    foreign_course = running_course(
        lambda role, **kw: make_user(role, in_municipality=elsewhere, **kw),
        lambda **kw: make_case(in_municipality=elsewhere, **kw),
    )
    foreign_milestone = services.add_milestone(
        elsewhere, Stage.ARRIVAL, MilestoneRule.TICKED, {"en": "Theirs"}, True, None
    )
    db.session.commit()
    worker = course.caseworker
    case = make_case(caseworker=worker)
    goal = services.add_goal(case, "Learn German", worker)
    with pytest.raises(PlanError) as refused:
        _action(case, goal, "Course", worker, today, offering_id=foreign_course.offering.id)
    assert refused.value.field == "offering_id"
    with pytest.raises(PlanError) as refused:
        _action(case, goal, "Milestone", worker, today, milestone_id=foreign_milestone.id)
    assert refused.value.field == "milestone_id"
    action = _action(case, goal, "Course", worker, today, offering_id=course.offering.id)
    assert action.offering_id == course.offering.id
    links = services.links_of(services.plan_state(case).goals)
    assert links.course_title(action.offering_id, "en") == "German A2"


# -- the newcomer's acknowledgement ---------------------------------------------------------


def _newcomer_of(case, make_user):
    newcomer = make_user(Role.MIGRANT)
    case.account_id = newcomer.id
    db.session.commit()
    return newcomer


def test_only_the_newcomer_whose_plan_it_is_acknowledges_it_once_with_the_time(
    app_ctx, make_case, make_user, today
):
    worker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=worker)
    newcomer = _newcomer_of(case, make_user)
    someone_else = _newcomer_of(make_case(), make_user)
    services.add_goal(case, "Work", worker)
    version = services.agree_plan(case, today, worker)
    db.session.commit()
    for stranger in (worker, someone_else, make_user(Role.ADMIN), make_user(Role.PROVIDER)):
        with pytest.raises(PlanError, match="Only the newcomer"):
            services.acknowledge_plan(version, stranger)
    assert version.acknowledged_at is None
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        services.acknowledge_plan(version, newcomer)
    assert (version.acknowledged_at, version.acknowledged_by_id) == (moment, newcomer.id)
    with pytest.raises(PlanError, match="acknowledged already"):
        services.acknowledge_plan(version, newcomer)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "plan_acknowledged"))
    assert (event.actor_id, event.object_id, event.changes) == (
        newcomer.id, case.id, {"plan_version": [None, 1]}
    )  # fmt: skip


def test_an_older_version_or_a_deactivated_account_cannot_acknowledge(
    app_ctx, make_case, make_user, today
):
    worker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=worker)
    newcomer = _newcomer_of(case, make_user)
    goal = services.add_goal(case, "Work", worker)
    first = services.agree_plan(case, today, worker)
    services.change_goal(case, goal, "Work as a cook", worker)
    second = services.agree_plan(case, today, worker)
    with pytest.raises(PlanError, match="newer version"):
        services.acknowledge_plan(first, newcomer)
    newcomer.active = False
    with pytest.raises(PlanError, match="Only the newcomer"):
        services.acknowledge_plan(second, newcomer)
    assert second.acknowledged_at is None


# -- the milestone ------------------------------------------------------------------------------


def test_the_plan_agreed_milestone_flips_when_the_plan_is_agreed(
    app_ctx, make_case, make_user, municipality, today
):
    services.add_milestone(
        municipality, Stage.ARRIVAL, MilestoneRule.PLAN_AGREED, {"en": "Plan"}, True, None
    )
    db.session.commit()
    worker = make_user(Role.CASEWORKER)
    case, other = make_case(caseworker=worker), make_case(caseworker=worker)
    services.add_goal(other, "A draft that nobody agreed", worker)

    def met():
        return {item.milestone.names["en"]: item.met for item in services.checklist_of(case)}

    def ready() -> set[int]:
        condition = services.ready_condition(municipality)
        return set(db.session.scalars(select(Case.id).where(condition)))

    goal = services.add_goal(case, "Work", worker)
    assert met() == {"Plan": False} and ready() == set()
    services.agree_plan(case, today, worker)
    assert met() == {"Plan": True} and ready() == {case.id}
    services.change_goal(case, goal, "Work as a baker", worker)
    assert met() == {"Plan": True}  # a version was agreed: changes since do not undo that


def test_new_municipalities_need_the_plan_agreed_to_leave_arrival(app_ctx, municipality):
    services.add_default_milestones(municipality)
    plan = [m for m in services.milestones_of(municipality.id) if m.rule.value == "plan_agreed"]
    assert [(m.stage, m.required, m.names["en"]) for m in plan] == [
        (Stage.ARRIVAL, True, "Integration plan agreed")
    ]
    assert plan[0].names["de"] != plan[0].names["en"]


# -- overdue actions ----------------------------------------------------------------------------


def test_overdue_follows_the_municipalitys_midnight_not_the_servers(
    auth, caseworker, client, make_case, municipality
):
    municipality.timezone = "Pacific/Auckland"  # 13 hours ahead of UTC in December
    db.session.commit()
    # 10:59 UTC on 1 December is 23:59 on 1 December in Auckland; a minute later, 2 December.
    before = datetime(2026, 12, 1, 10, 59, tzinfo=UTC)
    after = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    with time_machine.travel(before, tick=False):
        # Signed in at that moment: a session cookie signed later is refused as from the future.
        auth.login(caseworker)
        case = make_case(caseworker=caseworker, family_name="Aroha")
        goal = services.add_goal(case, "Work", caseworker)
        _action(case, goal, "Due today in Auckland", caseworker, date(2026, 12, 1))
        db.session.commit()
        assert services.overdue_actions(caseworker, municipality.today()).total == 0
        day = client.get("/today").get_data(as_text=True)
        assert "No plan action is overdue." in day
        assert "Overdue</span>" not in client.get(f"/cases/{case.id}/plan").get_data(as_text=True)
    with time_machine.travel(after, tick=False):
        assert services.overdue_actions(caseworker, municipality.today()).total == 1
        day = client.get("/today").get_data(as_text=True)
        assert "Due today in Auckland" in day[day.index('id="overdue"') :]
        assert "Overdue</span>" in client.get(f"/cases/{case.id}/plan").get_data(as_text=True)
        assert "Overdue</span>" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_my_day_lists_open_overdue_actions_of_my_open_cases_most_overdue_first(
    auth, caseworker, client, make_case, today
):
    def plan_with(case, *actions):
        goal = services.add_goal(case, "Goal", caseworker)
        for text, days, status in actions:
            action = _action(case, goal, text, caseworker, today + timedelta(days=days))
            services.set_action_status(case, action, status, caseworker)

    planned, progress, done = ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.DONE
    mine = make_case(caseworker=caseworker)
    plan_with(mine, ("Three days late", -3, planned), ("Ten days late", -10, progress),
              ("Late but done", -20, done), ("Due today", 0, planned))  # fmt: skip
    closed = make_case(caseworker=caseworker)
    plan_with(closed, ("Late on a closed file", -5, planned))
    close_case(closed, ClosingReason.MOVED_AWAY, today, caseworker)
    plan_with(make_case(), ("Late on a colleague's file", -5, planned))
    db.session.commit()
    day = client.get("/today").get_data(as_text=True)
    overdue = day[day.index('id="overdue"') : day.index('id="behind"')]
    found = re.findall(r"(Ten days late|Three days late|Late[^<]*|Due today)", overdue)
    assert found == ["Ten days late", "Three days late"]
    assert '<span class="badge text-bg-secondary">2</span>' in overdue
    assert f'href="/cases/{mine.id}#plan"' in overdue


# -- the pages ----------------------------------------------------------------------------------


def _plan_urls(app, case_id: int) -> list[tuple[str, str]]:
    """Every URL of the plan's pages, walked from the URL map, ids filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/cases/<int:case_id>/plan"):
            continue
        path = rule.rule.replace("<int:case_id>", str(case_id))
        path = re.sub(r"<int:\w+>", "1", path)
        urls += [(method, path) for method in ("GET", "POST") if method in rule.methods]
    return urls


def test_the_walk_covers_every_plan_url(app):
    assert len(_plan_urls(app, 1)) == 14


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.MIGRANT, Role.ADMIN, "other municipality"])
def test_everyone_but_the_municipalitys_caseworkers_gets_404_on_every_plan_url(
    app, auth, client, make_user, make_case, make_municipality, role
):
    worker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=worker)
    seeded_plan(case, worker)
    if role == "other municipality":
        user = make_user(Role.CASEWORKER, in_municipality=make_municipality())
    else:
        user = make_user(role)
        if role == Role.MIGRANT:  # their own file: they read the plan in the portal
            case.account_id = user.id
            db.session.commit()
    auth.login(user)
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    form = {"csrf_token": token, "goal-text": "x", "text": "x", "responsible": "migrant",
            "due_on": "2026-01-01", "status-status": "done",
            "agree-agreed_on": "2026-01-01"}  # fmt: skip
    for method, url in _plan_urls(app, case.id):
        response = client.get(url) if method == "GET" else client.post(url, data=form)
        assert response.status_code == 404, (method, url)
    assert db.session.scalar(select(func.count(PlanGoal.id))) == 2
    assert db.session.scalar(select(func.count(PlanVersion.id))) == 1


def test_anonymous_visitors_are_sent_to_sign_in(app, client, make_case):
    for method, url in _plan_urls(app, make_case().id):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code in ((302,) if method == "GET" else (302, 400)), url


def test_a_closed_file_shows_its_plan_but_offers_no_change(
    auth, caseworker, client, make_case, today
):
    case = make_case(caseworker=caseworker)
    ids = seeded_plan(case, caseworker)
    close_case(case, ClosingReason.MOVED_AWAY, today, caseworker)
    db.session.commit()
    page = client.get(f"/cases/{case.id}/plan").get_data(as_text=True)
    assert "Book the B1 exam" in page and "Save the status" not in page and "Add a goal" not in page
    response = auth.post(
        f"/cases/{case.id}/plan/actions/{ids['action']}/status",
        {"status-status": "done"},
        token_from=f"/cases/{case.id}/plan",
    )
    assert response.status_code == 404


def test_plan_forms_refuse_a_post_without_its_csrf_token(caseworker, client, make_case):
    case = make_case(caseworker=caseworker)
    response = client.post(f"/cases/{case.id}/plan/goals", data={"goal-text": "Work"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(PlanGoal.id))) == 0


def test_a_caseworker_writes_a_plan_agrees_it_and_reads_the_old_version(
    auth, caseworker, client, make_case, today
):
    case = make_case(caseworker=caseworker)
    plan_url = f"/cases/{case.id}/plan"
    assert "No integration plan yet." in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert auth.post(f"{plan_url}/goals", {"goal-text": "Work as a nurse"}).status_code == 302
    goal = services.plan_state(case).goals[0]
    new_action = f"{plan_url}/goals/{goal.id}/actions/new"
    response = auth.post(
        new_action,
        {
            "text": "Apply for recognition",
            "responsible": "migrant",
            "due_on": (today + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 302
    action = services.plan_state(case).goals[0].actions[0]
    assert auth.post(f"{plan_url}/agree", {"agree-agreed_on": today.isoformat()},
                     token_from=plan_url).status_code == 302  # fmt: skip
    page = client.get(plan_url).get_data(as_text=True)
    assert "Version 1, agreed on" in page and "Not acknowledged by the newcomer yet" in page
    # Progress: no new version. A new due date: the changes wait for version 2.
    auth.post(f"{plan_url}/actions/{action.id}/status", {"status-status": "in_progress"},
              token_from=plan_url)  # fmt: skip
    assert "Record the agreement" not in client.get(plan_url).get_data(as_text=True)
    auth.post(f"{plan_url}/actions/{action.id}",
              {"text": "Apply for recognition at the chamber", "responsible": "municipality",
               "due_on": (today + timedelta(days=14)).isoformat()})  # fmt: skip
    page = client.get(plan_url).get_data(as_text=True)
    assert "Changed since then" in page and "Record the agreement" in page
    old = client.get(f"{plan_url}/versions/1").get_data(as_text=True)
    assert "Apply for recognition</p>" in old and "at the chamber" not in old
    assert "Planned" in old and "In progress" not in old  # the status it had on that day
    assert client.get(f"{plan_url}/versions/2").status_code == 404
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = timeline[timeline.index('id="timeline"') :]
    for label in ("Goal added to the integration plan", "Action added to the integration plan",
                  "Integration plan agreed", "Progress of a plan action recorded",
                  "Action of the integration plan changed", "Planned → In progress",
                  "The newcomer → The municipality"):  # fmt: skip
        assert label in timeline, label


def test_a_form_with_errors_keeps_what_was_typed_beside_the_messages(
    auth, caseworker, client, make_case, today
):
    case = make_case(caseworker=caseworker)
    plan_url = f"/cases/{case.id}/plan"
    page = auth.post(f"{plan_url}/goals", {"goal-text": "x" * 501}).get_data(as_text=True)
    assert 'id="goal-text-error"' in page and "x" * 501 in page
    goal = services.add_goal(case, "Work", caseworker)
    db.session.commit()
    new_action = f"{plan_url}/goals/{goal.id}/actions/new"
    response = auth.post(new_action, {"text": "Visit the job centre", "responsible": "partner",
                                      "due_on": "not a date", "offering_id": "abc"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="due_on-error"' in page and 'id="offering_id-error"' in page
    assert "Visit the job centre</textarea>" in page
    assert '<option selected value="partner">' in page
    page = auth.post(f"{plan_url}/agree", {"agree-agreed_on": "2999-01-01"},
                     token_from=plan_url).get_data(as_text=True)  # fmt: skip
    assert 'id="agree-agreed_on-error"' in page and 'value="2999-01-01"' in page
    assert "This date cannot be in the future." in page
    action = _action(case, goal, "Call", caseworker, today)
    db.session.commit()
    page = auth.post(f"{plan_url}/actions/{action.id}/status", {"status-status": "lost"},
                     token_from=plan_url).get_data(as_text=True)  # fmt: skip
    assert f'id="status-{action.id}-error"' in page
    assert db.session.scalar(select(func.count(PlanVersion.id))) == 0


def test_the_printed_plan_puts_both_languages_side_by_side_each_in_its_direction(
    auth, client, make_user, make_case, municipality
):
    municipality.default_locale = "de"
    db.session.commit()
    worker = make_user(Role.CASEWORKER, preferred_locale="en")
    case = make_case(caseworker=worker, preferred_language="ar")
    seeded_plan(case, worker)
    auth.login(worker)
    # Changed since version 1: the working copy prints, as the version to be agreed.
    page = client.get(f"/cases/{case.id}/plan/print").get_data(as_text=True)
    german, arabic = (re.findall(rf'<td lang="{code}" dir="{direction}">(.*?)</td>', page, re.S)
                      for code, direction in (("de", "ltr"), ("ar", "rtl")))  # fmt: skip
    # The particulars, a goal with two actions, a goal with none yet.
    assert len(german) == len(arabic) == 6
    assert "Version 2, zu vereinbaren" in german[0] and "Version 2" not in arabic[0]
    for de_cell, ar_cell in zip(german[1:5], arabic[1:5], strict=True):
        typed = re.findall(r'dir="auto">([^<]*)<', de_cell)
        assert typed and typed == re.findall(r'dir="auto">([^<]*)<', ar_cell)
    assert "Zuständig: Die neuzugewanderte Person" in german[2]
    assert "الوافد الجديد" in arabic[2] and "Zuständig" not in arabic[2]
    assert "Unterschrift der neuzugewanderten Person" in page and "توقيع الوافد الجديد" in page
    agreed = client.get(f"/cases/{case.id}/plan/versions/1/print").get_data(as_text=True)
    assert "Find a flat" not in agreed and "Version 1, vereinbart am" in agreed


def test_the_printed_plan_has_one_column_when_both_read_the_same_language(
    auth, caseworker, client, make_case
):
    case = make_case(caseworker=caseworker, preferred_language="en")
    seeded_plan(case, caseworker)
    page = client.get(f"/cases/{case.id}/plan/print").get_data(as_text=True)
    assert page.count('<th scope="col"') == 1
    unplanned = make_case(caseworker=caseworker)
    assert client.get(f"/cases/{unplanned.id}/plan/print").status_code == 404


def test_a_plan_in_step_with_its_last_version_prints_that_version(
    auth, caseworker, client, make_case, today
):
    case = make_case(caseworker=caseworker)
    services.add_goal(case, "Work", caseworker)
    services.agree_plan(case, today, caseworker)
    db.session.commit()
    response = client.get(f"/cases/{case.id}/plan/print")
    assert response.headers["Location"].endswith(f"/cases/{case.id}/plan/versions/1/print")


# -- speed --------------------------------------------------------------------------------------


def _queries(client, count_queries, url) -> int:
    db.session.connection()
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_plan_pages_run_as_many_queries_for_a_big_plan_as_for_a_small_one(
    auth, caseworker, client, make_case, make_user, count_queries, municipality
):
    course = running_course(make_user, make_case)
    milestone = services.add_milestone(
        municipality, Stage.ARRIVAL, MilestoneRule.TICKED, {"en": "Welcomed"}, True, None
    )
    db.session.commit()
    small, big = make_case(caseworker=caseworker), make_case(caseworker=caseworker)
    seeded_plan(small, caseworker, offering_id=course.offering.id, milestone_id=milestone.id)
    seeded_plan(big, caseworker, offering_id=course.offering.id, milestone_id=milestone.id)
    today = municipality.today()
    for number in range(6):
        goal = services.add_goal(big, f"Goal {number}", caseworker)
        for day in range(4):
            _action(big, goal, f"Action {day}", caseworker, today + timedelta(days=day - 2),
                    offering_id=course.offering.id, milestone_id=milestone.id)  # fmt: skip
        services.agree_plan(big, today, caseworker)
    services.add_goal(big, "Changed since", caseworker)  # the working copy prints too
    db.session.commit()
    for url in ("/cases/{}/plan", "/cases/{}", "/cases/{}/plan/versions/1",
                "/cases/{}/plan/versions/1/print", "/cases/{}/plan/print"):  # fmt: skip
        few = _queries(client, count_queries, url.format(small.id))
        many = _queries(client, count_queries, url.format(big.id))
        assert many == few, url


def test_my_day_runs_as_many_queries_with_many_overdue_plans_as_with_one(
    auth, caseworker, client, make_case, count_queries, today
):
    def overdue_plan():
        case = make_case(caseworker=caseworker)
        goal = services.add_goal(case, "Work", caseworker)
        _action(case, goal, "Late", caseworker, today - timedelta(days=2))
        db.session.commit()

    overdue_plan()
    few = _queries(client, count_queries, "/today")
    for _ in range(30):
        overdue_plan()
    assert _queries(client, count_queries, "/today") == few

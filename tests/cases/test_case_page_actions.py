"""The case page offers each person exactly the actions they may perform: every action shown
is accepted, every action not shown is refused."""

import re

import pytest

from integrapath.cases import services
from integrapath.extensions import db
from integrapath.security import Role
from integrapath.transfers import services as transfers
from tests.conftest import Auth

# The actions whose offer depends on the file's state, with valid input for each.
ACTIONS = {
    "close": ("/cases/{id}/close", {"close-reason": "moved_away", "close-closed_on": "{today}"}),
    "reopen": ("/cases/{id}/reopen", {}),
    "transfer": (
        "/cases/{id}/transfer",
        {"transfer-to_municipality_id": "{target}", "transfer-reason": "Moving"},
    ),
    "open portal": ("/cases/{id}/portal-access", {"portal-email": "new{id}@example.org"}),
    "renew portal link": ("/cases/{id}/portal-access/link", {}),
}


def _shown(page: str, case_id: int) -> set[str]:
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', page))
    return {name for name, (url, _data) in ACTIONS.items() if url.format(id=case_id) in actions}


def _post(auth, case, name, today, target):
    url, data = ACTIONS[name]
    values = {k: v.format(id=case.id, today=today.isoformat(), target=target.id)
              for k, v in data.items()}  # fmt: skip
    return auth.post(url.format(id=case.id), values, token_from=f"/cases/{case.id}")


def _state(case):
    db.session.expire_all()
    pending = transfers.pending_transfer(case) is not None
    return (case.status, case.account_id, pending)


STATES = ("open", "with portal account", "closed", "transfer waiting")


@pytest.fixture
def files(app, make_user, make_case, make_municipality, today):
    """One file in each state that changes what the page offers."""
    caseworker = make_user(Role.CASEWORKER)
    target = make_municipality()
    cases = {state: make_case(caseworker=caseworker) for state in STATES}
    with app.test_request_context():
        services.open_portal_access(cases["with portal account"], "acc@example.org", caseworker)
        services.close_case(cases["closed"], "moved_away", today, caseworker)
        transfers.request_transfer(cases["transfer waiting"], target.id, "Moving", caseworker)
        db.session.commit()
    return caseworker, target, cases


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_an_action_is_shown_exactly_when_it_is_accepted(app, files, state, action, today):
    caseworker, target, cases = files
    case = cases[state]
    client = app.test_client()
    auth = Auth(client)
    auth.login(caseworker)
    shown = action in _shown(client.get(f"/cases/{case.id}").get_data(as_text=True), case.id)
    before = _state(case)
    response = _post(auth, case, action, today, target)
    page = response.get_data(as_text=True)
    if shown:
        assert response.status_code in (200, 302)
        if action == "renew portal link":
            assert "/activate/" in page
        else:
            assert _state(case) != before
    else:
        assert _state(case) == before, f"{action} was not offered but was carried out"
        assert "/activate/" not in page


def test_each_state_offers_what_a_caseworker_expects(app, files):
    caseworker, _target, cases = files
    client = app.test_client()
    Auth(client).login(caseworker)
    offered = {
        state: _shown(client.get(f"/cases/{case.id}").get_data(as_text=True), case.id)
        for state, case in cases.items()
    }
    assert offered == {
        "open": {"close", "transfer", "open portal"},
        "with portal account": {"close", "transfer", "renew portal link"},
        "closed": {"reopen", "open portal"},
        "transfer waiting": {"open portal"},
    }


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PROVIDER, Role.MIGRANT])
def test_other_roles_are_offered_nothing_and_every_action_is_refused(
    app, files, make_user, role, today
):
    _caseworker, target, cases = files
    client = app.test_client()
    auth = Auth(client)
    auth.login(make_user(role))
    for case in cases.values():
        assert client.get(f"/cases/{case.id}").status_code in (403, 404)
        for name in ACTIONS:
            before = _state(case)
            url, _data = ACTIONS[name]
            token_page = {Role.ADMIN: "/admin/users", Role.PROVIDER: "/courses/provider",
                          Role.MIGRANT: "/my/"}[role]  # fmt: skip
            response = auth.post(url.format(id=case.id), {}, token_from=token_page)
            assert response.status_code in (403, 404), name
            assert _state(case) == before


def test_a_caseworker_of_another_municipality_gets_404_for_every_action(
    app, files, make_user, make_municipality, today
):
    _caseworker, target, cases = files
    client = app.test_client()
    auth = Auth(client)
    auth.login(make_user(Role.CASEWORKER, in_municipality=make_municipality()))
    for case in cases.values():
        assert client.get(f"/cases/{case.id}").status_code == 404
        for name in ACTIONS:
            url, _data = ACTIONS[name]
            assert auth.post(url.format(id=case.id), {}, token_from="/cases/").status_code == 404

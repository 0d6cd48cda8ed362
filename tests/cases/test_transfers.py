"""Transfers between municipalities: the rules, and the newcomer's account moving along."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from integrapath.audit import AuditEvent
from integrapath.cases import services
from integrapath.cases.models import HouseholdLink, Relation
from integrapath.extensions import db
from integrapath.portal.services import open_portal_access
from integrapath.security import Role
from tests.conftest import Auth


@pytest.fixture
def moved(app, make_user, make_case, make_municipality):
    """A case with a portal account, transferred from Lindenau to another town."""
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    target = make_municipality()
    receiver = make_user(Role.CASEWORKER, in_municipality=target)
    # Only for the setup: test clients must not share this context (and its CSRF token).
    with app.test_request_context():
        account, _token = open_portal_access(case, "nadia@example.org", sender)
        transfer = services.request_transfer(case, target.id, "Moved", sender)
        old_token = account.session_token
        services.accept_transfer(transfer, receiver)
        db.session.commit()
    return {"case": case, "account": account, "sender": sender, "receiver": receiver,
            "target": target, "old_token": old_token}  # fmt: skip


def test_the_portal_account_moves_with_the_case_and_is_signed_out(app_ctx, moved):
    account = moved["account"]
    assert account.municipality_id == moved["target"].id
    assert account.session_token != moved["old_token"]
    moves = db.session.scalars(
        select(AuditEvent.municipality_id).where(AuditEvent.action == "account_moved")
    ).all()
    assert sorted(moves) == sorted([moved["sender"].municipality_id, moved["target"].id])


def test_the_sending_admin_can_no_longer_reset_the_moved_account(app, moved, make_user):
    admin = make_user(Role.ADMIN)
    client = app.test_client()
    auth = Auth(client)
    auth.login(admin)
    account = moved["account"]
    assert client.get(f"/admin/users/{account.id}").status_code == 404
    reset = auth.post(f"/admin/users/{account.id}/reset-password", token_from="/admin/users")
    assert reset.status_code == 404


def test_the_sending_caseworker_cannot_renew_the_portal_link(app, moved):
    client = app.test_client()
    auth = Auth(client)
    auth.login(moved["sender"])
    url = f"/cases/{moved['case'].id}"
    assert client.get(url).status_code == 404
    assert auth.post(f"{url}/portal-access/link", token_from="/cases/").status_code == 404


def test_the_receiving_caseworker_renews_the_link_of_the_moved_account(app, moved):
    client = app.test_client()
    auth = Auth(client)
    auth.login(moved["receiver"])
    url = f"/cases/{moved['case'].id}"
    response = auth.post(f"{url}/portal-access/link", token_from=url)
    page = response.get_data(as_text=True)
    assert re.search(r"/activate/[\w-]+", page)


def test_a_link_cannot_be_renewed_for_an_account_of_another_municipality(
    app_ctx, make_user, make_case, make_municipality
):
    from integrapath.portal.services import renew_activation_link

    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker)
    stranger = make_user(Role.MIGRANT, in_municipality=make_municipality())
    case.account_id = stranger.id  # a file pointing at someone else's account
    with pytest.raises(services.CaseError):
        renew_activation_link(case, stranger, caseworker)
    staff = make_user(Role.CASEWORKER)
    case.account_id = staff.id
    with pytest.raises(services.CaseError):
        renew_activation_link(case, staff, caseworker)


def test_a_case_with_a_pending_transfer_cannot_be_closed(
    app_ctx, make_user, make_case, make_municipality, today
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    services.request_transfer(case, make_municipality().id, "Moving", sender)
    with pytest.raises(services.CaseError, match="Wait for the answer"):
        services.close_case(case, "moved_away", today, sender)


def test_a_second_transfer_request_waits_for_the_first(
    app_ctx, make_user, make_case, make_municipality
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    services.request_transfer(case, make_municipality().id, "Moving", sender)
    with pytest.raises(services.CaseError, match="already waiting"):
        services.request_transfer(case, make_municipality().id, "Moving again", sender)


def test_a_closed_file_cannot_be_transferred(
    app_ctx, make_user, make_case, make_municipality, today
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    services.close_case(case, "moved_away", today, sender)
    with pytest.raises(services.CaseError, match="Only an open case"):
        services.request_transfer(case, make_municipality().id, "Moving", sender)


def test_accepting_removes_household_links_to_files_that_stay_behind(
    app_ctx, make_user, make_case, make_municipality
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender, date_of_birth=date(1980, 1, 1))
    sibling = make_case(caseworker=sender)
    services.link_household(case, sibling, Relation.SIBLING, sender)
    target = make_municipality()
    transfer = services.request_transfer(case, target.id, "Moving", sender)
    services.accept_transfer(transfer, make_user(Role.CASEWORKER, in_municipality=target))
    links = db.session.scalars(
        select(HouseholdLink).where(
            (HouseholdLink.case_id == sibling.id) | (HouseholdLink.relative_id == sibling.id)
        )
    ).all()
    assert links == []

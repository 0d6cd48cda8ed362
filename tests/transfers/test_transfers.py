"""Transfers between municipalities: the rules, the pages, and the newcomer's account moving
along."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from integrapath.audit import AuditEvent
from integrapath.cases import services
from integrapath.cases.models import HouseholdLink, NoteCategory, Relation
from integrapath.extensions import db
from integrapath.security import Role
from integrapath.transfers import services as transfers
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
        account, _token = services.open_portal_access(case, "nadia@example.org", sender)
        transfer = transfers.request_transfer(case, target.id, "Moved", sender)
        old_token = account.session_token
        transfers.accept_transfer(transfer, receiver)
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
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker)
    stranger = make_user(Role.MIGRANT, in_municipality=make_municipality())
    case.account_id = stranger.id  # a file pointing at someone else's account
    with pytest.raises(services.CaseError):
        services.renew_activation_link(case, stranger, caseworker)
    staff = make_user(Role.CASEWORKER)
    case.account_id = staff.id
    with pytest.raises(services.CaseError):
        services.renew_activation_link(case, staff, caseworker)


def test_a_case_with_a_pending_transfer_cannot_be_closed(
    app_ctx, make_user, make_case, make_municipality, today
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    transfers.request_transfer(case, make_municipality().id, "Moving", sender)
    with pytest.raises(services.CaseError, match="Wait for the answer"):
        services.close_case(case, "moved_away", today, sender)


def test_a_second_transfer_request_waits_for_the_first(
    app_ctx, make_user, make_case, make_municipality
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    transfers.request_transfer(case, make_municipality().id, "Moving", sender)
    with pytest.raises(services.CaseError, match="already waiting"):
        transfers.request_transfer(case, make_municipality().id, "Moving again", sender)


def test_a_closed_file_cannot_be_transferred(
    app_ctx, make_user, make_case, make_municipality, today
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    services.close_case(case, "moved_away", today, sender)
    with pytest.raises(services.CaseError, match="Only an open case"):
        transfers.request_transfer(case, make_municipality().id, "Moving", sender)


def test_accepting_removes_household_links_to_files_that_stay_behind(
    app_ctx, make_user, make_case, make_municipality
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender, date_of_birth=date(1980, 1, 1))
    sibling = make_case(caseworker=sender)
    services.link_household(case, sibling, Relation.SIBLING, sender)
    target = make_municipality()
    transfer = transfers.request_transfer(case, target.id, "Moving", sender)
    transfers.accept_transfer(transfer, make_user(Role.CASEWORKER, in_municipality=target))
    links = db.session.scalars(
        select(HouseholdLink).where(
            (HouseholdLink.case_id == sibling.id) | (HouseholdLink.relative_id == sibling.id)
        )
    ).all()
    assert links == []


def test_transfer_moves_the_case_and_the_sender_loses_access(
    app_ctx, make_case, make_user, make_municipality
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    services.add_note(case, NoteCategory.GENERAL, "History travels with the file", sender)
    target = make_municipality(code="NEW")
    receiver = make_user(Role.CASEWORKER, in_municipality=target)
    transfer = transfers.request_transfer(case, target.id, "Moved to live with family", sender)
    assert services.load_case_file(case.id, sender) is not None  # still ours while pending
    transfers.accept_transfer(transfer, receiver)
    db.session.commit()
    assert services.load_case_file(case.id, sender) is None
    moved = services.load_case_file(case.id, receiver)
    assert moved.reference.startswith("NEW-")
    assert moved.caseworker_id == receiver.id
    assert [note.text for note, _ in services.notes_of(moved)] == ["History travels with the file"]
    assert "transfer_requested" in [event.action for event in services.case_timeline(moved)]


def test_declined_transfer_leaves_the_case_where_it_was(
    app_ctx, make_case, make_user, make_municipality
):
    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    target = make_municipality()
    transfer = transfers.request_transfer(case, target.id, "Moving", sender)
    transfers.decline_transfer(
        transfer, "No housing available", make_user(Role.CASEWORKER, in_municipality=target)
    )
    assert case.municipality_id == sender.municipality_id
    assert transfers.pending_transfer(case) is None
    with pytest.raises(services.CaseError):
        transfers.accept_transfer(transfer, make_user(Role.CASEWORKER, in_municipality=target))


def test_transfer_targets_are_the_other_municipalities(app_ctx, make_case, make_municipality):
    case = make_case()
    other = make_municipality(name="Aachen")
    targets = transfers.transfer_targets(case)
    assert other in targets
    assert case.municipality_id not in [town.id for town in targets]


def test_transfer_through_the_pages(auth, client, app, make_user, make_case, make_municipality):
    from tests.conftest import Auth

    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    target = make_municipality(name="Beaumont", code="BMT")
    receiver = make_user(Role.CASEWORKER, in_municipality=target)
    auth.login(sender)
    auth.post(
        f"/cases/{case.id}/transfer",
        {"transfer-to_municipality_id": str(target.id), "transfer-reason": "Family"},
        token_from=f"/cases/{case.id}",
    )
    other = app.test_client()
    receiving = Auth(other)
    receiving.login(receiver)
    assert case.full_name in other.get("/cases/transfers").get_data(as_text=True)
    assert other.get(f"/cases/{case.id}").status_code == 404  # not theirs until accepted
    transfer_id = re.search(
        r"/cases/transfers/(\d+)/accept", other.get("/cases/transfers").get_data(as_text=True)
    ).group(1)
    response = receiving.post(
        f"/cases/transfers/{transfer_id}/accept", token_from="/cases/transfers"
    )
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert other.get(f"/cases/{case.id}").status_code == 200
    assert client.get(f"/cases/{case.id}").status_code == 404  # the sender lost access


def test_declining_a_transfer_needs_a_reason(auth, app, make_user, make_case, make_municipality):
    from tests.conftest import Auth

    sender = make_user(Role.CASEWORKER)
    case = make_case(caseworker=sender)
    target = make_municipality()
    auth.login(sender)
    url = f"/cases/{case.id}"
    auth.post(
        f"{url}/transfer",
        {"transfer-to_municipality_id": str(target.id), "transfer-reason": "Moving"},
        token_from=url,
    )
    other = app.test_client()
    receiving = Auth(other)
    receiving.login(make_user(Role.CASEWORKER, in_municipality=target))
    page = other.get("/cases/transfers").get_data(as_text=True)
    transfer_id = re.search(r"/cases/transfers/(\d+)/decline", page).group(1)
    empty = receiving.post(
        f"/cases/transfers/{transfer_id}/decline",
        {"decline-reason": ""},
        token_from="/cases/transfers",
    )
    assert 'aria-invalid="true"' in empty.get_data(as_text=True)
    receiving.post(
        f"/cases/transfers/{transfer_id}/decline",
        {"decline-reason": "No housing"},
        token_from="/cases/transfers",
    )
    assert "No transfer is waiting" in other.get("/cases/transfers").get_data(as_text=True)
    assert case.municipality_id == sender.municipality_id


def test_the_receiving_caseload_announces_a_waiting_transfer(
    app, auth, client, make_user, make_case, make_municipality
):
    other = make_municipality()
    case = make_case()
    with app.test_request_context():
        transfers.request_transfer(case, other.id, "Moving", make_user(Role.CASEWORKER))
        db.session.commit()
    auth.login(make_user(Role.CASEWORKER, in_municipality=other))
    page = client.get("/cases/")
    assert page.status_code == 200
    assert "1 case transfer is waiting for your answer." in page.get_data(as_text=True)

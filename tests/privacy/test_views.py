"""Erasure pages: a caseworker records a request on the case page, an administrator of the
same municipality decides it on the data-protection page."""

import sqlalchemy as sa

from integrapath.accounts.models import Municipality, User
from integrapath.cases.models import Case
from integrapath.extensions import db
from integrapath.privacy.models import ErasureRequest, ErasureStatus
from integrapath.security import Role


def _request(auth, case):
    return auth.post(
        f"/cases/{case.id}/erasure", {"erasure-asked": "y"}, token_from=f"/cases/{case.id}"
    )


def test_caseworker_records_a_request_and_the_admin_erases(app, auth, client, make_case, make_user):
    case = make_case()
    auth.login(db.session.get(User, case.caseworker_id))
    refused = auth.post(f"/cases/{case.id}/erasure", {}, token_from=f"/cases/{case.id}")
    assert refused.status_code == 200
    assert "Confirm that the person asked for it." in refused.get_data(as_text=True)
    assert _request(auth, case).status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "waiting for the administrator" in page
    auth.logout()

    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/data-protection").get_data(as_text=True)
    assert case.reference in page and case.family_name not in page
    erasure = db.session.scalars(sa.select(ErasureRequest)).one()
    answer = auth.post(
        f"/admin/erasures/{erasure.id}", {"decision": "erase"}, token_from="/admin/data-protection"
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert erasure.status == ErasureStatus.ERASED
    assert db.session.get(Case, case.id).family_name == ""


def test_a_refusal_without_ground_is_shown_on_the_row(app, auth, client, make_case, make_user):
    case = make_case()
    with app.test_request_context():
        from integrapath.privacy.services import request_erasure

        erasure = request_erasure(case, make_user())
        db.session.commit()
    auth.login(make_user(Role.ADMIN))
    answer = auth.post(
        f"/admin/erasures/{erasure.id}", {"decision": "refuse"}, token_from="/admin/data-protection"
    )
    assert answer.status_code == 200
    assert "Choose the ground for keeping the file." in answer.get_data(as_text=True)
    answer = auth.post(
        f"/admin/erasures/{erasure.id}",
        {"decision": "refuse", "refusal_ground": "legal_claims"},
        token_from="/admin/data-protection",
    )
    assert answer.status_code == 302
    assert erasure.status == ErasureStatus.REFUSED


def test_admin_of_another_municipality_cannot_decide(
    app, auth, make_case, make_user, make_municipality
):
    case = make_case()
    with app.test_request_context():
        from integrapath.privacy.services import request_erasure

        erasure = request_erasure(case, make_user())
        db.session.commit()
    auth.login(make_user(Role.ADMIN, in_municipality=make_municipality()))
    answer = auth.post(
        f"/admin/erasures/{erasure.id}", {"decision": "erase"}, token_from="/admin/data-protection"
    )
    assert answer.status_code == 404
    assert erasure.status == ErasureStatus.REQUESTED


def test_admin_sets_the_retention_period(auth, client, make_user, municipality):
    auth.login(make_user(Role.ADMIN))
    refused = auth.post(
        "/admin/data-protection/retention", {"retention_years": "0"},
        token_from="/admin/data-protection",
    )  # fmt: skip
    assert refused.status_code == 200
    saved = auth.post(
        "/admin/data-protection/retention", {"retention_years": "7"},
        token_from="/admin/data-protection",
    )  # fmt: skip
    assert saved.status_code == 302
    assert db.session.get(Municipality, municipality.id).retention_years == 7
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "Years closed files are kept changed" in log


def test_the_audit_log_names_erasure_requests_in_words(app, auth, client, make_case, make_user):
    case = make_case()
    with app.test_request_context():
        from integrapath.privacy.services import request_erasure

        request_erasure(case, make_user())
        db.session.commit()
    auth.login(make_user(Role.ADMIN))
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "Erasure of personal data requested" in log and "Erasure request" in log
    assert "ErasureRequest" not in log

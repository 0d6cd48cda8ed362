"""Accounts (issue 14): no account enumeration, no lock-out, common passwords, sessions."""

from datetime import timedelta

from sqlalchemy import select

from integrapath.auth import services
from integrapath.auth.models import UserSession
from integrapath.extensions import db, utcnow
from integrapath.security import Role
from tests.conftest import PASSWORD, csrf_token_from


def _sign_in(client, email, password=PASSWORD, address="127.0.0.1"):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_unknown_and_known_emails_get_the_same_answer_and_hashing(app, client, make_user,
                                                                   monkeypatch):  # fmt: skip
    user = make_user(Role.CASEWORKER)
    hashed = []
    import integrapath.auth.services as module

    real = module.check_password_hash
    monkeypatch.setattr(module, "check_password_hash", lambda *a: hashed.append(1) or real(*a))
    unknown = _sign_in(client, "nobody@example.org", "wrong-password").get_data(as_text=True)
    known = _sign_in(client, user.email, "wrong-password").get_data(as_text=True)
    assert hashed == [1]  # the unknown address cost a hash too (the known one: User.check)
    message = "The e-mail address or password is not correct."
    assert message in unknown
    assert message in known


def test_wrong_passwords_from_elsewhere_do_not_lock_the_caseworker_out(app, client, make_user):
    caseworker = make_user(Role.CASEWORKER)
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        _sign_in(client, caseworker.email, "wrong-password", address="203.0.113.9")
    attacker = _sign_in(client, caseworker.email, PASSWORD, address="203.0.113.9")
    assert "Too many failed sign-in attempts" in attacker.get_data(as_text=True)
    app.config["LOGIN_MAX_DELAY_SECONDS"], saved = 0, app.config["LOGIN_MAX_DELAY_SECONDS"]
    try:
        owner = _sign_in(app.test_client(), caseworker.email, PASSWORD, address="198.51.100.7")
    finally:
        app.config["LOGIN_MAX_DELAY_SECONDS"] = saved
    assert owner.status_code == 302


def test_many_failures_of_an_account_slow_it_down(app_ctx, app, make_user):
    from integrapath.auth.models import LoginAttempt

    user = make_user(Role.CASEWORKER)
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    assert services.sign_in_delay(user.email) == 0
    for number in range(limit + 40):
        db.session.add(LoginAttempt(email=user.email, ip_address=f"192.0.2.{number}"))
    db.session.flush()
    assert services.sign_in_delay(user.email) == app.config["LOGIN_MAX_DELAY_SECONDS"]


def test_common_passwords_are_refused(auth, client, make_user):
    user = make_user(Role.CASEWORKER)
    auth.login(user)
    response = auth.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "1234567890",
         "confirm_password": "1234567890"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "on a list of passwords that many people use" in response.get_data(as_text=True)
    assert services.is_common_password("Password1234")
    assert not services.is_common_password("a quiet blue heron at dusk")


def test_an_administrator_ends_a_session_and_its_next_request_signs_out(
    app, auth, client, make_user
):
    caseworker = make_user(Role.CASEWORKER)
    admin = make_user(Role.ADMIN)
    auth.login(caseworker)
    assert client.get("/cases/").status_code == 200
    other = app.test_client()
    _sign_in(other, admin.email)
    page = other.get(f"/admin/users/{caseworker.id}").get_data(as_text=True)
    assert "End this session" in page
    token = csrf_token_from(page)
    ended = other.post(f"/admin/users/{caseworker.id}/sessions/end", data={"csrf_token": token})
    assert ended.status_code == 302
    response = client.get("/cases/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert db.session.scalar(
        select(UserSession).where(UserSession.user_id == caseworker.id)
    ).ended_at is not None  # fmt: skip


def test_other_roles_cannot_end_sessions(auth, client, make_user):
    caseworker = make_user(Role.CASEWORKER)
    for role in (Role.CASEWORKER, Role.PROVIDER, Role.MIGRANT):
        auth.login(make_user(role))
        token = auth.token("/account/password")
        response = client.post(
            f"/admin/users/{caseworker.id}/sessions/end", data={"csrf_token": token}
        )
        assert response.status_code in (403, 404)
        auth.logout()


def test_staff_are_signed_out_when_idle_but_newcomers_are_not(app, auth, client, make_user):
    caseworker = make_user(Role.CASEWORKER)
    auth.login(caseworker)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == caseworker.id))
    row.last_seen_at = utcnow() - timedelta(minutes=app.config["STAFF_IDLE_MINUTES"] + 1)
    db.session.commit()
    response = client.get("/cases/", follow_redirects=True)
    assert "without activity" in response.get_data(as_text=True)
    newcomer = make_user(Role.MIGRANT)
    auth.login(newcomer)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == newcomer.id))
    row.last_seen_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert client.get("/my/").status_code in (200, 302)
    assert "/login" not in client.get("/my/").headers.get("Location", "")

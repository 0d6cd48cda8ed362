"""Signing in and out through the real pages."""

import re

import pytest
from sqlalchemy import func, select

from integrapath.accounts.models import User
from integrapath.audit import AuditEvent
from integrapath.extensions import db
from integrapath.security import Role
from tests.conftest import PASSWORD, csrf_token_from

HOME_PAGES = {
    Role.ADMIN: "/admin/users",
    Role.CASEWORKER: "/today",
    Role.PROVIDER: "/courses/provider",
    Role.MIGRANT: "/my/",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_home_page(auth, make_user, client, role):
    user = make_user(role)
    response = auth.login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == HOME_PAGES[role]
    assert client.get(HOME_PAGES[role]).status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CASEWORKER, Role.PROVIDER])
def test_the_landing_page_is_first_in_the_main_navigation(auth, make_user, client, role):
    auth.login(make_user(role))
    page = client.get(HOME_PAGES[role]).get_data(as_text=True)
    navigation = page[page.index('aria-label="Main navigation"') :]
    first_link = re.search(r'href="([^"]+)"', navigation).group(1)
    assert first_link == HOME_PAGES[role]


def test_wrong_password_shows_a_clear_error_and_keeps_the_email(auth, make_user):
    user = make_user()
    page = auth.login(user, "wrong-password").get_data(as_text=True)
    assert "The e-mail address or password is not correct." in page
    assert f'value="{user.email}"' in page


def test_unknown_email_gets_the_same_error_as_a_wrong_password(auth):
    page = auth.login("nobody@example.org", "whatever-password").get_data(as_text=True)
    assert "The e-mail address or password is not correct." in page


def test_email_is_matched_case_insensitively(auth, make_user):
    user = make_user(email="mixed.case@example.org")
    assert auth.login("Mixed.Case@Example.ORG").status_code == 302
    assert user.email == "mixed.case@example.org"


def test_deactivated_account_cannot_sign_in(auth, make_user):
    user = make_user(active=False)
    assert "not correct" in auth.login(user).get_data(as_text=True)


def test_account_is_paused_after_repeated_failures_even_with_the_right_password(auth, make_user):
    user = make_user()
    for _ in range(5):
        auth.login(user, "wrong-password")
    page = auth.login(user, PASSWORD).get_data(as_text=True)
    assert "Too many failed sign-in attempts. Please wait 15 minutes" in page


def test_address_is_paused_after_failures_across_many_accounts(app, auth, make_user):
    user = make_user()
    for number in range(20):
        auth.login(f"guess{number}@example.org", "wrong-password")
    page = auth.login(user, PASSWORD).get_data(as_text=True)
    assert "Too many failed sign-in attempts" in page


def test_throttling_message_is_translated(auth, make_user, client):
    user = make_user()
    for _ in range(5):
        auth.login(user, "wrong-password", headers={"Accept-Language": "de"})
    page = auth.login(user, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in page


def test_successful_sign_in_records_last_login(auth, make_user):
    user = make_user()
    auth.login(user)
    assert db.session.get(User, user.id).last_login_at is not None


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account/password", "/account/password"),
        ("https://evil.example/steal", "/today"),
        ("//evil.example/steal", "/today"),
        ("/\\evil.example", "/today"),
        ("javascript:alert(1)", "/today"),
    ],
)
def test_next_redirect_only_goes_to_paths_of_this_site(auth, make_user, next_url, expected):
    user = make_user(Role.CASEWORKER)
    from urllib.parse import quote

    response = auth.login(user, query=f"?next={quote(next_url)}")
    assert response.headers["Location"] == expected


def test_anonymous_visitor_is_sent_to_sign_in_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_ends_the_session(auth, make_user, client):
    auth.login(make_user())
    response = auth.logout()
    assert response.headers["Location"] == "/login"
    assert client.get("/cases/").status_code == 302


def test_logout_by_get_is_not_allowed(auth, make_user, client):
    auth.login(make_user())
    assert client.get("/logout").status_code == 405


def test_form_without_csrf_token_is_rejected(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/cases/").status_code == 302  # not signed in


def test_session_cookie_is_http_only_and_same_site_lax(auth, make_user, client):
    response = auth.login(make_user())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_password_change_requires_the_current_password(auth, make_user):
    auth.login(make_user())
    page = auth.post(
        "/account/password",
        {
            "current_password": "not-it",
            "new_password": "a-new-secret-1",
            "confirm_password": "a-new-secret-1",
        },
    ).get_data(as_text=True)
    assert "The current password is not correct." in page


def test_password_change_works_and_old_password_stops_working(auth, make_user, client):
    user = make_user()
    auth.login(user)
    response = auth.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a-new-secret-1",
            "confirm_password": "a-new-secret-1",
        },
    )
    assert response.status_code == 302
    assert client.get("/cases/").status_code == 200  # this session stays signed in
    auth.logout()
    assert auth.login(user, PASSWORD).status_code == 200
    assert auth.login(user, "a-new-secret-1").status_code == 302


def test_new_password_rules_are_shown_next_to_the_field(auth, make_user):
    auth.login(make_user())
    page = auth.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "other"},
    ).get_data(as_text=True)
    assert 'id="new_password-error"' in page
    assert "Use at least 10 characters." in page
    assert "The passwords differ." in page


def test_sign_in_and_out_are_in_the_audit_trail(auth, make_user):
    user = make_user()
    auth.login(user, "wrong-password")
    auth.login(user)
    auth.logout()
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.actor_email == user.email)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["login_failed", "login", "logout"]


def test_failed_sign_in_for_unknown_email_is_audited_with_the_email(auth):
    auth.login("ghost@example.org", "whatever-password")
    count = db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == "login_failed", AuditEvent.actor_email == "ghost@example.org"
        )
    )
    assert count == 1


def test_login_page_offers_every_language(client):
    page = client.get("/login").get_data(as_text=True)
    for name in ("English", "Deutsch", "Français", "Español", "Українська", "العربية", "فارسی"):
        assert name in page
    assert csrf_token_from(page)

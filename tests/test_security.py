"""Every route declares who may use it; roles and tenants are enforced on the server."""

import re

import pytest
from flask_babel import force_locale, gettext

from integrapath import create_app
from integrapath.security import PUBLIC, Role, access_rule
from tests.conftest import csrf_token_from

PUBLIC_ENDPOINTS = {
    "auth.index", "auth.login", "auth.activate", "auth.switch_language",
    "auth.enter_code", "auth.activate_with_code",  # the code of a newcomer's letter
}  # fmt: skip

# (path, roles allowed). Every other signed-in role is refused: staff with 403, a newcomer with
# 404 (the portal does not tell that staff pages exist).
ROLE_PAGES = [
    ("/admin/users", {Role.ADMIN}),
    ("/admin/users/new", {Role.ADMIN}),
    ("/admin/organisations", {Role.ADMIN}),
    ("/admin/organisations/new", {Role.ADMIN}),
    ("/admin/audit", {Role.ADMIN}),
    ("/admin/milestones", {Role.ADMIN}),
    ("/admin/milestones/new", {Role.ADMIN}),
    ("/cases/", {Role.CASEWORKER}),
    ("/today", {Role.CASEWORKER}),
    ("/courses/provider", {Role.PROVIDER}),
    ("/courses/catalogue", {Role.PROVIDER, Role.ADMIN}),
    ("/courses/offerings", {Role.CASEWORKER}),
    ("/courses/alerts", {Role.CASEWORKER}),
    ("/my/", {Role.MIGRANT}),
    ("/my/courses", {Role.MIGRANT}),
    ("/my/skills", {Role.MIGRANT}),
    ("/my/details", {Role.MIGRANT}),
    ("/my/data", {Role.MIGRANT}),
    ("/account/password", set(Role)),
]


def test_every_route_declares_an_access_rule(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and access_rule(view) is None
    ]
    assert undeclared == []


def test_only_the_expected_routes_are_public(app):
    public = {
        endpoint for endpoint, view in app.view_functions.items() if access_rule(view) == PUBLIC
    }
    assert public == PUBLIC_ENDPOINTS


def test_a_view_without_an_access_rule_is_refused():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert app.test_client().get("/forgotten").status_code == 404


@pytest.mark.parametrize(("path", "allowed"), ROLE_PAGES)
@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_outside_its_pages(auth, client, make_user, role, path, allowed):
    auth.login(make_user(role))
    refused = 404 if role == Role.MIGRANT else 403
    expected = 200 if role in allowed else refused
    response = client.get(path)
    if path.startswith("/my/") and path != "/my/" and role in allowed:
        expected = 302  # a newcomer without a file yet is sent to the portal's home page
    assert response.status_code == expected


@pytest.mark.parametrize(("path", "allowed"), ROLE_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, path, allowed):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_refused_page_is_translated_and_has_one_heading(app, auth, client, make_user):
    auth.login(make_user(Role.PROVIDER, preferred_locale="fr"))
    page = client.get("/admin/users").get_data(as_text=True)
    english = "You do not have access to this page"
    with app.test_request_context(), force_locale("fr"):
        french = gettext(english)
    assert french != english
    assert page.count("<h1") == 1
    assert french.replace("'", "&#39;") in page


def test_csrf_token_is_required_on_every_state_changing_form(auth, client, make_user):
    admin = make_user(Role.ADMIN)
    auth.login(admin)
    response = client.post(
        "/admin/users/new",
        data={"full_name": "No Token", "email": "no.token@example.org", "role": "caseworker"},
    )
    assert response.status_code == 400


def test_security_headers_are_sent(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert csrf_token_from(response.get_data(as_text=True))


def test_newcomer_sees_only_their_own_pathway(auth, client, make_user, make_case):
    from integrapath.extensions import db

    own, other = make_case(given_names="Own"), make_case(given_names="Other")
    newcomer = make_user(Role.MIGRANT)
    own.account_id = newcomer.id
    db.session.commit()
    auth.login(newcomer)
    page = client.get("/my/").get_data(as_text=True)
    assert own.reference in page
    assert other.reference not in page
    assert client.get(f"/cases/{own.id}").status_code == 404


def _example_url(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "abc" if m.group(1) == "token" else "1", rule.rule)


def test_every_form_refuses_a_post_without_csrf_token(app, client):
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) > 20
    refused = {
        _example_url(rule): client.post(_example_url(rule), data={}).status_code for rule in posts
    }
    assert set(refused.values()) == {400}, refused


def test_administrators_cannot_read_case_files_even_through_a_scoped_query(
    app_ctx, make_user, make_case
):
    from sqlalchemy import select

    from integrapath.cases.models import Case
    from integrapath.extensions import db
    from integrapath.security import scoped

    case = make_case()
    admin = make_user(Role.ADMIN)
    assert db.session.scalars(scoped(select(Case), admin)).all() == []
    caseworker = make_user(Role.CASEWORKER)
    assert db.session.scalars(scoped(select(Case), caseworker)).all() == [case]

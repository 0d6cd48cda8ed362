"""Administrators manage accounts and organisations of their own municipality only."""

import re

import pytest
from sqlalchemy import select

from integrapath.accounts.models import Organisation, OrganisationKind, User
from integrapath.audit import AuditEvent
from integrapath.extensions import db
from integrapath.security import Role


@pytest.fixture
def admin(auth, make_user):
    user = make_user(Role.ADMIN)
    auth.login(user)
    return user


def _actions_on(user):
    return db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "User", AuditEvent.object_id == user.id
        )
    ).all()


def _activation_path(page: str) -> str:
    found = re.search(r"http://localhost(/activate/[\w-]+)", page)
    assert found, "no activation link on the page"
    return found.group(1)


def test_admin_creates_an_account_and_the_person_activates_it(admin, auth, client):
    page = auth.post(
        "/admin/users/new",
        {
            "full_name": "Nadia Karimi",
            "email": "Nadia.Karimi@example.org",
            "role": "caseworker",
            "organisation_id": "",
            "preferred_locale": "fa",
        },
    ).get_data(as_text=True)
    link = _activation_path(page)
    created = db.session.scalar(select(User).where(User.email == "nadia.karimi@example.org"))
    assert created.awaiting_activation and created.municipality_id == admin.municipality_id
    auth.logout()
    response = auth.post(
        link, {"new_password": "nadia-secret-42", "confirm_password": "nadia-secret-42"}
    )
    assert response.headers["Location"] == "/today"  # a caseworker starts on their day
    assert client.get(link).status_code == 404  # the link works once
    assert "user_created" in _actions_on(created) and "account_activated" in _actions_on(created)


def test_create_account_errors_keep_what_was_typed(admin, auth, make_user):
    existing = make_user()
    page = auth.post(
        "/admin/users/new",
        {
            "full_name": "Same Mail",
            "email": existing.email.upper(),
            "role": "provider",
            "organisation_id": "",
            "preferred_locale": "de",
        },
    ).get_data(as_text=True)
    assert "Choose the course provider this person works for." in page
    assert 'value="Same Mail"' in page
    page = auth.post(
        "/admin/users/new",
        {
            "full_name": "Same Mail",
            "email": existing.email.upper(),
            "role": "caseworker",
            "organisation_id": "",
            "preferred_locale": "de",
        },
    ).get_data(as_text=True)
    assert "An account with this e-mail address already exists." in page
    assert 'id="email-error"' in page


def test_invalid_email_is_shown_next_to_the_field(admin, auth):
    page = auth.post(
        "/admin/users/new",
        {
            "full_name": "X",
            "email": "not-an-address",
            "role": "caseworker",
            "preferred_locale": "en",
        },
    ).get_data(as_text=True)
    assert 'id="email-error"' in page
    assert 'value="not-an-address"' in page


def test_provider_staff_gets_an_organisation(admin, auth, make_organisation, municipality):
    school = make_organisation(municipality, "Language School")
    auth.post(
        "/admin/users/new",
        {
            "full_name": "Teacher",
            "email": "teacher@example.org",
            "role": "provider",
            "organisation_id": str(school.id),
            "preferred_locale": "en",
        },
    )
    teacher = db.session.scalar(select(User).where(User.email == "teacher@example.org"))
    assert teacher.organisation_id == school.id


def test_organisation_of_another_municipality_cannot_be_chosen(
    admin, auth, make_organisation, make_municipality
):
    foreign = make_organisation(make_municipality(), "Foreign School")
    response = auth.post(
        "/admin/users/new",
        {
            "full_name": "T",
            "email": "t@example.org",
            "role": "provider",
            "organisation_id": str(foreign.id),
            "preferred_locale": "en",
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(select(User).where(User.email == "t@example.org")) is None


def test_deactivated_person_is_signed_out_and_cannot_sign_in(app, admin, auth, make_user):
    caseworker = make_user(Role.CASEWORKER)
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other).login(caseworker)
    assert other.get("/cases/").status_code == 200
    auth.post(
        f"/admin/users/{caseworker.id}/active",
        {"active": "0"},
        token_from=f"/admin/users/{caseworker.id}",
    )
    assert not caseworker.active
    assert other.get("/cases/").status_code == 302
    assert "user_deactivated" in _actions_on(caseworker)


def test_admin_cannot_deactivate_themselves(admin, auth, client):
    auth.post(
        f"/admin/users/{admin.id}/active", {"active": "0"}, token_from=f"/admin/users/{admin.id}"
    )
    assert admin.active
    assert client.get("/admin/users").status_code == 200


def test_role_change_is_saved_and_audited(admin, auth, make_user):
    person = make_user(Role.CASEWORKER)
    auth.post(f"/admin/users/{person.id}", {"role": "admin", "organisation_id": ""})
    assert person.role == Role.ADMIN
    assert "user_role_changed" in _actions_on(person)


def test_admin_cannot_remove_own_admin_role(admin, auth):
    page = auth.post(
        f"/admin/users/{admin.id}", {"role": "caseworker", "organisation_id": ""}
    ).get_data(as_text=True)
    assert "You cannot remove your own administrator role." in page
    assert admin.role == Role.ADMIN


def test_password_reset_gives_a_new_link_and_old_password_stops(admin, auth, make_user, client):
    person = make_user(Role.CASEWORKER)
    page = auth.post(
        f"/admin/users/{person.id}/reset-password", token_from=f"/admin/users/{person.id}"
    ).get_data(as_text=True)
    assert _activation_path(page)
    assert person.awaiting_activation
    auth.logout()
    assert auth.login(person).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/admin/users/{id}", "/admin/users/{id}/active", "/admin/users/{id}/reset-password"],
)
def test_accounts_of_another_municipality_answer_404(
    admin, auth, client, make_user, make_municipality, path
):
    stranger = make_user(Role.CASEWORKER, in_municipality=make_municipality())
    url = path.format(id=stranger.id)
    if url.endswith(str(stranger.id)):
        assert client.get(url).status_code == 404
    assert auth.post(url, {"active": "0"}, token_from="/admin/users").status_code == 404
    assert stranger.active and not stranger.awaiting_activation


def test_user_list_shows_only_own_municipality_and_filters(
    admin, client, make_user, make_municipality
):
    mine = make_user(Role.CASEWORKER, full_name="Zoë Local")
    theirs = make_user(Role.CASEWORKER, full_name="Far Away", in_municipality=make_municipality())
    page = client.get("/admin/users").get_data(as_text=True)
    assert mine.full_name in page and theirs.full_name not in page
    filtered = client.get("/admin/users?q=zoë&role=caseworker").get_data(as_text=True)
    assert "Zoë Local" in filtered and admin.full_name not in filtered.split("<tbody>")[1]


def test_user_list_paginates(admin, client, make_user):
    for _ in range(30):
        make_user(Role.MIGRANT)
    first = client.get("/admin/users").get_data(as_text=True)
    following = re.search(r'page-link" href="([^"]*after=[^"]*)"', first).group(1)
    second = client.get(following.replace("&amp;", "&")).get_data(as_text=True)
    assert "Previous</a>" in second and "Next</a>" not in second


def test_admin_creates_and_edits_an_organisation(admin, auth):
    auth.post(
        "/admin/organisations/new",
        {
            "name": "Adult Education Centre",
            "kind": "course_provider",
            "contact_email": "info@aec.example.org",
        },
    )
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == "Adult Education Centre")
    )
    assert organisation.kind == OrganisationKind.COURSE_PROVIDER
    # A partner service says which areas it covers (pathway referrals).
    auth.post(
        f"/admin/organisations/{organisation.id}",
        {"name": "AEC", "kind": "partner_service", "service_areas": ["education"]},
    )
    assert (organisation.name, organisation.kind) == ("AEC", OrganisationKind.PARTNER_SERVICE)


def test_duplicate_organisation_name_is_refused_next_to_the_field(
    admin, auth, make_organisation, municipality
):
    make_organisation(municipality, "Volkshochschule")
    page = auth.post(
        "/admin/organisations/new", {"name": "volkshochschule", "kind": "course_provider"}
    ).get_data(as_text=True)
    assert "An organisation with this name already exists." in page


def test_organisation_of_another_municipality_answers_404(
    admin, client, make_organisation, make_municipality
):
    foreign = make_organisation(make_municipality())
    assert client.get(f"/admin/organisations/{foreign.id}").status_code == 404


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_list_without_filters_shows_no_validation_error(admin, client, path):
    page = client.get(path).get_data(as_text=True)
    assert "is-invalid" not in page
    assert "Not a valid choice" not in page


def auth_events(user):
    from integrapath.audit import record_event

    record_event("login", user, actor=user)
    record_event("logout", user, actor=user)
    db.session.commit()


def test_account_list_and_audit_log_keep_their_query_count_as_data_grows(
    admin, client, make_user, make_organisation, municipality, count_queries
):
    school = make_organisation(municipality)
    for _ in range(3):
        make_user(Role.PROVIDER, organisation_id=school.id)
    with count_queries() as small_users:
        client.get("/admin/users")
    with count_queries() as small_audit:
        client.get("/admin/audit")
    for number in range(40):
        teacher = make_user(
            Role.PROVIDER, organisation_id=make_organisation(municipality, f"School {number}").id
        )
        auth_events(teacher)
    with count_queries() as many_users:
        assert "Next</a>" in client.get("/admin/users").get_data(as_text=True)
    with count_queries() as many_audit:
        client.get("/admin/audit")
    assert len(many_users) == len(small_users)
    assert len(many_audit) == len(small_audit)


def test_admin_cannot_create_an_unlinked_newcomer_account(admin, auth):
    page = auth.post(
        "/admin/users/new",
        {"full_name": "N", "email": "n@example.org", "role": "migrant", "preferred_locale": "en"},
    ).get_data(as_text=True)
    assert 'id="role-error"' in page
    assert db.session.scalar(select(User).where(User.email == "n@example.org")) is None


def test_a_newcomer_account_cannot_be_turned_into_staff_or_back(app, admin, make_user):
    from integrapath.accounts.services import AccountError, change_role

    newcomer, staff = make_user(Role.MIGRANT), make_user(Role.CASEWORKER)
    with app.test_request_context():
        with pytest.raises(AccountError, match="newcomer's account"):
            change_role(newcomer, Role.CASEWORKER, None, admin)
        with pytest.raises(AccountError, match="newcomer's account"):
            change_role(staff, Role.MIGRANT, None, admin)
    assert (newcomer.role, staff.role) == (Role.MIGRANT, Role.CASEWORKER)


def test_the_account_page_of_a_newcomer_offers_no_role_change(admin, auth, client, make_user):
    newcomer = make_user(Role.MIGRANT)
    page = client.get(f"/admin/users/{newcomer.id}").get_data(as_text=True)
    assert 'name="role"' not in page
    assert "cannot be given another role" in page
    auth.post(f"/admin/users/{newcomer.id}", {"role": "admin"})
    assert newcomer.role == Role.MIGRANT

"""Nothing a user types or puts in a URL produces a server error."""

import pytest

from integrapath.security import Role

HUGE = "9" * 25


@pytest.mark.parametrize(
    "path",
    [
        f"/cases/{HUGE}",
        f"/cases/?page={HUGE}",
        "/cases/?page=-1&sort=%00",
        f"/cases/?q={'%C3%A9' * 200}",
        "/cases/?q=%25_%5C",
        f"/cases/?caseworker={HUGE}",
        "/cases/?nationality=<script>",
        f"/cases/import/{HUGE}",
        f"/cases/transfers/{HUGE}/accept",
    ],
)
def test_caseworker_urls_never_answer_500(auth, client, make_user, path):
    auth.login(make_user(Role.CASEWORKER))
    response = (
        client.get(path) if not path.endswith("accept") else auth.post(path, token_from="/cases/")
    )
    assert response.status_code < 500


@pytest.mark.parametrize(
    "path",
    [f"/admin/users/{HUGE}", f"/admin/users?page={HUGE}", f"/admin/audit?page={HUGE}&date_from=x"],
)
def test_admin_urls_never_answer_500(auth, client, make_user, path):
    auth.login(make_user(Role.ADMIN))
    assert client.get(path).status_code < 500


def test_huge_numbers_in_forms_are_refused_not_crashing(auth, client, make_user, make_case):
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker)
    auth.login(caseworker)
    url = f"/cases/{case.id}"
    for data in (
        {"reassign-caseworker_id": HUGE},
        {"transfer-to_municipality_id": HUGE, "transfer-reason": "x"},
    ):
        target = "/reassign" if "reassign-caseworker_id" in data else "/transfer"
        assert auth.post(url + target, data, token_from=url).status_code < 500
    response = auth.post(
        f"{url}/dependants",
        {"dependant-name": "X", "dependant-birth_year": HUGE, "dependant-relation": "child"},
        token_from=url,
    )
    assert response.status_code == 200
    assert 'id="dependant-birth_year-error"' in response.get_data(as_text=True)


def test_nul_characters_are_refused_with_400_on_both_databases(client, auth, make_user):
    token = auth.token()
    response = client.post(
        "/login", data={"email": "a\x00b@example.org", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
    auth.login(make_user(Role.CASEWORKER))
    assert client.get("/cases/?q=ab%00cd").status_code == 400
    assert client.get("/cases/?nationality=SY&nationality=S%00Y").status_code == 400

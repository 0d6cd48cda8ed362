"""Nothing a user types or puts in a URL produces a server error."""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrapath.extensions import db
from integrapath.security import Role
from tests.conftest import csrf_token_from

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


# -- property-based: random and hostile values in every form and filter ------------------------


MARKUP = '<i data-hostile="1">x</i>'
HOSTILE = [
    MARKUP, "<script>alert(1)</script>", "' OR '1'='1' --", "1; DROP TABLE case_file; --",
    "{{ 7*7 }}", "{% print(config) %}", "${7*7}", "%(name)s %s %d", "\u202egnp.exe",
    "مرحبا Hello Привет 你好", "\u200f\u200e\u2066x\u2069", "\r\n\t\x0b\x0c", "\x1b[31m",
    "9" * 40, "-1", "0", "1e309", "NaN", "2026-02-30", "31/12/2026", "0000-00-00", "[]", "{}",
    "null", "true", "x" * 5000, " ", "", "١٢٣", "۱۲۳", "😀" * 10, "../../etc/passwd", "%00",
]  # fmt: skip
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Mn"], exclude_characters="\x00"),
            max_size=20),
)  # fmt: skip
# A field may be missing, sent once or sent several times.
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, min_size=2, max_size=3))
PROPERTY = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure is reproducible in CI
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _Forms(HTMLParser):
    """The forms of a page: method, action and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(),
                               "action": attrs.get("action"), "fields": []})  # fmt: skip
        elif (
            tag in ("input", "select", "textarea")
            and self.forms
            and attrs.get("name") not in (None, "csrf_token")
            and attrs.get("type") != "submit"
        ):
            self.forms[-1]["fields"].append(attrs["name"])


def _forms_of(html_text: str, path: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html_text)
    for form in parser.forms:
        form["action"] = html.unescape(form["action"] or path).split("#")[0]
    return [form for form in parser.forms if form["fields"]]


def _german_untranslated() -> set[str]:
    """English messages that have a German translation: seeing one on a German page is a bug."""
    with open(Path(__file__).parent.parent / "translations/de/LC_MESSAGES/messages.po", "rb") as po:
        return {
            str(m.id)
            for m in read_po(po)
            if isinstance(m.id, str) and m.string and m.string != m.id
        }  # noqa: E501


ENGLISH = _german_untranslated()


def _check_answer(response, sent: dict) -> None:
    assert response.status_code < 500, sent
    body = response.get_data(as_text=True)
    assert MARKUP not in body, "markup sent came back as markup"
    assert "<script>alert(1)" not in body
    if response.status_code == 200 and 'lang="de"' in body and "invalid-feedback" in body:
        errors = re.findall(r'class="invalid-feedback[^"]*">([^<]+)<', body)
        for error in errors:
            for sentence in re.split(r"(?<=\.) ", html.unescape(error).strip()):
                assert sentence not in ENGLISH, f"English field error on a German page: {sentence}"


def _fill(fields: list[str], data) -> dict:
    values = {}
    for name in fields:
        if data.draw(st.booleans()):  # sometimes missing
            values[name] = data.draw(hostile_value)
    return values


# (role, pages whose GET filters and POST forms are filled with hostile values)
HOSTILE_PAGES = {
    Role.CASEWORKER: ["/cases/", "/cases/new", "/courses/offerings", "/today", "/cases/{case}",
                      "/cases/{case}/edit", "/account/password"],
    Role.ADMIN: ["/admin/users", "/admin/audit", "/admin/users/new", "/admin/organisations/new",
                 "/admin/milestones"],
    Role.PROVIDER: ["/courses/provider", "/courses/catalogue", "/courses/catalogue/new"],
    Role.MIGRANT: ["/my/details"],
}  # fmt: skip


@pytest.mark.parametrize("role", list(HOSTILE_PAGES))
def test_hostile_values_in_every_form_never_break_a_page(
    app, auth, client, make_user, make_case, role
):
    user = make_user(role, preferred_locale="de")
    case = make_case(caseworker=user if role == Role.CASEWORKER else None)
    if role == Role.MIGRANT:
        case.account_id = user.id
        db.session.commit()
    auth.login(user)
    targets = []
    for path in HOSTILE_PAGES[role]:
        path = path.format(case=case.id)
        page = client.get(path)
        assert page.status_code == 200, path
        text = page.get_data(as_text=True)
        token = csrf_token_from(text)
        targets += [(form, token) for form in _forms_of(text, path)]
    assert targets

    @PROPERTY
    @given(data=st.data())
    def send(data):
        form, token = data.draw(st.sampled_from(targets))
        values = _fill(form["fields"], data)
        if form["method"] == "get":
            response = client.get(form["action"], query_string=values)
        else:
            response = client.post(form["action"], data={**values, "csrf_token": token})
        _check_answer(response, values)

    send()


@PROPERTY
@given(email=hostile_text, password=hostile_text, code=hostile_text)
def test_hostile_values_at_the_door_never_break_sign_in(app, client, email, password, code):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"  # the errors must come in German
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="de"' in page
    token = csrf_token_from(page)
    sent = {"email": email, "password": password, "csrf_token": token}
    _check_answer(client.post("/login", data=sent), sent)
    sent = {"code": code, "csrf_token": token}
    _check_answer(client.post("/code", data=sent), sent)

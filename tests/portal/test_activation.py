"""Getting in: the letter with its QR code and code, one use only, until it expires; a new
letter for a forgotten password; one account for one file."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import select

from integrapath.auth.models import LoginAttempt
from integrapath.cases.services import CaseError, open_portal_access
from integrapath.extensions import db
from integrapath.security import Role
from tests.conftest import Auth, csrf_token_from

NEW_PASSWORD = "tea with mint at nine"  # a passphrase: length, not symbols


def _type_code(client, code: str):
    """Type the letter's code on the code page, as a newcomer would."""
    token = csrf_token_from(client.get("/code").get_data(as_text=True))
    return client.post("/code", data={"code": code, "csrf_token": token})


def _choose_password(client, password: str = NEW_PASSWORD):
    token = csrf_token_from(client.get("/code/password").get_data(as_text=True))
    return client.post(
        "/code/password",
        data={"new_password": password, "confirm_password": password, "csrf_token": token},
    )


def test_the_letter_has_the_qr_code_the_code_and_both_languages(
    app, auth, make_user, make_case, municipality
):
    municipality.default_locale = "de"
    db.session.commit()
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker, preferred_language="uk")
    auth.login(caseworker)
    url = f"/cases/{case.id}"
    page = auth.post(
        f"{url}/portal-access", {"portal-email": "olena@example.org"}, token_from=url
    ).get_data(as_text=True)
    assert re.search(r'<svg viewBox="0 0 \d+ \d+" class="qr-code">', page)
    code = re.search(r'class="letter-code[^"]*">(\d{4} \d{4} \d{4} \d{4})<', page).group(1)
    assert re.search(r"http://localhost/activate/[\w-]+", page)  # the link, for the caseworker
    # The person's language first, the municipality's below it.
    parts = re.findall(r'<section class="letter-part" lang="([\w-]+)" dir="(\w+)">', page)
    assert parts == [("uk", "ltr"), ("de", "ltr")]
    assert page.count(code) == 3  # big on the letter, and in each language's instructions
    assert "Ласкаво просимо" in page or "Вітаємо" in page
    assert "http://localhost/code" in page


def test_the_letter_in_arabic_reads_right_to_left(app, auth, make_user, make_case):
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker, preferred_language="ar")
    auth.login(caseworker)
    url = f"/cases/{case.id}"
    page = auth.post(
        f"{url}/portal-access", {"portal-email": "amal@example.org"}, token_from=url
    ).get_data(as_text=True)
    parts = re.findall(r'<section class="letter-part" lang="([\w-]+)" dir="(\w+)">', page)
    assert parts == [("ar", "rtl"), ("en", "ltr")]


def test_the_code_opens_the_account_once(app, open_portal):
    person = open_portal(preferred_language="en")
    client = app.test_client()
    response = _type_code(client, person.invitation.code)
    assert response.headers["Location"] == "/code/password"
    page = client.get("/code/password").get_data(as_text=True)
    assert person.account.full_name in page  # they see it is their own account
    assert _choose_password(client).headers["Location"] == "/my/"
    assert person.case.reference in client.get("/my/").get_data(as_text=True)
    # Used once: the code, and the link of the same letter, no longer open anything.
    stranger = app.test_client()
    page = _type_code(stranger, person.invitation.code).get_data(as_text=True)
    assert "This code does not work." in page
    assert stranger.get(f"/activate/{person.invitation.token}").status_code == 404
    assert person.account.activation_code_hash is None


def test_the_link_spends_the_code_too(app, open_portal):
    person = open_portal(preferred_language="en")
    client = app.test_client()
    Auth(client).post(
        f"/activate/{person.invitation.token}",
        {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    page = _type_code(app.test_client(), person.invitation.code).get_data(as_text=True)
    assert "This code does not work." in page


@pytest.mark.parametrize("hours", [71, 73])
def test_the_code_and_the_link_expire_after_72_hours(app, open_portal, hours):
    person = open_portal(preferred_language="en")
    later = datetime.now(UTC) + timedelta(hours=hours)
    with time_machine.travel(later, tick=False):
        client = app.test_client()
        typed = _type_code(client, person.invitation.code)
        link = app.test_client().get(f"/activate/{person.invitation.token}")
    if hours < 72:
        assert typed.status_code == 302 and link.status_code == 200
    else:
        assert "This code does not work." in typed.get_data(as_text=True)
        assert link.status_code == 404


def test_a_new_letter_for_a_forgotten_password_stops_the_old_code_and_password(
    app, auth, open_portal
):
    person = open_portal(preferred_language="en")
    client = app.test_client()
    _type_code(client, person.invitation.code)
    _choose_password(client)
    auth.login(person.caseworker)
    url = f"/cases/{person.case.id}"
    page = auth.post(f"{url}/portal-access/link", token_from=url).get_data(as_text=True)
    new_code = re.search(r'class="letter-code[^"]*">([\d ]{19})<', page).group(1)
    assert new_code != person.invitation.code
    assert "This code does not work." in _type_code(
        app.test_client(), person.invitation.code
    ).get_data(as_text=True)
    assert client.get("/my/").status_code == 302  # the old sessions end with the password
    fresh = app.test_client()
    assert _type_code(fresh, new_code).status_code == 302
    assert _choose_password(fresh, "a new long passphrase").headers["Location"] == "/my/"


def test_codes_typed_with_arabic_or_persian_digits_and_spaces_work(app, open_portal):
    person = open_portal(preferred_language="fa")
    persian = person.invitation.code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    typed = "-".join(persian.split(" "))
    assert _type_code(app.test_client(), typed).headers["Location"] == "/code/password"


def test_wrong_codes_pause_the_address_and_typos_do_not_count(app, open_portal):
    person = open_portal(preferred_language="en")
    client = app.test_client()
    page = _type_code(client, "1234").get_data(as_text=True)
    assert "The code has 16 digits." in page
    assert db.session.scalar(select(sa.func.count(LoginAttempt.id))) == 0
    wrong = "0000 0000 0000 0000" if person.invitation.code != "0000 0000 0000 0000" else "1" * 16
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        assert "This code does not work." in _type_code(client, wrong).get_data(as_text=True)
    page = _type_code(client, person.invitation.code).get_data(as_text=True)
    assert "Too many wrong codes." in page  # even the right one, for now
    assert person.account.password_hash is None


def test_the_database_keeps_only_a_keyed_digest_of_the_code(app, open_portal):
    person = open_portal(preferred_language="en")
    digits = person.invitation.code.replace(" ", "")
    stored = person.account.activation_code_hash
    assert digits not in stored
    assert stored != hashlib.sha256(digits.encode()).hexdigest()


def test_a_newcomer_account_is_bound_to_exactly_one_file(app, open_portal, make_case):
    person = open_portal(preferred_language="en")
    other = make_case(caseworker=person.caseworker)
    with app.test_request_context():
        with pytest.raises(CaseError):
            open_portal_access(person.case, "second@example.org", person.caseworker)
        with pytest.raises(Exception, match="already exists"):
            open_portal_access(other, person.account.email, person.caseworker)
    db.session.rollback()
    other.account_id = person.account.id
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()

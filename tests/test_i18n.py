"""Locale choice, text direction and complete, up-to-date catalogs."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from integrapath.i18n import SUPPORTED_LOCALES
from integrapath.security import Role
from tests.conftest import csrf_token_from

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
RTL_LOCALES = {"ar", "fa"}
# Words that are the same in a language by nature (brand names, codes, loanwords).
SAME_AS_ENGLISH_ALLOWED = {
    "IntegraPath",
    "E-mail",
    "Status",
    "Organisation",
    "Administrator",
    "Name",
    "Action",
    "Actions",
}


def _catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_has_no_untranslated_or_fuzzy_message(locale):
    catalog = _catalog(locale)
    assert len(catalog) > 0
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(("fuzzy", message.id))
        if not all(strings):
            problems.append(("untranslated", message.id))
    assert problems == []


@pytest.mark.parametrize("locale", sorted(set(SUPPORTED_LOCALES) - {"en"}))
def test_catalog_is_translated_not_copied_from_english(locale):
    copied = [
        message.id
        for message in _catalog(locale)
        if message.id
        and not message.pluralizable
        and message.string == message.id
        and message.id not in SAME_AS_ENGLISH_ALLOWED
    ]
    assert copied == []


def test_catalogs_cover_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [
            pybabel,
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=TRANSLATIONS.parent,
        check=True,
    )
    with pot.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    for locale in SUPPORTED_LOCALES:
        have = {message.id for message in _catalog(locale) if message.id}
        missing = {str(m) for m in wanted - have}
        assert missing == set(), f"{locale} lacks {sorted(missing)[:5]}; run make translations"


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_compiled_catalog_matches_its_source(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with (folder / "messages.mo").open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    source = {_key(m.id): _key(m.string) for m in _catalog(locale) if m.id and not m.fuzzy}
    assert compiled == source, "compiled catalog is stale: run make compile-translations"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_placeholders_match_the_english(locale):
    """A broken ``%(name)s`` would crash the page in that language."""
    problems = [
        (message.id, [str(error) for error in errors])
        for message, errors in _catalog(locale).check()
        if errors
    ]
    assert problems == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_html_has_the_language_and_direction_of_the_locale(client, locale):
    page = client.get("/login", headers={"Accept-Language": locale}).get_data(as_text=True)
    direction = "rtl" if locale in RTL_LOCALES else "ltr"
    assert f'<html lang="{locale}" dir="{direction}">' in page
    assert ("bootstrap.rtl.purged.min." in page) == (direction == "rtl")


def _switch(client, locale, next_path="/login"):
    token = csrf_token_from(client.get(next_path).get_data(as_text=True))
    return client.post("/language", data={"locale": locale, "next": next_path, "csrf_token": token})


def test_language_switcher_on_login_page_changes_the_language(client):
    response = _switch(client, "ar")
    assert response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in page
    assert "تسجيل الدخول" in page


def test_switcher_refuses_to_redirect_off_site(client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/language", data={"locale": "de", "next": "https://evil.example/", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_browser_language_is_used_when_nothing_was_chosen(client):
    page = client.get("/login", headers={"Accept-Language": "uk,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="uk"' in page


def test_default_language_without_any_preference_is_english(client):
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_signed_in_users_preference_wins_over_browser_and_switcher(auth, client, make_user):
    auth.login(make_user(Role.MIGRANT, preferred_locale="fa"))
    page = client.get("/my/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert 'lang="fa" dir="rtl"' in page


def test_switching_language_when_signed_in_saves_the_preference(auth, client, make_user):
    user = make_user(Role.MIGRANT, preferred_locale="en")
    auth.login(user)
    _switch(client, "uk", next_path="/my/")
    assert user.preferred_locale == "uk"
    assert 'lang="uk"' in client.get("/my/").get_data(as_text=True)


def test_municipality_default_applies_when_user_and_browser_say_nothing(
    auth, client, make_user, make_municipality
):
    town = make_municipality(default_locale="fr")
    auth.login(make_user(Role.MIGRANT, in_municipality=town, preferred_locale=None))
    assert 'lang="fr"' in client.get("/my/", headers={"Accept-Language": ""}).get_data(as_text=True)


def test_language_chosen_on_the_login_page_is_kept_after_sign_in(auth, client, make_user):
    user = make_user(Role.CASEWORKER, preferred_locale="de")
    _switch(client, "ar")
    auth.login(user)
    assert user.preferred_locale == "ar"
    assert 'lang="ar" dir="rtl"' in client.get("/cases/").get_data(as_text=True)


def test_activation_page_speaks_the_invitees_language(app, client, make_user):
    from integrapath.auth.services import issue_activation_link
    from integrapath.extensions import db

    person = make_user(Role.MIGRANT, preferred_locale="fa")
    with app.app_context():
        token = issue_activation_link(person)
        db.session.commit()
    page = client.get(f"/activate/{token}").get_data(as_text=True)
    assert 'lang="fa" dir="rtl"' in page


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("prs-AF", "fa"),
        ("fa-AF,en;q=0.5", "fa"),
        ("ar-SY", "ar"),
        ("xx,uk;q=0.8", "uk"),
        ("de-AT", "de"),
    ],
)
def test_browser_languages_are_matched_by_their_main_tag_and_dari_gets_persian(
    client, header, locale
):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'lang="{locale}"' in page

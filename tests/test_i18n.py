"""Locale choice, text direction and complete, up-to-date catalogs."""

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from integrapath.i18n import SUPPORTED_LOCALES
from integrapath.security import Role
from tests.catalogs import TRANSLATIONS, base_locale, catalog, translations
from tests.conftest import csrf_token_from

REGIONAL_LOCALES = [locale for locale in SUPPORTED_LOCALES if base_locale(locale)]
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
    "No",  # Spanish
    "Date",  # French
    "Source",  # French
    "Transport",  # French
    "Message",  # French
    "Sector",  # Spanish
    "Version",  # German, French
    "Version %(number)s",  # German, French
}


_catalog = catalog


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
        have = set(translations(locale))  # a regional catalog together with its language's
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


@pytest.mark.parametrize("locale", REGIONAL_LOCALES)
def test_regional_catalog_holds_only_what_differs_from_its_language(locale):
    """Dari's catalog lists Dari wording only; everything else comes from Persian."""
    base = {m.id: m.string for m in _catalog(base_locale(locale)) if m.id}
    regional = [message for message in _catalog(locale) if message.id]
    assert regional, "an empty regional catalog: the locale would be its language's"
    stale = [message.id for message in regional if message.id not in base]
    same = [message.id for message in regional if base.get(message.id) == message.string]
    assert (stale, same) == ([], [])


# CLDR's default digits: Persian (arabext) for Persian, Dari and Pashto; Arabic-Indic (arab)
# for Sorani Kurdish. Arabic itself writes Latin digits.
NATIVE_DIGIT_LOCALES = {"fa": "۰-۹", "fa_AF": "۰-۹", "ps": "۰-۹", "ckb": "٠-٩"}


@pytest.mark.parametrize("locale", sorted(NATIVE_DIGIT_LOCALES))
def test_catalogs_write_the_locales_own_digits(locale):
    """Latin digits stay only in technical names; placeholders are filled in at run time."""
    wrong = "[0-9]" + ("|[٠-٩]" if NATIVE_DIGIT_LOCALES[locale] == "۰-۹" else "|[۰-۹]")
    found = []
    for msgid, strings in translations(locale).items():
        for text in strings:
            rest = re.sub(r"%\(\w+\)[sd]|UTF-8", "", text)
            if re.search(wrong, rest):
                found.append((msgid, text))
    assert found == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_html_has_the_language_and_direction_of_the_locale(client, locale):
    page = client.get("/login", headers={"Accept-Language": locale}).get_data(as_text=True)
    direction = Locale.parse(locale).text_direction
    assert f'<html lang="{locale.replace("_", "-")}" dir="{direction}">' in page
    assert ("bootstrap.rtl.purged.min." in page) == (direction == "rtl")


@pytest.mark.parametrize("locale", ["ps", "ckb"])
def test_pashto_and_sorani_pages_are_right_to_left(client, locale):
    page = client.get("/login", headers={"Accept-Language": locale}).get_data(as_text=True)
    assert f'<html lang="{locale}" dir="rtl">' in page


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


@pytest.mark.parametrize(("locale", "html"), [("uk", 'lang="uk"'), ("fa_AF", 'lang="fa-AF"')])
def test_switching_language_when_signed_in_saves_the_preference(
    auth, client, make_user, locale, html
):
    user = make_user(Role.MIGRANT, preferred_locale="en")
    auth.login(user)
    _switch(client, locale, next_path="/my/")
    assert user.preferred_locale == locale
    assert html in client.get("/my/").get_data(as_text=True)


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
    from integrapath.accounts.services import issue_activation_link
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
        ("prs-AF", "fa-AF"),
        ("prs", "fa-AF"),
        ("fa-AF,en;q=0.5", "fa-AF"),
        ("fa-IR", "fa"),
        ("fa", "fa"),
        ("ar-SY", "ar"),
        ("xx,uk;q=0.8", "uk"),
        ("de-AT", "de"),
        ("tr-CY", "tr"),
        ("ru-UA,uk;q=0.8", "ru"),
    ],
)
def test_browser_languages_are_matched_by_region_then_main_tag_and_dari_is_its_own(
    client, header, locale
):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'lang="{locale}"' in page


@pytest.mark.parametrize(
    ("locale", "names"),
    [
        ("tr", {"SY": "Suriye", "AF": "Afganistan", "ar": "Arapça", "uk": "Ukraynaca"}),
        ("ru", {"SY": "Сирия", "AF": "Афганистан", "ar": "арабский", "uk": "украинский"}),
    ],
)
def test_country_and_language_names_come_from_cldr_in_turkish_and_russian(app, locale, names):
    from flask_babel import force_locale

    from integrapath.i18n import country_name, language_name

    with app.test_request_context(), force_locale(locale):
        got = {code: (country_name if code.isupper() else language_name)(code) for code in names}
    assert got == names


def test_turkish_and_russian_are_offered_by_their_own_names(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'value="tr" lang="tr">Türkçe</button>' in page
    assert 'value="ru" lang="ru">Русский</button>' in page
    assert "Войти" in client.get("/login", headers={"Accept-Language": "ru"}).get_data(as_text=True)


# -- Dari: its own locale, falling back to Persian --------------------------------------------
def test_dari_is_offered_in_the_switcher_by_its_own_name(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'value="fa_AF" lang="fa-AF">دری</button>' in page
    assert 'value="fa" lang="fa">فارسی</button>' in page


def test_dari_reader_gets_dari_words_and_persian_for_everything_else(client):
    dari = client.get("/login", headers={"Accept-Language": "prs"}).get_data(as_text=True)
    persian = client.get("/login", headers={"Accept-Language": "fa"}).get_data(as_text=True)
    assert "لینک فعال‌سازی" in dari  # from the Dari catalog
    assert "پیوند فعال‌سازی" in persian and "پیوند فعال‌سازی" not in dari
    assert "ورود به IntegraPath" in dari  # "Sign in to IntegraPath", from the Persian catalog


@pytest.mark.parametrize(
    ("language", "locale"), [("prs", "fa_AF"), ("fa_AF", "fa_AF"), ("fa", "fa"), ("am", None)]
)
def test_a_files_language_gives_the_portal_locale(language, locale):
    from integrapath.i18n import locale_for_language

    assert locale_for_language(language) == locale


# -- numbers and dates in the locale's own digits ---------------------------------------------
@pytest.mark.parametrize(
    ("locale", "long_date", "number"),
    [
        ("en", "June 3, 2026", "1,234.5"),
        ("de", "3. Juni 2026", "1.234,5"),
        ("ar", "3 يونيو 2026", "1,234.5"),  # CLDR: Arabic uses Latin digits by default
        ("fa", "۳ ژوئن ۲۰۲۶", "۱٬۲۳۴٫۵"),
        ("fa_AF", "۳ جون ۲۰۲۶", "۱٬۲۳۴٫۵"),  # Dari month names
        ("tr", "3 Haziran 2026", "1.234,5"),
        ("ru", "3 июня 2026\u202fг.", "1\u00a0234,5"),  # genitive month; CLDR's no-break spaces
        ("ps", "۳ جون ۲۰۲۶", "۱٬۲۳۴٫۵"),  # Pashto: Persian digits, as CLDR says
        ("ckb", "٣ی حوزەیرانی ٢٠٢٦", "١٬٢٣٤٫٥"),  # Sorani Kurdish: Arabic-Indic digits
    ],
)
def test_dates_and_numbers_use_the_locales_digits_and_month_names(app, locale, long_date, number):
    from flask_babel import force_locale

    from integrapath.i18n import format_date, format_number, local_digits

    year = {"fa": "۲۰۱۹", "fa_AF": "۲۰۱۹", "ps": "۲۰۱۹", "ckb": "٢٠١٩"}.get(locale, "2019")
    with app.test_request_context(), force_locale(locale):
        assert format_date(date(2026, 6, 3), "long") == long_date
        assert format_number(1234.5) == number
        assert local_digits(2019) == year


@pytest.mark.parametrize(
    ("locale", "joined"),
    [("en", "Arabic, Dari, and Pashto"), ("de", "Arabic, Dari und Pashto"),
     ("ar", "Arabic وDari وPashto"), ("tr", "Arabic, Dari ve Pashto"),
     ("ru", "Arabic, Dari и Pashto")],
)  # fmt: skip
def test_lists_of_words_are_joined_with_the_locales_own_commas_and_and(app, locale, joined):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        template = app.jinja_env.from_string("{{ words | as_list }}")
        assert template.render(words=["Arabic", "Dari", "Pashto"]) == joined


def _text_outside_ltr(html: str) -> str:
    """The visible text of a page, without scripts and without ``dir="ltr"`` identifiers."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        VOID = {"meta", "link", "input", "br", "img", "hr", "source", "col", "area", "wbr"}

        def __init__(self):
            super().__init__()
            self.stack, self.parts = [], []

        def handle_starttag(self, tag, attrs):
            if tag not in self.VOID:
                hidden = tag in {"script", "style"} or dict(attrs).get("dir") == "ltr"
                self.stack.append(hidden or bool(self.stack and self.stack[-1]))

        def handle_endtag(self, tag):
            if tag not in self.VOID and self.stack:
                self.stack.pop()

        def handle_data(self, data):
            if not (self.stack and self.stack[-1]):
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return " ".join(parser.parts)


PORTAL_PERMIT_DATES = {
    "fa": ("۲۱ اوت ۲۰۲۷", "۱۲۳۴۵"),
    "fa_AF": ("۲۱ اگست ۲۰۲۷", "۱۲۳۴۵"),
    "ps": ("۲۱ اګست ۲۰۲۷", "۱۲۳۴۵"),
    "ckb": ("٢١ی ئابی ٢٠٢٧", "١٢٣٤٥"),
}


@pytest.mark.parametrize("locale", sorted(PORTAL_PERMIT_DATES))
def test_portal_has_no_latin_digits_where_cldr_writes_others(
    auth, client, make_user, make_case, locale
):
    from integrapath.extensions import db

    newcomer = make_user(Role.MIGRANT, preferred_locale=locale, full_name="Farid Rahimi")
    caseworker = make_user(Role.CASEWORKER, full_name="Jonas Weber")  # names without digits
    case = make_case(
        caseworker=caseworker, permit_expires_on=date(2027, 8, 21), preferred_language=locale
    )
    case.account_id = newcomer.id
    db.session.commit()
    auth.login(newcomer)
    page = client.get("/my/").get_data(as_text=True)
    text = _text_outside_ltr(page)
    permit_date, stage_digits = PORTAL_PERMIT_DATES[locale]
    assert permit_date in text
    assert all(digit in text for digit in stage_digits)  # the five stage numbers
    assert re.findall(r".{0,30}[0-9]+", text) == []
    assert case.reference in page  # identifiers keep their Latin digits


def test_persian_caseload_counts_in_persian_digits(auth, client, make_user, make_case):
    caseworker = make_user(Role.CASEWORKER, preferred_locale="fa", full_name="Jonas Weber")
    for name in ("Amina", "Farid", "Oksana"):  # names without digits
        make_case(caseworker=caseworker, given_names=name, family_name="Haddad")
    auth.login(caseworker)
    page = client.get("/cases/").get_data(as_text=True)
    assert "۳ نتیجه" in page
    assert re.findall(r".{0,30}[0-9]+", _text_outside_ltr(page)) == []


@pytest.mark.parametrize("locale", ["ti", "so"])
def test_names_missing_from_cldr_are_shown_in_english(app, locale):
    """CLDR names no Tagalog in Tigrinya nor Somali: the English name, never the bare code."""
    from flask_babel import force_locale

    from integrapath.i18n import country_choices, country_name, language_choices, language_name

    with app.test_request_context(), force_locale("en"):
        english_languages, english_countries = language_choices(), country_choices()
    with app.test_request_context(), force_locale(locale):
        assert language_name("tl") == "Tagalog"
        assert language_name("ti") == Locale.parse(locale).languages["ti"]
        assert {code for code, _ in language_choices()} == {c for c, _ in english_languages}
        assert {code for code, _ in country_choices()} == {c for c, _ in english_countries}
        assert all(name != code for code, name in language_choices())
        assert country_name("ER") == Locale.parse(locale).territories["ER"]

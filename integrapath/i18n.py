"""Supported locales, locale selection, text direction and formatting helpers."""

import unicodedata
from datetime import date
from enum import StrEnum
from functools import lru_cache

from babel import Locale
from flask import current_app, g, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_timezone
from flask_login import current_user

from .extensions import today_in

# Code -> nothing else: names come from Babel so they are right in every language.
SUPPORTED_LOCALES = ("en", "de", "fr", "es", "uk", "ar", "fa")
SESSION_KEY = "locale"
# Browsers that ask for Dari (ISO 639-3 ``prs``) get Persian, which Dari readers read.
LOCALE_ALIASES = {"prs": "fa"}


def locale_name(code: str) -> str:
    """Return the name of a locale in that locale's own language (``العربية``)."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def locale_choices() -> list[tuple[str, str]]:
    """Return ``(code, native name)`` pairs for select fields and the switcher."""
    return [(code, locale_name(code)) for code in SUPPORTED_LOCALES]


def select_locale() -> str:
    """Pick the locale: user preference, switcher choice, browser, municipality, default."""
    # Flask-Babel asks once per request and caches the answer.
    if current_user.is_authenticated and current_user.preferred_locale in SUPPORTED_LOCALES:
        return current_user.preferred_locale
    chosen = session.get(SESSION_KEY)
    if chosen in SUPPORTED_LOCALES:
        return chosen
    # A page about a known person who is not signed in yet (the activation page).
    hinted = g.get("person_locale")
    if hinted in SUPPORTED_LOCALES:
        return hinted
    browser = _browser_locale()
    if browser:
        return browser
    if current_user.is_authenticated:
        return current_user.municipality.default_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _browser_locale() -> str | None:
    """Return the first supported language the browser asks for, by preference."""
    for language, _quality in request.accept_languages:
        primary = language.replace("_", "-").split("-")[0].lower()
        primary = LOCALE_ALIASES.get(primary, primary)
        if primary in SUPPORTED_LOCALES:
            return primary
    return None


def select_timezone() -> str:
    """Show times in the municipality's time zone once the user is known."""
    if current_user.is_authenticated:
        return current_user.municipality.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def local_today() -> date:
    """Return today in the time zone of the request (the signed-in user's municipality)."""
    return today_in(str(get_timezone()))


def text_direction() -> str:
    """Return ``rtl`` or ``ltr`` for the current locale."""
    return get_locale().text_direction


class LabelledEnum(StrEnum):
    """A string enum stored by value, whose members have translated labels.

    Subclasses return ``{member: lazy_gettext(...)}`` from ``labels()``.
    """

    @property
    def label(self) -> str:
        return type(self).labels()[self]

    @classmethod
    def labels(cls) -> dict:
        raise NotImplementedError


def labelled_choices(enum_cls: type[LabelledEnum]) -> list[tuple[str, str]]:
    """Return ``(value, translated label)`` pairs of an enum for a select field."""
    return [(member.value, member.label) for member in enum_cls]


def register_template_helpers(app) -> None:
    """Make locale and formatting helpers available in every template."""
    app.jinja_env.globals.update(
        get_locale=get_locale,
        text_direction=text_direction,
        locale_choices=locale_choices,
        country_name=country_name,
        language_name=language_name,
    )
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_decimal,
    )


# Babel's territory list also has regions and groupings that are not countries.
NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
# ISO 639-3 codes without a two-letter code that matter for newcomers, and the Babel
# locale that carries their name.
EXTRA_LANGUAGES = {"prs": "fa_AF", "ckb": "ckb", "sdh": "sdh"}


@lru_cache(maxsize=16)
def _countries(locale_code: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale_code).territories
    countries = [
        (code, name)
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    ]
    return tuple(sorted(countries, key=lambda item: _sort_key(item[1])))


@lru_cache(maxsize=16)
def _languages(locale_code: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale_code).languages
    languages = {code: name for code, name in names.items() if len(code) == 2}
    for code, babel_code in EXTRA_LANGUAGES.items():
        languages[code] = names.get(babel_code) or names.get(code) or code
    return tuple(sorted(languages.items(), key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    return unicodedata.normalize("NFKD", name).casefold()


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with names in the current language, sorted by name."""
    return list(_countries(str(get_locale())))


def language_choices() -> list[tuple[str, str]]:
    """ISO 639 codes with names in the current language, sorted by name."""
    return list(_languages(str(get_locale())))


@lru_cache(maxsize=16)
def _country_names(locale_code: str) -> dict[str, str]:
    return dict(_countries(locale_code))


@lru_cache(maxsize=16)
def _language_names(locale_code: str) -> dict[str, str]:
    return dict(_languages(locale_code))


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return _country_names(str(get_locale())).get(code, code)


def language_name(code: str | None) -> str:
    if not code:
        return ""
    return _language_names(str(get_locale())).get(code, code)


def is_country(code: str) -> bool:
    return code in _country_names("en")


def is_language(code: str) -> bool:
    return code in _language_names("en")

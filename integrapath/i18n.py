"""Supported locales, locale selection, text direction and formatting helpers."""

import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_babel
from babel import Locale, lists, numbers
from babel.support import NullTranslations, Translations
from flask import current_app, g, request, session
from flask_babel import get_locale, get_timezone
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup

# Code -> nothing else: names come from Babel so they are right in every language.
# ``fa_AF`` is Dari: its catalog holds only what differs from Persian (``fa``).
# Pashto (``ps``) and Sorani Kurdish (``ckb``) are written right to left like Arabic.
SUPPORTED_LOCALES = (
    "en", "de", "fr", "es", "uk", "ar", "fa", "fa_AF", "tr", "ru", "ps", "ckb", "ti", "so",
)  # fmt: skip
SESSION_KEY = "locale"
# Language codes without a locale of their own: Dari (ISO 639-3 ``prs``) is ``fa_AF``.
LOCALE_ALIASES = {"prs": "fa_AF"}
# The digits of CLDR's numbering systems that our locales use by default (Babel knows a
# locale's numbering system by name, e.g. ``arabext`` for Persian, Dari and Pashto, ``arab``
# for Sorani Kurdish, not its digits).
NATIVE_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}
# Stylesheets of vendored fonts, linked only for the locales whose letters common system
# fonts lack (DejaVu Sans has no Pashto ۍ): static paths, one per locale.
LOCALE_FONTS = {
    "ps": "vendor/noto-sans-arabic/noto-sans-arabic.css",
    "ckb": "vendor/noto-sans-arabic/noto-sans-arabic.css",
}


def locale_name(code: str) -> str:
    """Return the name of a locale in that locale's own language (``العربية``, ``دری``)."""
    locale = Locale.parse(code)
    # CLDR names some regional locales as languages of their own (fa_AF: دری, not
    # "فارسی (افغانستان)").
    name = locale.languages.get(code) or locale.get_display_name(code) or code
    return name[:1].upper() + name[1:]


def html_lang(code: str | None = None) -> str:
    """Return a locale code as a BCP 47 language tag for ``lang`` attributes (``fa-AF``)."""
    return str(code or get_locale()).replace("_", "-")


def locale_for_language(code: str | None) -> str | None:
    """Return the supported locale for a language code (``prs`` -> ``fa_AF``), or None."""
    code = LOCALE_ALIASES.get(code, code)
    return code if code in SUPPORTED_LOCALES else None


@cache
def locale_choices() -> tuple[tuple[str, str], ...]:
    """Return ``(code, native name)`` pairs for select fields and the switcher (built once:
    every page's language menu shows them)."""
    return tuple((code, locale_name(code)) for code in SUPPORTED_LOCALES)


def language_buttons():
    """The buttons of the language menu for the current locale, as ``_language_buttons.html``
    renders them: every page shows the 13, so each locale's are rendered once per worker
    (while templates reload, as in development, every time)."""
    environment = current_app.jinja_env
    current = str(get_locale())
    if environment.auto_reload:
        return _render_language_buttons(environment, current)
    return _cached_language_buttons(environment, current)


def _render_language_buttons(environment, current: str):
    buttons = environment.get_template("_language_buttons.html").render(current=current)
    return Markup(buttons)  # noqa: S704 - an autoescaped template's output


_cached_language_buttons = lru_cache(maxsize=64)(_render_language_buttons)


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
    """Return the first supported language the browser asks for, by preference.

    A tag with a region gets that regional locale when we have it (``fa-AF`` -> Dari),
    otherwise its language (``de-AT`` -> ``de``, ``fa-IR`` -> ``fa``).
    """
    for language, _quality in request.accept_languages:
        parts = language.replace("_", "-").split("-")
        primary = parts[0].lower()
        regional = f"{primary}_{parts[1].upper()}" if len(parts) > 1 else None
        for code in (regional, primary):
            locale = locale_for_language(code)
            if locale:
                return locale
    return None


def select_timezone() -> str:
    """Show times in the municipality's time zone once the user is known."""
    if current_user.is_authenticated:
        return current_user.municipality.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def today_in(timezone: str) -> date:
    """Return the calendar day it is now in ``timezone`` (a municipality's), not the server's.

    Computed on every call: a worker running over midnight must move to the next day.
    """
    return datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()


def local_today() -> date:
    """Return today in the time zone of the request (the signed-in user's municipality)."""
    return today_in(str(get_timezone()))


def locale_font_stylesheet() -> str | None:
    """Return the static path of the font stylesheet the current locale needs, if any."""
    return LOCALE_FONTS.get(str(get_locale()))


def text_direction() -> str:
    """Return ``rtl`` or ``ltr`` for the current locale."""
    return get_locale().text_direction


# -- catalogs: a regional catalog holds only what differs from its language's -------------
def load_translations(directory: str | Path, code: str) -> NullTranslations:
    """Load the compiled catalog of a locale.

    A regional locale's catalog (``fa_AF``) holds only the messages that differ from its
    language's (``fa``) and falls back to that one for the rest, the ordinary gettext way.
    """
    locale = Locale.parse(code)
    translations = Translations.load(str(directory), [locale.language])
    regional = Path(directory, str(locale), "LC_MESSAGES", "messages.mo")
    if locale.territory and regional.is_file():
        with regional.open("rb") as handle:
            overlay = Translations(handle)
        overlay.add_fallback(translations)
        return overlay
    return translations


class RegionalDomain(flask_babel.Domain):
    """Flask-Babel's ``messages`` domain, loading catalogs with ``load_translations``."""

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        if locale is None:  # outside a request, as Flask-Babel's own domain does
            return NullTranslations()
        key = str(locale)
        if key not in self.cache:
            self.cache[key] = load_translations(self.translation_directories[0], key)
        return self.cache[key]


# -- numbers and dates in the locale's own digits ------------------------------------------
@lru_cache(maxsize=16)
def _digit_table(code: str) -> dict[int, str]:
    digits = NATIVE_DIGITS.get(Locale.parse(code).default_numbering_system)
    return str.maketrans("0123456789", digits) if digits else {}


def local_digits(value) -> str:
    """Write a value with the current locale's digits (۲۰۲۶ in Persian, Dari and Pashto,
    ٢٠٢٦ in Sorani Kurdish, as CLDR says).

    For numbers that are not amounts (years, stage numbers); amounts go through
    ``format_number``. Identifiers (references, permit numbers) keep their Latin digits.
    """
    return _in_digits_of(get_locale(), str(value))


def _in_digits_of(locale, text: str) -> str:
    return text.translate(_digit_table(str(locale))) if locale else text


def format_number(number) -> str:
    """Format a number for the current locale: its separators and its digits."""
    locale = get_locale()
    return _in_digits_of(
        locale, numbers.format_decimal(number, locale=locale, numbering_system="default")
    )


def format_list(items) -> str:
    """Join words as the current locale does ("A, B and C"; Arabic "A وB وC")."""
    return lists.format_list([str(item) for item in items], locale=get_locale())


def format_date(date=None, format=None, rebase=True) -> str:
    return local_digits(flask_babel.format_date(date, format, rebase))


def format_datetime(datetime=None, format=None, rebase=True) -> str:
    return local_digits(flask_babel.format_datetime(datetime, format, rebase))


def format_time(time=None, format="short") -> str:
    """A wall-clock time as it is written (the municipality's local time), in the locale."""
    return local_digits(flask_babel.format_time(time, format, rebase=False))


def format_percent(ratio) -> str:
    """A ratio (0.85) as a percentage in the locale's way of writing it (85 %)."""
    locale = get_locale()
    return _in_digits_of(
        locale, numbers.format_percent(ratio, locale=locale, numbering_system="default")
    )


def lazy_number(number) -> LazyString:
    """A number for messages built at import time, formatted when it is shown."""
    return LazyString(format_number, number)


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
        locale_font_stylesheet=locale_font_stylesheet,
        locale_choices=locale_choices,
        language_buttons=language_buttons,
        html_lang=html_lang,
        country_name=country_name,
        language_name=language_name,
    )
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        time=format_time,
        percent=format_percent,
        number=format_number,
        digits=local_digits,
        as_list=format_list,
    )


# Babel's territory list also has regions and groupings that are not countries.
NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
# ISO 639-3 codes without a two-letter code that matter for newcomers, and the Babel
# locale that carries their name.
EXTRA_LANGUAGES = {"prs": "fa_AF", "ckb": "ckb", "sdh": "sdh"}


@lru_cache(maxsize=16)
def _countries(locale_code: str) -> tuple[tuple[str, str], ...]:
    # Where CLDR has no name in the reader's language (it is thin for Tigrinya and Somali),
    # the English name stands in, so that no country is missing from a list.
    names = {**Locale.parse("en").territories, **Locale.parse(locale_code).territories}
    countries = [
        (code, name)
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    ]
    return tuple(sorted(countries, key=lambda item: _sort_key(item[1])))


@lru_cache(maxsize=16)
def _languages(locale_code: str) -> tuple[tuple[str, str], ...]:
    own, english = Locale.parse(locale_code).languages, Locale.parse("en").languages
    names = {**english, **own}  # the English name where the locale has none
    languages = {code: name for code, name in names.items() if len(code) == 2}
    for code, babel_code in EXTRA_LANGUAGES.items():
        languages[code] = (
            own.get(babel_code) or own.get(code) or english.get(babel_code) or english.get(code)
        ) or code
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

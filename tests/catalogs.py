"""Read the translation catalogs as the app sees them (a regional one over its language's)."""

from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def catalog(locale: str):
    """The ``.po`` catalog of a locale, as it is on disk."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def base_locale(locale: str) -> str | None:
    """The language whose catalog a regional locale falls back to (``fa_AF`` -> ``fa``)."""
    parsed = Locale.parse(locale)
    return parsed.language if parsed.territory else None


def translations(locale: str) -> dict:
    """``{msgid: (msgstr, ...)}`` of every message a reader of the locale gets."""
    result = {}
    for code in filter(None, (base_locale(locale), locale)):
        for message in catalog(code):
            if message.id and not message.fuzzy:
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                result[message.id] = strings
    return result

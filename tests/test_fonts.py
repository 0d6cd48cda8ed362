"""Pashto and Sorani Kurdish pages bring a font that has every letter of their catalogs."""

import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from integrapath.i18n import LOCALE_FONTS, SUPPORTED_LOCALES
from tests.catalogs import translations

STATIC = Path(__file__).resolve().parent.parent / "integrapath" / "static"
NOTO_ARABIC = STATIC / "vendor" / "noto-sans-arabic"
# The letters the issue names, whatever the catalogs hold today.
PASHTO_LETTERS = "ټځډړږښګڼۍې"
SORANI_LETTERS = "ڕڵێۆڤ"


def _letters(locale: str) -> set[str]:
    """Every Arabic-script letter, mark and digit a reader of the locale may be shown."""
    text = "".join(s for strings in translations(locale).values() for s in strings)
    return {c for c in text if "ARABIC" in unicodedata.name(c, "") and not c.isspace()}


def _glyphs(weight: int) -> set[int]:
    return set(TTFont(NOTO_ARABIC / f"noto-sans-arabic-{weight}.woff2").getBestCmap())


@pytest.mark.parametrize("weight", [400, 700])
@pytest.mark.parametrize(("locale", "named"), [("ps", PASHTO_LETTERS), ("ckb", SORANI_LETTERS)])
def test_the_vendored_font_has_every_letter_of_the_catalog(locale, named, weight):
    letters = _letters(locale) | set(named)
    assert len(letters) > 40
    glyphs = _glyphs(weight)
    assert sorted(c for c in letters if ord(c) not in glyphs) == []


def test_the_font_comes_with_its_licence_and_is_loaded_for_pashto_and_sorani_only():
    assert "SIL Open Font License" in (NOTO_ARABIC / "OFL.txt").read_text(encoding="utf-8")
    assert set(LOCALE_FONTS) == {"ps", "ckb"} and set(LOCALE_FONTS) <= set(SUPPORTED_LOCALES)
    for path in LOCALE_FONTS.values():
        css = (STATIC / path).read_text(encoding="utf-8")
        assert 'url("noto-sans-arabic-400.woff2")' in css
        assert 'url("noto-sans-arabic-700.woff2")' in css
        assert "--bs-body-font-family" in css


@pytest.mark.parametrize(
    ("locale", "linked"), [("ps", True), ("ckb", True), ("ar", False), ("en", False)]
)
def test_pages_link_the_font_only_in_the_locales_that_need_it(client, locale, linked):
    page = client.get("/login", headers={"Accept-Language": locale}).get_data(as_text=True)
    assert ("noto-sans-arabic" in page) == linked

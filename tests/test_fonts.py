"""Pages never show empty boxes: Pashto and Sorani Kurdish bring a vendored Arabic-script
font, Tigrinya a vendored Ethiopic one, each with every letter its catalog and CLDR use."""

import re
import unicodedata
from pathlib import Path

import pytest
from babel import Locale
from fontTools.ttLib import TTFont

from integrapath.assets import SOURCE
from integrapath.i18n import LOCALE_FONTS, SUPPORTED_LOCALES
from tests.catalogs import translations

STATIC = Path(__file__).resolve().parent.parent / "integrapath" / "static"
NOTO_ARABIC = STATIC / "vendor" / "noto-sans-arabic"
# The letters the issue names, whatever the catalogs hold today.
PASHTO_LETTERS = "ټځډړږښګڼۍې"
SORANI_LETTERS = "ڕڵێۆڤ"
ETHIOPIC_DIR = SOURCE / "vendor/noto-sans-ethiopic"
ETHIOPIC_FONT = ETHIOPIC_DIR / "noto-sans-ethiopic.woff2"
ETHIOPIC = re.compile(r"[\u1200-\u137f]")  # the block app.css gives to the font (unicode-range)


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


def _ethiopic_letters(texts) -> set[str]:
    return {char for text in texts for char in ETHIOPIC.findall(text)}


def _ethiopic_covered() -> set[str]:
    return {chr(code) for code in TTFont(ETHIOPIC_FONT).getBestCmap()}


def _names(missing: set[str]) -> str:
    letters = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in sorted(missing))
    return f"{letters}: run tools/subset-ethiopic-font.py again"


def test_the_font_has_every_ethiopic_letter_of_the_tigrinya_catalog():
    used = _ethiopic_letters(text for strings in translations("ti").values() for text in strings)
    assert len(used) > 100  # the catalog is really written in Ge'ez script
    missing = used - _ethiopic_covered()
    assert not missing, _names(missing)


def test_the_font_has_every_letter_of_the_names_babel_shows_in_tigrinya():
    """Countries, languages, months and the language menu come from CLDR, not the catalog."""
    locale = Locale.parse("ti")
    texts = [*locale.territories.values(), *locale.languages.values()]
    texts += [*locale.months["format"]["wide"].values(), *locale.days["format"]["wide"].values()]
    missing = _ethiopic_letters(texts) - _ethiopic_covered()
    assert not missing, _names(missing)


def test_the_font_is_declared_for_the_ethiopic_block_only_and_ships_its_licence():
    css = (SOURCE / "css/app.css").read_text()
    face = re.search(r"@font-face\s*{[^}]*}", css).group(0)
    assert "vendor/noto-sans-ethiopic/noto-sans-ethiopic.woff2" in face
    assert "unicode-range: U+1200-137F;" in face  # fetched only where Ethiopic is drawn
    assert "SIL Open Font License" in (ETHIOPIC_DIR / "OFL.txt").read_text()
    assert ETHIOPIC_FONT.stat().st_size < 50_000  # light pages weigh 60 kB at most

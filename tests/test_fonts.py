"""Tigrinya pages never show empty boxes: the vendored Ethiopic font has every letter they use."""

import re
import unicodedata

from babel import Locale
from fontTools.ttLib import TTFont

from integrapath.assets import SOURCE
from tests.catalogs import translations

FONT_DIR = SOURCE / "vendor/noto-sans-ethiopic"
FONT = FONT_DIR / "noto-sans-ethiopic.woff2"
ETHIOPIC = re.compile(r"[\u1200-\u137f]")  # the block app.css gives to the font (unicode-range)


def _ethiopic_letters(texts) -> set[str]:
    return {char for text in texts for char in ETHIOPIC.findall(text)}


def _covered() -> set[str]:
    return {chr(code) for code in TTFont(FONT).getBestCmap()}


def _names(missing: set[str]) -> str:
    letters = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in sorted(missing))
    return f"{letters}: run tools/subset-ethiopic-font.py again"


def test_the_font_has_every_ethiopic_letter_of_the_tigrinya_catalog():
    used = _ethiopic_letters(text for strings in translations("ti").values() for text in strings)
    assert len(used) > 100  # the catalog is really written in Ge'ez script
    missing = used - _covered()
    assert not missing, _names(missing)


def test_the_font_has_every_letter_of_the_names_babel_shows_in_tigrinya():
    """Countries, languages, months and the language menu come from CLDR, not the catalog."""
    locale = Locale.parse("ti")
    texts = [*locale.territories.values(), *locale.languages.values()]
    texts += [*locale.months["format"]["wide"].values(), *locale.days["format"]["wide"].values()]
    missing = _ethiopic_letters(texts) - _covered()
    assert not missing, _names(missing)


def test_the_font_is_declared_for_the_ethiopic_block_only_and_ships_its_licence():
    css = (SOURCE / "css/app.css").read_text()
    face = re.search(r"@font-face\s*{[^}]*}", css).group(0)
    assert "vendor/noto-sans-ethiopic/noto-sans-ethiopic.woff2" in face
    assert "unicode-range: U+1200-137F;" in face  # fetched only where Ethiopic is drawn
    assert "SIL Open Font License" in (FONT_DIR / "OFL.txt").read_text()
    assert FONT.stat().st_size < 50_000  # light pages (portal, sign-in) weigh 60 kB at most

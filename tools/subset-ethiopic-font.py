"""Cut Noto Sans Ethiopic down to the Ge'ez letters IntegraPath writes in Tigrinya.

Usage (after new Tigrinya translations, when tests/test_fonts.py names a missing letter):

    npm pack @fontsource-variable/noto-sans-ethiopic@5.3.0 && tar xzf fontsource-*.tgz
    .venv/bin/python tools/subset-ethiopic-font.py \
        package/files/noto-sans-ethiopic-ethiopic-wght-normal.woff2

The letters are those of the Tigrinya catalog, of the names CLDR gives in Tigrinya (countries,
languages, months, days) and the Ethiopic punctuation; the weights 400 to 700 stay variable,
so one file of about 35 kB serves body text, headings and bold.
"""

import re
import sys
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib.instancer import instantiateVariableFont

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "integrapath/static/vendor/noto-sans-ethiopic/noto-sans-ethiopic.woff2"
ETHIOPIC = re.compile(r"[\u1200-\u137f]")
PUNCTUATION = "".join(chr(code) for code in range(0x1360, 0x1369))  # ፠ ፡ ። ፣ ፤ ፥ ፦ ፧ ፨


def tigrinya_letters() -> str:
    with (ROOT / "translations/ti/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="ti")
    texts = []
    for message in catalog:
        texts += message.string if isinstance(message.string, tuple) else [message.string]
    locale = Locale.parse("ti")
    texts += [*locale.territories.values(), *locale.languages.values()]
    for width in ("wide", "abbreviated"):
        texts += [*locale.months["format"][width].values(), *locale.days["format"][width].values()]
    return "".join(sorted({c for text in texts if text for c in ETHIOPIC.findall(text)}))


def main(source: str) -> None:
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=tigrinya_letters() + PUNCTUATION + " \u00a0")
    subsetter.subset(font)
    font = instantiateVariableFont(font, {"wght": (400, 700)})
    font.flavor = "woff2"
    font.save(TARGET)
    print(f"{TARGET.relative_to(ROOT)}: {TARGET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])

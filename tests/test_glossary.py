"""Every message that uses a glossary term uses the glossary's word for it in every locale."""

import re

import pytest

from integrapath.i18n import SUPPORTED_LOCALES
from tests.catalogs import TRANSLATIONS, translations

GLOSSARY = TRANSLATIONS / "GLOSSARY.md"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _forms(cell: str) -> list[str]:
    return [form.strip().rstrip("…").casefold() for form in cell.split(",") if form.strip()]


def _glossary() -> tuple[list[str], list[dict[str, list[str]]]]:
    """Parse the table of terms: the header names the locales, each row is one term."""
    lines = [line.strip() for line in GLOSSARY.read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("| en |"))
    locales = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(locales), f"glossary row has {len(cells)} cells: {line}"
        rows.append({locale: _forms(cell) for locale, cell in zip(locales, cells, strict=True)})
    return locales, rows


LOCALES, TERMS = _glossary()


def _english(msgid) -> str:
    text = " ".join(msgid) if isinstance(msgid, tuple) else msgid
    return PLACEHOLDER.sub(" ", text).casefold()


def _uses(term_forms: list[str], english: str) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", english) for form in term_forms)


def test_glossary_covers_every_supported_locale_and_the_key_terms():
    assert sorted(LOCALES) == sorted(SUPPORTED_LOCALES)
    english = {term["en"][0] for term in TERMS}
    wanted = {"case file", "caseload", "caseworker", "newcomer", "integration", "pathway"}
    wanted |= {"residence permit", "consent", "sensitive need", "transfer", "course provider"}
    wanted |= {"municipality", "activation link", "pre-departure", "arrival and orientation"}
    assert wanted <= english


@pytest.mark.parametrize("locale", sorted(set(SUPPORTED_LOCALES) - {"en"}))
def test_translations_use_the_glossary_words(locale):
    problems = []
    for msgid, strings in translations(locale).items():
        english = _english(msgid)
        for term in TERMS:
            if not _uses(term["en"], english):
                continue
            for text in strings:
                if not any(form in text.casefold() for form in term[locale]):
                    problems.append(f"{term['en'][0]!r} in {msgid!r}: {text!r}")
    assert problems == [], "\n".join(problems)


def test_the_glossary_test_notices_a_translation_without_the_word():
    """The check above would pass on nothing: make sure it fails on a real miss."""
    term = next(term for term in TERMS if term["en"][0] == "caseload")
    assert _uses(term["en"], _english("Caseload exported"))
    assert not any(form in "meine fälle".casefold() for form in term["de"])
    assert not _uses(term["en"], _english("Accounts of %(municipality)s caseload-free"))

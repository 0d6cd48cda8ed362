"""The reference lists shipped in ``data/`` (ISCO-08, ISCED 2011, ISCED-F 2013; sources in
``data/SOURCES.md``), loaded into their tables, and read in the reader's language."""

import csv
from functools import lru_cache
from pathlib import Path

from anyascii import anyascii
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..i18n import local_digits
from .models import IscedField, IscedLevel, IscoGroup

DATA = Path(__file__).resolve().parent / "data"
# Languages that ESCO gives ISCO titles in; any other reader sees the English title, marked.
TITLE_LANGUAGES = ("en", "de", "fr", "es")
SEARCH_RESULTS = 20


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def fold(text: str) -> str:
    """Lower-case ASCII, so that 'Krankenpflegefachkräfte' and 'krankenpflegefachkrafte' meet."""
    return anyascii(text).casefold()


def load_reference_data() -> dict[str, int]:
    """Insert the rows missing from the reference tables (safe to run again).

    Returns how many rows each table holds afterwards.
    """
    tables = [
        (
            IscoGroup,
            "code",
            [
                {
                    **row,
                    "level": int(row["level"]),
                    "parent_code": row["parent_code"] or None,
                    "search_key": " | ".join(
                        fold(row[f"title_{code}"]) for code in TITLE_LANGUAGES
                    ),
                }
                for row in _rows("isco08.csv")
            ],
        ),
        (
            IscedLevel,
            "code",
            [{**row, "code": int(row["code"])} for row in _rows("isced2011_levels.csv")],
        ),
        (
            IscedField,
            "code",
            [
                {**row, "parent_code": row["parent_code"] or None}
                for row in _rows("iscedf2013_fields.csv")
            ],
        ),
    ]
    counts = {}
    for model, key, rows in tables:
        known = set(db.session.scalars(select(getattr(model, key))))
        db.session.add_all(model(**row) for row in rows if row[key] not in known)
        db.session.flush()
        counts[model.__tablename__] = len(known) + sum(row[key] not in known for row in rows)
    return counts


def _title(row, language: str) -> str:
    if language in TITLE_LANGUAGES:
        return getattr(row, f"title_{language}")
    return _("%(title)s (English)", title=row.title_en)


def occupation_title(group: IscoGroup | None) -> str:
    """The ISCO title in the reader's language, or the English one marked as such."""
    return _title(group, get_locale().language) if group is not None else ""


@lru_cache(maxsize=1)
def _groups_by_code() -> dict[str, IscoGroup]:
    """Every ISCO-08 group from the shipped file, read once per process (no query)."""
    titles = [f"title_{code}" for code in TITLE_LANGUAGES]
    return {
        row["code"]: IscoGroup(
            code=row["code"], level=int(row["level"]), **{key: row[key] for key in titles}
        )
        for row in _rows("isco08.csv")
    }


def occupation_label(code: str) -> str:
    """An ISCO-08 code with its title: "2221 · Nursing professionals"."""
    group = _groups_by_code().get(code)
    return f"{local_digits(code)} · {occupation_title(group)}" if group else code


def _search_words(query: str) -> list[str]:
    """The typed words, each a little shorter so that a word form also finds its relatives
    ('Krankenpfleger' finds 'Krankenpflegefachkräfte', 'infirmière' finds 'infirmiers')."""
    words = [word for word in fold(query).replace("%", " ").replace("_", " ").split() if word]
    return [word[:-1] if len(word) >= 5 else word for word in words][:5]


def search_occupations(query: str) -> list[tuple[str, str]]:
    """ISCO-08 unit groups whose title in any language has every typed word: (code, title)."""
    words = _search_words(query)
    if not words:
        return []
    statement = select(IscoGroup).where(IscoGroup.level == 4)
    for word in words:
        statement = statement.where(IscoGroup.search_key.contains(word, autoescape=True))
    groups = db.session.scalars(statement.order_by(IscoGroup.code).limit(SEARCH_RESULTS))
    return [(group.code, occupation_title(group)) for group in groups]


# Option lists come from the shipped files themselves (the tables hold the same rows, for the
# foreign keys and the search): no query, read once per process.
@lru_cache(maxsize=1)
def _isced_rows() -> tuple[tuple, tuple]:
    levels = tuple((int(row["code"]), row["title_en"]) for row in _rows("isced2011_levels.csv"))
    fields = tuple(
        (row["code"], row["level"], row["title_en"]) for row in _rows("iscedf2013_fields.csv")
    )
    return levels, fields


def _english(title: str) -> str:
    return title if get_locale().language == "en" else _("%(title)s (English)", title=title)


def isced_level_choices() -> list[tuple[int, str]]:
    """ISCED 2011 levels for a select (English titles, marked as such), built once."""
    return [(code, f"{local_digits(code)} · {_english(title)}") for code, title in _isced_rows()[0]]


def isced_field_choices() -> list[tuple[str, str]]:
    """ISCED-F 2013 narrow fields for a select (English titles, marked as such)."""
    return [
        (code, f"{local_digits(code)} · {_english(title)}")
        for code, level, title in _isced_rows()[1]
        if level == "narrow"
    ]


def isced_field_title(code: str | None) -> str:
    titles = {field_code: title for field_code, _level, title in _isced_rows()[1]}
    return _english(titles[code]) if code in titles else ""


def _major_group_rows() -> list[IscoGroup]:
    return [group for group in _groups_by_code().values() if group.level == 1]


def major_group_choices() -> list[tuple[str, str]]:
    """The ten ISCO-08 major groups for a select, read once per process."""
    language = get_locale().language
    return [
        (group.code, f"{local_digits(group.code)} · {_title(group, language)}")
        for group in _major_group_rows()
    ]

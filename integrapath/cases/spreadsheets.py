"""Import of newcomers from spreadsheets (checked row by row, then all or nothing) and the
caseload export: the case-file columns, read and written through ``integrapath.spreadsheets``.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import cache

import sqlalchemy as sa
from babel import Locale
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectFieldBase

from .. import spreadsheets as sheets
from ..accounts.models import User
from ..audit import record_event
from ..extensions import db, utcnow
from ..i18n import (
    SUPPORTED_LOCALES,
    country_choices,
    is_country,
    is_language,
    lazy_number,
    local_digits,
    locale_name,
)
from .models import Case, CaseImport, CaseNationality, ResidenceCategory, Sex, Stage
from .services import (
    CaseData,
    PersonKeys,
    caseworkers_of,
    find_duplicates,
    name_key,
    register_case,
)

MAX_IMPORT_ROWS = sheets.MAX_ROWS
# The columns of an import file, each with the headings it may have besides its code: the
# first is what the export and the template write; any of them is read, in any language.
IMPORT_COLUMNS = {
    "given_names": (_l("Given names"),),
    "family_name": (_l("Family name"),),
    "given_names_latin": (_l("Given names in Latin letters"),),
    "family_name_latin": (_l("Family name in Latin letters"),),
    "date_of_birth": (_l("Date of birth"),),
    "sex": (_l("Sex"),),
    "country_of_birth": (_l("Country of birth"),),
    "nationalities": (_l("Nationalities"),),
    "mother_tongue": (_l("Mother tongue"),),
    "languages": (_l("Other languages spoken"),),
    "preferred_language": (
        _l("Preferred language"),
        _l("Preferred language for letters and the portal"),
    ),
    "phone": (_l("Phone"),),
    "email": (_l("E-mail address"),),
    "address": (_l("Address"),),
    "residence_category": (_l("Residence category"),),
    "permit_number": (_l("Residence permit number"),),
    "permit_issued_on": (_l("Permit issued on"),),
    "permit_expires_on": (_l("Permit expires on"),),
    "arrived_in_country_on": (_l("Arrival in the country"),),
    "arrived_in_municipality_on": (_l("Arrival in the municipality"),),
    "caseworker_email": (_l("Caseworker"),),
    "stage": (_l("Stage"), _l("Starting stage")),
}
REQUIRED_COLUMNS = {"given_names", "family_name", "date_of_birth", "sex", "residence_category"}
LIST_COLUMNS = {"nationalities", "languages"}
DATE_COLUMNS = {
    "date_of_birth", "permit_issued_on", "permit_expires_on", "arrived_in_country_on",
    "arrived_in_municipality_on",
}  # fmt: skip
ENUM_COLUMNS = {"sex": Sex, "residence_category": ResidenceCategory, "stage": Stage}


def _explanations() -> dict[str, str]:
    """Say in the reader's language what each column of the template takes."""
    date_hint = _("A date, e.g. %(example)s.", example="1990-04-12")
    return {
        "given_names": _("Required."),
        "family_name": _("Required."),
        "given_names_latin": _("Only if the name is written in another script."),
        "family_name_latin": _("Only if the name is written in another script."),
        "date_of_birth": _("Required.") + " " + date_hint,
        "sex": _("Required. Choose from the list."),
        "country_of_birth": _("An ISO code or a name, e.g. %(example)s.", example="SY"),
        "nationalities": _(
            "ISO codes or names, several separated by commas, e.g. %(example)s.", example="SY, TR"
        ),
        "mother_tongue": _("An ISO code or a name, e.g. %(example)s.", example="ar"),
        "languages": _(
            "ISO codes or names, several separated by commas, e.g. %(example)s.", example="en, fr"
        ),
        "preferred_language": _("Choose from the list."),
        "phone": _("Digits, spaces and an optional leading +."),
        "email": "",
        "address": "",
        "residence_category": _("Required. Choose from the list."),
        "permit_number": "",
        "permit_issued_on": date_hint,
        "permit_expires_on": date_hint,
        "arrived_in_country_on": date_hint,
        "arrived_in_municipality_on": date_hint,
        "caseworker_email": _("The e-mail address or name of a caseworker; empty: not assigned."),
        "stage": _("Choose from the list; empty: arrival."),
    }


class ImportFileError(Exception):
    """The file as a whole cannot be read or imported."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class RowsNeedDecision(ImportFileError):
    """Rows match existing files and the caseworker has not said what to do with them."""

    def __init__(self, lines: list[int]):
        super().__init__(
            _l(
                "Some rows match existing files. Choose for each of them whether to skip it "
                "or to create a new file anyway."
            )
        )
        self.lines = lines


class RowDecision(StrEnum):
    """What the caseworker chose for a row that matches an existing file."""

    SKIP = "skip"
    CREATE = "create"


@dataclass
class RowResult:
    number: int  # the row number in the spreadsheet, the header being row 1
    values: dict
    errors: dict[str, list[str]] = field(default_factory=dict)
    data: CaseData | None = None
    # Existing files this person may already have; the caseworker decides per row.
    duplicates: list[Case] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# -- reading a file --------------------------------------------------------------------------


@cache
def _heading_columns() -> dict[str, str]:
    """Map every heading a column may have, in every language, to the column's code."""
    headings: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        with force_locale(locale):
            for code, titles in IMPORT_COLUMNS.items():
                for title in titles:
                    headings.setdefault(sheets.normalised(str(title)), code)
    for code in IMPORT_COLUMNS:
        headings[sheets.normalised(code)] = code
    return headings


@cache
def _explanation_texts() -> frozenset[str]:
    """The explanations of the template's second row, in every language."""
    texts = set()
    for locale in SUPPORTED_LOCALES:
        with force_locale(locale):
            texts.update(sheets.normalised(text) for text in _explanations().values() if text)
    return frozenset(texts)


@dataclass
class ImportTable:
    """An import file read and its headings matched to the case-file columns."""

    table: sheets.Table
    columns: list[str | None]  # per position, the column's code, or None if not imported
    ignored: list[str]  # the headings of columns that are not imported

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        for row in self.table.rows:
            values = {
                code: cell
                for code, cell in zip(self.columns, row.cells, strict=False)
                if code is not None
            }
            yield row.line, values

    def notices(self) -> list[str]:
        """What the preview says about the file as a whole, in the reader's language."""
        notices = [self.table.source.describe()]
        if self.ignored:
            notices.append(
                _(
                    "These columns are not imported: %(columns)s.",
                    columns=", ".join(f"“{name}”" for name in self.ignored),
                )
            )
        return notices


def match_columns(table: sheets.Table) -> ImportTable:
    """Match the file's headings (codes or translated headings) to the import columns.

    :raise ImportFileError: when a required column is missing or a column appears twice.
    """
    known = _heading_columns()
    columns: list[str | None] = []
    ignored: list[str] = []
    for heading in table.header:
        code = known.get(sheets.normalised(heading.rstrip("*")))
        if code is not None and code in columns:
            raise ImportFileError(
                _l("The column “%(column)s” appears twice in the file.", column=heading)
            )
        columns.append(code)
        if code is None and heading:
            ignored.append(heading)
    missing = [code for code in IMPORT_COLUMNS if code in REQUIRED_COLUMNS and code not in columns]
    if missing:
        names = ", ".join(f"{IMPORT_COLUMNS[code][0]} ({code})" for code in missing)
        message = _("Required columns are missing: %(columns)s.", columns=names)
        if ignored:
            message += " " + _(
                "Columns not recognised: %(columns)s.",
                columns=", ".join(f"“{name}”" for name in ignored),
            )
        raise ImportFileError(message)
    return ImportTable(table, columns, ignored)


def read_import(raw: bytes, locale: str) -> ImportTable:
    """Read an uploaded file and match its columns; skip the template's explanation row.

    :raise ImportFileError: when the file cannot be read, lacks required columns or has no
        rows below its headings.
    """
    try:
        table = sheets.read_table(raw, locale=locale, max_rows=MAX_IMPORT_ROWS + 1)
    except sheets.SpreadsheetError as error:
        raise ImportFileError(error.message) from error
    imported = match_columns(table)
    if table.rows and _is_explanation_row(table.rows[0]):
        del table.rows[0]
    if not table.rows:
        raise ImportFileError(
            _l(
                "The file has column names but no rows. Add one person per row below the "
                "column names."
            )
        )
    if len(table.rows) > MAX_IMPORT_ROWS:
        raise ImportFileError(
            _l(
                "The file has more than %(max)s rows; split it into smaller files.",
                max=lazy_number(MAX_IMPORT_ROWS),
            )
        )
    return imported


def _is_explanation_row(row: sheets.SheetRow) -> bool:
    texts = [sheets.normalised(cell) for cell in row.cells if cell]
    return bool(texts) and all(text in _explanation_texts() for text in texts)


def load_upload(upload: CaseImport) -> ImportTable:
    """Return the rows of a stored upload, columns matched again."""
    if not upload.content.startswith("{"):  # kept as CSV text before workbooks were read
        return match_columns(sheets.read_table(upload.content.encode()))
    return match_columns(sheets.Table.from_json(upload.content))


# -- values as people type them -------------------------------------------------------------


@cache
def _names_to_codes(kind: str) -> dict[str, str]:
    """Map codes and names of countries or languages, in every language served, to codes."""
    names: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        babel = Locale.parse(locale)
        if kind == "country":
            found = {code: name for code, name in babel.territories.items() if is_country(code)}
        else:
            found = {code: name for code, name in babel.languages.items() if is_language(code)}
        for code, name in found.items():
            names.setdefault(sheets.normalised(name), code)
            names[sheets.normalised(code)] = code
    if kind == "language":
        for code in SUPPORTED_LOCALES:
            names.setdefault(sheets.normalised(locale_name(code)), code)
    return names


def _enum_code(enum_name: str, value: str) -> str:
    """The code a typed label means; a word that begins exactly one label counts too, as
    ``Flüchtling`` for ``Flüchtlingsschutz (internationaler Schutz)``."""
    labels = _enum_labels(enum_name)
    typed = sheets.normalised(value)
    if typed in labels:
        return labels[typed]
    starting = {code for label, code in labels.items() if label.startswith(typed)}
    return starting.pop() if len(typed) >= 4 and len(starting) == 1 else value


@cache
def _enum_labels(enum_name: str) -> dict[str, str]:
    """Map codes and labels of an enum, in every language served, to its codes.

    A label also counts without its explanation in brackets: ``Flüchtling`` for
    ``Flüchtling (internationaler Schutz)``.
    """
    enum_cls = ENUM_COLUMNS[enum_name]
    labels: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        with force_locale(locale):
            for member in enum_cls:
                label = str(member.label)
                labels.setdefault(sheets.normalised(label), member.value)
                labels.setdefault(sheets.normalised(label.split("(")[0]), member.value)
    for member in enum_cls:
        labels[sheets.normalised(member.value)] = member.value
    return labels


def _code_of(kind: str, value: str) -> str:
    code = _names_to_codes(kind).get(sheets.normalised(value))
    if code:
        return code
    return value.upper() if kind == "country" else value.lower()


def _codes_in(kind: str, value: str) -> list[str]:
    """Split a list of codes or names: by commas or semicolons, else by spaces."""
    parts = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    codes = []
    for part in parts:
        if sheets.normalised(part) in _names_to_codes(kind) or " " not in part:
            codes.append(_code_of(kind, part))
        else:
            codes.extend(_code_of(kind, word) for word in part.split())
    return codes


# -- checking rows ---------------------------------------------------------------------------


def check_rows(imported: ImportTable, actor: User, form_class) -> list[RowResult]:
    """Check every row with the registration form's own rules, plus duplicates.

    ``form_class`` is the registration form; each row is fed to it as if typed, after dates
    in the municipality's format and labels in any language served are turned into the
    values the form takes.
    """
    locale = actor.municipality.default_locale
    caseworkers = caseworkers_of(actor.municipality_id)
    by_email = {user.email.lower(): user.id for user in caseworkers}
    by_name = {sheets.normalised(user.full_name): user.id for user in caseworkers}
    # One form, filled anew for each row: binding thirty fields per row, and walking the
    # 250 countries of each choice field per row, would take a minute for 5,000 rows.
    form = form_class(formdata=MultiDict(), meta={"csrf": False})
    form.caseworker_id.choices = [("", "")] + [(user.id, user.email) for user in caseworkers]
    known = _known_choices(form)
    seen: dict[tuple, int] = {}
    results = []
    for line, values in imported.rows():
        result = RowResult(number=line, values=values)
        formdata = _formdata(values, locale)
        person = values.get("caseworker_email", "")
        if person:
            caseworker_id = by_email.get(person.lower()) or by_name.get(sheets.normalised(person))
            if caseworker_id:
                formdata["caseworker_id"] = str(caseworker_id)
            else:
                result.errors["caseworker_email"] = [_("No caseworker with this e-mail address.")]
        form.process(formdata)
        _narrow_choices(form, known)
        if not form.validate():
            for name, messages in form.errors.items():
                result.errors.setdefault(name, []).extend(str(message) for message in messages)
        else:
            result.data = form.case_data()
            person_values = result.data.values
            key = (
                name_key(person_values["given_names"]),
                name_key(person_values["family_name"]),
                person_values["date_of_birth"],
            )
            if key in seen:
                result.errors["family_name"] = [
                    _("The same person is on line %(line)s.", line=local_digits(seen[key]))
                ]
            seen.setdefault(key, line)
        results.append(result)
    _mark_existing_files(results, actor)
    return results


def _known_choices(form) -> dict[str, dict]:
    """Each choice field's acceptable values (as the field coerces them) and their labels."""
    return {
        field.name: {field.coerce(value): label for value, label, *_rest in field.iter_choices()}
        for field in form
        if isinstance(field, SelectFieldBase)
    }


def _narrow_choices(form, known: dict[str, dict]) -> None:
    """Offer each choice field only the row's own values that are acceptable.

    The field then accepts or refuses the row's value with its own message, as it would with
    the whole list, in a set look-up instead of a walk through the list.
    """
    for name, acceptable in known.items():
        field = form[name]
        values = field.data if isinstance(field.data, list) else [field.data]
        field.choices = [(value, acceptable[value]) for value in values if value in acceptable]


def _formdata(values: dict[str, str], locale: str) -> MultiDict:
    """Turn a row's cells into what the registration form takes."""
    formdata = MultiDict()
    for column, value in values.items():
        if not value or column == "caseworker_email":
            continue
        if column in LIST_COLUMNS:
            kind = "country" if column == "nationalities" else "language"
            for code in _codes_in(kind, value):
                formdata.add(column, code)
        elif column in DATE_COLUMNS:
            parsed = sheets.parse_typed_date(value, locale)
            formdata.add(column, parsed.isoformat() if parsed else value)
        elif column in ENUM_COLUMNS:
            formdata.add(column, _enum_code(column, value))
        elif column == "country_of_birth":
            formdata.add(column, _code_of("country", value))
        elif column in ("mother_tongue", "preferred_language"):
            formdata.add(column, _code_of("language", value))
        else:
            formdata.add(column, value)
    for optional in ("country_of_birth", "mother_tongue", "caseworker_id"):
        formdata.setdefault(optional, "")
    formdata.setdefault("preferred_language", "en")
    formdata.setdefault("stage", "arrival")
    return formdata


def _mark_existing_files(results: list[RowResult], actor: User) -> None:
    """Attach to each correct row the existing files the person may already have.

    One batched search for the whole file, with the same rules as registration.
    """
    correct = [result for result in results if result.ok]
    found = find_duplicates(
        actor.municipality_id, [PersonKeys.of(result.data.values) for result in correct]
    )
    for result, duplicates in zip(correct, found, strict=True):
        result.duplicates = duplicates


def undecided_rows(results: list[RowResult], decisions: dict[int, RowDecision]) -> list[int]:
    """Return the lines that match an existing file and have no decision yet."""
    return [r.number for r in results if r.ok and r.duplicates and r.number not in decisions]


def store_upload(filename: str, imported: ImportTable, actor: User) -> CaseImport:
    """Keep the file's rows until the caseworker confirms the import (a day at most)."""
    row_count = len(imported.table.rows)
    purge_abandoned_uploads()
    upload = CaseImport(
        municipality_id=actor.municipality_id,
        uploaded_by_id=actor.id,
        filename=filename[:200],
        content=imported.table.to_json(),
        row_count=row_count,
    )
    db.session.add(upload)
    db.session.flush()
    record_event(
        "case_import_uploaded",
        upload,
        actor=actor,
        changes={"file": [None, upload.filename], "rows": [None, row_count]},
    )
    return upload


def import_cases(
    upload: CaseImport,
    results: list[RowResult],
    decisions: dict[int, RowDecision],
    actor: User,
) -> list[Case]:
    """Register every row, or none: the caller rolls back on any error.

    ``results`` must be checked now, not at preview time, so that a file registered since
    is seen. A row matching an existing file is skipped or created as the caseworker chose.

    :raise RowsNeedDecision: when a row matching an existing file has no decision.
    :raise ImportFileError: when a row has errors or the file has been imported already,
        also by a click at the same moment: the upload is claimed with one conditional
        UPDATE before any row.
    """
    if any(not result.ok for result in results):
        raise ImportFileError(_l("Some rows have errors. Nothing has been imported."))
    undecided = undecided_rows(results, decisions)
    if undecided:
        raise RowsNeedDecision(undecided)
    claimed = db.session.execute(
        sa.update(CaseImport)
        .where(CaseImport.id == upload.id, CaseImport.imported_at.is_(None))
        .values(imported_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise ImportFileError(_l("This file has been imported already."))
    wanted = [
        result
        for result in results
        if not result.duplicates or decisions.get(result.number) == RowDecision.CREATE
    ]
    cases = [register_case(result.data, actor, confirmed_new_person=True) for result in wanted]
    upload.content = ""  # the personal data now lives in the files; the upload keeps none
    record_event(
        "cases_imported",
        upload,
        actor=actor,
        changes={
            "file": [None, upload.filename],
            "rows": [None, len(cases)],
            "skipped": [None, len(results) - len(cases)],
        },
    )
    return cases


ABANDONED_UPLOAD_HOURS = 24


def purge_abandoned_uploads() -> int:
    """Delete uploads never imported within a day: they hold personal data nobody uses."""
    cutoff = utcnow() - timedelta(hours=ABANDONED_UPLOAD_HOURS)
    return db.session.execute(
        sa.delete(CaseImport).where(
            CaseImport.imported_at.is_(None), CaseImport.uploaded_at < cutoff
        )
    ).rowcount


# -- writing ---------------------------------------------------------------------------------

# The caseload export: importable columns carry the import's headings, so that an exported
# file, edited in Excel or LibreOffice, can be imported again (reference and status are
# not imported; the import ignores them and says so).
EXPORT_COLUMNS = (
    ("reference", _l("Reference"), sheets.ColumnKind.TEXT),
    ("family_name", IMPORT_COLUMNS["family_name"][0], sheets.ColumnKind.TEXT),
    ("given_names", IMPORT_COLUMNS["given_names"][0], sheets.ColumnKind.TEXT),
    ("family_name_latin", IMPORT_COLUMNS["family_name_latin"][0], sheets.ColumnKind.TEXT),
    ("given_names_latin", IMPORT_COLUMNS["given_names_latin"][0], sheets.ColumnKind.TEXT),
    ("date_of_birth", IMPORT_COLUMNS["date_of_birth"][0], sheets.ColumnKind.DATE),
    ("sex", IMPORT_COLUMNS["sex"][0], sheets.ColumnKind.TEXT),
    ("nationalities", IMPORT_COLUMNS["nationalities"][0], sheets.ColumnKind.TEXT),
    ("residence_category", IMPORT_COLUMNS["residence_category"][0], sheets.ColumnKind.TEXT),
    ("permit_number", IMPORT_COLUMNS["permit_number"][0], sheets.ColumnKind.TEXT),
    ("permit_expires_on", IMPORT_COLUMNS["permit_expires_on"][0], sheets.ColumnKind.DATE),
    (
        "arrived_in_municipality_on",
        IMPORT_COLUMNS["arrived_in_municipality_on"][0],
        sheets.ColumnKind.DATE,
    ),
    ("stage", IMPORT_COLUMNS["stage"][0], sheets.ColumnKind.TEXT),
    ("status", _l("Status"), sheets.ColumnKind.TEXT),
    ("caseworker", IMPORT_COLUMNS["caseworker_email"][0], sheets.ColumnKind.TEXT),
    ("phone", IMPORT_COLUMNS["phone"][0], sheets.ColumnKind.TEXT),
    ("email", IMPORT_COLUMNS["email"][0], sheets.ColumnKind.TEXT),
    ("preferred_language", IMPORT_COLUMNS["preferred_language"][0], sheets.ColumnKind.TEXT),
)


def export_caseload(statement: Select, fmt: sheets.ExportFormat, locale: str) -> sheets.ExportFile:
    """Write the filtered caseload with translated headings and labels, dates as dates.

    Reads plain columns in batches (nationalities aggregated in SQL), not ORM objects, and
    writes row by row to a temporary file, so 100,000 cases export in flat memory.
    """
    columns = [sheets.Column(str(title), kind) for _key, title, kind in EXPORT_COLUMNS]
    return sheets.write_table(
        fmt,
        columns,
        _caseload_rows(statement),
        locale=locale,
        sheet_title=str(_l("Caseload")),
    )


def _caseload_rows(statement: Select) -> Iterator[tuple]:
    held = aliased(CaseNationality)  # the list may be filtered by one of them already
    nationalities = (
        select(func.aggregate_strings(held.country_code, " "))
        .where(held.case_id == Case.id)
        .scalar_subquery()
        .label("nationalities")
    )
    rows = db.session.execute(
        statement.with_only_columns(
            Case.reference,
            Case.family_name,
            Case.given_names,
            Case.family_name_latin,
            Case.given_names_latin,
            Case.date_of_birth,
            Case.sex,
            nationalities,
            Case.residence_category,
            Case.permit_number,
            Case.permit_expires_on,
            Case.arrived_in_municipality_on,
            Case.stage,
            Case.status,
            User.full_name,
            Case.phone,
            Case.email,
            Case.preferred_language,
        )  # fmt: skip
        .outerjoin(User, User.id == Case.caseworker_id)
        .execution_options(yield_per=2000)
    )
    labels: dict = {}  # translated once per value, not once per row

    def label(member) -> str:
        if member not in labels:
            labels[member] = str(member.label)
        return labels[member]

    names = dict(country_choices())  # looked up per export, not per row
    for row in rows:
        countries = ", ".join(names.get(code, code) for code in (row.nationalities or "").split())
        yield (
            row.reference,
            row.family_name,
            row.given_names,
            row.family_name_latin,
            row.given_names_latin,
            row.date_of_birth,
            label(row.sex),
            countries,
            label(row.residence_category),
            row.permit_number,
            row.permit_expires_on,
            row.arrived_in_municipality_on,
            label(row.stage),
            label(row.status),
            row.full_name,
            row.phone,
            row.email,
            row.preferred_language,
        )


TEMPLATE_EXAMPLE = {
    "given_names": "Amina", "family_name": "Haddad", "date_of_birth": "1990-04-12",
    "sex": "female", "country_of_birth": "SY", "nationalities": "SY", "mother_tongue": "ar",
    "languages": "en", "preferred_language": "ar", "phone": "+49 170 1234567",
    "address": "Lindenstraße 4", "residence_category": "refugee", "permit_number": "AB1234567",
    "permit_issued_on": "2025-01-10", "permit_expires_on": "2028-01-09",
    "arrived_in_country_on": "2024-11-02", "arrived_in_municipality_on": "2024-12-01",
    "stage": "arrival",
}  # fmt: skip


def import_template(fmt: sheets.ExportFormat, locale: str) -> sheets.ExportFile:
    """The import columns with a row explaining each; drop-down lists in the .xlsx.

    The CSV template keeps the column codes and one example row instead, for people who
    fill it in a text editor.
    """
    if fmt == sheets.ExportFormat.CSV:
        columns = [sheets.Column(code) for code in IMPORT_COLUMNS]
        example = [TEMPLATE_EXAMPLE.get(code, "") for code in IMPORT_COLUMNS]
        return sheets.write_table(fmt, columns, [example], locale=locale)
    explanations = _explanations()
    enum_choices = {
        name: [str(member.label) for member in enum_cls] for name, enum_cls in ENUM_COLUMNS.items()
    }
    enum_choices["preferred_language"] = list(SUPPORTED_LOCALES)
    columns = [
        sheets.Column(
            str(titles[0]),
            sheets.ColumnKind.DATE if code in DATE_COLUMNS else sheets.ColumnKind.TEXT,
            width=24,
            explanation=explanations[code],
            choices=enum_choices.get(code, ()),
        )
        for code, titles in IMPORT_COLUMNS.items()
    ]
    return sheets.write_table(
        fmt, columns, [], locale=locale, sheet_title=str(_l("Newcomers")), explain=True
    )

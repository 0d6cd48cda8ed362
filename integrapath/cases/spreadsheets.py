"""CSV import of newcomers (checked row by row, then all or nothing) and caseload export."""

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from werkzeug.datastructures import MultiDict

from ..accounts.models import User
from ..audit import record_event
from ..extensions import db, utcnow
from ..i18n import country_name, lazy_number, local_digits
from .models import Case, CaseImport, CaseNationality
from .services import (
    CaseData,
    PersonKeys,
    caseworkers_of,
    find_duplicates,
    name_key,
    register_case,
)

MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
# The columns of an import file; a template with these is offered for download.
IMPORT_COLUMNS = (
    "given_names", "family_name", "given_names_latin", "family_name_latin", "date_of_birth",
    "sex", "country_of_birth", "nationalities", "mother_tongue", "languages",
    "preferred_language", "phone", "email", "address", "residence_category", "permit_number",
    "permit_issued_on", "permit_expires_on", "arrived_in_country_on",
    "arrived_in_municipality_on", "caseworker_email", "stage",
)  # fmt: skip
REQUIRED_COLUMNS = {"given_names", "family_name", "date_of_birth", "sex", "residence_category"}
LIST_COLUMNS = {"nationalities", "languages"}


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
    number: int  # the line in the file, counting the header as line 1
    values: dict
    errors: dict[str, list[str]] = field(default_factory=dict)
    data: CaseData | None = None
    # Existing files this person may already have; the caseworker decides per row.
    duplicates: list[Case] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(content: str) -> tuple[list[str], list[dict]]:
    """Parse CSV text (comma or semicolon) into the header and the rows.

    :raise ImportFileError: when the file is empty, too long or lacks required columns.
    """
    if not content.strip():
        raise ImportFileError(_l("The file is empty."))
    sample = content[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(content), delimiter=delimiter)
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        raise ImportFileError(
            _l("Required columns are missing: %(columns)s.", columns=", ".join(missing))
        )
    rows = [row for row in reader if any((value or "").strip() for value in row.values())]
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportFileError(
            _l(
                "The file has more than %(max)s rows; split it into smaller files.",
                max=lazy_number(MAX_IMPORT_ROWS),
            )
        )
    return header, rows


def decode_upload(raw: bytes) -> str:
    """Decode an uploaded file as UTF-8 (with or without BOM).

    :raise ImportFileError: when it is too large or not UTF-8.
    """
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportFileError(_l("The file is larger than 5 MB; split it into smaller files."))
    try:
        text = raw.decode("utf-8-sig")
        if "\x00" in text:  # a binary file (a spreadsheet saved as .xlsx, say)
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL character")
        return text
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _l("The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.")
        ) from exc


def check_rows(rows: list[dict], actor: User, form_class) -> list[RowResult]:
    """Check every row with the registration form's own rules, plus duplicates.

    ``form_class`` is the registration form; each row is fed to it as if typed.
    """
    caseworkers = {user.email: user.id for user in caseworkers_of(actor.municipality_id)}
    seen: dict[tuple, int] = {}
    results = []
    for index, row in enumerate(rows, start=2):
        values = {key: (value or "").strip() for key, value in row.items() if key}
        result = RowResult(number=index, values=values)
        formdata = MultiDict()
        for column, value in values.items():
            if column in LIST_COLUMNS:
                for code in value.replace(";", " ").replace(",", " ").split():
                    formdata.add(
                        column, code.upper() if column == "nationalities" else code.lower()
                    )
            elif column == "caseworker_email":
                continue
            elif column == "country_of_birth":
                formdata.add(column, value.upper())
            elif value:
                formdata.add(column, value)
        email = values.get("caseworker_email", "").lower()
        if email:
            if email in caseworkers:
                formdata["caseworker_id"] = str(caseworkers[email])
            else:
                result.errors["caseworker_email"] = [_("No caseworker with this e-mail address.")]
        for optional in ("country_of_birth", "mother_tongue", "caseworker_id"):
            formdata.setdefault(optional, "")
        formdata.setdefault("preferred_language", "en")
        formdata.setdefault("stage", "arrival")
        form = form_class(formdata=formdata, meta={"csrf": False})
        form.caseworker_id.choices = [("", "")] + [
            (uid, email) for email, uid in caseworkers.items()
        ]
        if not form.validate():
            for name, messages in form.errors.items():
                result.errors.setdefault(name, []).extend(str(message) for message in messages)
        else:
            result.data = form.case_data()
            key = (
                name_key(values["given_names"]),
                name_key(values["family_name"]),
                values["date_of_birth"],
            )
            if key in seen:
                result.errors["family_name"] = [
                    _("The same person is on line %(line)s.", line=local_digits(seen[key]))
                ]
            seen.setdefault(key, index)
        results.append(result)
    _mark_existing_files(results, actor)
    return results


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


def store_upload(filename: str, content: str, row_count: int, actor: User) -> CaseImport:
    """Keep the checked file until the caseworker confirms the import (a day at most)."""
    purge_abandoned_uploads()
    upload = CaseImport(
        municipality_id=actor.municipality_id,
        uploaded_by_id=actor.id,
        filename=filename[:200],
        content=content,
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


EXPORT_COLUMNS = (
    ("reference", _l("Reference")),
    ("family_name", _l("Family name")),
    ("given_names", _l("Given names")),
    ("latin_name", _l("Name in Latin letters")),
    ("date_of_birth", _l("Date of birth")),
    ("sex", _l("Sex")),
    ("nationalities", _l("Nationalities")),
    ("residence_category", _l("Residence category")),
    ("permit_number", _l("Residence permit number")),
    ("permit_expires_on", _l("Permit expires on")),
    ("arrived_in_municipality_on", _l("Arrival in the municipality")),
    ("stage", _l("Stage")),
    ("status", _l("Status")),
    ("caseworker", _l("Caseworker")),
    ("phone", _l("Phone")),
    ("email", _l("E-mail address")),
    ("preferred_language", _l("Preferred language")),
)


def _cell(value) -> str:
    """Render a value for a spreadsheet; neutralise text a spreadsheet would run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_csv(statement: Select) -> tuple[str, int]:
    """Render the filtered caseload as CSV text with translated labels; return it and its rows.

    Reads plain columns in batches (nationalities aggregated in SQL), not ORM objects, so
    100,000 cases export in seconds and in little memory.
    """
    nationalities = (
        select(func.aggregate_strings(CaseNationality.country_code, " "))
        .where(CaseNationality.case_id == Case.id)
        .scalar_subquery()
        .label("nationalities")
    )
    rows = db.session.execute(
        statement.with_only_columns(
            Case.reference,
            Case.family_name,
            Case.given_names,
            Case.given_names_latin,
            Case.family_name_latin,
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

    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM makes spreadsheet programs read UTF-8
    writer = csv.writer(buffer)
    writer.writerow([str(title) for _key, title in EXPORT_COLUMNS])
    count = 0
    for row in rows:
        latin = " ".join(part for part in (row.given_names_latin, row.family_name_latin) if part)
        countries = ", ".join(country_name(code) for code in (row.nationalities or "").split())
        writer.writerow(
            _cell(value)
            for value in (
                row.reference,
                row.family_name,
                row.given_names,
                latin,
                row.date_of_birth.isoformat(),
                label(row.sex),
                countries,
                label(row.residence_category),
                row.permit_number,
                row.permit_expires_on.isoformat() if row.permit_expires_on else "",
                row.arrived_in_municipality_on.isoformat()
                if row.arrived_in_municipality_on
                else "",
                label(row.stage),
                label(row.status),
                row.full_name or "",
                row.phone,
                row.email,
                row.preferred_language,
            )
        )
        count += 1
    return buffer.getvalue(), count


def import_template() -> str:
    """Return a CSV file with the import columns and one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IMPORT_COLUMNS)
    writer.writerow(
        ["Amina", "Haddad", "", "", "1990-04-12", "female", "SY", "SY", "ar", "en", "ar",
         "+49 170 1234567", "", "Lindenstraße 4", "refugee", "AB1234567", "2025-01-10",
         "2028-01-09", "2024-11-02", "2024-12-01", "", "arrival"]
    )  # fmt: skip
    return buffer.getvalue()

"""Attendance in and out as spreadsheets: the upload of a session's attendance (checked row by
row, then saved all or nothing) and the attendance register of an offering for funders."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .. import spreadsheets as sheets
from ..accounts.models import User
from ..audit import record_event
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES
from .models import AttendanceStatus, AttendanceUpload, CourseSession, Enrolment
from .services import Mark, Rates, Register, participants, register_of

COLUMNS = {"reference": _l("Reference"), "status": _l("Attendance"), "reason": _l("Reason")}


@dataclass
class AttendanceRow:
    line: int
    reference: str
    mark: Mark | None = None
    enrolment_id: int | None = None
    errors: list[str] = field(default_factory=list)


def _status_names() -> dict[str, AttendanceStatus]:
    """Every way of writing a mark: its code, and its label in each language of the app."""
    names = {}
    for status in AttendanceStatus:
        names[sheets.normalised(status.value)] = status
        for locale in SUPPORTED_LOCALES:
            with force_locale(locale):
                names[sheets.normalised(str(status.label))] = status
    return names


def _heading_keys() -> dict[str, str]:
    keys = {}
    for key, label in COLUMNS.items():
        keys[key] = key
        for locale in SUPPORTED_LOCALES:
            with force_locale(locale):
                keys[sheets.normalised(str(label))] = key
    return keys


def read_attendance(raw: bytes, locale: str) -> sheets.Table:
    """Read an uploaded attendance file.

    :raise sheets.SpreadsheetError: when it cannot be read or has no reference column.
    """
    table = sheets.read_table(raw, locale=locale, max_rows=1000)
    keys = _heading_keys()
    if "reference" not in {keys.get(sheets.normalised(name)) for name in table.header}:
        raise sheets.SpreadsheetError(
            _l("The first row must name the columns: Reference, Attendance and Reason.")
        )
    return table


def store_upload(session: CourseSession, filename: str, table: sheets.Table, actor: User):
    upload = AttendanceUpload(
        session_id=session.id,
        uploaded_by_id=actor.id,
        filename=filename[:200],
        content=table.to_json(),
    )
    db.session.add(upload)
    db.session.flush()
    record_event(
        "attendance_uploaded",
        upload,
        actor=actor,
        municipality_id=actor.municipality_id,
        changes={"rows": [None, len(table.rows)]},
    )
    return upload


def check_upload(upload: AttendanceUpload, session: CourseSession) -> list[AttendanceRow]:
    """Check each row against the session's register: a known reference, once, a known mark."""
    table = sheets.Table.from_json(upload.content)
    keys = _heading_keys()
    positions = {
        keys.get(sheets.normalised(name)): index for index, name in enumerate(table.header)
    }
    statuses = _status_names()
    register = {enrolment.case.reference: enrolment for enrolment in register_of(session)}
    seen: set[str] = set()
    rows = []
    for sheet_row in table.rows:

        def cell(key, cells=sheet_row.cells):
            index = positions.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        row = AttendanceRow(sheet_row.line, cell("reference").upper())
        enrolment = register.get(row.reference)
        if enrolment is None:
            row.errors.append(str(_l("Nobody with this reference is on this session's list.")))
        elif row.reference in seen:
            row.errors.append(str(_l("This reference is in the file twice.")))
        else:
            row.enrolment_id = enrolment.id
        seen.add(row.reference)
        status = statuses.get(sheets.normalised(cell("status")))
        if status is None:
            row.errors.append(str(_l("Write present, late, excused or absent.")))
        else:
            row.mark = Mark(status, cell("reason") or None)
        rows.append(row)
    return rows


# -- the register ------------------------------------------------------------------------------


def register_columns(sessions: list[CourseSession]) -> list[sheets.Column]:
    return [
        sheets.Column(str(_l("Reference"))),
        sheets.Column(str(_l("Name")), width=28),
        *(sheets.Column(session.date.isoformat(), width=12) for session in sessions),
        sheets.Column(str(_l("Attendance rate")), width=12),
        sheets.Column(str(_l("Commitment rate")), width=12),
    ]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)} %"


def register_rows(
    enrolments: list[Enrolment],
    sessions: list[CourseSession],
    marks: dict[tuple[int, int], AttendanceStatus],
    rates: dict[int, Rates],
):
    views = participants(enrolments)
    for enrolment in enrolments:
        view = views[enrolment.id]
        yield [
            view.reference,
            view.name or "",
            *(
                marks[(enrolment.id, session.id)].label
                if (enrolment.id, session.id) in marks
                else ""
                for session in sessions
            ),
            _percent(rates[enrolment.id].attendance_rate),
            _percent(rates[enrolment.id].commitment_rate),
        ]


def export_register(register: Register, locale: str, today: date) -> sheets.ExportFile:
    """The attendance register of ``offering`` as CSV in ``locale``."""
    sessions = register.held(today)
    return sheets.write_table(
        sheets.ExportFormat.CSV,
        register_columns(sessions),
        register_rows(register.enrolments, sessions, register.marks, register.rates),
        locale=locale,
    )

"""The spreadsheet layer: every shape Excel and LibreOffice save reads the same; exports
open as workbooks and as CSV in the reader's locale; hostile files are refused, not fatal."""

import csv
import io
import os
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
import xlsxwriter

from integrapath import spreadsheets as sheets
from tests.spreadsheet_files import csv_bytes, excel_shapes, ods_bytes, xlsx_bytes

ROWS = [
    ["given_names", "family_name", "date_of_birth", "address"],
    ["Hélène", "Lefèvre", date(1985, 2, 3), "Rue de l'Église 4, Besançon"],
    ["Jürgen", "Müßig-Größe", date(1990, 12, 31), 'Weg "am Bach" 2'],
    ["", "", "", ""],  # a blank line, kept in the numbering
    ["François", "=HYPERLINK(evil)", date(2001, 7, 9), ""],
]


@pytest.mark.parametrize("name", list(excel_shapes(ROWS)))
def test_every_shape_of_the_same_rows_reads_the_same(name):
    table = sheets.read_table(excel_shapes(ROWS)[name], locale="de")
    assert table.header == ["given_names", "family_name", "date_of_birth", "address"]
    assert [row.line for row in table.rows] == [2, 3, 5]
    assert [row.cells for row in table.rows] == [
        ("Hélène", "Lefèvre", "1985-02-03", "Rue de l'Église 4, Besançon"),
        ("Jürgen", "Müßig-Größe", "1990-12-31", 'Weg "am Bach" 2'),
        ("François", "=HYPERLINK(evil)", "2001-07-09"),
    ]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("utf8-bom-semicolon-crlf.csv", "the UTF-8 encoding, values separated by semicolons"),
        ("windows-1252.csv", "the Windows-1252 encoding, values separated by commas"),
        ("utf16-tab.txt", "the UTF-16 encoding, values separated by tabs"),
        ("people.xlsx", "Excel workbook, sheet “Tabelle1”"),
        ("people.ods", "OpenDocument workbook, sheet “Tabelle1”"),
    ],
)
def test_the_reader_is_told_how_the_file_was_read(app_ctx, name, said):
    assert said in sheets.read_table(excel_shapes(ROWS)[name], locale="de").source.describe()


@pytest.mark.parametrize(
    ("text", "encoding", "locale"),
    [
        ("given_names;family_name\nОксана;Мельник\nДарина;Коваленко\n", "cp1251", "de"),
        ("given_names;family_name\nأمينة;حداد\nيوسف;الخطيب\n", "cp1256", "de"),
        ("given_names;family_name\nFrançois;Lefèvre\nHélène;Gaël\n", "cp1252", "fr"),
    ],
)
def test_legacy_encodings_of_other_scripts_are_detected(text, encoding, locale):
    decoded, _name = sheets.decode_text(text.encode(encoding), locale)
    assert decoded == text


def test_a_table_survives_storage_as_json():
    table = sheets.read_table(excel_shapes(ROWS)["people.ods"])
    again = sheets.Table.from_json(table.to_json())
    assert again == table


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("03.02.1985", "de", date(1985, 2, 3)),
        ("3.2.85", "de", date(1985, 2, 3)),
        ("31/12/1990", "fr", date(1990, 12, 31)),
        ("12/3/1990", "ar", date(1990, 3, 12)),
        ("١٢/٣/١٩٩٠", "ar", date(1990, 3, 12)),  # Arabic-Indic digits
        ("12\u200f/3\u200f/1990", "ar", date(1990, 3, 12)),  # marks Babel's pattern carries
        ("1985-02-03", "de", date(1985, 2, 3)),
        ("03.02.1985 00:00", "de", date(1985, 2, 3)),  # a date cell saved as CSV
        ("1.2", "de", None),
        ("31/31/1990", "fr", None),
        ("yesterday", "en", None),
    ],
)
def test_dates_typed_in_the_locale_format(text, locale, expected):
    assert sheets.parse_typed_date(text, locale) == expected


@pytest.mark.parametrize(("locale", "delimiter"), [("de", ";"), ("fr", ";"), ("es", ";")])
def test_csv_delimiter_follows_the_locale_as_excel_does(locale, delimiter):
    assert sheets.csv_delimiter(locale) == delimiter
    assert sheets.csv_delimiter("en") == ","


COLUMNS = [
    sheets.Column("Name"),
    sheets.Column("Born", sheets.ColumnKind.DATE),
    sheets.Column("Note"),
]
EXPORTED = [("=HYPERLINK(evil)", date(1985, 2, 3), "+49 170"), ("Berg", None, "plain")]


def test_xlsx_export_has_real_date_cells_and_text_that_never_runs_as_a_formula():
    export = sheets.write_table(sheets.ExportFormat.XLSX, COLUMNS, EXPORTED, locale="de")
    assert export.rows == 2
    export.file.seek(0)
    book = openpyxl.load_workbook(io.BytesIO(export.file.read()))
    sheet = book.worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["Name", "Born", "Note"]
    name, born, note = sheet[2]
    assert born.value == datetime(1985, 2, 3) and born.is_date
    assert name.data_type == "s" and name.value == "=HYPERLINK(evil)"
    assert name.quotePrefix and note.quotePrefix  # Excel keeps them text even when edited
    assert not sheet["A3"].quotePrefix
    export.file.close()


def test_csv_export_is_utf8_with_bom_in_the_locale_delimiter_and_neutralised():
    export = sheets.write_table(sheets.ExportFormat.CSV, COLUMNS, EXPORTED, locale="de")
    export.file.seek(0)
    raw = export.file.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Name", "Born", "Note"],
        ["'=HYPERLINK(evil)", "1985-02-03", "'+49 170"],
        ["Berg", "", "plain"],
    ]
    # Read back, the apostrophe the export added is taken off again.
    assert sheets.read_table(raw).rows[0].cells[0] == "=HYPERLINK(evil)"
    export.file.close()


def test_export_response_has_one_content_type_and_closes_the_file(app_ctx):
    export = sheets.write_table(sheets.ExportFormat.CSV, COLUMNS, EXPORTED, locale="en")
    response = export.response("caseload")
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert 'filename="caseload.csv"' in response.headers["Content-Disposition"]
    assert response.get_data().startswith(b"\xef\xbb\xbfName,Born,Note")
    response.close()
    assert export.file.closed


def _refused(raw: bytes, needle: str, **kwargs) -> None:
    with pytest.raises(sheets.SpreadsheetError) as caught:
        sheets.read_table(raw, **kwargs)
    assert needle in str(caught.value.message)


def test_a_sparse_sheet_claiming_a_million_rows_and_columns_is_read_quickly():
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["given_names", "family_name"])
    sheet.write_row(1, 0, ["Ali", "Nouri"])
    sheet.write(1_048_575, 16_383, "far away")  # a reader that fills the range needs 500 GB
    book.close()
    table = sheets.read_table(output.getvalue())
    assert [row.cells for row in table.rows] == [("Ali", "Nouri")]  # past column 100: unread


def test_hostile_and_broken_files_are_refused_with_a_message():
    _refused(b"", "empty")
    _refused(os.urandom(4000), "neither a spreadsheet nor text")
    _refused(b"given_names\x00,x\n", "neither a spreadsheet nor text")
    _refused(b"PK\x03\x04" + os.urandom(4000), "damaged")
    _refused(xlsx_bytes(ROWS)[:3000], "damaged")  # cut off during upload
    _refused(b"\xd0\xcf\x11\xe0" + os.urandom(500), "Excel 97")
    _refused(b"x" * (sheets.MAX_BYTES + 1), "larger than 5 MB")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 200_000_000)
    assert len(bomb.getvalue()) < 1_000_000
    _refused(bomb.getvalue(), "far more data")
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    _refused(other_zip.getvalue(), "not a spreadsheet")
    _refused(b'a,b\n"open quote,' + b"x" * 200_000 + b"\n", "cannot be read as CSV")


def test_row_and_column_caps_hold_for_every_format():
    many = [["given_names"]] + [[f"P{n}"] for n in range(11)]
    for raw in (csv_bytes(many), xlsx_bytes(many), ods_bytes(many)):
        _refused(raw, "more than 10 rows", max_rows=10)
        assert len(sheets.read_table(raw, max_rows=11).rows) == 11
    wide = [[f"c{n}" for n in range(sheets.MAX_COLUMNS + 1)]]
    for raw in (csv_bytes(wide), xlsx_bytes(wide), ods_bytes(wide)):
        _refused(raw, "more than 100 columns")


def test_an_ods_row_repeated_a_million_times_stops_at_the_cap():
    repeated = (
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
        'office:value-type="string"><text:p>same</text:p></table:table-cell></table:table-row>'
    )
    _refused(ods_bytes([["given_names"]], extra_rows_xml=repeated), "more than 5000 rows")

"""Files shaped as Excel and LibreOffice save them, made from the same rows for the tests."""

import io
import zipfile
from datetime import date
from xml.sax.saxutils import escape

import xlsxwriter


def csv_bytes(
    rows, *, delimiter=",", encoding="utf-8", newline="\r\n", bom=False, date_format="%Y-%m-%d"
) -> bytes:
    """A CSV file as Excel writes it: ``;`` and BOM for "CSV UTF-8" in a German locale,
    Windows-1252 for plain "CSV", UTF-16 with tabs for "Unicode text"."""

    def text(value) -> str:
        value = value.strftime(date_format) if isinstance(value, date) else str(value)
        if any(char in value for char in (delimiter, '"', "\n")):
            value = '"' + value.replace('"', '""') + '"'
        return value

    body = newline.join(delimiter.join(text(value) for value in row) for row in rows) + newline
    data = body.encode(encoding)  # "utf-16" puts its own BOM first, as Excel does
    return (b"\xef\xbb\xbf" if bom else b"") + data


def xlsx_bytes(rows, *, sheet="Tabelle1") -> bytes:
    """A workbook with real date cells, as Excel saves a sheet where dates were typed."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    worksheet = book.add_worksheet(sheet)
    as_date = book.add_format({"num_format": "dd.mm.yyyy"})
    for line, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, date):
                worksheet.write_datetime(line, column, value, as_date)
            elif value != "":
                worksheet.write_string(line, column, str(value))
    book.close()
    return output.getvalue()


ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"'
)


def ods_bytes(rows, *, sheet="Tabelle1", extra_rows_xml="") -> bytes:
    """An OpenDocument workbook shaped as LibreOffice writes it: date cells with
    ``office:date-value``, repeated empty cells and a last empty row repeated a million times."""
    lines = []
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, date):
                cells.append(
                    f'<table:table-cell office:value-type="date" '
                    f'office:date-value="{value.isoformat()}"><text:p>'
                    f"{value:%d.%m.%Y}</text:p></table:table-cell>"
                )
            elif value == "":
                cells.append("<table:table-cell/>")
            else:
                words = escape(str(value)).replace("  ", ' <text:s text:c="1"/>')
                cells.append(
                    f'<table:table-cell office:value-type="string"><text:p>{words}</text:p>'
                    "</table:table-cell>"
                )
        cells.append('<table:table-cell table:number-columns-repeated="1000"/>')
        lines.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
    lines.append(
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES}>'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">'
        f'<table:table-column table:number-columns-repeated="1024"/>'
        f"{''.join(lines)}{extra_rows_xml}</table:table>"
        f'<table:table table:name="Second"><table:table-row><table:table-cell '
        f'office:value-type="string"><text:p>not read</text:p></table:table-cell>'
        f"</table:table-row></table:table></office:spreadsheet></office:body>"
        f"</office:document-content>"
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )
    return output.getvalue()


def excel_shapes(rows, date_format="%Y-%m-%d") -> dict[str, bytes]:
    """The same rows in every shape Excel and LibreOffice save them; in text files, dates
    are written as ``date_format`` (Excel writes them as the locale shows them)."""
    return {
        "utf8-bom-semicolon-crlf.csv": csv_bytes(
            rows, delimiter=";", bom=True, date_format=date_format
        ),
        "windows-1252.csv": csv_bytes(rows, encoding="cp1252", date_format=date_format),
        "utf16-tab.txt": csv_bytes(
            rows, delimiter="\t", encoding="utf-16", date_format=date_format
        ),
        "people.xlsx": xlsx_bytes(rows),
        "people.ods": ods_bytes(rows),
    }

"""Spreadsheet files in and out, as Excel and LibreOffice make and expect them.

Reading takes CSV or text in UTF-8, UTF-16 or the single-byte encodings Excel writes, with
``,`` ``;`` or tab between values, and ``.xlsx`` and ``.ods`` workbooks (first visible sheet),
and gives the header and the rows with their line numbers. Every reader streams and stops at
the row cap, so a hostile file (a huge sparse sheet, a zip bomb, binary junk) is refused with
a message instead of exhausting memory.

Writing gives ``.xlsx`` (real date cells, streamed to a temporary file in constant memory) or
CSV in UTF-8 with a BOM and the delimiter Excel expects in the reader's locale.

No domain imports here: case files, attendance and reports map their own columns.
"""

import codecs
import csv
import io
import json
import logging
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from xml.etree import ElementTree

import charset_normalizer
import openpyxl
import xlsxwriter
from babel import Locale
from babel.dates import parse_date
from flask import Response
from flask_babel import lazy_gettext as _l

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
# A workbook is a zip: what it unpacks to is capped too, so that a small file cannot expand
# into gigabytes of XML. A 5,000-row sheet of 30 columns unpacks to about 20 MB.
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
# A spreadsheet program runs a cell that starts with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | date | datetime | time | None


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; ``message`` says why in the reader's language."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class SourceKind(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    ODS = "ods"


@dataclass(frozen=True)
class Source:
    """How a file was read, to tell the reader in the preview."""

    kind: SourceKind
    encoding: str | None = None  # text files only, e.g. "Windows-1252"
    delimiter: str | None = None
    sheet: str | None = None  # workbooks only

    def describe(self) -> str:
        """Say in the reader's language how the file was read."""
        if self.kind == SourceKind.CSV:
            return str(
                _l(
                    "Read as text in the %(encoding)s encoding, values separated by %(delimiter)s.",
                    encoding=self.encoding,
                    delimiter=DELIMITER_NAMES.get(self.delimiter or ",", self.delimiter),
                )
            )
        kind = _l("Excel workbook") if self.kind == SourceKind.XLSX else _l("OpenDocument workbook")
        return str(_l("Read as %(kind)s, sheet “%(sheet)s”.", kind=kind, sheet=self.sheet))


DELIMITER_NAMES = {",": _l("commas"), ";": _l("semicolons"), "\t": _l("tabs")}


@dataclass(frozen=True)
class SheetRow:
    line: int  # the row number a spreadsheet program shows, the header being row 1 or later
    cells: tuple[str, ...]


@dataclass
class Table:
    """The header and the non-empty rows of a file, every cell as text (dates in ISO form)."""

    header: list[str]
    rows: list[SheetRow]
    source: Source
    header_line: int = 1

    def to_json(self) -> str:
        return json.dumps(
            {
                "source": {
                    "kind": self.source.kind.value,
                    "encoding": self.source.encoding,
                    "delimiter": self.source.delimiter,
                    "sheet": self.source.sheet,
                },
                "header": self.header,
                "header_line": self.header_line,
                "rows": [[row.line, list(row.cells)] for row in self.rows],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> "Table":
        data = json.loads(text)
        source = data["source"]
        return cls(
            header=data["header"],
            rows=[SheetRow(line, tuple(cells)) for line, cells in data["rows"]],
            source=Source(
                SourceKind(source["kind"]), source["encoding"], source["delimiter"], source["sheet"]
            ),
            header_line=data["header_line"],
        )


# -- reading ---------------------------------------------------------------------------------


def read_table(raw: bytes, *, locale: str | None = None, max_rows: int = MAX_ROWS) -> Table:
    """Read an uploaded file, whatever Excel or LibreOffice saved it as.

    The format is told by the content, not the file name (a workbook renamed to .csv is
    still read as a workbook).

    :raise SpreadsheetError: when the file is too large, empty, not a spreadsheet, damaged,
        or has more than ``max_rows`` rows or ``MAX_COLUMNS`` columns.
    """
    if len(raw) > MAX_BYTES:
        raise SpreadsheetError(_l("The file is larger than 5 MB; split it into smaller files."))
    if not raw.strip():
        raise SpreadsheetError(_l("The file is empty."))
    if raw.startswith(b"PK\x03\x04"):
        rows, source = _read_workbook(raw, max_rows)
    elif raw.startswith(b"\xd0\xcf\x11\xe0"):  # the container of .xls and of encrypted .xlsx
        raise SpreadsheetError(
            _l(
                "This is an old Excel 97–2003 file or a file protected by a password. "
                "Save it as .xlsx without a password, or as CSV, and try again."
            )
        )
    else:
        text, encoding = decode_text(raw, locale)
        delimiter = _sniff_delimiter(text)
        rows = _csv_rows(text, delimiter, max_rows)
        source = Source(SourceKind.CSV, encoding=encoding, delimiter=delimiter)
    return _table(rows, source, max_rows)


def _table(rows: Iterator[tuple[int, list[Cell]]], source: Source, max_rows: int) -> Table:
    """Take the first non-empty row as the header and keep the non-empty rows below it."""
    header: list[str] | None = None
    header_line = 1
    kept: list[SheetRow] = []
    for line, cells in rows:
        texts = [cell_text(cell) for cell in cells]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            continue
        if len(texts) > MAX_COLUMNS:
            raise SpreadsheetError(
                _l(
                    "The file has more than %(max)s columns; keep only the columns to import.",
                    max=MAX_COLUMNS,
                )
            )
        if header is None:
            header = [" ".join(text.split()) for text in texts]
            header_line = line
            continue
        if len(kept) == max_rows:
            raise SpreadsheetError(
                _l(
                    "The file has more than %(max)s rows; split it into smaller files.",
                    max=max_rows,
                )
            )
        kept.append(SheetRow(line, tuple(texts)))
    if header is None:
        raise SpreadsheetError(_l("The file is empty."))
    return Table(header=header, rows=kept, source=source, header_line=header_line)


def cell_text(cell: Cell) -> str:
    """Return a cell as text: dates in ISO form, whole numbers without ``.0``.

    An apostrophe that an export put before a formula character is taken off again.
    """
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat(" ")
    if isinstance(cell, date | time):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    text = str(cell).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_TRIGGERS and text[1:2]:
        return text[1:]
    return text


# Encodings Excel and LibreOffice write for "CSV" or "Text" in the languages we serve, most
# common first; it breaks ties where the detector finds several equally plausible.
LEGACY_ENCODINGS = (
    "cp1252", "cp1251", "cp1256", "cp1250", "cp1253", "cp1254", "cp1255", "cp1257", "cp1258",
    "iso8859_15", "latin_1", "koi8_u", "mac_roman", "cp850",
)  # fmt: skip
# What Windows writes as "ANSI" text in a language, where it is not Windows-1252.
WINDOWS_ENCODINGS = {"uk": "cp1251", "ru": "cp1251", "ar": "cp1256", "fa": "cp1256"}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1250": "Windows-1250",
    "cp1251": "Windows-1251",
    "cp1252": "Windows-1252",
    "cp1253": "Windows-1253",
    "cp1254": "Windows-1254",
    "cp1255": "Windows-1255",
    "cp1256": "Windows-1256",
    "cp1257": "Windows-1257",
    "cp1258": "Windows-1258",
    "iso8859-15": "ISO-8859-15",
    "iso8859-1": "ISO-8859-1",
    "koi8-u": "KOI8-U",
    "mac-roman": "Mac OS Roman",
    "cp850": "DOS-850",
}


def decode_text(raw: bytes, locale: str | None = None) -> tuple[str, str]:
    """Decode a text file; return the text and the name of the encoding used.

    UTF-8 and UTF-16 are recognised by their byte order mark or by decoding cleanly; other
    encodings are detected with charset-normalizer; ``locale`` (the municipality's language)
    settles what a few short lines leave open.

    :raise SpreadsheetError: when the bytes are not text in any of these encodings.
    """
    text, encoding = None, None
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                text, encoding = raw.decode(codec), codec
            except UnicodeDecodeError:
                text = None
            break
    if text is None:
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            encoding = _detect_encoding(raw, locale)
            text = raw.decode(encoding) if encoding else None
    if text is None or not _looks_like_text(text):
        raise SpreadsheetError(
            _l(
                "The file is neither a spreadsheet nor text. Save it from your spreadsheet "
                "program as .xlsx, .ods or CSV and try again."
            )
        )
    name = codecs.lookup(encoding.removesuffix("-sig")).name
    return text.removeprefix("\ufeff"), ENCODING_NAMES.get(name, name.upper())


def _detect_encoding(raw: bytes, locale: str | None) -> str | None:
    """Detect a legacy encoding with charset-normalizer, then settle its near-ties.

    On a few short names the detector cannot tell Windows-1250 from 1252, or 1251 (Cyrillic)
    from Latin-looking readings such as ``Îęńŕíŕ``: among readings almost as good as the
    best, take the one with no all-accented Latin words, then the encoding Windows uses in
    the municipality's language, then Windows-1252, then the one the detector scores best,
    then the one Excel most often writes.
    """
    hinted = WINDOWS_ENCODINGS.get((locale or "").split("_")[0], "cp1252")
    sample = raw[:200_000]
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        return None
    best = matches[0]
    if best.encoding.startswith(("utf_16", "utf_32")):
        return best.encoding
    scores: dict[str, tuple[float, float]] = {}
    for match in matches:
        if match.chaos <= best.chaos + 0.1:
            for name in match.could_be_from_charset:
                scores.setdefault(name, (round(match.chaos, 2), -match.coherence))

    def rank(name: str) -> tuple:
        text = sample[:20_000].decode(name, errors="replace")
        preference = LEGACY_ENCODINGS.index(name) if name in LEGACY_ENCODINGS else 99
        usual = (name != hinted, name != "cp1252")
        return _implausible_words(text), *usual, *scores[name], preference

    return min(scores, key=rank, default=best.encoding)


_WORD = re.compile(r"[^\W\d_]{3,}")


def _implausible_words(text: str) -> int:
    """Count words a misread encoding produces: accented Latin letters only (``Îęńŕíŕ``),
    or Latin letters mixed with another script (``Hйlиne``)."""
    count = 0
    for word in _WORD.findall(text):
        latin = [("LATIN" in unicodedata.name(char, "")) for char in word]
        has_ascii = any(char.isascii() for char in word)
        if (all(latin) and not has_ascii) or (has_ascii and not all(latin)):
            count += 1
    return count


def _looks_like_text(text: str) -> bool:
    """Binary files decode to text full of control characters; real CSV has none."""
    sample = text[:100_000]
    controls = sum(
        1 for char in sample if unicodedata.category(char) == "Cc" and char not in "\t\r\n"
    )
    return controls == 0 or controls < len(sample) / 1000 and "\x00" not in sample


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter that occurs most often in the first line, outside quotes."""
    first_line, quoted = [], False
    for char in text[:20_000]:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            if "".join(first_line).strip():
                break
            first_line = []
            continue
        if not quoted:
            first_line.append(char)
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_rows(text: str, delimiter: str, max_rows: int) -> Iterator[tuple[int, list[Cell]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise SpreadsheetError(
            _l(
                "Line %(line)s of the file cannot be read as CSV: a quote is not closed or a "
                "value is far too long.",
                line=reader.line_num,
            )
        ) from exc


def _open_zip(raw: bytes) -> zipfile.ZipFile:
    """Open a workbook's zip after checking what it would unpack to."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _damaged() from exc
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            _l("The workbook holds far more data than 5,000 rows; split it into smaller files.")
        )
    return archive


def _damaged() -> SpreadsheetError:
    return SpreadsheetError(
        _l(
            "The file cannot be read as a spreadsheet: it may be damaged. Open it in your "
            "spreadsheet program, save it again as .xlsx, .ods or CSV and try again."
        )
    )


ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _read_workbook(raw: bytes, max_rows: int) -> tuple[Iterator[tuple[int, list[Cell]]], Source]:
    archive = _open_zip(raw)
    names = set(archive.namelist())
    try:
        if "xl/workbook.xml" in names:
            return _xlsx_rows(raw)
        if "content.xml" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
            return _ods_rows(archive, max_rows)
    except SpreadsheetError:
        raise
    except Exception as exc:  # a third-party parser on a user's file may fail in any way
        logger.info("Unreadable workbook: %r", exc)
        raise _damaged() from exc
    raise SpreadsheetError(_l("This file is not a spreadsheet. Upload an .xlsx, .ods or CSV file."))


def _guarded(rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[tuple[int, list[Cell]]]:
    """Turn any failure of a streaming parser on a damaged file into a message."""
    try:
        yield from rows
    except SpreadsheetError:
        raise
    except Exception as exc:  # a third-party parser on a user's file may fail in any way
        logger.info("Unreadable workbook: %r", exc)
        raise _damaged() from exc


def _xlsx_rows(raw: bytes) -> tuple[Iterator[tuple[int, list[Cell]]], Source]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unsupported extensions, missing styles: harmless
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    sheets = [sheet for sheet in book.worksheets if sheet.sheet_state == "visible"]
    if not sheets:
        raise _damaged()
    sheet = sheets[0]
    sheet.reset_dimensions()  # the stored dimension may be wrong; read what is there

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        # Streams row by row; cells beyond the column cap are never materialised, however
        # large the sheet says it is, and the caller stops past the row cap.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
            for number, cells in enumerate(values, start=1):
                if cells.count(None) < len(cells):  # quick past a sheet's empty expanse
                    yield number, list(cells)

    return _guarded(rows()), Source(SourceKind.XLSX, sheet=sheet.title)


_ODS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def _ods_name(prefix: str, name: str) -> str:
    return f"{{{_ODS[prefix]}}}{name}"


def _ods_rows(
    archive: zipfile.ZipFile, max_rows: int
) -> tuple[Iterator[tuple[int, list[Cell]]], Source]:
    """Stream the first sheet of an OpenDocument workbook.

    LibreOffice writes runs of equal cells and rows once with a repeat count (a sheet ends
    with a row repeated a million times); repeats are expanded only up to the caps.
    """
    table_tag, row_tag = _ods_name("table", "table"), _ods_name("table", "table-row")
    cell_tags = {_ods_name("table", "table-cell"), _ods_name("table", "covered-table-cell")}
    rows_repeated = _ods_name("table", "number-rows-repeated")
    columns_repeated = _ods_name("table", "number-columns-repeated")
    sheet_name = _ods_name("table", "name")
    state: dict = {}

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        number, row, in_table = 0, [], False
        with archive.open("content.xml") as content:
            # Safe on untrusted XML: the expat Python bundles (2.4 and later) caps entity
            # expansion, and ElementTree never loads external entities.
            parser = ElementTree.iterparse(content, events=("start", "end"))  # noqa: S314
            for event, element in parser:
                tag = element.tag
                if tag == table_tag:
                    if event == "start":
                        if "sheet" in state:
                            return  # only the first sheet
                        state["sheet"] = element.get(sheet_name, "")
                        in_table = True
                    else:
                        return
                elif not in_table:
                    continue
                elif tag == row_tag and event == "end":
                    while row and row[-1] in (None, ""):
                        row.pop()
                    repeat = int(element.get(rows_repeated, "1") or 1)
                    if not row:
                        number += repeat
                    else:
                        for _ in range(min(repeat, max_rows + 1)):  # the caller stops
                            number += 1
                            yield number, list(row)
                    row = []
                    element.clear()
                elif tag in cell_tags and event == "end":
                    value = _ods_value(element)
                    repeat = int(element.get(columns_repeated, "1") or 1)
                    if value in (None, "") and len(row) + repeat > MAX_COLUMNS:
                        repeat = max(0, MAX_COLUMNS + 1 - len(row))  # trailing blanks
                    row.extend([value] * min(repeat, MAX_COLUMNS + 1))
                    if len(row) > MAX_COLUMNS + 1:
                        del row[MAX_COLUMNS + 1 :]
                    element.clear()

    iterator = _guarded(rows())
    # The sheet's name comes with its first element: read ahead one row to know it.
    first = next(iterator, None)

    def with_first() -> Iterator[tuple[int, list[Cell]]]:
        if first is not None:
            yield first
        yield from iterator

    return with_first(), Source(SourceKind.ODS, sheet=state.get("sheet", ""))


def _ods_value(element: ElementTree.Element) -> Cell:
    kind = element.get(_ods_name("office", "value-type"))
    if kind in ("float", "percentage", "currency"):
        try:
            return float(element.get(_ods_name("office", "value"), ""))
        except ValueError:
            pass
    elif kind == "date":
        stamp = element.get(_ods_name("office", "date-value"), "")
        try:
            return datetime.fromisoformat(stamp) if "T" in stamp else date.fromisoformat(stamp)
        except ValueError:
            pass
    elif kind == "boolean":
        return element.get(_ods_name("office", "boolean-value")) == "true"
    paragraphs = [_ods_text(p) for p in element.iter(_ods_name("text", "p"))]
    return "\n".join(paragraphs)


def _ods_text(paragraph: ElementTree.Element) -> str:
    """The text of a paragraph, with LibreOffice's space, tab and line-break elements."""
    space, tab = _ods_name("text", "s"), _ods_name("text", "tab")
    line_break = _ods_name("text", "line-break")
    parts = [paragraph.text or ""]
    for child in paragraph:
        if child.tag == space:
            parts.append(" " * min(int(child.get(_ods_name("text", "c"), "1") or 1), 1000))
        elif child.tag == tab:
            parts.append("\t")
        elif child.tag == line_break:
            parts.append("\n")
        else:
            parts.append(_ods_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# -- values typed by people ------------------------------------------------------------------

_DATE_SHAPE = re.compile(r"^\d{1,4}\D{1,3}\d{1,2}\D{1,3}\d{1,4}\D{0,3}$")
_TIME_OF_DAY = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2})?$")


def parse_typed_date(text: str, locale: str) -> date | None:
    """Read a date typed as ISO (``1985-02-03``) or in the locale's short form.

    ``03.02.1985`` in German, ``31/12/1990`` in French, ``١٢/٣/١٩٩٠`` in Arabic. A time of
    midnight after the date (as Excel writes date cells into CSV) is allowed.
    """
    text = _TIME_OF_DAY.sub("", " ".join(text.split())).replace("\u200f", "")
    text = text.replace("\u200e", "").replace("\u061c", "")
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    if not _DATE_SHAPE.match(text):
        return None
    try:
        parsed = parse_date(text, locale=locale)
    except (ValueError, IndexError, TypeError):
        return None
    return parsed if parsed.year >= 1000 else None


def normalised(text: str) -> str:
    """A key for comparing what people type: case, accents, spacing and dashes ignored."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(letters.replace("_", " ").replace("-", " ").split())


def csv_delimiter(locale: str) -> str:
    """Return the delimiter Excel expects in CSV files in this locale.

    Excel uses the system's list separator, which is ``;`` wherever the decimal separator
    is a comma (German, French, Spanish, Ukrainian…), and ``,`` where it is a point.
    """
    parsed = Locale.parse(locale)
    decimal = parsed.number_symbols.get(parsed.default_numbering_system, {}).get("decimal")
    return "," if decimal == "." else ";"


# -- writing ---------------------------------------------------------------------------------


class ColumnKind(StrEnum):
    TEXT = "text"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    """A column of an export: its heading in the reader's language and what it holds."""

    title: str
    kind: ColumnKind = ColumnKind.TEXT
    width: int = 18
    # For templates: a line explaining the column, and the values a drop-down offers.
    explanation: str = ""
    choices: Sequence[str] = field(default_factory=tuple)


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


MIMETYPES = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}


@dataclass
class ExportFile:
    """A finished export in a temporary file, ready to send."""

    file: io.IOBase
    format: ExportFormat
    rows: int

    def response(self, stem: str) -> Response:
        """Send the file as a download named ``stem.xlsx`` or ``stem.csv``, then close it."""
        size = self.file.seek(0, io.SEEK_END)
        self.file.seek(0)

        def chunks() -> Iterator[bytes]:
            try:
                while chunk := self.file.read(64 * 1024):
                    yield chunk
            finally:
                self.file.close()

        response = Response(
            chunks(),
            content_type=MIMETYPES[self.format],
            headers={
                "Content-Disposition": f'attachment; filename="{stem}.{self.format.value}"',
                "Cache-Control": "no-store",
            },
        )
        response.content_length = size
        response.call_on_close(self.file.close)
        return response


def neutralise(text: str) -> str:
    """Put an apostrophe before text a spreadsheet would run as a formula (CSV only)."""
    return "'" + text if text[:1] in FORMULA_TRIGGERS and text else text


def write_table(
    fmt: ExportFormat,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Cell]],
    *,
    locale: str,
    sheet_title: str = "",
    explain: bool = False,
) -> ExportFile:
    """Write rows to a temporary file in ``fmt``; memory stays flat for any number of rows.

    ``explain`` adds a second row with each column's explanation and, in .xlsx, drop-down
    lists for columns with choices (an import template).
    """
    if fmt == ExportFormat.XLSX:
        return _write_xlsx(columns, rows, sheet_title=sheet_title, explain=explain)
    return _write_csv(columns, rows, delimiter=csv_delimiter(locale), explain=explain)


def _write_csv(
    columns: Sequence[Column], rows: Iterable[Sequence[Cell]], *, delimiter: str, explain: bool
) -> ExportFile:
    binary = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (sent later)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([column.title for column in columns])
    if explain:
        writer.writerow([column.explanation for column in columns])
    count = 0
    for row in rows:
        writer.writerow(neutralise(cell_text(value)) for value in row)
        count += 1
    text.flush()
    text.detach()
    return ExportFile(binary, ExportFormat.CSV, count)


def _write_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet_title: str,
    explain: bool,
) -> ExportFile:
    output = tempfile.TemporaryFile()  # noqa: SIM115 (sent, then closed by the response)
    # Constant memory writes each row out as it comes; a template writes its lists
    # column by column, which that mode forbids, and is small anyway.
    book = xlsxwriter.Workbook(
        output, {"constant_memory": not explain, "strings_to_formulas": False}
    )
    sheet = book.add_worksheet(_sheet_title(sheet_title))
    heading = book.add_format({"bold": True, "bg_color": "#E7EEF7", "bottom": 1})
    # Number format 14 is the system's short date: Excel shows 03.02.1985 in German.
    as_date = book.add_format({"num_format": 14})
    as_text = book.add_format({"num_format": "@"})
    quoted = book.add_format({"quote_prefix": True})
    for index, column in enumerate(columns):
        kind_format = as_date if column.kind == ColumnKind.DATE else as_text
        sheet.set_column(index, index, column.width, kind_format if explain else None)
    sheet.write_row(0, 0, [column.title for column in columns], heading)
    sheet.freeze_panes(1, 0)
    first = 1
    if explain:
        note = book.add_format({"italic": True, "font_color": "#555555", "text_wrap": True})
        sheet.write_row(1, 0, [column.explanation for column in columns], note)
        first = 2
        _add_drop_downs(book, sheet, columns, first)
    count = 0
    for count, row in enumerate(rows, start=1):
        line = first + count - 1
        for index, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                sheet.write_datetime(line, index, value, as_date)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(line, index, value)
            else:
                text = str(value)
                sheet.write_string(
                    line, index, text, quoted if text[:1] in FORMULA_TRIGGERS else None
                )
    if count:
        sheet.autofilter(0, 0, first + count - 1, len(columns) - 1)
    book.close()
    return ExportFile(output, ExportFormat.XLSX, count)


def _add_drop_downs(book, sheet, columns: Sequence[Column], first: int) -> None:
    """Offer each column's choices as a drop-down, listed on a hidden sheet.

    A list typed into the validation itself is limited to 255 characters, which translated
    labels exceed; a range on another sheet is not.
    """
    with_choices = [(index, column) for index, column in enumerate(columns) if column.choices]
    if not with_choices:
        return
    lists = book.add_worksheet("lists")
    for position, (index, column) in enumerate(with_choices):
        lists.write_column(0, position, list(column.choices))
        letter = xlsxwriter.utility.xl_col_to_name(position)
        sheet.data_validation(
            first,
            index,
            first + MAX_ROWS - 1,
            index,
            {
                "validate": "list",
                "source": f"=lists!${letter}$1:${letter}${len(column.choices)}",
                "error_type": "warning",
            },
        )
    lists.hide()


def _sheet_title(title: str) -> str:
    """Excel refuses sheet names longer than 31 characters or with []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31]
    return cleaned or "Sheet1"

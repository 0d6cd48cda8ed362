"""Case import from the files Excel and LibreOffice really make, and the export read back."""

import io
import re
import shutil
import subprocess
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from integrapath.cases import spreadsheets
from integrapath.cases.forms import CaseForm
from integrapath.cases.models import Case, CaseImport, CaseNationality
from integrapath.extensions import db
from integrapath.security import Role
from tests.spreadsheet_files import csv_bytes, excel_shapes, xlsx_bytes

# What a German office types: translated headings, German labels, dates as dates.
GERMAN_ROWS = [
    ["Vornamen", "Familienname", "Geburtsdatum", "Geschlecht", "Aufenthaltsstatus",
     "Staatsangehörigkeiten", "Bevorzugte Sprache", "Aktenzeichen"],
    ["Amina", "Haddad", date(1985, 2, 3), "weiblich", "Flüchtling", "Syrien", "ar", "X-1"],
    ["Jürgen", "Müßig", date(1990, 12, 31), "Männlich", "Sonstige", "Ukraine, Türkei", "de", ""],
]  # fmt: skip


def _upload(auth, raw: bytes, name: str):
    token = auth.token("/cases/import")
    return auth.client.post(
        "/cases/import",
        data={"csrf_token": token, "file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def german_office(municipality, caseworker):
    """A German municipality whose caseworker reads the app in English."""
    municipality.default_locale = "de"
    caseworker.preferred_locale = "en"
    db.session.commit()
    return municipality


@pytest.mark.parametrize("name", list(excel_shapes(GERMAN_ROWS)))
def test_each_shape_excel_saves_gives_the_same_correct_preview(
    auth, caseworker, client, german_office, name
):
    raw = excel_shapes(GERMAN_ROWS, date_format="%d.%m.%Y")[name]
    response = _upload(auth, raw, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "All 2 rows are correct" in page, re.findall(r"font-monospace.{0,200}", page)
    assert "These columns are not imported: “Aktenzeichen”." in page
    said = {
        "utf8-bom-semicolon-crlf.csv": "UTF-8 encoding, values separated by semicolons",
        "windows-1252.csv": "Windows-1252 encoding, values separated by commas",
        "utf16-tab.txt": "UTF-16 encoding, values separated by tabs",
        "people.xlsx": "Excel workbook, sheet “Tabelle1”",
        "people.ods": "OpenDocument workbook, sheet “Tabelle1”",
    }[name]
    assert said in page
    auth.post(response.headers["Location"], {})
    imported = db.session.scalars(select(Case).order_by(Case.family_name)).all()
    assert [(c.family_name, c.date_of_birth, c.sex.value) for c in imported] == [
        ("Haddad", date(1985, 2, 3), "female"),
        ("Müßig", date(1990, 12, 31), "male"),
    ]
    assert imported[0].residence_category.value == "refugee"
    nationalities = db.session.scalars(
        select(CaseNationality.country_code)
        .where(CaseNationality.case_id == imported[1].id)
        .order_by(CaseNationality.position)
    ).all()
    assert nationalities == ["UA", "TR"]


# The same typed text is a different day depending on the municipality's language; the
# formats themselves are tested in tests/test_spreadsheets.py.
AMBIGUOUS = {"en": date(1985, 3, 2), "fr": date(1985, 2, 3), "ar": date(1985, 2, 3)}


@pytest.mark.parametrize(("locale", "expected"), AMBIGUOUS.items())
def test_dates_typed_in_the_municipality_format(app_ctx, make_user, locale, expected):
    caseworker = make_user(Role.CASEWORKER)
    caseworker.municipality.default_locale = locale
    db.session.flush()
    raw = (
        b"given_names,family_name,date_of_birth,sex,residence_category,permit_expires_on\n"
        b"Ali,Nouri,03/02/1985,male,refugee,2030-01-31\n"
    )
    (result,) = spreadsheets.check_rows(spreadsheets.read_import(raw, locale), caseworker, CaseForm)
    assert result.ok, result.errors
    assert result.data.values["date_of_birth"] == expected


def test_unknown_labels_and_dates_are_row_errors_naming_the_column(app_ctx, make_user):
    caseworker = make_user(Role.CASEWORKER)
    raw = (
        b"given_names;family_name;date_of_birth;sex;residence_category;stage\n"
        b"Ali;Nouri;31.02.1990;alien;tourist;Ankunft und Orientierung\n"
    )
    (result,) = spreadsheets.check_rows(spreadsheets.read_import(raw, "de"), caseworker, CaseForm)
    assert sorted(result.errors) == ["date_of_birth", "residence_category", "sex"]


def test_header_only_and_unknown_columns_get_messages_naming_them(auth, caseworker):
    page = _upload(auth, b"Vornamen;Familienname;Geburtsdatum;Geschlecht\n", "a.csv").get_data(
        as_text=True
    )
    assert "Residence category (residence_category)" in page  # the missing column, named
    page = _upload(
        auth, b"given_names,family_name,date_of_birth,sex,residence_category\n", "b.csv"
    ).get_data(as_text=True)
    assert "The file has column names but no rows." in page
    page = _upload(auth, b"Vorname,Name,Wohnort\nAli,Nouri,Berlin\n", "c.csv").get_data(
        as_text=True
    )
    assert "Columns not recognised: “Vorname”, “Name”, “Wohnort”." in page
    assert db.session.scalar(select(func.count(CaseImport.id))) == 0


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_exported_caseload_is_read_back_by_the_import(
    app, auth, caseworker, client, make_case, fmt
):
    make_case(
        caseworker=caseworker, given_names="Oksana", family_name="Melnyk",
        date_of_birth=date(1988, 8, 8), nationalities=("UA", "PL"),
        permit_expires_on=date(2030, 1, 1),
    )  # fmt: skip
    make_case(caseworker=caseworker, family_name="=HYPERLINK(evil)", given_names="Sam")
    caseworker.preferred_locale = "de"
    db.session.commit()
    exported = client.get(f"/cases/export.{fmt}?caseworker=")
    assert exported.status_code == 200
    raw = exported.get_data()
    if fmt == "csv":
        assert raw.startswith(b"\xef\xbb\xbf") and b"Familienname;Vornamen" in raw
        assert b"'=HYPERLINK(evil)" in raw
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(raw)).worksheets[0]
        heading = [cell.value for cell in sheet[1]]
        born = sheet.cell(2, heading.index("Geburtsdatum") + 1)
        assert born.is_date
    response = _upload(auth, raw, f"export.{fmt}")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "row-2" in page and "row-3" in page  # both match their existing files
    assert "Aktenzeichen" in page and "=HYPERLINK(evil)" in page
    upload = db.session.scalars(select(CaseImport)).one()
    with app.test_request_context():
        results = spreadsheets.check_rows(spreadsheets.load_upload(upload), caseworker, CaseForm)
    assert all(result.ok for result in results), [r.errors for r in results]
    oksana = next(r for r in results if r.values["family_name"] == "Melnyk")
    assert sorted(oksana.data.nationalities) == ["PL", "UA"]
    assert oksana.data.values["permit_expires_on"] == date(2030, 1, 1)
    assert oksana.data.values["caseworker_id"] == caseworker.id


def test_the_xlsx_template_explains_each_column_offers_lists_and_reads_back(
    auth, caseworker, client
):
    response = client.get("/cases/import/template.xlsx")
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = book.worksheets[0]
    heading = [cell.value for cell in sheet[1]]
    assert heading[:2] == ["Given names", "Family name"]
    assert sheet.cell(2, heading.index("Sex") + 1).value == "Required. Choose from the list."
    sources = {validation.formula1 for validation in sheet.data_validations.dataValidation}
    assert len(sources) == 4  # sex, preferred language, residence category, stage
    lists = book["lists"]
    assert lists.sheet_state == "hidden"
    assert "Female" in [cell.value for cell in lists["A"]]
    # Filled in as a caseworker would, the explanation row is skipped.
    column = {name: index + 1 for index, name in enumerate(heading)}
    for name, value in {
        "Given names": "Amina", "Family name": "Haddad", "Date of birth": "1990-04-12",
        "Sex": "Female", "Residence category": "Subsidiary protection",
    }.items():  # fmt: skip
        sheet.cell(3, column[name], value)
    filled = io.BytesIO()
    book.save(filled)
    page = client.get(_upload(auth, filled.getvalue(), "t.xlsx").headers["Location"])
    assert "The row is correct." in page.get_data(as_text=True)
    assert 'id="line-3"' in page.get_data(as_text=True)


def test_the_csv_template_keeps_the_codes_and_an_example(client, caseworker):
    response = client.get("/cases/import/template.csv")
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert response.get_data().decode("utf-8-sig").startswith("given_names,family_name,")


@pytest.mark.parametrize(
    "raw",
    [
        b"PK\x03\x04garbage",
        xlsx_bytes(GERMAN_ROWS)[:2000],
        bytes(range(256)) * 50,
        b"\xd0\xcf\x11\xe0" + b"\x00" * 600,
        csv_bytes([["given_names"] * 3]),
    ],
)
def test_nothing_uploaded_produces_a_server_error(auth, caseworker, raw):
    response = _upload(auth, raw, "people.xlsx")
    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.get_data(as_text=True)


def _rows_of_newcomers(count: int) -> list[list]:
    rows = [["Vornamen", "Familienname", "Geburtsdatum", "Geschlecht", "Aufenthaltsstatus"]]
    return rows + [
        [f"Name{n}", f"Person{n}", date(1960, 1, 1 + n % 28).replace(year=1960 + n % 50),
         "weiblich", "Flüchtling"]
        for n in range(count)
    ]  # fmt: skip


def test_checking_five_thousand_rows_sends_a_query_per_batch_not_per_row(
    app_ctx, make_user, count_queries
):
    """The largest import allowed is checked without a query per row (existing files are
    looked up a batch of rows at a time), so 5,000 rows take seconds, not minutes."""
    caseworker = make_user(Role.CASEWORKER)
    sent = {}  # rows checked: lookups of existing files
    for count in (50, 5000):
        imported = spreadsheets.read_import(xlsx_bytes(_rows_of_newcomers(count)), "de")
        with count_queries() as statements:
            results = spreadsheets.check_rows(imported, caseworker, CaseForm)
        assert len(results) == count and all(result.ok for result in results)
        sent[count] = sum("FROM case_file" in statement for statement in statements)
    assert sent == {50: 1, 5000: 10}  # a batch of 500 rows per lookup


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_an_export_saved_again_by_libreoffice_is_read_back(
    app, auth, caseworker, client, make_case, tmp_path
):
    make_case(caseworker=caseworker, given_names="Oksana", family_name="Melnyk")
    (tmp_path / "caseload.xlsx").write_bytes(client.get("/cases/export.xlsx").get_data())
    for target in (
        "ods",
        "xlsx:Calc MS Excel 2007 XML",
        "csv:Text - txt - csv (StarCalc):59,34,76",
    ):
        out = tmp_path / target.split(":")[0]
        subprocess.run(
            ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
             "--convert-to", target, "--outdir", str(out), str(tmp_path / "caseload.xlsx")],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        (saved,) = out.iterdir()
        with app.test_request_context():
            imported = spreadsheets.read_import(saved.read_bytes(), "en")
            (result,) = spreadsheets.check_rows(imported, caseworker, CaseForm)
        assert result.ok, (target, result.errors)
        assert re.fullmatch(r"LND-\d{4}-\d{6}", imported.table.rows[0].cells[0])

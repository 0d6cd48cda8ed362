"""CSV import against existing files: matches are marked, the caseworker decides per row."""

import io
from datetime import date

from sqlalchemy import func, select

from integrapath.cases import spreadsheets
from integrapath.cases.forms import CaseForm
from integrapath.cases.models import Case, CaseImport
from integrapath.extensions import db, utcnow

HEADER = "given_names,family_name,date_of_birth,sex,residence_category,permit_number\n"


def _upload(auth, content: str):
    token = auth.token("/cases/import")
    response = auth.client.post(
        "/cases/import",
        data={"csrf_token": token, "file": (io.BytesIO(content.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    return response.headers["Location"]


def _count() -> int:
    return db.session.scalar(select(func.count(Case.id)))


def test_preview_marks_rows_matching_existing_files_despite_accents_order_and_script(
    auth, caseworker, client, make_case
):
    existing = make_case(given_names="José", family_name="Müller", date_of_birth=date(1985, 5, 5))
    by_permit = make_case(permit_number="XY998877")
    location = _upload(
        auth,
        HEADER + "MULLER,jose,1985-05-05,male,refugee,\n"  # swapped, no accents, upper case
        "Anna,Other,1990-02-02,female,refugee,xy998877\n"  # same permit, another name
        "Nina,New,1991-03-03,female,refugee,\n",
    )
    preview = client.get(location).get_data(as_text=True)
    assert "2 of them match existing files" in preview
    assert f"/cases/{existing.id}" in preview and f"/cases/{by_permit.id}" in preview
    assert 'name="row-2"' in preview and 'name="row-3"' in preview
    assert 'name="row-4"' not in preview  # a new person needs no decision


def test_import_waits_for_a_decision_on_each_matching_row_then_skips_or_creates(
    auth, caseworker, client, make_case
):
    make_case(given_names="Ali", family_name="Nouri", date_of_birth=date(1990, 1, 1))
    make_case(given_names="Sara", family_name="Ahmadi", date_of_birth=date(2000, 2, 2))
    before = _count()
    location = _upload(
        auth,
        HEADER + "Ali,Nouri,1990-01-01,male,refugee,\n"
        "Sara,Ahmadi,2000-02-02,female,refugee,\n"
        "Nina,New,1991-03-03,female,refugee,\n",
    )
    refused = auth.post(location, {"row-2": "skip"}).get_data(as_text=True)
    assert "Choose what to do with this row." in refused
    assert 'id="line-3" class="table-danger"' in refused
    assert 'value="skip" checked' in refused  # the choice already made is kept
    assert _count() == before
    auth.post(location, {"row-2": "skip", "row-3": "create"})
    assert _count() == before + 2
    saras = db.session.scalars(select(Case).where(Case.family_name == "Ahmadi")).all()
    assert len(saras) == 2  # created anyway, as chosen
    assert len(db.session.scalars(select(Case).where(Case.family_name == "Nouri")).all()) == 1


def test_a_file_registered_after_the_preview_is_caught_at_confirm_time(
    auth, caseworker, client, make_case
):
    location = _upload(auth, HEADER + "Lina,Haddad,1995-06-06,female,refugee,\n")
    assert "match existing files" not in client.get(location).get_data(as_text=True)
    make_case(given_names="Lina", family_name="Haddad", date_of_birth=date(1995, 6, 6))
    before = _count()
    page = auth.post(location, {}).get_data(as_text=True)
    assert "Choose what to do with this row." in page
    assert _count() == before


def test_duplicate_check_of_thousands_of_rows_is_batched(
    app_ctx, make_user, make_case, count_queries
):
    caseworker = make_user()
    make_case(given_names="Row", family_name="Person17", date_of_birth=date(1980, 1, 18))
    lines = [
        f"Row,Person{n},{date(1980, 1, 1 + n % 28).isoformat()},female,refugee,P{n:07d}"
        for n in range(3000)
    ]
    imported = spreadsheets.read_import((HEADER + "\n".join(lines) + "\n").encode(), "en")
    with count_queries() as statements:
        results = spreadsheets.check_rows(imported, caseworker, CaseForm)
    searches = [s for s in statements if "FROM case_file" in s]
    assert len(searches) == 6  # one per 500 rows, not one per row
    assert [r.number for r in results if r.duplicates] == [19]


def test_imported_content_is_deleted_and_abandoned_uploads_are_purged(
    app_ctx, make_user, monkeypatch
):
    caseworker = make_user()
    imported = spreadsheets.read_import(
        (HEADER + "Ali,Nouri,1990-01-01,male,refugee,\n").encode(), "en"
    )
    upload = spreadsheets.store_upload("a.csv", imported, caseworker)
    spreadsheets.import_cases(
        upload, spreadsheets.check_rows(imported, caseworker, CaseForm), {}, caseworker
    )
    db.session.flush()
    db.session.expire(upload)
    assert upload.content == ""
    abandoned = spreadsheets.store_upload("b.csv", imported, caseworker)
    abandoned.uploaded_at = utcnow().replace(year=utcnow().year - 1)
    fresh = spreadsheets.store_upload("c.csv", imported, caseworker)  # purges the old one
    remaining = db.session.scalars(select(CaseImport.filename)).all()
    assert sorted(remaining) == ["a.csv", "c.csv"]
    assert "Nouri" in fresh.content


def test_a_file_with_only_column_names_is_refused_with_a_message(auth, caseworker, client):
    token = auth.token("/cases/import")
    page = auth.client.post(
        "/cases/import",
        data={"csrf_token": token, "file": (io.BytesIO(HEADER.encode()), "people.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "The file has column names but no rows." in page
    assert db.session.scalar(select(func.count(CaseImport.id))) == 0

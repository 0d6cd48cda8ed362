"""Case-file pages as caseworkers use them, and what others cannot reach."""

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from integrapath.audit import AuditEvent
from integrapath.cases import services
from integrapath.cases.models import Case, CaseNote, Consent
from integrapath.extensions import db
from integrapath.security import Role

REGISTRATION = {
    "given_names": "Nour",
    "family_name": "Al-Masri",
    "given_names_latin": "",
    "family_name_latin": "",
    "date_of_birth": "1994-07-01",
    "sex": "female",
    "country_of_birth": "SY",
    "nationalities": ["SY"],
    "mother_tongue": "ar",
    "languages": ["en"],
    "preferred_language": "ar",
    "phone": "+49 170 555 1234",
    "email": "nour@example.org",
    "address": "Lindenstraße 4",
    "residence_category": "refugee",
    "permit_number": "X123",
    "permit_issued_on": "2025-01-01",
    "permit_expires_on": "2028-01-01",
    "arrived_in_country_on": "2024-10-01",
    "arrived_in_municipality_on": "2024-11-01",
    "stage": "arrival",
}


def _register(auth, caseworker, **changes):
    data = {**REGISTRATION, "caseworker_id": str(caseworker.id), **changes}
    return auth.post("/cases/new", data)


def test_caseworker_registers_a_newcomer_and_sees_the_file(auth, caseworker, client):
    response = _register(auth, caseworker)
    assert response.status_code == 302
    case_id = db.session.scalar(select(Case.id).where(Case.family_name == "Al-Masri"))
    case = services.load_case_file(case_id, caseworker)
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert case.reference.startswith("LND-")
    assert [n.country_code for n in case.nationalities] == ["SY"]
    assert [(lang.language_code, lang.mother_tongue) for lang in case.languages] == [
        ("ar", True),
        ("en", False),
    ]
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Al-Masri" in page and case.reference in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"date_of_birth": (date.today() + timedelta(days=3)).isoformat()},
            "date_of_birth",
            "cannot be in the future",
        ),
        ({"date_of_birth": "1880-01-01"}, "date_of_birth", "over 120 years old"),
        ({"date_of_birth": "not a date"}, "date_of_birth", "Not a valid date value."),
        ({"permit_expires_on": "2024-12-31"}, "permit_expires_on", "must be after the issue date"),
        (
            {"arrived_in_municipality_on": "2024-09-01"},
            "arrived_in_municipality_on",
            "cannot be before arrival in the country",
        ),
        (
            {"arrived_in_country_on": "1990-01-01"},
            "arrived_in_country_on",
            "before the date of birth",
        ),
        ({"nationalities": ["XX"]}, "nationalities", "not a valid choice"),
        ({"country_of_birth": "QQ"}, "country_of_birth", "Not a valid choice."),
        ({"email": "not-an-email"}, "email", "Invalid email address."),
        ({"phone": "call me"}, "phone", "Use digits"),
        ({"given_names": ""}, "given_names", "This field is required."),
        ({"date_of_birth": ""}, "date_of_birth", "Enter a date."),
    ],
)
def test_each_registration_error_is_shown_next_to_its_field_and_keeps_the_input(
    auth, caseworker, changes, field, message
):
    response = _register(auth, caseworker, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(rf'id="{field}-error"[^>]*>([^<]*)<', page)
    assert error and message.lower() in error.group(1).lower()
    assert 'value="Al-Masri"' in page  # what was typed stays
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_registration_errors_are_translated(auth, caseworker, client):
    caseworker.preferred_locale = "de"
    db.session.commit()
    page = _register(auth, caseworker, date_of_birth="2999-01-01").get_data(as_text=True)
    assert "Zukunft" in page


def test_likely_duplicate_must_be_confirmed_before_a_second_file(auth, caseworker, make_case):
    existing = make_case(given_names="Nour", family_name="Al Masri", date_of_birth=date(1994, 7, 1))
    page = _register(auth, caseworker, family_name="AL-MASRI", permit_number="").get_data(
        as_text=True
    )
    assert "This person may already have a file" in page
    assert existing.reference in page
    assert db.session.scalar(select(func.count(Case.id))) == 1
    response = _register(
        auth, caseworker, family_name="AL-MASRI", permit_number="", confirm_new_person="y"
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Case.id))) == 2


CASE_URLS = [
    ("get", "/cases/{id}"),
    ("get", "/cases/{id}/edit"),
    ("post", "/cases/{id}/edit"),
    ("post", "/cases/{id}/notes"),
    ("post", "/cases/{id}/notes/1/amend"),
    ("post", "/cases/{id}/household"),
    ("post", "/cases/{id}/household/1/remove"),
    ("post", "/cases/{id}/dependants"),
    ("post", "/cases/{id}/dependants/1/remove"),
    ("post", "/cases/{id}/consents"),
    ("post", "/cases/{id}/consents/1/withdraw"),
    ("post", "/cases/{id}/reassign"),
    ("post", "/cases/{id}/transfer"),
    ("post", "/cases/{id}/language-levels"),
    ("get", "/cases/{id}/qualifications/new"),
    ("post", "/cases/{id}/qualifications/new"),
    ("post", "/cases/{id}/qualifications/1/steps"),
    ("post", "/cases/{id}/qualifications/1/measures/1"),
    ("post", "/cases/{id}/employment"),
    ("get", "/cases/{id}/skills-profile"),
    ("post", "/cases/{id}/skills-profile"),
    ("post", "/cases/{id}/close"),
    ("post", "/cases/{id}/reopen"),
    ("post", "/cases/{id}/portal-access"),
    ("post", "/cases/{id}/portal-access/link"),
    ("post", "/cases/{id}/erasure"),
    ("post", "/cases/{id}/housing"),
    ("post", "/cases/{id}/health"),
    ("post", "/cases/{id}/civic"),
    ("post", "/cases/{id}/education"),
    ("post", "/courses/cases/{id}/enrol"),
    ("post", "/cases/{id}/stage"),
    ("post", "/cases/{id}/advance"),
    ("post", "/cases/{id}/milestones/1/tick"),
    ("post", "/cases/{id}/milestones/1/untick"),
    ("get", "/cases/{id}/plan"),
    ("post", "/cases/{id}/plan/goals"),
    ("get", "/cases/{id}/plan/goals/1"),
    ("post", "/cases/{id}/plan/goals/1"),
    ("post", "/cases/{id}/plan/goals/1/cancel"),
    ("get", "/cases/{id}/plan/goals/1/actions/new"),
    ("post", "/cases/{id}/plan/goals/1/actions/new"),
    ("get", "/cases/{id}/plan/actions/1"),
    ("post", "/cases/{id}/plan/actions/1"),
    ("post", "/cases/{id}/plan/actions/1/status"),
    ("post", "/cases/{id}/plan/agree"),
    ("get", "/cases/{id}/plan/versions/1"),
    ("get", "/cases/{id}/plan/print"),
    ("get", "/cases/{id}/plan/versions/1/print"),
    ("post", "/cases/{id}/referrals"),
    ("post", "/cases/{id}/referrals/1/status"),
]


ROW_IDS = (
    r"<int:((note|link|dependant|consent|qualification|measure|milestone|goal|action|referral)_id"
    r"|number)>"
)


def test_case_url_table_covers_every_case_route(app):
    routes = {rule.rule for rule in app.url_map.iter_rules() if "<int:case_id>" in rule.rule}
    covered = {
        re.sub(r"/1(/|$)", r"/<int:x>\1", path.replace("{id}", "<int:case_id>"))
        for _m, path in CASE_URLS
    }
    normalised = {re.sub(ROW_IDS, "<int:x>", route) for route in routes}
    assert normalised == covered


@pytest.mark.parametrize(("method", "path"), CASE_URLS)
def test_a_case_of_another_municipality_answers_404_on_every_url(
    auth, caseworker, client, make_case, make_municipality, method, path
):
    foreign = make_case(in_municipality=make_municipality())
    url = path.format(id=foreign.id)
    if method == "get":
        assert client.get(url).status_code == 404
    else:
        assert (
            auth.post(
                url,
                {
                    "note-text": "x",
                    "note-category": "general",
                    "amend-text": "x",
                    "close-reason": "other",
                },
                token_from="/cases/",
            ).status_code
            == 404
        )
    assert db.session.scalar(select(func.count(CaseNote.id))) == 0


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.MIGRANT, Role.ADMIN])
def test_other_roles_cannot_open_case_pages(auth, client, make_user, make_case, role):
    case = make_case(disability=True)
    auth.login(make_user(role))
    refused = 404 if role == Role.MIGRANT else 403  # a newcomer is not told the pages exist
    for url in (f"/cases/{case.id}", "/cases/", "/cases/new", "/cases/export.csv", "/cases/import"):
        assert client.get(url).status_code == refused


def test_every_view_of_a_file_and_of_its_flags_is_audited(auth, caseworker, client, make_case):
    case = make_case(psychosocial_need=True)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Psychosocial need" in page
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_id == case.id, AuditEvent.actor_id == caseworker.id
        )
    ).all()
    assert actions.count("case_viewed") == 1
    assert actions.count("sensitive_flags_viewed") == 1


def test_note_error_keeps_the_page_and_a_correction_keeps_the_original(
    auth, caseworker, client, make_case
):
    case = make_case()
    assert (
        auth.post(
            f"/cases/{case.id}/notes",
            {"note-category": "general", "note-text": ""},
            token_from=f"/cases/{case.id}",
        ).status_code
        == 200
    )
    auth.post(
        f"/cases/{case.id}/notes",
        {"note-category": "housing", "note-text": "Flat on Rosenweg"},
        token_from=f"/cases/{case.id}",
    )
    note = db.session.scalar(select(CaseNote))
    auth.post(
        f"/cases/{case.id}/notes/{note.id}/amend",
        {"amend-text": "Actually Rosenweg 5"},
        token_from=f"/cases/{case.id}",
    )
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Flat on Rosenweg" in page and "Actually Rosenweg 5" in page


def test_consent_is_recorded_and_withdrawn_without_deleting(
    auth, caseworker, client, make_case, today
):
    case = make_case()
    auth.post(
        f"/cases/{case.id}/consents",
        {
            "consent-purpose": "provider_sharing",
            "consent-given_on": today.isoformat(),
            "consent-method": "written",
        },
        token_from=f"/cases/{case.id}",
    )
    consent = db.session.scalar(select(Consent))
    auth.post(
        f"/cases/{case.id}/consents/{consent.id}/withdraw",
        {"withdraw-withdrawn_on": today.isoformat()},
        token_from=f"/cases/{case.id}",
    )
    assert consent.withdrawn_on == today
    assert db.session.scalar(select(func.count(Consent.id))) == 1


def test_caseload_shows_my_cases_and_searches_without_accents(auth, caseworker, client, make_case):
    make_case(caseworker=caseworker, given_names="Zoë", family_name="Ørsted")
    make_case(given_names="Other", family_name="Person")
    page = client.get("/cases/").get_data(as_text=True)
    assert "Ørsted" in page and "Person, Other" not in page
    assert "Ørsted" in client.get("/cases/?q=orsted").get_data(as_text=True)
    everyone = client.get("/cases/?caseworker=").get_data(as_text=True)
    assert "Person, Other" in everyone


def test_caseload_filter_garbage_gives_no_error(auth, caseworker, client):
    response = client.get("/cases/?stage=nonsense&sort=drop&caseworker=999999&page=-3")
    assert response.status_code == 200


def _bulk_cases(municipality_id, caseworker_id, count, start):
    from integrapath.cases.models import CaseNationality

    rows = [
        Case(
            municipality_id=municipality_id, reference=f"BULK-{start + n:06d}", given_names=f"G{n}",
            family_name=f"F{n}", name_key=f"g{n} f{n}", family_name_key=f"f{n}",
            given_names_key=f"g{n}",
            date_of_birth=date(1990, 1, 1), sex="female", preferred_language="ar",
            residence_category="refugee", stage="arrival", caseworker_id=caseworker_id,
            permit_expires_on=date.today() + timedelta(days=n % 200),
            nationalities=[CaseNationality(country_code="SY")],
        )
        for n in range(count)
    ]  # fmt: skip
    db.session.add_all(rows)
    db.session.commit()


def test_caseload_runs_the_same_number_of_queries_for_10_and_1000_cases(
    auth, caseworker, client, count_queries
):
    _bulk_cases(caseworker.municipality_id, caseworker.id, 10, 0)
    with count_queries() as small:
        assert client.get("/cases/?sort=permit").status_code == 200
    _bulk_cases(caseworker.municipality_id, caseworker.id, 990, 10)
    with count_queries() as large:
        page = client.get("/cases/?sort=permit").get_data(as_text=True)
    assert "1,000 results" in page
    assert len(large) == len(small)


def test_case_page_runs_the_same_number_of_queries_with_many_notes_and_family(
    auth, caseworker, client, make_case, count_queries
):
    from integrapath.cases.models import NoteCategory, Relation

    case = make_case(caseworker=caseworker)
    services.add_note(case, NoteCategory.GENERAL, "first", caseworker)
    services.link_household(case, make_case(), Relation.CHILD, caseworker)
    db.session.commit()
    with count_queries() as few:
        assert client.get(f"/cases/{case.id}").status_code == 200
    for number in range(40):
        note = services.add_note(case, NoteCategory.HOUSING, f"note {number}", caseworker)
        services.add_note(case, NoteCategory.HOUSING, f"fix {number}", caseworker, amends=note)
    db.session.commit()  # make_case below ends its own request context, discarding pending work
    for _ in range(5):
        services.link_household(case, make_case(), Relation.SIBLING, caseworker)
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "fix 39" in page
    assert len(many) == len(few)


def test_case_page_asks_each_question_once_whichever_sections_ask_it(
    auth, caseworker, client, make_case, count_queries
):
    # A pending transfer, the language levels and the children are asked about by several
    # sections (the transfer card, "close the case", the course suggestions, the education
    # form): the database answers each once.
    case = make_case(caseworker=caseworker)
    db.session.connection()  # the test's savepoint is not one of the page's queries
    with count_queries() as statements:
        assert client.get(f"/cases/{case.id}").status_code == 200
    selects = [statement for statement in statements if statement.lstrip().startswith("SELECT")]
    asked_twice = {statement[:120] for statement in selects if selects.count(statement) > 1}
    assert not asked_twice
    assert sum("FROM case_transfer" in statement for statement in selects) == 1


GOOD_CSV = (
    "given_names,family_name,date_of_birth,sex,nationalities,residence_category,mother_tongue,preferred_language\n"
    "Samir,Khalil,1980-03-03,male,SY,refugee,ar,ar\n"
    "Olena,Bondarenko,1992-10-10,female,UA,subsidiary_protection,uk,uk\n"
)
BAD_CSV = (
    "given_names,family_name,date_of_birth,sex,nationalities,residence_category\n"
    "Samir,Khalil,1980-03-03,male,SY,refugee\n"
    "Olena,,1992-13-45,alien,ZZ,tourist\n"
)


def _upload(auth, content: str, name="people.csv"):
    token = auth.token("/cases/import")
    return auth.client.post(
        "/cases/import",
        data={"csrf_token": token, "file": (io.BytesIO(content.encode()), name)},
        content_type="multipart/form-data",
    )


def test_csv_import_with_errors_shows_each_row_and_imports_nothing(auth, caseworker, client):
    response = _upload(auth, BAD_CSV)
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 row has errors" in preview
    for column in ("family_name", "date_of_birth", "sex", "nationalities", "residence_category"):
        assert column in preview
    token = auth.token(response.headers["Location"])
    client.post(response.headers["Location"], data={"csrf_token": token})
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_csv_import_of_a_good_file_creates_every_case(auth, caseworker, client):
    location = _upload(auth, GOOD_CSV).headers["Location"]
    assert "All 2 rows are correct" in client.get(location).get_data(as_text=True)
    auth.post(location, {})
    names = db.session.scalars(select(Case.family_name).order_by(Case.family_name)).all()
    assert names == ["Bondarenko", "Khalil"]
    assert client.get(location).status_code == 302  # cannot be imported twice
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "CaseImport")
    )
    assert sorted(actions) == ["case_import_uploaded", "cases_imported"]


def test_import_refuses_files_that_are_not_spreadsheets_with_a_message(auth, caseworker):
    assert "The file is empty." in _upload(auth, "", name="empty.csv").get_data(as_text=True)
    page = _upload(auth, "given_names\x00,x\n").get_data(as_text=True)
    assert "neither a spreadsheet nor text" in page
    page = _upload(auth, "a,b\n1,2\n").get_data(as_text=True)
    assert "Required columns are missing: Given names (given_names)" in page
    assert "Columns not recognised: “a”, “b”." in page


def test_import_of_another_municipality_answers_404(
    auth, caseworker, client, app, make_user, make_municipality
):
    from tests.conftest import Auth

    location = _upload(auth, GOOD_CSV).headers["Location"]
    stranger_client = app.test_client()
    Auth(stranger_client).login(make_user(Role.CASEWORKER, in_municipality=make_municipality()))
    assert stranger_client.get(location).status_code == 404


def test_export_gives_the_filtered_caseload_as_csv_and_is_audited(
    auth, caseworker, client, make_case
):
    make_case(caseworker=caseworker, family_name="=HYPERLINK(evil)")
    make_case(caseworker=caseworker, family_name="Berg")
    response = client.get("/cases/export.csv?q=berg")
    text = response.get_data(as_text=True)
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert response.get_data().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    assert "Berg" in text and "HYPERLINK" not in text
    everything = client.get("/cases/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(evil)" in everything  # a formula is neutralised
    berg_line = next(line for line in everything.splitlines() if ",Berg," in line)
    assert "Syria" in berg_line and caseworker.full_name in berg_line
    assert "Refugee (international protection)" in berg_line
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "caseload_exported")) == 2
    )


def test_editing_a_file_saves_and_audits_what_changed(auth, caseworker, client, make_case):
    case = make_case(caseworker=caseworker, given_names="Rana", family_name="Aziz", phone=None)
    form_page = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert 'value="Rana"' in form_page
    data = {
        **REGISTRATION,
        "given_names": "Rana",
        "family_name": "Aziz",
        "phone": "+49 30 1234567",
        "single_parent": "y",
        "caseworker_id": str(caseworker.id),
    }
    data.pop("stage")
    response = auth.post(f"/cases/{case.id}/edit", data)
    assert response.status_code == 302
    edited = services.load_case_file(case.id, caseworker)
    assert edited.phone == "+49 30 1234567"
    assert edited.single_parent is True
    assert edited.stage == case.stage  # the stage moves through the pathway, not this form
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "case_updated", AuditEvent.object_id == case.id
        )
    )
    assert event.changes["phone"] == [None, "+49 30 1234567"]
    assert event.changes["single_parent"] == [False, True]


def test_household_and_dependants_through_the_page(auth, caseworker, client, make_case):
    parent, child = make_case(caseworker=caseworker), make_case(caseworker=caseworker)
    url = f"/cases/{parent.id}"
    wrong = auth.post(
        f"{url}/household", {"link-reference": "NOPE-1", "link-relation": "child"}, token_from=url
    )
    assert "No case with this reference in your municipality." in wrong.get_data(as_text=True)
    auth.post(
        f"{url}/household",
        {"link-reference": child.reference.lower(), "link-relation": "child"},
        token_from=url,
    )
    assert parent.full_name in client.get(f"/cases/{child.id}").get_data(as_text=True)
    bad = auth.post(
        f"{url}/dependants",
        {"dependant-name": "Baby", "dependant-birth_year": "1800", "dependant-relation": "child"},
        token_from=url,
    )
    assert 'id="dependant-birth_year-error"' in bad.get_data(as_text=True)
    auth.post(
        f"{url}/dependants",
        {
            "dependant-name": "Baby Aziz",
            "dependant-birth_year": "2024",
            "dependant-relation": "child",
        },
        token_from=url,
    )
    page = client.get(url).get_data(as_text=True)
    assert "Baby Aziz" in page
    link_id = re.search(rf"/cases/{parent.id}/household/(\d+)/remove", page).group(1)
    auth.post(f"{url}/household/{link_id}/remove", token_from=url)
    assert parent.full_name not in client.get(f"/cases/{child.id}").get_data(as_text=True)


def test_the_caseworker_lists_mark_the_caseworker_of_the_file_and_of_the_filter(
    auth, caseworker, client, make_case, make_user
):
    colleague = make_user(Role.CASEWORKER)
    case = make_case(caseworker=colleague)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    reassign = re.search(r'name="reassign-caseworker_id".*?</select>', page, re.S).group(0)
    assert re.findall(r"<option selected value=\"(\d+)\">", reassign) == [str(colleague.id)]
    listed = client.get(f"/cases/?caseworker={colleague.id}").get_data(as_text=True)
    chosen = re.search(r'name="caseworker".*?</select>', listed, re.S).group(0)
    assert re.findall(r"<option selected value=\"(\d+)\">", chosen) == [str(colleague.id)]
    assert case.reference in listed


def test_reassign_close_and_reopen_through_the_page(
    auth, caseworker, client, make_case, make_user, today
):
    colleague = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker)
    url = f"/cases/{case.id}"
    auth.post(f"{url}/reassign", {"reassign-caseworker_id": str(colleague.id)}, token_from=url)
    assert case.caseworker_id == colleague.id
    future = (today + timedelta(days=2)).isoformat()
    page = auth.post(
        f"{url}/close", {"close-reason": "moved_away", "close-closed_on": future}, token_from=url
    )
    assert "cannot be in the future" in page.get_data(as_text=True)
    auth.post(
        f"{url}/close",
        {"close-reason": "moved_away", "close-closed_on": today.isoformat()},
        token_from=url,
    )
    assert case.status == "closed"
    assert "Moved to another municipality" in client.get(url).get_data(as_text=True)
    auth.post(f"{url}/reopen", token_from=url)
    assert case.status == "active"


def test_caseworker_opens_portal_access_and_the_newcomer_reads_their_pathway(
    auth, caseworker, client, app, make_case
):
    from tests.conftest import Auth

    case = make_case(caseworker=caseworker, preferred_language="uk")
    url = f"/cases/{case.id}"
    page = auth.post(f"{url}/portal-access", {"portal-email": "not-an-address"}, token_from=url)
    assert 'id="portal-email-error"' in page.get_data(as_text=True)
    page = auth.post(f"{url}/portal-access", {"portal-email": "Olha@Example.org"}, token_from=url)
    link = re.search(r"http://localhost(/activate/[\w-]+)", page.get_data(as_text=True)).group(1)
    account = services.load_case_file(case.id, caseworker).account
    assert account.email == "olha@example.org"
    assert account.role == Role.MIGRANT
    newcomer = app.test_client()
    activated = Auth(newcomer).post(
        link, {"new_password": "olha-secret-77", "confirm_password": "olha-secret-77"}
    )
    assert activated.headers["Location"] == "/my/"
    portal = newcomer.get("/my/").get_data(as_text=True)
    assert 'lang="uk"' in portal  # the file's preferred language
    assert case.reference in portal
    again = auth.post(
        f"{url}/portal-access", {"portal-email": "second@example.org"}, token_from=url
    )
    assert "This file has portal access already." in again.get_data(as_text=True)


def test_portal_email_taken_is_shown_next_to_the_field(auth, caseworker, make_case, make_user):
    taken = make_user(Role.MIGRANT)
    case = make_case(caseworker=caseworker)
    url = f"/cases/{case.id}"
    page = auth.post(
        f"{url}/portal-access", {"portal-email": taken.email}, token_from=url
    ).get_data(as_text=True)
    assert "An account with this e-mail address already exists." in page
    assert f'value="{taken.email}"' in page


def test_an_edit_based_on_an_outdated_page_does_not_overwrite_a_colleagues_change(
    auth, caseworker, client, make_case
):
    case = make_case(caseworker=caseworker, given_names="Rana", family_name="Aziz")
    token = auth.token(f"/cases/{case.id}/edit")
    seen_version = str(case.version)
    # A colleague saves a change first.
    case = services.load_case_file(case.id, caseworker)
    services.update_case(
        case,
        services.CaseData(
            values={
                **{name: getattr(case, name) for name in services.CASE_FIELDS},
                "phone": "+49 1",
            }
        ),
        caseworker,
    )
    db.session.commit()
    data = {**REGISTRATION, "given_names": "Rana", "family_name": "Aziz", "address": "New street 1"}
    data.update(version=seen_version, csrf_token=token, caseworker_id=str(caseworker.id))
    data.pop("stage")
    page = client.post(f"/cases/{case.id}/edit", data=data).get_data(as_text=True)
    assert "Someone else changed this file while you were editing it." in page
    assert 'value="New street 1"' in page  # nothing typed is lost
    assert case.phone == "+49 1" and case.address is None
    # Having seen the message, saving again is deliberate and goes through.
    version_now = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data.update(version=version_now)
    assert client.post(f"/cases/{case.id}/edit", data=data).status_code == 302
    assert case.address == "New street 1"

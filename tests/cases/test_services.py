"""Business rules of case files, called directly."""

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, orm, select
from sqlalchemy.orm import Session

from integrapath.accounts.models import Municipality
from integrapath.audit import AuditEvent
from integrapath.cases import services
from integrapath.cases.models import (
    Case,
    CaseNote,
    CaseStatus,
    ConsentMethod,
    ConsentPurpose,
    HouseholdLink,
    NoteCategory,
    Relation,
    Stage,
    StageChange,
)
from integrapath.extensions import db
from integrapath.security import Role


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Müller", "muller"),
        ("JOSÉ  Pérez-López", "jose perez lopez"),
        ("Мельник", "melnik"),
        ("Ковальчук", "kovalchuk"),
        ("O’Brien d'Arcy", "obrien darcy"),
        ("Ørsted Ångström", "orsted angstrom"),
    ],
)
def test_name_key_folds_case_accents_and_script(written, folded):
    assert services.name_key(written) == folded


def test_references_count_up_per_municipality_and_year(app_ctx, make_municipality):
    town = make_municipality(code="LIS")
    other = make_municipality(code="OPO")
    first = services.next_reference(town, date(2026, 3, 1))
    second = services.next_reference(town, date(2026, 3, 1))
    assert (first, second) == ("LIS-2026-000001", "LIS-2026-000002")
    assert services.next_reference(other, date(2026, 3, 1)) == "OPO-2026-000001"
    assert services.next_reference(town, date(2027, 1, 1)) == "LIS-2027-000001"


def test_registration_keeps_the_stage_history_and_audits(today, app_ctx, make_case):
    case = make_case()
    assert case.reference.startswith(f"LND-{today.year}-")
    history = db.session.scalars(select(StageChange).where(StageChange.case_id == case.id)).all()
    assert [(change.from_stage, change.to_stage) for change in history] == [(None, Stage.ARRIVAL)]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == case.id)
    ).all()
    assert "case_registered" in actions


def _duplicates(municipality_id, **values):
    return services.find_duplicates(municipality_id, [services.PersonKeys.of(values)])[0]


@pytest.mark.parametrize(
    ("given", "family", "latin_given", "latin_family"),
    [
        ("jose", "MULLER", None, None),  # case and accents
        ("José", "Müller", None, None),  # exact
        ("Muller", "Jose", None, None),  # names swapped between documents
        ("Хосе", "Мюллер", "Jose", "Muller"),  # another script with transliteration
    ],
)
def test_duplicates_are_found_despite_case_accents_order_and_script(
    app_ctx, make_case, municipality, given, family, latin_given, latin_family
):
    existing = make_case(given_names="José", family_name="Müller", date_of_birth=date(1985, 5, 5))
    found = _duplicates(
        municipality.id,
        given_names=given,
        family_name=family,
        given_names_latin=latin_given,
        family_name_latin=latin_family,
        date_of_birth=date(1985, 5, 5),
    )
    assert [case.id for case in found] == [existing.id]


def test_same_permit_number_is_a_duplicate_whatever_the_name(app_ctx, make_case, municipality):
    existing = make_case(permit_number="AB123456")
    found = _duplicates(
        municipality.id,
        given_names="X",
        family_name="Y",
        date_of_birth=None,
        permit_number="ab123456",
    )
    assert found == [existing]


def test_other_birth_date_or_municipality_is_not_a_duplicate(app_ctx, make_case, make_municipality):
    case = make_case(given_names="Ali", family_name="Nouri", date_of_birth=date(1990, 1, 1))
    assert not _duplicates(
        case.municipality_id, given_names="Ali", family_name="Nouri", date_of_birth=date(1991, 1, 1)
    )
    assert not _duplicates(
        make_municipality().id,
        given_names="Ali",
        family_name="Nouri",
        date_of_birth=date(1990, 1, 1),
    )


def test_registration_refuses_a_likely_duplicate_until_confirmed(app_ctx, make_case, make_user):
    existing = make_case(given_names="Sara", family_name="Ahmadi", date_of_birth=date(2000, 2, 2))
    caseworker = make_user(Role.CASEWORKER)
    data = services.CaseData(
        values={
            **{name: getattr(existing, name) for name in services.CASE_FIELDS},
            "given_names": "SARA",
            "caseworker_id": caseworker.id,
        }
    )
    with pytest.raises(services.PossibleDuplicates) as raised:
        services.register_case(data, caseworker)
    assert raised.value.cases == [existing]
    second = services.register_case(data, caseworker, confirmed_new_person=True)
    assert second.reference != existing.reference


def test_notes_are_never_changed_corrections_keep_the_original(app_ctx, make_case, make_user):
    case = make_case()
    author = make_user(Role.CASEWORKER)
    original = services.add_note(case, NoteCategory.HOUSING, "Moved to Rosenweg 3", author)
    services.add_note(
        case, NoteCategory.HOUSING, "Correct address: Rosenweg 5", author, amends=original
    )
    db.session.commit()
    [(note, amendments)] = services.notes_of(case)
    assert note.text == "Moved to Rosenweg 3"
    assert [a.text for a in amendments] == ["Correct address: Rosenweg 5"]
    assert (
        db.session.scalar(select(func.count(CaseNote.id)).where(CaseNote.case_id == case.id)) == 2
    )


def test_a_note_cannot_amend_a_note_of_another_case(app_ctx, make_case, make_user):
    author = make_user(Role.CASEWORKER)
    other_note = services.add_note(make_case(), NoteCategory.GENERAL, "x", author)
    with pytest.raises(services.CaseError):
        services.add_note(make_case(), NoteCategory.GENERAL, "y", author, amends=other_note)


def test_household_links_go_both_ways_with_the_inverse_relation(app_ctx, make_case, make_user):
    parent, child = make_case(), make_case()
    services.link_household(parent, child, Relation.CHILD, make_user(Role.CASEWORKER))
    links = {
        (link.case_id, link.relative_id): link.relation
        for link in db.session.scalars(select(HouseholdLink))
    }
    assert links[(parent.id, child.id)] == Relation.CHILD
    assert links[(child.id, parent.id)] == Relation.PARENT


def test_household_link_across_municipalities_is_refused(
    app_ctx, make_case, make_municipality, make_user
):
    here, there = make_case(), make_case(in_municipality=make_municipality())
    with pytest.raises(services.CaseError):
        services.link_household(here, there, Relation.SPOUSE, make_user(Role.CASEWORKER))


def test_provider_sees_only_the_reference_without_sharing_consent(
    today, app_ctx, make_case, make_user
):
    case = make_case(given_names="Hana", family_name="Saleh", disability=True)
    hidden = services.participant_view(case)
    assert (hidden.reference, hidden.name, hidden.preferred_language) == (
        case.reference,
        None,
        None,
    )
    caseworker = make_user(Role.CASEWORKER)
    consent = services.record_consent(
        case, ConsentPurpose.PROVIDER_SHARING, today, ConsentMethod.WRITTEN, caseworker
    )
    shared = services.participant_view(case)
    assert shared.name == "Hana Saleh"
    # Only these fields exist for providers: no flags, notes, address or e-mail.
    assert set(vars(shared)) == {"reference", "name", "preferred_language", "phone"}
    services.withdraw_consent(case, consent, today, caseworker)
    assert services.participant_view(case).name is None


def test_consent_cannot_be_given_twice_or_dated_in_the_future(today, app_ctx, make_case, make_user):
    case, caseworker = make_case(), make_user(Role.CASEWORKER)
    services.record_consent(
        case, ConsentPurpose.STATISTICS, today, ConsentMethod.VERBAL, caseworker
    )
    with pytest.raises(services.CaseError):
        services.record_consent(
            case, ConsentPurpose.STATISTICS, today, ConsentMethod.VERBAL, caseworker
        )
    with pytest.raises(services.CaseError):
        services.record_consent(
            case,
            ConsentPurpose.CASE_MANAGEMENT,
            today + timedelta(days=1),
            ConsentMethod.VERBAL,
            caseworker,
        )


def test_provider_cannot_load_any_case_file(app_ctx, make_case, make_user):
    case = make_case()
    provider = make_user(Role.PROVIDER)
    assert services.load_case_file(case.id, provider) is None


def test_close_and_reopen_keep_the_reason_in_the_timeline(today, app_ctx, make_case, make_user):
    case, caseworker = make_case(), make_user(Role.CASEWORKER)
    services.close_case(case, "moved_away", today, caseworker)
    assert case.status == CaseStatus.CLOSED
    with pytest.raises(services.CaseError):
        services.close_case(case, "other", today, caseworker)
    services.reopen_case(case, caseworker)
    assert case.status == CaseStatus.ACTIVE
    actions = [event.action for event in services.case_timeline(case)]
    assert actions[:2] == ["case_reopened", "case_closed"]


def test_caseload_filters_by_name_without_accents_and_by_permit(app_ctx, make_case, make_user):
    me = make_user(Role.CASEWORKER)
    make_case(caseworker=me, given_names="Zoë", family_name="Brontë", permit_number="P-77")
    make_case(caseworker=me, given_names="Anna", family_name="Berg")
    make_case(given_names="Zoe", family_name="Bronte")  # someone else's case

    def names(**filters):
        statement = services.caseload_query(me, services.CaseloadFilters(**filters))
        return sorted(case.family_name for case in db.session.scalars(statement).unique())

    assert names(q="bronte") == ["Brontë"]
    assert names(q="bronte", mine=False) == ["Bronte", "Brontë"]
    assert names(q="p-77") == ["Brontë"]
    assert names() == ["Berg", "Brontë"]


def test_caseload_finds_expiring_permits_and_flags(today, app_ctx, make_case, make_user):
    me = make_user(Role.CASEWORKER)
    soon = make_case(caseworker=me, permit_expires_on=today + timedelta(days=30))
    make_case(caseworker=me, permit_expires_on=today + timedelta(days=400))
    flagged = make_case(caseworker=me, single_parent=True)

    def ids(**filters):
        return [
            c.id
            for c in db.session.scalars(
                services.caseload_query(me, services.CaseloadFilters(**filters))
            ).unique()
        ]

    assert ids(permit_expiring=True) == [soon.id]
    assert ids(flag="single_parent") == [flagged.id]
    assert services.permit_alert(soon, today) == "expiring"


def test_references_stay_unique_under_concurrent_registration(today, app):
    """Eight caseworkers register at once, each in their own connection and transaction."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL)")
    with app.app_context():
        engine = db.engine
    # Committed outside the test transaction, so other connections see it; removed at the end.
    with Session(engine) as setup:
        town = Municipality(name="Concurrent", code="CONC")
        setup.add(town)
        setup.commit()
        town_id = town.id
    references, errors = [], []
    barrier = threading.Barrier(8)
    test_session = db.session
    db.session = orm.scoped_session(orm.sessionmaker(bind=engine))  # one session per thread

    def register():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                references.append(services.next_reference(db.session.get(Municipality, town_id)))
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            db.session.remove()

    threads = [threading.Thread(target=register) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert sorted(references) == [f"CONC-{today.year}-{n:06d}" for n in range(1, 9)]
    finally:
        db.session = test_session
        with engine.begin() as connection:
            connection.execute(
                sa.text("DELETE FROM reference_counter WHERE municipality_id = :id"),
                {"id": town_id},
            )
            connection.execute(sa.text("DELETE FROM municipality WHERE id = :id"), {"id": town_id})


def test_an_upload_is_imported_once_even_when_confirmed_twice(app_ctx, make_user):
    from integrapath.cases import spreadsheets
    from integrapath.cases.forms import CaseForm

    caseworker = make_user(Role.CASEWORKER)
    imported = spreadsheets.read_import(
        b"given_names,family_name,date_of_birth,sex,residence_category\n"
        b"Ali,Nouri,1990-01-01,male,refugee\n",
        "en",
    )
    upload = spreadsheets.store_upload("a.csv", imported, caseworker)
    first_check = spreadsheets.check_rows(imported, caseworker, CaseForm)
    second_check = spreadsheets.check_rows(imported, caseworker, CaseForm)  # both pages open
    spreadsheets.import_cases(upload, first_check, {}, caseworker)
    with pytest.raises(spreadsheets.ImportFileError):
        spreadsheets.import_cases(upload, second_check, {}, caseworker)
    assert db.session.scalar(select(func.count(Case.id))) == 1


def test_caseload_finds_a_file_by_the_number_at_the_end_of_its_reference(
    app_ctx, make_case, make_user
):
    me = make_user(Role.CASEWORKER)
    case = make_case(caseworker=me)
    number = str(int(case.reference.rsplit("-", 1)[1]))
    statement = services.caseload_query(me, services.CaseloadFilters(q=number))
    assert [found.id for found in db.session.scalars(statement).unique()] == [case.id]


def test_linking_by_reference_only_finds_files_of_the_actors_municipality(
    app_ctx, make_case, make_user, make_municipality
):
    me = make_user(Role.CASEWORKER)
    here, sibling = make_case(caseworker=me), make_case(caseworker=me)
    foreign = make_case(in_municipality=make_municipality())
    with pytest.raises(services.CaseError, match="No case with this reference"):
        services.link_household_by_reference(here, foreign.reference, Relation.SIBLING, me)
    services.link_household_by_reference(here, sibling.reference.lower(), Relation.SIBLING, me)
    assert [link.relative_id for link in services.household_of(here, me)] == [sibling.id]


def test_mother_tongue_listed_again_among_other_languages_is_kept_once(
    app_ctx, make_case, make_user
):
    me = make_user(Role.CASEWORKER)
    case = services.load_case_file(make_case(caseworker=me).id, me)
    data = services.CaseData(
        values={name: getattr(case, name) for name in services.CASE_FIELDS},
        languages=["ar", "en"],
        mother_tongue="ar",
    )
    services.update_case(case, data, me)
    assert [(lang.language_code, lang.mother_tongue) for lang in case.languages] == [
        ("ar", True),
        ("en", False),
    ]

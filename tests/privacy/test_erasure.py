"""Erasure of a person on request and at the end of the retention period: the personal data
goes from every table and from the audit trail, statistics stay, and both are audited."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from integrapath.accounts.models import User
from integrapath.audit import AuditEvent, verify_chains
from integrapath.auth.services import start_session
from integrapath.cases.models import (
    Case,
    CaseNote,
    CaseStatus,
    ClosingReason,
    ConsentMethod,
    ConsentPurpose,
    Dependant,
    HouseholdLink,
    NoteCategory,
    Relation,
)
from integrapath.cases.services import (
    add_dependant,
    add_note,
    link_household,
    open_portal_access,
    record_consent,
)
from integrapath.extensions import db
from integrapath.portal.models import MessageTopic, NewcomerMessage
from integrapath.portal.services import send_message
from integrapath.privacy.models import ErasureGround, ErasureRequest, ErasureStatus
from integrapath.privacy.services import (
    CHILD_TABLES,
    ERASURE_PLAN,
    PrivacyError,
    apply_retention,
    decide_erasure,
    request_erasure,
)
from integrapath.security import Role

from .personal_data import places_holding

# Tables of no one person: reference data, tenants, staff accounts, the trail itself.
NOT_A_PERSONS_FILE = {
    "audit_event", "audit_chain", "isced_field", "isced_level", "isco_group", "login_attempt",
    "municipality", "milestone", "organisation", "reference_counter", "course", "course_text",
    "partner_service_area", "user_account", "case_import", "offering", "course_session",
    "user_session",  # an account's, erased with the portal account (see rich_case)
}  # fmt: skip


def _reaches_a_case(table, seen=()) -> bool:
    for key in table.foreign_keys:
        target = key.column.table
        if target.name == "case_file":
            return True
        parent = target.name in CHILD_TABLES.values() and target.name not in seen
        if parent and _reaches_a_case(target, (*seen, table.name)):
            return True
    return False


def test_every_table_of_a_persons_file_has_an_erasure_rule(app):
    """A new table that refers to a case must say what erasure does to it."""
    for table in db.metadata.sorted_tables:
        if table.name in NOT_A_PERSONS_FILE:
            continue
        assert table.name in ERASURE_PLAN, f"{table.name}: add it to ERASURE_PLAN"
    for name in ERASURE_PLAN:
        table = db.metadata.tables[name]
        assert (
            name in ("case_file", "attendance_upload")
            or "case_id" in table.c
            or name in CHILD_TABLES
        ), name
    for table in db.metadata.sorted_tables:
        if _reaches_a_case(table):
            assert table.name in ERASURE_PLAN, f"{table.name} refers to a case file"


@pytest.fixture
def rich_case(app, make_case, make_user, today):
    """A file with everything personal the services record: contact details, a note, a
    family member, a family link, a consent, a portal account and its message."""
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(
        caseworker=caseworker, given_names="Zaynab", family_name="Qudsiyyeh",
        phone="+49 170 999 8877", email="zaynab.q@example.org", address="Rosengasse 12",
        permit_number="PERMIT-771", date_of_birth=date(1988, 3, 14),
        arrived_in_country_on=date(2024, 5, 17), disability=True,
    )  # fmt: skip
    relative = make_case(caseworker=caseworker, family_name="Haddad")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.2"}):  # the office
        add_note(case, NoteCategory.GENERAL, "Talked about Zaynab's nightmares", caseworker)
        add_dependant(case, "Little Yusra Qudsiyyeh", 2019, Relation.CHILD, caseworker)
        link_household(case, relative, Relation.SIBLING, caseworker)
        record_consent(case, ConsentPurpose.STATISTICS, today, ConsentMethod.WRITTEN, caseworker)
        account, _invitation = open_portal_access(case, "zaynab.portal@example.org", caseworker)
        db.session.commit()
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "203.0.113.44"}, headers={"User-Agent": "ZaynabPhone/1"}
    ):  # her phone
        start_session(account)
        send_message(case, MessageTopic.SKILLS, "I also speak Kurmanji", account)
        db.session.commit()
    return case, caseworker, relative


PERSONAL = [
    "Zaynab", "Qudsiyyeh", "zaynab.q@example.org", "+49 170 999 8877", "Rosengasse 12",
    "PERMIT-771", "nightmares", "Little Yusra", "zaynab.portal@example.org", "Kurmanji",
    "203.0.113.44", "ZaynabPhone",
]  # fmt: skip


def _erase(app, case, admin):
    with app.test_request_context():
        erasure = request_erasure(case, db.session.get(User, case.caseworker_id))
        decide_erasure(erasure, True, admin)
        db.session.commit()
    return erasure


def test_erasure_removes_the_persons_data_from_every_table_and_the_trail(app, rich_case, make_user):
    case, caseworker, relative = rich_case
    account_id = case.account_id
    admin = make_user(Role.ADMIN)
    connection = db.session.connection()
    assert places_holding(connection, PERSONAL), "the fixture should hold personal data"

    erasure = _erase(app, case, admin)

    assert places_holding(db.session.connection(), PERSONAL) == {}
    case = db.session.get(Case, case.id)
    # Statistics stay, coarsened: sex, year of birth, month of arrival, country, stage.
    assert (case.sex, case.country_of_birth, case.date_of_birth) == (
        "female", "SY", date(1988, 7, 1),
    )  # fmt: skip
    assert case.arrived_in_country_on == date(2024, 5, 1)
    assert case.reference and not case.disability and case.account_id is None
    for model in (CaseNote, Dependant, NewcomerMessage):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
            model.case_id == case.id)) == 0  # fmt: skip
    links = sa.or_(HouseholdLink.case_id == case.id, HouseholdLink.relative_id == case.id)
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(HouseholdLink).where(links)) == 0
    )
    assert db.session.get(Case, relative.id).family_name == "Haddad"  # untouched
    account = db.session.get(User, account_id)
    assert not account.active and account.full_name == "" and not account.check_password("x")
    assert erasure.status == ErasureStatus.ERASED and erasure.decided_by_id == admin.id
    # Audited, without personal data, and the chain still verifies.
    erased = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "person_erased", AuditEvent.object_id == case.id
        )  # fmt: skip
    ).one()
    assert erased.actor_id == admin.id
    assert erased.changes["account"] == [account_id, None]
    assert verify_chains(db.session.connection(), case.municipality_id) == []


def test_a_request_waits_once_and_a_refusal_needs_a_ground(app, make_case, make_user):
    case = make_case()
    caseworker = db.session.get(User, case.caseworker_id)
    admin = make_user(Role.ADMIN)
    with app.test_request_context():
        erasure = request_erasure(case, caseworker)
        with pytest.raises(PrivacyError):
            request_erasure(case, caseworker)
        with pytest.raises(PrivacyError):
            decide_erasure(erasure, False, admin, refusal_ground="person_asked")
        decide_erasure(erasure, False, admin, refusal_ground="legal_obligation")
        with pytest.raises(PrivacyError):
            decide_erasure(erasure, True, admin)
        db.session.commit()
    assert erasure.status == ErasureStatus.REFUSED
    assert erasure.refusal_ground == ErasureGround.LEGAL_OBLIGATION
    assert db.session.get(Case, case.id).given_names  # kept
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "ErasureRequest", AuditEvent.object_id == erasure.id
        )  # fmt: skip
    ).all()
    assert sorted(actions) == ["erasure_refused", "erasure_requested"]


def _close(case, closed_on):
    case.status = CaseStatus.CLOSED
    case.closing_reason = ClosingReason.MOVED_AWAY
    case.closed_on = closed_on
    db.session.commit()


def test_retention_erases_closed_files_past_the_period_only(app, make_case, municipality, today):
    municipality.retention_years = 5
    db.session.commit()
    old, recent, still_open = make_case(), make_case(), make_case()
    _close(old, today - timedelta(days=5 * 366))
    _close(recent, today - timedelta(days=4 * 365))
    names = {case.id: case.family_name for case in (old, recent, still_open)}
    with app.test_request_context():
        assert apply_retention(municipality) == 1
        db.session.commit()
        assert apply_retention(municipality) == 0  # once only
    assert db.session.get(Case, old.id).family_name == ""
    assert db.session.get(Case, recent.id).family_name == names[recent.id]
    assert db.session.get(Case, still_open.id).family_name == names[still_open.id]
    erasure = db.session.scalars(
        sa.select(ErasureRequest).where(ErasureRequest.case_id == old.id)
    ).one()
    assert (erasure.ground, erasure.status, erasure.decided_by_id) == (
        ErasureGround.RETENTION_ENDED, ErasureStatus.ERASED, None,
    )  # fmt: skip
    assert db.session.scalar(
        sa.select(AuditEvent.action).where(
            AuditEvent.object_id == old.id, AuditEvent.action == "retention_applied"
        )  # fmt: skip
    )
    assert verify_chains(db.session.connection(), municipality.id) == []


def test_apply_retention_command(app, make_case, municipality, today):
    municipality.retention_years = 1
    db.session.commit()
    case = make_case()
    _close(case, today - timedelta(days=800))
    result = app.test_cli_runner().invoke(args=["apply-retention"])
    assert result.exit_code == 0, result.output
    assert "Lindenau: 1 closed files erased." in result.output
    assert db.session.get(Case, case.id).given_names == ""


def test_an_uploaded_register_naming_the_person_goes_with_the_erasure(app, make_case, make_user):
    from integrapath.courses.models import AttendanceUpload
    from integrapath.courses.services import enrol_case
    from integrapath.courses.spreadsheets import store_upload
    from integrapath.spreadsheets import read_table

    from ..courses.seeds import running_course

    course = running_course(make_user, make_case)
    case = make_case(caseworker=course.caseworker, family_name="Oyelaran")
    provider = make_user(Role.PROVIDER, organisation_id=course.offering.organisation_id)
    with app.test_request_context():
        enrol_case(course.offering, case, course.caseworker)
        table = read_table(
            f"Reference,Name,Attendance\n{case.reference},Oyelaran,present\n".encode()
        )
        store_upload(course.session, "register.csv", table, provider)
        db.session.commit()
    assert places_holding(db.session.connection(), ["Oyelaran"])
    _erase(app, case, make_user(Role.ADMIN))
    assert places_holding(db.session.connection(), ["Oyelaran"]) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceUpload)) == 0

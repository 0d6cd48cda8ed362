"""The audit trail records what happened and can never be rewritten."""

import pytest

from integrapath.admin.services import audit_query
from integrapath.audit import AuditEvent, AuditTrailIsAppendOnly, record_event
from integrapath.extensions import db
from integrapath.security import Role


def test_recorded_event_keeps_actor_object_address_and_changes(app, make_user):
    admin = make_user(Role.ADMIN)
    target = make_user(Role.CASEWORKER)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        event = record_event("user_role_changed", target, actor=admin, changes={"role": ["a", "b"]})
        db.session.commit()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.actor_id, stored.actor_email) == (admin.id, admin.email)
    assert (stored.object_type, stored.object_id) == ("User", target.id)
    assert stored.municipality_id == target.municipality_id
    assert stored.ip_address == "203.0.113.9"
    assert stored.changes == {"role": ["a", "b"]}
    assert stored.created_at.tzinfo is not None


def test_audit_events_cannot_be_changed(app, make_user):
    with app.test_request_context():
        event = record_event("login", actor=make_user())
        db.session.commit()
    event.action = "nothing happened"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_audit_events_cannot_be_deleted(app, make_user):
    with app.test_request_context():
        event = record_event("login", actor=make_user())
        db.session.commit()
    db.session.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_admin_sees_only_own_municipality_events_and_can_filter(
    auth, client, make_user, make_municipality
):
    admin = make_user(Role.ADMIN)
    colleague = make_user(Role.CASEWORKER)
    stranger = make_user(Role.CASEWORKER, in_municipality=make_municipality())
    for person in (colleague, stranger):
        auth.login(person)
        auth.logout()
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert colleague.email in page
    assert stranger.email not in page
    filtered = client.get(f"/admin/audit?action=logout&actor={colleague.email}").get_data(
        as_text=True
    )
    assert "Signed out" in filtered
    assert "Signed in" not in filtered.split("<tbody>")[1]


def test_audit_filter_with_end_before_start_shows_an_error_not_a_crash(auth, client, make_user):
    auth.login(make_user(Role.ADMIN))
    response = client.get("/admin/audit?date_from=2026-05-01&date_to=2026-04-01")
    assert response.status_code == 200
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_audit_filter_by_day_uses_calendar_days(auth, client, make_user):
    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/audit?date_from=2001-01-01&date_to=2001-01-02").get_data(as_text=True)
    assert "No event matches these filters." in page


def test_events_are_listed_newest_first(app, make_user):
    admin = make_user(Role.ADMIN)
    with app.test_request_context():
        first = record_event("login", actor=admin)
        second = record_event("logout", actor=admin)
        db.session.commit()
        ids = db.session.scalars(audit_query(admin).with_only_columns(AuditEvent.id)).all()
    assert ids.index(second.id) < ids.index(first.id)


def test_audit_log_names_objects_in_the_readers_language(app, auth, client, make_user):
    admin = make_user(Role.ADMIN, preferred_locale="de")
    target = make_user(Role.CASEWORKER)
    with app.test_request_context():
        record_event("user_role_changed", target, actor=admin)
        db.session.commit()
    auth.login(admin)
    page = client.get("/admin/audit?action=user_role_changed").get_data(as_text=True)
    assert f"Konto #{target.id}" in page
    assert f"User #{target.id}" not in page


def test_admins_see_which_case_fields_changed_but_not_the_personal_values(
    app, auth, client, make_user, make_case
):
    from integrapath.cases.services import CASE_FIELDS, CaseData, load_case_file, update_case

    admin = make_user(Role.ADMIN, preferred_locale="de")
    caseworker = make_user(Role.CASEWORKER)
    case = make_case(caseworker=caseworker, family_name="Haddad", phone="+49 1")
    db.session.expire(case)
    with app.test_request_context():
        case = load_case_file(case.id, caseworker)
        values = {name: getattr(case, name) for name in CASE_FIELDS}
        update_case(
            case,
            CaseData(values={**values, "family_name": "Secretname", "phone": "+49 555 0199"},
                     flags={"health_need": True}, nationalities=["SY"]),
            caseworker,
        )  # fmt: skip
        db.session.commit()
    auth.login(admin)
    page = client.get("/admin/audit?action=case_updated").get_data(as_text=True)
    assert "Familienname" in page and "Telefon" in page  # field names in the reader's language
    for secret in ("Secretname", "Haddad", "555 0199", "health_need", "family_name"):
        assert secret not in page
    auth.logout()
    auth.login(caseworker)
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Haddad → Secretname" in timeline  # the caseworker may read the file


def test_an_unregistered_change_key_is_withheld_from_admins(app, make_user):
    from integrapath.audit import describe_changes

    admin = make_user(Role.ADMIN)
    with app.test_request_context():
        event = record_event("case_updated", admin, actor=admin, changes={"new_thing": [1, 2]})
        (line,) = describe_changes(event, show_personal=False)
    assert line.withheld and line.old is None and line.new is None


def test_recorded_dates_languages_and_occupations_read_in_the_readers_language(app, make_user):
    from flask_babel import force_locale

    from integrapath.audit import describe_changes

    caseworker = make_user(Role.CASEWORKER)
    with app.test_request_context(), force_locale("de"):
        event = record_event(
            "language_level_recorded",
            caseworker,
            changes={
                "assessed_on": [None, "2026-11-11"],
                "language": [None, "de"],
                "occupation": ["9999", "2221"],
            },
        )
        event.object_type = "Case"
        lines = {
            line.label: (line.old, line.new) for line in describe_changes(event, show_personal=True)
        }
    assert lines["Datum"] == (None, "11.11.2026")
    assert lines["Sprache"] == (None, "Deutsch")
    assert lines["Beruf"] == (
        "9999",
        "2221 · Akademische und vergleichbare Krankenpflegefachkräfte",
    )


def test_the_timeline_names_who_acted_and_shows_first_values_without_an_empty_before(
    auth, client, make_user, make_case
):
    caseworker = make_user(Role.CASEWORKER, full_name="Jonas Weber")
    case = make_case(caseworker=caseworker)
    auth.login(caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    assert "Jonas Weber" in timeline and caseworker.email not in timeline
    assert case.reference in timeline and "— →" not in timeline

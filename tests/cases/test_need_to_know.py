"""Need to know: a municipality may limit caseworkers to their team's files; opening a file
not assigned to you is audited either way."""

from sqlalchemy import select

from integrapath.audit import AuditEvent
from integrapath.extensions import db
from integrapath.security import Role


def test_with_need_to_know_a_caseworker_opens_only_their_teams_files(
    auth, client, make_user, make_case, make_organisation, municipality
):
    office, other_office = make_organisation(municipality), make_organisation(municipality)
    me = make_user(Role.CASEWORKER, organisation_id=office.id)
    teammate = make_user(Role.CASEWORKER, organisation_id=office.id)
    stranger = make_user(Role.CASEWORKER, organisation_id=other_office.id)
    mine, teams, theirs = (make_case(caseworker=user) for user in (me, teammate, stranger))
    auth.login(me)
    assert client.get(f"/cases/{theirs.id}").status_code == 200  # the default: every file
    municipality.need_to_know = True
    db.session.commit()
    assert client.get(f"/cases/{mine.id}").status_code == 200
    assert client.get(f"/cases/{teams.id}").status_code == 200
    assert client.get(f"/cases/{theirs.id}").status_code == 404
    caseload = client.get("/cases/").get_data(as_text=True)
    assert mine.reference in caseload
    assert theirs.reference not in caseload


def test_opening_a_file_assigned_to_someone_else_is_audited(auth, client, make_user, make_case):
    me, colleague = make_user(Role.CASEWORKER), make_user(Role.CASEWORKER)
    mine, theirs = make_case(caseworker=me), make_case(caseworker=colleague)
    auth.login(me)
    client.get(f"/cases/{mine.id}")
    client.get(f"/cases/{theirs.id}")
    audited = db.session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "unassigned_case_viewed")
    ).all()
    assert audited == [theirs.id]


def test_only_an_administrator_changes_the_setting(auth, client, make_user, municipality):
    for role in (Role.CASEWORKER, Role.PROVIDER, Role.MIGRANT):
        auth.login(make_user(role))
        token = auth.token("/account/password")
        response = client.post(
            "/admin/settings/need-to-know", data={"need_to_know": "assigned", "csrf_token": token}
        )
        assert response.status_code in (403, 404)
        auth.logout()
    auth.login(make_user(Role.ADMIN))
    auth.post("/admin/settings/need-to-know", {"need_to_know": "assigned"}, "/admin/users")
    db.session.refresh(municipality)
    assert municipality.need_to_know is True

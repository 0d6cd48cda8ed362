"""Every page is well-formed for assistive technology: one h1, unique ids, labelled fields."""

import collections
import re

import pytest

from integrapath.cases.models import NoteCategory
from integrapath.cases.services import add_note
from integrapath.extensions import db
from integrapath.security import Role

PAGES = {
    Role.ADMIN: ["/admin/users", "/admin/users/new", "/admin/organisations",
                 "/admin/organisations/new", "/admin/audit", "/admin/users/{user}",
                 "/account/password"],
    Role.CASEWORKER: ["/cases/", "/cases/new", "/cases/{case}", "/cases/{case}/edit",
                      "/cases/transfers", "/cases/import"],
    Role.PROVIDER: ["/courses/provider"],
    Role.MIGRANT: ["/my/"],
}  # fmt: skip


@pytest.mark.parametrize("role", list(PAGES))
def test_pages_have_one_h1_unique_ids_and_a_label_for_every_field(
    auth, client, make_user, make_case, role
):
    user = make_user(role)
    case = make_case(caseworker=user if role == Role.CASEWORKER else None)
    add_note(case, NoteCategory.GENERAL, "a note", user)
    db.session.commit()
    auth.login(user)
    for path in PAGES[role]:
        page = client.get(path.format(user=user.id, case=case.id)).get_data(as_text=True)
        assert page.count("<h1") == 1, path
        ids = collections.Counter(re.findall(r'\sid="([^"]+)"', page))
        assert [name for name, count in ids.items() if count > 1] == [], path
        labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', page))
        fields = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page)
        for attributes in fields:
            if re.search(r'type="(hidden|submit)"', attributes):
                continue
            field_id = re.search(r'\sid="([^"]+)"', attributes)
            assert field_id and field_id.group(1) in labelled, (path, attributes[:80])

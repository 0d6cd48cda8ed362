"""Every page is valid HTML according to the W3C Nu HTML Checker (vnu.jar)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from integrapath.cases.models import NoteCategory
from integrapath.cases.services import add_note
from integrapath.extensions import db
from integrapath.security import Role
from tests.test_pages import PAGES

VNU_JAR = Path(__file__).resolve().parent.parent / "node_modules/vnu-jar/build/dist/vnu.jar"


@pytest.fixture(scope="module")
def checker():
    if VNU_JAR.exists() and shutil.which("java"):
        return ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail("the HTML checker is required in CI: run make html-checker")
    pytest.skip("HTML check SKIPPED: no vnu.jar or Java (make html-checker installs it)")


def test_every_page_is_valid_html(checker, auth, client, make_user, make_case, tmp_path):
    (tmp_path / "login.html").write_text(client.get("/login").get_data(as_text=True))
    for role, paths in PAGES.items():
        user = make_user(role, preferred_locale="ar")  # right to left, the harder case
        case = make_case(caseworker=user if role == Role.CASEWORKER else None, disability=True)
        add_note(case, NoteCategory.GENERAL, "a note", user)
        db.session.commit()
        auth.login(user)
        for number, path in enumerate(paths):
            page = client.get(path.format(user=user.id, case=case.id)).get_data(as_text=True)
            (tmp_path / f"{role.value}-{number}.html").write_text(page)
        auth.logout()
    result = subprocess.run(
        [*checker, *sorted(str(page) for page in tmp_path.glob("*.html"))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [f"{Path(m['url']).name}:{m.get('lastLine')}: {m['message']}" for m in messages]
    assert errors == []

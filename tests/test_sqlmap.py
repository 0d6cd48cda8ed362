"""sqlmap against the search and filter parameters of a served app, signed in as a caseworker.

Skipped when sqlmap (Debian's package) is not installed, unless ``REQUIRE_SQLMAP=1`` (CI):
then its absence fails the run. Level 1, risk 1, a few parameters, a time limit: a short
run that must find nothing.
"""

import http.cookiejar
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
import urllib.request

import pytest
from werkzeug.serving import make_server

from integrapath import create_app
from integrapath.cli import DEMO_PASSWORD, seed_demo

SQLMAP = shutil.which("sqlmap")
# (path, parameters): the caseload's search and filters, and the course offerings' filters.
TARGETS = [
    ("/cases/?q=amina&status=active&nationality=SY&sort=name", "q,status,nationality,sort"),
    ("/courses/offerings?q=german&type=language", "q,type"),
]  # fmt: skip


@pytest.fixture(scope="module")
def served_app(tmp_path_factory):
    if SQLMAP is None:
        if os.environ.get("REQUIRE_SQLMAP") == "1":
            pytest.fail("REQUIRE_SQLMAP=1 but sqlmap is not installed (apt-get install sqlmap)")
        pytest.skip("sqlmap is not installed (Debian package sqlmap; make test installs it)")
    database = tmp_path_factory.mktemp("sqlmap") / "integrapath.db"
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )  # fmt: skip
    runner = app.test_cli_runner()
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    assert runner.invoke(seed_demo).exit_code == 0
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _session_cookie(url: str) -> str:
    """Sign in as the demo caseworker through the real form; return the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/login").read().decode()  # noqa: S310 (loopback only)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": "caseworker@lindenau.example",
                                   "password": DEMO_PASSWORD, "csrf_token": token})  # fmt: skip
    opener.open(url + "/login", data=form.encode())  # noqa: S310
    caseload = opener.open(url + "/cases/")  # noqa: S310
    assert caseload.url.endswith("/cases/"), "the caseworker could not sign in"
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


@pytest.mark.parametrize(("path", "parameters"), TARGETS)
def test_sqlmap_finds_no_injection_in_search_and_filters(served_app, tmp_path, path, parameters):
    cookie = _session_cookie(served_app)
    result = subprocess.run(  # noqa: S603 (a fixed command line against our loopback server)
        [
            SQLMAP, "-u", served_app + path, "-p", parameters, "--cookie", cookie,
            "--batch", "--level", "1", "--risk", "1", "--technique", "BEU",
            "--time-sec", "2", "--timeout", "10", "--retries", "0",
            "--disable-coloring", "--output-dir", str(tmp_path), "--flush-session",
            # never follow the app's redirects (a signed-out answer would be the login page)
            "--answers", "follow=N",
        ],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    log = result.stdout + result.stderr
    (tmp_path / "sqlmap.log").write_text(log)
    assert "is vulnerable" not in log
    assert "identified the following injection point" not in log
    assert not re.search(r"appears to be .* injectable", log)
    assert "all tested parameters do not appear to be injectable" in log, log[-3000:]

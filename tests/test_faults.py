"""The database goes away under load and comes back: requests fail with a 503 page in the
reader's language, nothing is half written, and the app recovers by itself.

Runs a private PostgreSQL server (its own data directory and port) that the test stops and
starts; skipped when the PostgreSQL server programs are not installed.
"""

import contextlib
import glob
import http.cookiejar
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess  # noqa: S404 -- the test drives pg_ctl
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from integrapath import create_app
from integrapath.accounts.models import Municipality, Organisation, OrganisationKind, User
from integrapath.assessments.reference import load_reference_data
from integrapath.audit import verify_chains
from integrapath.extensions import db
from integrapath.security import Role

from .cases.test_views import REGISTRATION
from .conftest import FAST_HASH, PASSWORD

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
pytestmark = pytest.mark.skipif(
    not BINARIES or not os.path.exists(f"{BINARIES[-1]}/initdb"),
    reason="PostgreSQL server programs (initdb, pg_ctl) are not installed",
)
WORKERS = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateServer:
    """A PostgreSQL server of the test's own; never the shared one on 5432."""

    def __init__(self):
        self.bin = BINARIES[-1]
        self.root = Path(tempfile.mkdtemp(prefix="integrapath-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0  # the server refuses to run as root
        if self.as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program, *arguments):
        command = [f"{self.bin}/{program}", *arguments]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd="/")  # noqa: S603

    def start(self):
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self):
        # Immediate: like a crash, transactions in flight are cut off.
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self):
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Browser:
    """A signed-in person talking HTTP to the served app (cookies, CSRF tokens)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect
        )
        self.opener.addheaders = [("Accept-Language", "de-DE,de;q=0.9")]

    def request(self, path, data=None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def token(self, path) -> str | None:
        status, page = self.request(path)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        return found.group(1) if status == 200 and found else None

    def post(self, path, data) -> int:
        token = self.token(path)
        if token is None:
            return 503
        return self.request(path, {**data, "csrf_token": token})[0]


@pytest.fixture(scope="module")
def private_postgres():
    server = PrivateServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def served(private_postgres):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=private_postgres.url,
        PASSWORD_HASH_METHOD=FAST_HASH,
        PROPAGATE_EXCEPTIONS=False,  # as in production: errors become pages
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}},
    )
    with app.app_context():
        db.session.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.session.commit()
        upgrade()
        load_reference_data()
        town = Municipality(name="Lindenau", code="LND", default_locale="de")
        db.session.add(town)
        db.session.flush()
        office = Organisation(municipality_id=town.id, name="Office",
                              kind=OrganisationKind.MUNICIPAL_OFFICE)  # fmt: skip
        db.session.add(office)
        db.session.flush()
        people = []
        for number in range(WORKERS):
            user = User(email=f"caseworker{number}@lindenau.example", full_name=f"Worker {number}",
                        role=Role.CASEWORKER, municipality_id=town.id, organisation_id=office.id,
                        preferred_locale="de")  # fmt: skip
            user.set_password(PASSWORD)
            db.session.add(user)
            people.append(user)
        db.session.commit()
        ids = [user.id for user in people]
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", ids
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_database_outage_fails_cleanly_and_the_app_recovers(served, private_postgres):
    app, base, caseworker_ids = served
    outcomes: list[tuple[float, str, int]] = []  # (when, what, status)
    outage_pages: list[str] = []
    stop_at = threading.Event()
    browsers = []
    for number, caseworker_id in enumerate(caseworker_ids):
        browser = Browser(base)
        token = browser.token("/login")
        browser.request("/login", {"email": f"caseworker{number}@lindenau.example",
                                   "password": PASSWORD, "csrf_token": token})  # fmt: skip
        assert browser.request("/cases/")[0] == 200
        browsers.append((browser, caseworker_id))

    def work(browser, caseworker_id):
        for n in itertools.count():
            if stop_at.is_set():
                break
            born = date(1960, 1, 1) + timedelta(days=caseworker_id * 5000 + n)
            person = {  # a new person each time, so that no duplicate warning answers
                **REGISTRATION,
                "family_name": f"Person {caseworker_id}-{n}",
                "permit_number": f"P{caseworker_id}-{n}",
                "date_of_birth": born.isoformat(),
                "caseworker_id": str(caseworker_id),
            }
            status = browser.post("/cases/new", person)
            outcomes.append((time.monotonic(), "register", status))
            status, page = browser.request("/cases/")
            outcomes.append((time.monotonic(), "list", status))
            if status == 503:
                outage_pages.append(page)

    threads = [threading.Thread(target=work, args=pair) for pair in browsers]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stopped = time.monotonic()
    private_postgres.stop()
    time.sleep(3)
    restarted = time.monotonic()
    private_postgres.start()
    back = time.monotonic()
    time.sleep(5)
    stop_at.set()
    for thread in threads:
        thread.join(timeout=60)

    statuses = {status for _when, _what, status in outcomes}
    assert statuses <= {200, 302, 503}, f"unexpected answers: {statuses}"
    during = [status for when, _what, status in outcomes if stopped + 0.5 < when < restarted]
    assert during and set(during) == {503}, "while the database was down, every answer is a 503"
    recovered = [status for when, _what, status in outcomes if when > back + 1]
    assert recovered and set(recovered) <= {200, 302}, "the app recovers without a restart"
    assert all(
        "Der Dienst ist für einen Moment nicht verfügbar" in page and 'lang="de"' in page
        for page in outage_pages
    ), "the 503 page is in the reader's language"
    registered = sum(1 for _when, what, status in outcomes if what == "register" and status == 302)
    attempted = sum(1 for _when, what, _status in outcomes if what == "register")
    assert registered > 0

    with app.app_context():
        count = db.session.scalar(sa.text("SELECT count(*) FROM case_file"))
        # A 302 means saved; a registration cut off in its commit may or may not be.
        assert registered <= count <= attempted
        # Every saved registration is whole: nationality, languages, stage, audit entry.
        for table, minimum in (("case_nationality", 1), ("case_language", 2), ("stage_change", 1)):
            incomplete = db.session.scalar(sa.text(
                f"SELECT count(*) FROM case_file c WHERE (SELECT count(*) FROM {table} t "  # noqa: S608
                f"WHERE t.case_id = c.id) < {minimum}"
            ))  # fmt: skip
            assert incomplete == 0, f"{incomplete} cases without their {table} rows"
        unaudited = db.session.scalar(sa.text(
            "SELECT count(*) FROM case_file c WHERE NOT EXISTS (SELECT 1 FROM audit_event e "
            "WHERE e.object_type = 'Case' AND e.object_id = c.id AND e.action = 'case_registered')"
        ))  # fmt: skip
        assert unaudited == 0
        assert verify_chains(db.session.connection()) == []
        db.session.remove()

"""Real Chromium against the app served by gunicorn on 127.0.0.1 with a fresh database.

Chromium comes from Debian (``/usr/bin/chromium``; never ``playwright install``). When it
is missing the browser tests are skipped with a plain reason, unless ``REQUIRE_BROWSER=1``
(CI), where that is a failure.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from integrapath.i18n import NATIVE_DIGITS, load_translations

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "screenshots"
# Taken by `make screenshots`, to look at; a test run without them is minutes shorter.
SCREENSHOTS_WANTED = os.environ.get("SCREENSHOTS") == "1"
FAILURES = ROOT / "browser-failures"  # pytest-playwright empties test-results/ at start
DEMO_PASSWORD = "demo-password-2026"
LINDENAU = ZoneInfo("Europe/Berlin")  # the demo municipality's time zone
_DEMO_SEEDED_ON: dict[Path, date] = {}  # the served database's seeding day, per worker
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "tests/browser/" in str(item.fspath)]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if CHROMIUM.exists() or not browser_items:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but Chromium is missing at {CHROMIUM}")
    skip = pytest.mark.skip(reason=f"browser tests SKIPPED: no Chromium at {CHROMIUM}")
    for item in browser_items:
        item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the app server did not answer in time")


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory):
    """Migrate and seed a fresh SQLite database, then serve it with gunicorn."""
    shutil.rmtree(FAILURES, ignore_errors=True)  # evidence is of this run only
    database = tmp_path_factory.mktemp("browser") / "integrapath.db"
    env = {
        **os.environ,
        "INTEGRAPATH_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{database}",
        "SESSION_COOKIE_SECURE": "0",  # plain http on loopback
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "STATIC_BUILD_FOLDER": str(tmp_path_factory.mktemp("static") / "build"),
    }
    flask = [sys.executable, "-m", "flask", "--app", "integrapath"]
    subprocess.run([*flask, "build-assets"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    # The demo accounts are refused in production; the served app stays in production.
    demo_env = {**env, "INTEGRAPATH_ENV": "development"}
    subprocess.run([*flask, "seed-demo"], env=demo_env, cwd=ROOT, check=True, capture_output=True)
    _DEMO_SEEDED_ON[database] = datetime.now(LINDENAU).date()
    port = _free_port()
    log = (tmp_path_factory.mktemp("server") / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own server)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "integrapath:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a worker stuck on a busy machine
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def demo_seeded_on(live_server_url) -> date:
    """The day in Lindenau the served demo data was seeded: its courses and dates count from
    it, not from the day a test looks (a run can cross midnight)."""
    (day,) = _DEMO_SEEDED_ON.values()
    return day


@pytest.fixture(scope="session")
def base_url(live_server_url):
    return live_server_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    from tests.browser.pages import MEASURED

    report = yield
    setattr(item, f"report_{report.when}", report)
    if report.when == "teardown":
        # Measurements travel with the report, so that the process printing the summary
        # (pytest-xdist's controller) has every worker's.
        report.user_properties.extend(("page weight", entry) for entry in MEASURED.items())
        MEASURED.clear()
    return report


_weights: dict[str, str] = {}


def pytest_runtest_logreport(report):
    _weights.update(value for key, value in report.user_properties if key == "page weight")


def save_evidence_if_failed(node, page) -> None:
    """Save a screenshot and the HTML of the page when the test failed."""
    report = getattr(node, "report_call", None)
    if report is None or not report.failed or page.is_closed():
        return
    FAILURES.mkdir(exist_ok=True)
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in node.name)
    page.screenshot(path=str(FAILURES / f"{name}.png"), full_page=True)
    (FAILURES / f"{name}.html").write_text(page.content(), encoding="utf-8")


class Translator:
    """Look up what a person sees in a locale, from the compiled catalogs.

    Numbers filled in come out in the locale's digits, as the app writes them (Persian digits
    in Persian and Pashto, Arabic-Indic ones in Sorani Kurdish); ``digits`` converts others,
    such as CEFR levels (A۲).
    """

    def __init__(self, locale: str):
        self.locale = locale
        self.catalog = load_translations(ROOT / "translations", locale)  # as the app does
        digits = NATIVE_DIGITS.get(Locale.parse(locale).default_numbering_system)
        self._digits = str.maketrans("0123456789", digits) if digits else {}

    def digits(self, text: str) -> str:
        return str(text).translate(self._digits)

    def _values(self, values: dict) -> dict:
        return {k: self.digits(v) if isinstance(v, int) else v for k, v in values.items()}

    def __call__(self, message: str, **values) -> str:
        text = self.catalog.gettext(message)
        return text % self._values(values) if values else text

    def plural(self, singular: str, plural: str, num: int, **values) -> str:
        text = self.catalog.ngettext(singular, plural, num)
        return text % self._values({"num": num, **values})


# English and Pashto (right to left, its own digits and a vendored font) on the desktop,
# Arabic (right to left) on the desktop and a phone. A phone's checks (weight, no script) are
# the suite's costliest: Arabic pages are heavier than English ones and mirror their layout,
# and the newcomer's portal is tried on phones in six languages, Pashto among them.
SETTINGS = [("en", "desktop"), ("ar", "desktop"), ("ps", "desktop"), ("ar", "phone")]


@pytest.fixture(params=SETTINGS, ids=[f"{locale}-{size}" for locale, size in SETTINGS])
def visit(request, browser, base_url):
    """A fresh browser at desktop or phone size, for a person reading English, Arabic or
    Pashto."""
    yield from _visit(request, browser, base_url, *request.param)


@pytest.fixture(params=["en", "ar", "ps"])
def visit_without_javascript(request, browser, base_url):
    """A phone whose browser runs no script (switched off, or a data-saving proxy)."""
    yield from _visit(request, browser, base_url, request.param, "phone", javascript=False)


def _visit(request, browser, base_url, locale, viewport, javascript=True):
    from tests.browser.pages import Visit

    context = browser.new_context(
        base_url=base_url, viewport=VIEWPORTS[viewport], java_script_enabled=javascript
    )
    page = context.new_page()
    yield Visit(page, locale, viewport, javascript)
    save_evidence_if_failed(request.node, page)
    context.close()


@pytest.fixture(params=["en", "ar", "ps"])
def phone_visit(request, browser, base_url):
    """A 360 px phone, for a person reading English, Arabic or Pashto."""
    yield from _visit(request, browser, base_url, request.param, "phone")


@pytest.fixture
def dari_phone_visit(request, browser, base_url):
    """A newcomer from Afghanistan reading Dari on a 360 px phone."""
    yield from _visit(request, browser, base_url, "fa_AF", "phone")


def pytest_terminal_summary(terminalreporter):
    if _weights:
        terminalreporter.section("page weights (bytes on the wire) and slow-3G load times")
        for name, measured in sorted(_weights.items()):
            terminalreporter.write_line(f"{name:<40} {measured}")

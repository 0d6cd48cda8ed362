"""Speed under load: `make bench`.

Fills a new database with ``seed-volume`` (BENCH_CASES, default 1,000; BENCH_DATABASE_URL for
PostgreSQL, else SQLite in a temporary folder), serves it with gunicorn in production settings
as the README's production section does, signs in like a browser and drives each page of
``pages.py`` with wrk (BENCH_CLIENTS concurrent clients for BENCH_SECONDS) from its own
process. In the same run it serves and measures the ceiling, a bare Flask app doing one
primary-key query on the same database (``ceiling.py``), before and after the pages.
Prints the table and appends it, with the machine, to BENCHMARKS.md (BENCH_NOTE labels it).
"""

import http.cookiejar
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from pages import PAGES  # noqa: E402

BIN = Path(sys.executable).parent
CASES = int(os.environ.get("BENCH_CASES", "1000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS") or os.cpu_count() or 2)  # one per core
ONLY = os.environ.get("BENCH_ONLY", "")  # a substring of page names, to rerun a few
NOTE = os.environ.get("BENCH_NOTE", "")
REPORT = Path(os.environ.get("BENCH_REPORT", ROOT / "BENCHMARKS.md"))
PASSWORD = "volume-password-2026"  # noqa: S105 - the generated accounts' published password
LOGINS = {
    "caseworker": "caseworker0@volume.example",
    "admin": "admin@volume.example",
    "provider": "teacher@volume.example",
    "newcomer": "newcomer@volume.example",
}
TARGET_P95_MS, TARGET_RATIO = 150, 0.20


def run(command: list[str], env: dict, **kwargs) -> None:
    subprocess.run(command, env=env, cwd=ROOT, check=True, **kwargs)


def fresh_database(folder: str) -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    return url


def fill(url: str) -> float:
    env = {**os.environ, "INTEGRAPATH_ENV": "development", "DATABASE_URL": url}
    started = time.perf_counter()
    run([str(BIN / "flask"), "--app", "integrapath", "db", "upgrade"], env)
    run([str(BIN / "flask"), "--app", "integrapath", "seed-volume", "--cases", str(CASES)], env)
    return time.perf_counter() - started


def filled_with(url: str) -> int | None:
    """Return how many generated cases the database holds (None when it holds none)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT count(*) FROM case_file JOIN municipality m "
                        "ON m.id = municipality_id WHERE m.code = 'VOL'")
            ).scalar_one()  # fmt: skip
    except sa.exc.DBAPIError:
        return None
    finally:
        engine.dispose()


def facts(connection) -> dict:
    """Look up the values the page paths name (see ``pages.py``)."""

    def one(sql: str, **params):
        return connection.execute(sa.text(sql), params).scalar_one()

    me = one("SELECT id FROM user_account WHERE email = :e", e=LOGINS["caseworker"])
    mine = one("SELECT count(*) FROM case_file WHERE caseworker_id = :me", me=me)
    active = one("SELECT count(*) FROM case_file WHERE status = 'active'")
    cases = one("SELECT count(*) FROM case_file")
    referred = one(
        "SELECT count(*) FROM referral r JOIN case_file c ON c.id = r.case_id "
        "WHERE c.caseworker_id = :me",
        me=me,
    )
    return {
        "session": one(
            "SELECT s.id FROM course_session s JOIN offering o ON o.id = s.offering_id "
            "JOIN municipality m ON m.id = o.municipality_id WHERE m.code = 'VOL' "
            "AND s.date = :today ORDER BY s.id LIMIT 1",
            today=today_in_volume(connection),
        ),
        "offering": one(
            "SELECT o.id FROM offering o JOIN municipality m ON m.id = o.municipality_id "
            "WHERE m.code = 'VOL' ORDER BY o.id LIMIT 1"
        ),
        "case": one(
            "SELECT id FROM case_file WHERE caseworker_id = :me ORDER BY id LIMIT 1 OFFSET :n",
            me=me,
            n=mine // 2,
        ),
        "plan_case": one(
            "SELECT c.id FROM case_file c JOIN integration_plan p ON p.case_id = c.id "
            "WHERE c.caseworker_id = :me ORDER BY c.id LIMIT 1 OFFSET :n",
            me=me,
            n=one(
                "SELECT count(*) FROM case_file c JOIN integration_plan p ON p.case_id = c.id "
                "WHERE c.caseworker_id = :me",
                me=me,
            )
            // 2,
        ),
        "deep": one(
            "SELECT id FROM case_file WHERE status = 'active' "
            "ORDER BY family_name_key, given_names_key, id LIMIT 1 OFFSET :n",
            n=max(int(active * 0.8) - 1, 0),
        ),
        "permit": one(
            "SELECT permit_number FROM case_file WHERE caseworker_id != :me "
            "AND permit_number IS NOT NULL ORDER BY id LIMIT 1 OFFSET :n",
            me=me,
            n=cases // 3,
        ),
        "referred": one(
            "SELECT r.case_id FROM referral r JOIN case_file c ON c.id = r.case_id "
            "WHERE c.caseworker_id = :me ORDER BY r.case_id LIMIT 1 OFFSET :n",
            me=me,
            n=referred // 2,
        ),
    }


def today_in_volume(connection):
    """Today in the generated municipality's time zone (its class has a session today)."""
    from integrapath.i18n import today_in

    zone = connection.execute(
        sa.text("SELECT timezone FROM municipality WHERE code = 'VOL'")
    ).scalar_one()
    return today_in(zone)


def csrf_form(base: str, path: str, cookies: str, form: str) -> str:
    """The POST body of ``form`` with the CSRF token of the signed-in page at ``path``."""
    status, body, _elapsed = fetch(base + path, cookies)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body.decode()).group(1)
    return f"{form}&csrf_token={urllib.parse.quote(token)}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with WORKERS sync workers on a free loopback port, as in production."""

    def __init__(self, app: str, env: dict, cwd: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(WORKERS), "--timeout", "120", app]  # fmt: skip
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - open while the server runs
        self.process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + "/", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # answering, even if with an error
            except OSError:
                time.sleep(0.1)
        self.stop()
        self.log.seek(0)
        raise RuntimeError(f"{app} did not start: {self.log.read().decode()[-2000:]}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) among the workers so far."""
        peaks = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
        return max(peaks, default=0.0)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def sign_in(base: str, email: str) -> str:
    """Sign in through the form as a browser does; return the Cookie header to send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    opener.open(base + "/login", data=form.encode())
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    check = urllib.request.Request(base + "/account/password", headers={"Cookie": cookies})
    urllib.request.urlopen(check)
    return cookies


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a saved form answers 303/302: measure that answer, not the next page


def fetch(url: str, cookies: str, body: str = "") -> tuple[int, bytes, float]:
    headers = {"Cookie": cookies}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        opener = urllib.request.build_opener(NoRedirect)
        request = urllib.request.Request(url, data=body.encode(), headers=headers)
        started = time.perf_counter()
        try:
            with opener.open(request, timeout=300) as response:
                return response.status, response.read(), time.perf_counter() - started
        except urllib.error.HTTPError as answer:  # the redirect after saving
            return answer.code, b"", time.perf_counter() - started
    request = urllib.request.Request(url, headers=headers)
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        body = response.read()
        return response.status, body, time.perf_counter() - started


def load(url: str, cookies: str = "", body: str = "") -> dict:
    """Drive ``url`` with wrk from its own process (a POST of ``body`` when given); return
    req/s and latencies in ms."""
    command = ["wrk", "-t1", f"-c{CLIENTS}", f"-d{SECONDS}s", "--timeout", "10s",
               "-s", str(HERE / "latency.lua"), url]  # fmt: skip
    if cookies:
        command[1:1] = ["-H", f"Cookie: {cookies}"]
    env = {**os.environ, "WRK_BODY": body}
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    numbers = dict(re.findall(r"(\w+)=([\d.]+)", output.split("RESULT", 1)[1]))
    return {
        "rps": int(numbers["requests"]) / float(numbers["seconds"]),
        "errors": int(numbers["errors"]),
        **{key: int(numbers[key]) / 1000 for key in ("p50", "p95", "p99")},
    }


def settle(url: str, limit: float = 600) -> float:
    """Wait until PostgreSQL runs no statement but this one, and say how long that took.

    A request that outlives wrk's run (a report at 1,000,000 files, past wrk's 10 s timeout)
    goes on in the database: measured next, the following page ran at a quarter of its speed
    measured alone (attendance of 30: 25 against 105 req/s)."""
    if not url.startswith("postgresql"):
        return 0.0
    busy = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'active' AND pid <> pg_backend_pid()"
    )
    started = time.monotonic()
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")  # a fresh snapshot each time
    try:
        with engine.connect() as connection:
            while connection.scalar(busy) and time.monotonic() - started < limit:
                time.sleep(0.5)
    finally:
        engine.dispose()
    return time.monotonic() - started


def machine() -> str:
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    return (
        f"{os.cpu_count()} cores ({cpu.group(1) if cpu else platform.machine()}), "
        f"{int(memory.group(1)) / 1024**2:.0f} GB RAM, Python {platform.python_version()}"
    )


def database_version(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version = connection.execute(sa.text("SHOW server_version")).scalar_one()
            name = f"PostgreSQL {version.split()[0]}"
        else:
            name = f"SQLite {connection.execute(sa.text('SELECT sqlite_version()')).scalar_one()}"
    engine.dispose()
    return name


def commit() -> str:
    found = subprocess.run(
        ["git", "log", "-1", "--format=%h"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() or "unknown"


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk (make bench does this as root)")  # noqa: T201
        return 1
    code = commit()  # the code measured, even if a commit is made while the bench runs
    url = os.environ.get("BENCH_DATABASE_URL")
    if url and os.environ.get("BENCH_REUSE") == "1" and filled_with(url) == CASES:
        print(f"Reusing the {CASES:,} cases in the database (BENCH_REUSE=1)")  # noqa: T201
    else:
        url = fresh_database(tempfile.mkdtemp(prefix="integrapath-bench-"))
        seconds = fill(url)
        print(f"{CASES:,} cases filled in {seconds:.0f} s")  # noqa: T201
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = facts(connection)
    engine.dispose()
    env = {**os.environ, "INTEGRAPATH_ENV": "production", "DATABASE_URL": url,
           "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "0"}  # fmt: skip
    app = Server("integrapath:create_app()", env, ROOT)
    ceiling = Server("ceiling:app", env, HERE)
    rows, ceilings = [], []
    try:
        cookies = {who: sign_in(app.url, email) for who, email in LOGINS.items()}
        ceilings.append(load(ceiling.url + "/"))
        for page in PAGES:
            if ONLY and ONLY not in page.name:
                continue
            path = page.path.format(**found)
            form = csrf_form(app.url, path, cookies[page.who], page.form) if page.form else ""
            status, body, elapsed = fetch(app.url + path, cookies[page.who], form)
            assert status == (302 if form else 200), (page.name, status)
            if page.download:
                rows.append((page, None, elapsed, len(body), app.peak_rss_mb()))
            else:
                rows.append((page, load(app.url + path, cookies[page.who], form), None,
                             len(body), app.peak_rss_mb()))  # fmt: skip
            print(f"  measured {page.name}")  # noqa: T201
            waited = settle(url)
            if waited >= 1:
                print(f"  waited {waited:.0f} s for its requests to leave the database")  # noqa: T201
        ceilings.append(load(ceiling.url + "/"))
    finally:
        app.stop()
        ceiling.stop()
    table = report(url, rows, ceilings, code)
    print(table)  # noqa: T201
    previous = REPORT.read_text() if REPORT.exists() else HEADER
    REPORT.write_text(previous.rstrip() + "\n\n" + table)
    print(f"Appended to {REPORT}")  # noqa: T201
    return 0


HEADER = """# Benchmarks

`make bench` appends one section per run (newest last); earlier runs stay for comparison.
Targets (issue 8), PostgreSQL, 100,000 cases, 8 clients on the 2-core project machine: every
page p95 under 150 ms and at least 0.20 of the ceiling's throughput.
"""


def report(url: str, rows, ceilings, code: str) -> str:
    ceiling = sum(result["rps"] for result in ceilings) / len(ceilings)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    measured = " / ".join(f"{result['rps']:,.0f}" for result in ceilings)
    lines = [
        f"## {CASES:,} cases, {database_version(url)}{' — ' + NOTE if NOTE else ''}",
        "",
        f"{stamp}, commit {code}; {machine()}; gunicorn {WORKERS} sync workers in "
        f"production settings; wrk {CLIENTS} clients × {SECONDS} s per page. Ceiling (bare "
        f"Flask, one primary-key query): {measured} "
        "req/s before / after the pages.",
        "",
        "| page | req/s | p50 ms | p95 ms | p99 ms | ÷ ceiling | peak RSS/worker MB | "
        "meets target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for page, result, elapsed, size, rss in rows:
        if result is None:
            lines.append(
                f"| {page.name} ({size / 1e6:.1f} MB, one request) | | {elapsed * 1000:,.0f} | "
                f"| | | {rss:,.0f} | |"
            )
            continue
        ratio = result["rps"] / ceiling
        meets = result["p95"] < TARGET_P95_MS and ratio >= TARGET_RATIO
        errors = f" ({result['errors']} errors)" if result["errors"] else ""
        lines.append(
            f"| {page.name}{errors} | {result['rps']:,.0f} | {result['p50']:,.0f} | "
            f"{result['p95']:,.0f} | {result['p99']:,.0f} | {ratio:.2f} | {rss:,.0f} | "
            f"{'yes' if meets else 'no'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

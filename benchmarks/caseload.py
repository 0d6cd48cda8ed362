"""Caseload speed with 100,000 cases: `make bench` (SQLite), BENCH_DATABASE_URL for PostgreSQL.

Fills a fresh database through the migrations, signs in as a caseworker and times the pages
a caseworker uses most, with the number of SQL queries each runs. Fails when a median goes
over its budget, so a slow query cannot slip in unnoticed.
"""

import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from integrapath import create_app  # noqa: E402
from integrapath.accounts.models import (
    Municipality,  # noqa: E402
    User,  # noqa: E402
)
from integrapath.cases.models import Case, CaseNationality  # noqa: E402
from integrapath.extensions import db  # noqa: E402
from integrapath.security import Role  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "100000"))
CASEWORKERS = 40
RUNS = 15
BUDGET_MS = float(os.environ.get("BENCH_BUDGET_MS", "250"))
GIVEN = ["Amina", "Oksana", "Farid", "José", "Zoë", "Yusuf", "Daria", "Priya", "Mohammed", "Aïcha"]
FAMILY = ["Haddad", "Melnyk", "Rahimi", "Müller", "Ørsted", "Al-Khatib", "Kovalenko", "Raman"]
COUNTRIES = ["SY", "UA", "AF", "ER", "IQ", "CO", "IN", "GN"]


def fill(app) -> int:
    with app.app_context():
        upgrade()
        town = Municipality(name="Benchmark", code="BEN")
        db.session.add(town)
        db.session.flush()
        staff = []
        for number in range(CASEWORKERS):
            user = User(
                email=f"cw{number}@bench.example", full_name=f"Caseworker {number}",
                role=Role.CASEWORKER, municipality_id=town.id,
            )  # fmt: skip
            user.set_password("bench-password")
            db.session.add(user)
            staff.append(user)
        db.session.flush()
        rows, nationalities = [], []
        for n in range(CASES):
            given, family = GIVEN[n % len(GIVEN)], f"{FAMILY[n % len(FAMILY)]}{n}"
            rows.append(
                {
                    "id": n + 1, "municipality_id": town.id, "reference": f"BEN-2026-{n + 1:06d}",
                    "given_names": given, "family_name": family,
                    "name_key": f"{given.lower()} {family.lower()}",
                    "family_name_key": family.lower(), "given_names_key": given.lower(),
                    "date_of_birth": date(1960, 1, 1) + timedelta(days=n % 15000),
                    "sex": "female" if n % 2 else "male", "preferred_language": "ar",
                    "residence_category": "refugee", "stage": "arrival", "status": "active",
                    "permit_number": f"P{n:08d}",
                    "permit_expires_on": date.today() + timedelta(days=n % 1000),
                    "caseworker_id": staff[n % CASEWORKERS].id,
                }
            )  # fmt: skip
            nationalities.append(
                {"case_id": n + 1, "country_code": COUNTRIES[n % len(COUNTRIES)], "position": 0}
            )
        for start in range(0, CASES, 10000):
            db.session.execute(sa.insert(Case.__table__), rows[start : start + 10000])
            db.session.execute(
                sa.insert(CaseNationality.__table__), nationalities[start : start + 10000]
            )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        return staff[0].id


def measure(client, path, engine):
    timings, queries = [], []
    for _ in range(RUNS):
        counted: list[int] = []

        def listener(*_args, counted=counted, **_kwargs):
            counted.append(1)

        sa.event.listen(engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        sa.event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200, (path, response.status_code)
        timings.append(elapsed)
        queries.append(len(counted))
    return statistics.median(timings), max(queries), response.get_data(as_text=True)


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="integrapath-bench-")
    if not url:
        url = f"sqlite:///{folder}/bench.db"
    elif url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=url, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000"
    )
    started = time.perf_counter()
    fill(app)
    print(f"{CASES:,} cases in {url.split(':')[0]} filled in {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"email": "cw0@bench.example", "password": "bench-password", "csrf_token": token},
    )
    with app.app_context():
        engine = db.engine
    pages = [
        ("my cases (2,500 of 100,000)", "/cases/"),
        ("all cases, by name", "/cases/?caseworker="),
        ("all cases, page 2,000", "/cases/?caseworker=&page=2000"),
        ("search a name without accents", "/cases/?caseworker=&q=muller"),
        ("search a permit number", "/cases/?caseworker=&q=P00054321"),
        ("permits expiring in 90 days", "/cases/?caseworker=&permit_expiring=y&sort=permit"),
        ("nationality filter", "/cases/?caseworker=&nationality=ER"),
        ("a case file", "/cases/54321"),
    ]
    failures = 0
    print(f"{'page':<34} {'median ms':>10} {'queries':>8}")
    for name, path in pages:
        median, queries, _body = measure(client, path, engine)
        flag = "" if median <= BUDGET_MS else f"  OVER BUDGET ({BUDGET_MS:.0f} ms)"
        failures += bool(flag)
        print(f"{name:<34} {median:>10.1f} {queries:>8}{flag}")
    started = time.perf_counter()
    export = client.get("/cases/export.csv?caseworker=")
    elapsed = time.perf_counter() - started
    rows = export.get_data(as_text=True).count("\n") - 1
    print(f"{'CSV export of all cases':<34} {elapsed * 1000:>10.1f} {'':>8}  ({rows:,} rows, once)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

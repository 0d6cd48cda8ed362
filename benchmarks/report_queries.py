"""Each query of the reports dashboard, timed in-process on an existing database.

Signs in through the login form (Flask test client, development settings), requests the
dashboard by sex (admin) and by country (caseworker), and times every statement with
SQLAlchemy's cursor events, named by the table of ``build_report`` that sent it. The first
request of each page warms the caches and is not counted. With ``--explain`` each statement
of one request is run again under EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL).

    .venv/bin/python benchmarks/report_queries.py postgresql+psycopg://postgres@127.0.0.1:5432/NAME_big
    .venv/bin/python benchmarks/report_queries.py URL --rounds 5 --explain

Other work on the machine inflates every figure: compare runs made in the same minutes.
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "volume-password-2026"
PAGES = (
    ("admin@volume.example", "/reports/"),
    ("caseworker0@volume.example", "/reports/?breakdown=country"),
)
SERVICES = str(Path("integrapath", "reports", "services.py"))


def table_of(frame) -> str:
    """The outermost function of the report services that sent the statement."""
    name = "other"
    while frame is not None:
        code = frame.f_code
        if code.co_filename.endswith(SERVICES) and code.co_name != "build_report":
            name = code.co_name
        frame = frame.f_back
    return name


def sign_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code in (302, 303), f"{email} could not sign in"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the database, e.g. a copy of the 100,000-file bench")
    parser.add_argument("--rounds", type=int, default=3, help="requests counted per page")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS)")
    arguments = parser.parse_args()

    from sqlalchemy import event

    from integrapath import create_app
    from integrapath.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=arguments.url)
    sent = []
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def before(conn, cursor, statement, parameters, context, executemany):
            context.report_started = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def after(conn, cursor, statement, parameters, context, executemany):
            took = (time.perf_counter() - context.report_started) * 1000
            sent.append((table_of(sys._getframe()), took, statement, parameters))

    for email, path in PAGES:
        client = app.test_client()
        sign_in(client, email)
        requests, tables = [], {}
        for number in range(arguments.rounds + 1):
            sent.clear()
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            if number:  # the first one warms the caches
                requests.append((time.perf_counter() - started) * 1000)
                for table, took, _statement, _parameters in sent:
                    tables.setdefault(table, []).append(took)
        print(
            f"{path}: {len(sent)} statements; request ms median {statistics.median(requests):,.0f},"
            f" best {min(requests):,.0f}"
        )
        for table, took in tables.items():
            per_request, count = sum(took) / arguments.rounds, len(took) // arguments.rounds
            print(f"  {table:20} {per_request:8,.0f} ms a request, statements: {count}")
        if arguments.explain:
            explain(
                app, [(table, statement, parameters) for table, _t, statement, parameters in sent]
            )


def explain(app, statements) -> None:
    from integrapath.extensions import db

    with app.app_context():
        connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        for table, statement, parameters in statements:
            if table == "other":
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            print(f"-- {table}")
            print("\n".join(line for (line,) in cursor.fetchall()))
    finally:
        connection.rollback()
        connection.close()


if __name__ == "__main__":
    main()

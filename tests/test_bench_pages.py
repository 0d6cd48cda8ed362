"""Every page `make bench` measures keeps its number of queries as the data grows, and the
lists' Previous/Next pages walk the whole order, on every backend."""

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from integrapath.extensions import db
from integrapath.volume import VOLUME_PASSWORD, add_cases, seed_volume
from tests.conftest import csrf_token_from

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from load import LOGINS, facts  # noqa: E402
from pages import PAGES  # noqa: E402

SMALL, LARGE = 150, 450


def _signed_in(app, auth_class, who):
    client = app.test_client()
    auth_class(client).login(LOGINS[who], VOLUME_PASSWORD)
    return client


def _queries_per_page(clients, found, count_queries) -> dict[str, int]:
    db.session.connection()  # the test's savepoint is not one of the page's queries
    counts = {}
    for page in PAGES:
        client, path = clients[page.who], page.path.format(**found)
        if page.form:
            token = csrf_token_from(client.get(path).get_data(as_text=True))
            form = {"data": f"{page.form}&csrf_token={token}",
                    "content_type": "application/x-www-form-urlencoded"}  # fmt: skip
            client.post(path, **form)  # saved once: the page measures saving it again
            with count_queries() as statements:
                response = client.post(
                    path,
                    data=f"{page.form}&csrf_token={token}",
                    content_type="application/x-www-form-urlencoded",
                )
            assert response.status_code == 302, page.name
        else:
            with count_queries() as statements:
                response = client.get(path)
            assert response.status_code == 200, page.name
        counts[page.name] = len(statements)

    return counts


def test_every_benchmarked_page_runs_as_many_queries_for_450_cases_as_for_150(app, count_queries):
    # The clock stands still: a signed-in session notes its last activity once a minute, and
    # on a slow machine that write would fall into one size's measurement and not the other's.
    with time_machine.travel(datetime.now(UTC), tick=False):
        _compare_sizes(app, count_queries)


def _compare_sizes(app, count_queries):
    from tests.conftest import Auth

    with app.test_request_context():
        town = seed_volume(SMALL)
        db.session.commit()
    clients = {who: _signed_in(app, Auth, who) for who in LOGINS}
    found = facts(db.session.connection())  # the same file, search and cursor at both sizes
    small = _queries_per_page(clients, found, count_queries)
    with app.test_request_context():
        add_cases(town, range(SMALL, LARGE))
        db.session.commit()
    large = _queries_per_page(clients, found, count_queries)
    assert large == small


ROW = re.compile(r'<td class="text-nowrap" dir="ltr">([^<]+)</td>')
LINK = r'class="page-link" href="([^"]*{}=[^"]*)"'


def _walk(client, path, direction):
    """Follow Next (or Previous) links from ``path``; return the references page by page."""
    pages = []
    while path:
        html = client.get(path).get_data(as_text=True)
        pages.append(ROW.findall(html))
        found = re.search(LINK.format(direction), html)
        path = found.group(1).replace("&amp;", "&") if found else None
    return pages


@pytest.mark.parametrize("sort", ["name", "reference", "arrival", "permit", "updated"])
def test_next_and_previous_walk_every_case_once_in_order(app, sort):
    from tests.conftest import Auth

    with app.test_request_context():
        seed_volume(120)
        db.session.commit()
    client = _signed_in(app, Auth, "caseworker")
    # The generated permits and arrivals are never missing: blank some, to order NULLs too.
    db.session.execute(
        db.text("UPDATE case_file SET permit_expires_on = NULL, arrived_in_municipality_on = NULL "
                "WHERE id % 7 = 0")
    )  # fmt: skip
    db.session.commit()
    everyone = "/cases/?caseworker=&status=&sort=" + sort
    forward = _walk(client, everyone, "after")
    references = [reference for page in forward for reference in page]
    assert len(references) == 120 and len(set(references)) == 120
    assert all(len(page) == 25 for page in forward[:-1])
    export = client.get(everyone.replace("/cases/", "/cases/export.csv")).get_data(as_text=True)
    exported = [line.split(",")[0] for line in export.splitlines()[1:]]
    assert references == exported  # the same order as the whole list
    last = forward[-1]
    html = client.get(everyone).get_data(as_text=True)
    assert "Previous</a>" not in html
    back_from_last = re.findall(LINK.format("after"), html)
    assert back_from_last  # there is a next page
    # Walk back from the last page to the first: the same pages in reverse.
    path = _last_page_path(client, everyone)
    backward = _walk(client, path, "before")
    assert backward[0] == last
    assert list(reversed(backward)) == forward


def _last_page_path(client, path):
    while True:
        html = client.get(path).get_data(as_text=True)
        found = re.search(LINK.format("after"), html)
        if not found:
            return path
        path = found.group(1).replace("&amp;", "&")

"""A name search lists the files with a name word beginning with each word of the term, in
name order, page by page forwards and back, also with other filters (see
``cases.services._named``)."""

import re

import sqlalchemy as sa

from integrapath.cases import services
from integrapath.cases.models import CaseNameWord
from integrapath.extensions import db
from integrapath.security import Role

# Five name words begin with "berg": the search merges five walks in name order.
MATCHING = ["Berg", "Bergen", "Berger", "Bergmann", "Bergström"]
# "berg" inside a word is not the beginning of one.
NOT_MATCHING = ["Ahlberg", "Lindberg", "Sandberg"]
NAMES = r"\b(Berg|Bergen|Berger|Bergmann|Bergström|Ahlberg|Lindberg|Sandberg|Other\d)\b"


def _listed(client, path) -> tuple[list[str], str | None, str | None]:
    """The family names on the page, and its "Previous" and "Next" links."""
    html = client.get(path).get_data(as_text=True)
    names = re.findall(NAMES, html)
    shown = list(dict.fromkeys(names))  # a name may stand twice in a row (link and title)
    return shown, _link(html, "before"), _link(html, "after")


def _link(html: str, kind: str) -> str | None:
    found = re.search(rf'class="page-link" href="([^"]*{kind}=\d+[^"]*)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _all_pages(client, path) -> tuple[list[list[str]], str | None]:
    """Every page's names from ``path`` on, and the "Previous" link of the last one."""
    pages, previous = [], None
    while path:
        names, previous, path = _listed(client, path)
        pages.append(names)
    return pages, previous


def test_a_name_search_lists_the_names_beginning_with_it_page_by_page_and_back(
    app, auth, caseworker, client, make_case, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for name in MATCHING + NOT_MATCHING:
        make_case(caseworker=caseworker, family_name=name)
    for number in range(3):  # names between them in the alphabet that do not match
        make_case(caseworker=caseworker, family_name=f"Other{number}")
    pages, previous = _all_pages(client, "/cases/?caseworker=&q=BERG")
    assert [name for page in pages for name in page] == sorted(MATCHING)
    assert [len(page) for page in pages] == [2, 2, 1]
    names, _before, _after = _listed(client, previous)  # back from the last page
    assert names == sorted(MATCHING)[2:4]


def test_a_short_term_that_begins_many_name_words_lists_the_same_files(
    app, auth, caseworker, client, make_case, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for name in MATCHING + NOT_MATCHING:
        make_case(caseworker=caseworker, family_name=name)
    walked, _previous = _all_pages(client, "/cases/?caseworker=&q=ber")
    monkeypatch.setattr(services, "NAME_WORDS_WALKED", 2)  # read as one range, then sorted
    ranged, previous = _all_pages(client, "/cases/?caseworker=&q=ber")
    assert ranged == walked
    assert [name for page in ranged for name in page] == sorted(MATCHING)
    assert _listed(client, previous)[0] == sorted(MATCHING)[2:4]


def test_a_file_with_two_name_words_beginning_with_the_term_is_listed_once(
    app_ctx, make_case, make_user
):
    me = make_user(Role.CASEWORKER)
    both = make_case(caseworker=me, family_name="Berg", given_names="Bergit")
    one = make_case(caseworker=me, family_name="Bergen", given_names="Anna")
    filters = services.CaseloadFilters(q="berg", mine=False)
    listed = db.session.scalars(services.caseload_query(me, filters)).all()
    assert [case.id for case in listed] == [both.id, one.id]  # each file once, in name order
    counted = services.caseload_query(me, filters).order_by(None).subquery()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(counted)) == 2


def test_every_word_of_the_term_must_begin_a_word_of_the_name(auth, caseworker, client, make_case):
    make_case(caseworker=caseworker, family_name="Berg", given_names="Anna Maria")
    make_case(caseworker=caseworker, family_name="Bergen", given_names="Johanna")
    make_case(caseworker=caseworker, family_name="Berger", given_names="Maria")
    assert _listed(client, "/cases/?caseworker=&q=anna+berg")[0] == ["Berg"]
    assert _listed(client, "/cases/?caseworker=&q=mar+berg")[0] == ["Berg", "Berger"]
    assert _listed(client, "/cases/?caseworker=&q=berg+zz")[0] == []


def test_names_in_other_scripts_are_found_by_their_latin_letters(
    auth, caseworker, client, make_case
):
    make_case(caseworker=caseworker, family_name="Мельник", family_name_latin="Melnyk")
    make_case(caseworker=caseworker, family_name="Müller", given_names="Anna")
    make_case(caseworker=caseworker, family_name="Ковальчук")  # no Latin spelling given
    assert "Ковальчук" in client.get("/cases/?caseworker=&q=kovalchuk").get_data(as_text=True)
    assert "Мельник" in client.get("/cases/?caseworker=&q=melnyk").get_data(as_text=True)
    assert "Мельник" in client.get("/cases/?caseworker=&q=Мель").get_data(as_text=True)
    assert "Müller" in client.get("/cases/?caseworker=&q=mull").get_data(as_text=True)
    assert "Müller" in client.get("/cases/?caseworker=&q=Mül").get_data(as_text=True)


def test_a_name_search_with_a_nationality_keeps_name_order_and_both_conditions(
    auth, caseworker, client, make_case
):
    for name in MATCHING:
        make_case(caseworker=caseworker, family_name=name, nationalities=("ER",))
    make_case(caseworker=caseworker, family_name="Bergstrand", nationalities=("SY",))
    make_case(caseworker=caseworker, family_name="Lindberg", nationalities=("ER",))
    names, _before, _after = _listed(client, "/cases/?caseworker=&q=berg&nationality=ER")
    assert names == sorted(MATCHING)
    by_reference, _before, _after = _listed(
        client, "/cases/?caseworker=&q=berg&nationality=ER&sort=reference"
    )
    assert sorted(by_reference) == sorted(MATCHING)


def test_a_renamed_file_is_found_by_its_new_name_only(app_ctx, make_case, make_user):
    me = make_user(Role.CASEWORKER)
    case = services.load_case_file(make_case(caseworker=me, family_name="Bergen").id, me)
    values = {name: getattr(case, name) for name in services.CASE_FIELDS}
    services.update_case(case, services.CaseData({**values, "family_name": "Haddad"}), me)
    db.session.commit()

    def found(term: str) -> list[str]:
        filters = services.CaseloadFilters(q=term, mine=False)
        return [
            found.family_name for found in db.session.scalars(services.caseload_query(me, filters))
        ]

    assert found("haddad") == ["Haddad"]
    assert found("bergen") == []
    words = db.session.scalars(
        sa.select(CaseNameWord.family_name_key).where(CaseNameWord.case_id == case.id)
    ).all()
    assert words and set(words) == {"haddad"}  # every word carries the new order

"""A name search lists the files whose names contain the term, in name order, page by page
forwards and back, also with other filters: the matches are sorted apart from the rest of the
query (see ``cases.services._search``)."""

import re

MATCHING = ["Lindberg", "Bergmann", "Ahlberg", "Sandberg", "Berg"]


def _listed(client, path) -> tuple[list[str], str | None, str | None]:
    """The family names on the page, and its "Previous" and "Next" links."""
    html = client.get(path).get_data(as_text=True)
    names = re.findall(r"\b(Lindberg|Bergmann|Bergström|Ahlberg|Sandberg|Berg|Other\d)\b", html)
    shown = list(dict.fromkeys(names))  # a name may stand twice in a row (link and title)
    return shown, _link(html, "before"), _link(html, "after")


def _link(html: str, kind: str) -> str | None:
    found = re.search(rf'class="page-link" href="([^"]*{kind}=\d+[^"]*)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_name_search_lists_its_matches_in_name_order_page_by_page_and_back(
    app, auth, caseworker, client, make_case, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for name in MATCHING:
        make_case(caseworker=caseworker, family_name=name)
    for number in range(3):  # names between them in the alphabet that do not match
        make_case(caseworker=caseworker, family_name=f"Other{number}")
    pages, path = [], "/cases/?caseworker=&q=BERG"
    while path:
        names, previous, path = _listed(client, path)
        pages.append(names)
    assert [name for page in pages for name in page] == sorted(MATCHING)
    assert [len(page) for page in pages] == [2, 2, 1]
    names, _before, _after = _listed(client, previous)  # back from the last page
    assert names == sorted(MATCHING)[2:4]


def test_a_name_search_with_a_nationality_keeps_name_order_and_both_conditions(
    auth, caseworker, client, make_case
):
    for name in MATCHING:
        make_case(caseworker=caseworker, family_name=name, nationalities=("ER",))
    make_case(caseworker=caseworker, family_name="Bergström", nationalities=("SY",))
    make_case(caseworker=caseworker, family_name="Other1", nationalities=("ER",))
    names, _before, _after = _listed(client, "/cases/?caseworker=&q=berg&nationality=ER")
    assert names == sorted(MATCHING)
    by_reference, _before, _after = _listed(
        client, "/cases/?caseworker=&q=berg&nationality=ER&sort=reference"
    )
    assert sorted(by_reference) == sorted(MATCHING)

"""The caseload filtered by nationality: the people of that nationality in the municipality,
in name order, page by page, read from the nationality's own copy of the file's name keys
(kept when a file is renamed or moves to another municipality)."""

import re

from integrapath.cases.models import CaseNationality
from integrapath.extensions import db

NAMES = ["Tesfay", "Abraha", "Zerai", "Gebre", "Mehari"]


def _listed(client, path) -> tuple[list[str], str | None]:
    """The family names on the page (of ``NAMES`` and "Other"), and its "Next" link."""
    html = client.get(path).get_data(as_text=True)
    names = re.findall(r"\b(Tesfay|Abraha|Zerai|Gebre|Mehari|Aaron|Other\d)\b", html)
    following = re.search(r'class="page-link" href="([^"]*after=\d+[^"]*)"', html)
    shown = list(dict.fromkeys(names))  # a name may stand twice in a row (link and title)
    return shown, following.group(1).replace("&amp;", "&") if following else None


def test_the_nationality_filter_lists_its_people_in_name_order_page_by_page(
    app, auth, caseworker, client, make_case, make_municipality, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for name in NAMES:
        make_case(caseworker=caseworker, family_name=name, nationalities=("ER",))
    for number in range(3):  # other nationalities between them in the alphabet
        make_case(caseworker=caseworker, family_name=f"Other{number}", nationalities=("SY",))
    elsewhere = make_municipality("Elsewhere", "ELW", default_locale="en")
    make_case(in_municipality=elsewhere, family_name="Aaron", nationalities=("ER",))
    seen, path = [], "/cases/?caseworker=&nationality=ER"
    while path:
        names, path = _listed(client, path)
        assert len(names) <= 2
        seen += names
    assert seen == sorted(NAMES)


def test_a_renamed_or_moved_file_is_found_in_its_new_place(
    app, auth, caseworker, client, make_case, make_municipality
):
    cases = {
        name: make_case(caseworker=caseworker, family_name=name, nationalities=("ER", "ET"))
        for name in NAMES
    }
    renamed = cases["Zerai"]
    renamed.family_name, renamed.family_name_key = "Aaron", "aaron"
    db.session.commit()
    names, _following = _listed(client, "/cases/?caseworker=&nationality=ET")
    assert names == ["Aaron", *sorted(set(NAMES) - {"Zerai"})]
    elsewhere = make_municipality("Elsewhere", "ELW", default_locale="en")
    cases["Gebre"].municipality_id = elsewhere.id
    db.session.commit()
    names, _following = _listed(client, "/cases/?caseworker=&nationality=ER")
    assert "Gebre" not in names and len(names) == 4
    moved = db.session.query(CaseNationality).filter_by(case_id=cases["Gebre"].id).all()
    assert {row.municipality_id for row in moved} == {elsewhere.id}

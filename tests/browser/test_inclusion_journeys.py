"""A family's housing, health and residence recorded in the case file, then found again."""

import re
import uuid

from babel import Locale
from playwright.sync_api import expect


def _in(section, t, label: str):
    """A field of one case-file section, by its visible label (required ones end with *)."""
    return section.get_by_label(re.compile("^" + re.escape(t(label)) + r"\s*\*?$"))


def _register(visit, given: str, family: str, sex: str) -> str:
    page, t = visit.page, visit.t
    page.get_by_role("link", name=t("Register a newcomer")).first.click()
    visit.field("Given names").fill(given)
    visit.field("Family name").fill(family)
    visit.field("Date of birth").fill("1988-04-02")
    visit.field("Sex").select_option(label=t(sex))
    visit.field("Nationalities").select_option(label=Locale.parse(visit.locale).territories["SY"])
    visit.field("Residence category").select_option(label=t("Refugee (international protection)"))
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{given} {family}")
    return page.url


def _record_status(page, t, anchor: str, summary: str, what: str, since: str) -> None:
    section = page.locator(f"#{anchor}")
    section.locator("summary", has_text=t(summary)).click()
    _in(section, t, "What").select_option(label=t(what))
    _in(section, t, "Yes or no").select_option(label=t("Yes"))
    _in(section, t, "Since").fill(since)
    section.get_by_role("button", name=t(summary)).click()
    expect(page.locator(f"#{anchor}")).to_contain_text(t(what))


def test_caseworker_records_a_familys_move_health_and_residence_and_lists_who_still_waits(visit):
    page, t = visit.page, visit.t
    family = f"Haddad-{uuid.uuid4().hex[:6]}"
    visit.sign_in("caseworker@lindenau.example")
    mother_url = _register(visit, "Rania", family, "Female")
    father_url = _register(visit, "Karim", family, "Male")
    page.goto(mother_url)
    mother_reference = page.locator(".case-header .font-monospace").first.inner_text().strip()

    page.goto(father_url)
    household = page.locator("#household")
    household.locator("summary", has_text=t("Link a family member's file")).click()
    _in(household, t, "Reference of the relative's file").fill(mother_reference)
    page.locator("#link-relation").select_option(label=t("Spouse or partner"))
    household.get_by_role("button", name=t("Link files")).click()

    # The family lived in a reception centre, then moved to social housing together.
    page.goto(mother_url)
    for situation, since in (("Reception centre", "2025-01-10"), ("Social housing", "2025-08-01")):
        housing = page.locator("#housing")
        housing.locator("summary", has_text=t("Record a move or a change")).click()
        _in(housing, t, "Housing situation").select_option(label=t(situation))
        _in(housing, t, "Since").fill(since)
        _in(housing, t, "Adequate for the household's size").select_option(label=t("Yes"))
        expect(_in(housing, t, "The same for the linked family members' files")).to_be_checked()
        housing.get_by_role("button", name=t("Record housing")).click()
        expect(page.get_by_text(t("Housing situation recorded."))).to_be_visible()
    expect(page.locator("#housing strong")).to_have_text(t("Social housing"))
    expect(page.locator("#housing")).to_contain_text(t("Reception centre"))
    _record_status(
        page, t, "health", "Record health access",
        "Registered with a general practitioner", "2025-02-03",
    )  # fmt: skip
    expect(page.locator("#timeline")).to_contain_text(t("Housing situation recorded"))
    expect(page.locator("#timeline")).to_contain_text(t("Health access recorded"))
    visit.check("case-file-inclusion")

    page.goto(father_url)
    expect(page.locator("#housing strong")).to_have_text(t("Social housing"))
    _record_status(
        page, t, "civic", "Record status or participation",
        "Long-term residence permit", "2025-11-20",
    )  # fmt: skip
    expect(page.locator("#timeline")).to_contain_text(
        t("Residence status or participation recorded")
    )
    visit.check("case-file-civic")

    # Every household still in temporary accommodation after twelve months.
    visit.go_to("Caseload")
    visit.field("Caseworker").select_option(label=t("All caseworkers"))
    page.locator("summary", has_text=t("More filters and sorting")).click()
    visit.field("Housing situation").select_option(label=t("Temporary accommodation"))
    visit.field("In this situation for at least (months)").fill("12")
    page.get_by_role("button", name=t("Search")).click()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("table")).not_to_contain_text(family)
    visit.check("caseload-temporary-12-months")

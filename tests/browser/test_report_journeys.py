"""An administrator reads the municipality's report: how women and men who arrived last year
fare in work, the median months to B1 and the attendance of civic orientation courses; then
exports the employment table, where no group smaller than the threshold can be singled out."""

import csv
import io
import re

from playwright.sync_api import expect

from integrapath.i18n import today_in


def _row(section, label: str):
    return section.locator("tbody tr").filter(
        has=section.page.locator("th", has_text=re.compile(f"^{re.escape(label)}$"))
    )


# Any script's digits (Pashto writes ۳۸%): the regular expressions run in the browser, where
# \d matches Latin digits only.
DIGIT = "[0-9۰-۹٠-٩]"


def _shown_percent(cell) -> None:
    expect(cell).to_have_text(re.compile(f"{DIGIT}.*%|%.*{DIGIT}"))


def test_admin_reads_the_report_and_exports_the_employment_of_women_and_men(visit, tmp_path):
    page, t = visit.page, visit.t
    last_year = today_in("Europe/Berlin").year - 1  # Lindenau's: the demo's arrivals
    visit.sign_in("admin@lindenau.example")
    visit.go_to("Reports")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Reports"))
    visit.field("Arrived in").select_option(str(last_year))
    visit.field("Broken down by").select_option(label=t("Sex"))
    page.get_by_role("button", name=t("Show"), exact=True).click()
    expect(visit.field("Arrived in")).to_have_value(str(last_year))
    visit.check("reports-dashboard")

    # The employment rate of the women and of the men who arrived last year, and the gap.
    employment = page.locator("section[aria-labelledby=table-employment]")
    for group in ("Female", "Male"):
        _shown_percent(_row(employment, t(group)).locator("td").first)
    expect(_row(employment, t("Gap: women minus men")).locator("td").first).to_contain_text(
        re.compile(DIGIT)
    )
    # The chart says the same as the table.
    expect(employment.get_by_role("img")).to_contain_text(t("Employment rate"))

    # The median months to B1, of everyone counted.
    language = page.locator("section[aria-labelledby=table-language]")
    expect(language.locator("thead")).to_contain_text(t("Median months to B1"))
    expect(_row(language, t("All")).locator("td").nth(3)).to_have_text(re.compile(f"^{DIGIT}"))

    # The attendance of civic orientation courses.
    courses = page.locator("section[aria-labelledby=table-courses]")
    _shown_percent(_row(courses, t("Civic orientation course")).locator("td").nth(2))

    # Small groups are hidden, and the page says so.
    expect(page.locator("main")).to_contain_text(t("Hidden"))

    with page.expect_download() as download:
        employment.get_by_role("link", name=re.compile(re.escape(t("Employment")))).click()
    saved = tmp_path / "employment.csv"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert rows[0][:2] == [t("Group"), t("Employment rate")]
    by_group = {row[0]: row[1] for row in rows[1:]}
    for group in ("Female", "Male"):
        assert "%" in by_group[t(group)] and re.search(DIGIT, by_group[t(group)])
    assert all(value == t("Hidden") or "%" in value or value == "–" for value in by_group.values())

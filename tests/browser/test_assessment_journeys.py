"""A caseworker records what a newcomer can do: language levels, a nurse's diploma through
recognition, a skills profile, a job status; then finds the person in the caseload."""

import re
import uuid
from datetime import timedelta

from babel import Locale
from playwright.sync_api import expect

from integrapath.i18n import today_in
from tests.browser.pages import LANGUAGE_NAMES


def _register(visit, family: str) -> None:
    page, t = visit.page, visit.t
    countries = Locale.parse(visit.locale).territories
    page.get_by_role("link", name=t("Register a newcomer")).first.click()
    visit.field("Given names").fill("Rania")
    visit.field("Family name").fill(family)
    visit.field("Date of birth").fill("1988-04-02")
    visit.field("Sex").select_option(label=t("Female"))
    visit.field("Nationalities").select_option(label=countries["SY"])
    visit.field("Residence category").select_option(label=t("Refugee (international protection)"))
    visit.field("Preferred language for letters and the portal").select_option(
        label=LANGUAGE_NAMES[visit.locale]
    )
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rania {family}")


def _in(section, visit, label: str):
    return section.get_by_label(re.compile("^" + re.escape(visit.t(label)) + r"\s*\*?$"))


def _record_level(visit, level: str, source: str, days_ago: int, certificate: str = "") -> None:
    page, t = visit.page, visit.t
    section = page.locator("#languages")
    summary = section.get_by_text(t("Record a language level"))
    if section.locator("details").last.get_attribute("open") is None:
        summary.click()
    german = Locale.parse(visit.locale).languages["de"]
    _in(section, visit, "Language").select_option(label=german)
    _in(section, visit, "Skill").select_option(label=t("All five skills"))
    _in(section, visit, "Level").select_option(label=t.digits(level))
    day = today_in("Europe/Berlin") - timedelta(days=days_ago)
    _in(section, visit, "Date").fill(day.isoformat())
    _in(section, visit, "Source").select_option(label=t(source))
    _in(section, visit, "Certificate number").fill(certificate)
    section.get_by_role("button", name=t("Record level")).click()
    expect(page.get_by_text(t("Language level recorded."))).to_be_visible()


def _grid_levels(page) -> list[str]:
    return page.locator("#level-grid tbody .badge").all_inner_texts()


def test_caseworker_records_levels_recognition_skills_and_finds_the_person(visit):
    page, t = visit.page, visit.t
    family = f"Haddad-{uuid.uuid4().hex[:6]}"
    today = today_in("Europe/Berlin")
    visit.sign_in("caseworker@lindenau.example")
    _register(visit, family)

    # Three assessments: the grid always shows the latest, the chart draws the history.
    _record_level(visit, "A1", "Placement test", 300)
    assert _grid_levels(page) == [t.digits("A1")] * 5
    _record_level(visit, "A2", "Course exam", 120)
    assert _grid_levels(page) == [t.digits("A2")] * 5
    expect(page.locator("#languages polyline")).to_have_count(5)
    _record_level(visit, "B1", "Certified exam", 10, certificate="DTZ-2026-0042")
    assert _grid_levels(page) == [t.digits("B1")] * 5
    expect(page.locator("#languages svg[role=img]")).to_have_count(1)
    page.locator("#languages summary").first.click()  # the chart's data as a table
    certified = page.locator("#languages").get_by_text("DTZ-2026-0042")
    expect(certified).to_be_visible()  # five skills assessed together: one line
    visit.check("case-language-levels")
    visit.screenshot("section-languages", of="#languages")

    # A nurse's diploma: submitted, in assessment, partial with a bridging course, recognised.
    page.get_by_role("link", name=t("Add a foreign qualification")).click()
    visit.field("Qualification").fill("Bachelor of Nursing")
    visit.field("Level of education (ISCED 2011)").select_option(value="6")
    visit.field("Regulated profession").check()
    visit.check("qualification-form")
    page.get_by_role("button", name=t("Add qualification")).click()
    expect(page.get_by_text(t("Qualification added."))).to_be_visible()

    def step(state: str, measure: str | None = None) -> None:
        article = page.locator("#qualifications article").first
        if article.locator("details").last.get_attribute("open") is None:  # open after an error
            article.get_by_text(t("Record the next step")).click()
        _in(article, visit, "New state").select_option(label=t(state))
        _in(article, visit, "Date").fill((today - timedelta(days=30)).isoformat())
        _in(article, visit, "Competent authority").fill("Landesamt für Gesundheit")
        if measure:
            _in(article, visit, "Compensation measure").select_option(label=t(measure))
        article.get_by_role("button", name=t("Record step")).click()

    step("Submitted")
    expect(page.get_by_text(t("Recognition step recorded."))).to_be_visible()
    step("In assessment")
    step("Partially recognised")  # without a compensation measure: refused, nothing lost
    expect(
        page.get_by_text(t("A partial recognition needs at least one compensation measure."))
    ).to_be_visible()
    visit.check("case-recognition-refused")
    step("Partially recognised", measure="Bridging course")
    article = page.locator("#qualifications article").first
    _in(article, visit, "Status").select_option(label=t("Completed"))
    article.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.get_by_text(t("Compensation measure saved."))).to_be_visible()
    step("Recognised")
    current = page.locator("#qualifications [aria-current=step]")
    expect(current).to_contain_text(t("Recognised"))
    visit.check("case-recognition")
    visit.screenshot("section-recognition", of="#qualifications")

    # The skills profile, with the occupation found by its German title.
    page.get_by_role("link", name=t("Open the skills profile")).click()
    # Typing before the page's script has run fetches nothing (the Search button still would):
    # on a busy machine the field is there before the script at the end of the page.
    page.wait_for_load_state("load")
    visit.field("Find an occupation").fill("Krankenpfleger")
    nurse = page.get_by_label(re.compile(r"\(2221\)"))
    expect(nurse).to_be_visible()  # the script fetched the matches while typing
    page.get_by_role("button", name=t("Search"), exact=True).click()  # the page finds the same
    nurse.check()
    visit.field("Years").first.fill("6")
    page.get_by_role("button", name=t("Add work experience")).click()
    expect(page.get_by_text(t("Skills profile saved."))).to_be_visible()
    expect(page.locator("#work-list")).to_contain_text("2221")
    visit.check("skills-profile")

    # Out of work, looking for a job.
    page.get_by_role("link", name=t("Back to the file")).click()
    section = page.locator("#employment")
    section.get_by_text(t("Record a status")).click()
    _in(section, visit, "Status").select_option(label=t("Unemployed and seeking work"))
    _in(section, visit, "Since").fill((today - timedelta(days=60)).isoformat())
    section.get_by_role("button", name=t("Record status")).click()
    expect(page.get_by_text(t("Employment status recorded."))).to_be_visible()

    # All unemployed nurses at B1 or above in German, found in the caseload.
    page.get_by_role("link", name=t("Caseload")).click()
    visit.field("Caseworker").select_option(label=t("All caseworkers"))
    page.get_by_text(t("More filters and sorting")).click()
    visit.field("Language level in").select_option(label=Locale.parse(visit.locale).languages["de"])
    visit.field("Level from").select_option(label=visit.t.digits("B1"))
    visit.field("Employment and education").select_option(label=t("Unemployed and seeking work"))
    visit.field("Occupation (ISCO-08 major group)").select_option(value="2")
    page.get_by_role("button", name=t("Search"), exact=True).click()
    expect(page.get_by_role("link", name=re.compile(re.escape(family)))).to_be_visible()
    visit.check("caseload-unemployed-nurses-b1")

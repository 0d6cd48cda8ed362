"""A course provider's classroom morning and what the caseworker sees of it afterwards:
nobody sends a spreadsheet."""

import re

from playwright.sync_api import expect


def test_provider_takes_todays_attendance_and_records_a_result_for_the_caseworker(visit):
    page, t = visit.page, visit.t
    visit.sign_in("teacher@lindenau.example")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My courses"))
    visit.check("provider-home")

    # Today's session is one tap from the home page.
    page.locator(".today-sessions a").first.click()
    rows = page.locator("fieldset.attendance-row")
    expect(rows).to_have_count(25)
    visit.check("session-attendance")
    # Everyone present in one tap, then one person corrected to absent and saved again.
    page.get_by_role("button", name=t("All present")).click()
    expect(page.get_by_text(t("Attendance saved."))).to_be_visible()
    expect(rows.nth(0).get_by_label(t("Present"), exact=True)).to_be_checked()
    rows.nth(0).get_by_text(t("Absent"), exact=True).click()
    page.get_by_role("button", name=t("Save attendance")).click()
    expect(page.get_by_text(t("Attendance saved."))).to_be_visible()
    expect(rows.nth(0).get_by_label(t("Absent"), exact=True)).to_be_checked()
    expect(rows.nth(1).get_by_label(t("Present"), exact=True)).to_be_checked()

    # The exam result of the last participant of the class.
    page.get_by_role("link", name=t("All sessions")).click()
    participant = page.locator("#participants tbody tr").last
    name = participant.locator("td").first.inner_text().splitlines()[0].strip()
    participant.get_by_role("link", name=t("Result"), exact=True).click()
    visit.field("Result").select_option("yes")
    visit.field("Level reached").select_option("a2")
    visit.field("Certificate number").fill("DTZ-2026-0815")
    visit.field("Certificate issued by").fill("telc gGmbH")
    visit.check("course-result")
    page.get_by_role("button", name=t("Save result")).click()
    expect(page.get_by_text(t("Result saved."))).to_be_visible()
    expect(page.locator("#participants tbody tr").last).to_contain_text("DTZ-2026-0815")
    visit.check("course-offering-provider")
    visit.sign_out("Hannah Krüger")

    # The caseworker sees who is falling behind, with the dates missed, and the result.
    visit.sign_in("caseworker2@lindenau.example")
    visit.go_to("Course alerts")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Course alerts"))
    expect(page.get_by_role("link", name="Amina Haddad")).to_be_visible()
    expect(page.get_by_text(t("Missed:"))).not_to_have_count(0)
    visit.check("course-alerts")
    visit.go_to("Courses")
    page.locator("table a", has_text="A1").first.click()
    visit.check("course-offering-caseworker")
    page.get_by_role("link", name=name).click()
    section = page.locator("#courses")
    expect(section).to_contain_text(t("Completed"))
    expect(section).to_contain_text("A2")  # in the course's title
    expect(section).to_contain_text(re.compile(r"\d"))  # the attendance rate
    # The passed exam is the person's new CEFR level in every skill of the language.
    expect(page.locator("#level-grid")).to_contain_text(t.digits("A2"))
    visit.check("case-file-courses")

"""A caseworker writes an integration plan with a newcomer, agrees it, ticks off progress and
prints it to sign, German and Arabic side by side, each in its own direction."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from playwright.sync_api import expect

from tests.browser.conftest import Translator
from tests.browser.pages import LANGUAGE_NAMES

GERMAN, ARABIC = Translator("de"), Translator("ar")


def test_caseworker_agrees_a_plan_and_prints_it_in_german_and_arabic(visit):
    page, t = visit.page, visit.t
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")).date()  # Lindenau's day
    family = f"Haddad-{uuid.uuid4().hex[:6]}"
    visit.sign_in("caseworker@lindenau.example")
    visit.go_to("Register a newcomer")
    visit.field("Given names").fill("Rania")
    visit.field("Family name").fill(family)
    visit.field("Date of birth").fill("1992-08-09")
    visit.field("Sex").select_option(label=t("Female"))
    visit.field("Nationalities").select_option(label=Locale.parse(visit.locale).territories["SY"])
    visit.field("Residence category").select_option(label=t("Refugee (international protection)"))
    visit.field("Preferred language for letters and the portal").select_option(
        label=LANGUAGE_NAMES["ar"]
    )
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rania {family}")
    section = page.locator("#plan")
    expect(section).to_contain_text(t("No integration plan yet."))
    section.get_by_role("link", name=t("Start a plan")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Integration plan"))

    # A goal, typed in German as the office writes it; an empty one is refused first.
    page.get_by_role("button", name=t("Add the goal")).click()
    expect(visit.field("Goal")).to_have_attribute("aria-invalid", "true")
    visit.field("Goal").fill("Als Krankenpflegerin arbeiten")
    page.get_by_role("button", name=t("Add the goal")).click()
    expect(page.locator("#goals")).to_contain_text("Als Krankenpflegerin arbeiten")

    for text, who, due in (
        ("Anerkennung des Pflegeexamens beantragen", "The newcomer", today - timedelta(days=1)),
        ("Termin bei der Anerkennungsberatung machen", "The municipality", today + timedelta(30)),
    ):
        page.get_by_role("link", name=t("Add an action")).click()
        visit.field("Action to take").fill(text)
        visit.field("Who does it").select_option(label=t(who))
        visit.field("Due on").fill(due.isoformat())
        if who == "The newcomer":
            visit.check("plan-action-form")
        page.get_by_role("button", name=t("Save the action")).click()
        expect(page.locator("#goals")).to_contain_text(text)
    late = page.locator("#goals li", has_text="Anerkennung des Pflegeexamens beantragen")
    expect(late).to_contain_text(t("Overdue"))

    visit.field("Agreed on").fill(today.isoformat())
    page.get_by_role("button", name=t("Record the agreement")).click()
    versions = page.locator("#versions")
    expect(versions).to_contain_text(t("Version %(number)s", number=1))
    expect(page.get_by_role("button", name=t("Record the agreement"))).to_have_count(0)

    # Progress is ticked off without a new version to agree.
    late = page.locator("#goals li", has_text="Anerkennung des Pflegeexamens beantragen")
    late.get_by_label(t("Status")).select_option(label=t("In progress"))
    late.get_by_role("button", name=t("Save the status")).click()
    late = page.locator("#goals li", has_text="Anerkennung des Pflegeexamens beantragen")
    expect(late).to_contain_text(t("In progress"))
    expect(page.get_by_role("button", name=t("Record the agreement"))).to_have_count(0)
    visit.check("plan")

    # The agreed version, printed: German and Arabic side by side, both sides sign it.
    page.locator("#versions").get_by_role(
        "link", name=t("Print version %(number)s", number=1)
    ).click()
    german = page.locator('td[lang="de"][dir="ltr"]')
    arabic = page.locator('td[lang="ar"][dir="rtl"]')
    expect(german).to_have_count(4)  # the particulars, the goal and its two actions
    expect(arabic).to_have_count(4)
    expect(german.nth(2)).to_contain_text(GERMAN("The newcomer"))
    expect(arabic.nth(2)).to_contain_text(ARABIC("The newcomer"))
    expect(arabic.nth(2)).to_contain_text("Anerkennung des Pflegeexamens beantragen")  # as typed
    expect(arabic.nth(2)).to_contain_text(ARABIC("Planned"))  # as agreed, not as it is now
    signature = page.locator(
        'span[lang="ar"][dir="rtl"]', has_text=ARABIC("Signature of the newcomer")
    )
    expect(signature).to_be_visible()
    expect(page.locator("body")).to_contain_text(GERMAN("Signature of the newcomer"))
    visit.check("plan-print")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(arabic.first).to_be_visible()
    visit.screenshot("plan-print-as-printed")
    page.emulate_media(media="screen")

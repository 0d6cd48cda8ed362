"""A newcomer's first days in the portal, on a 360 px phone, in Ukrainian, Persian, Pashto and
Sorani Kurdish (right to left, each with its own digits), Tigrinya (Ge'ez script) and Somali:
the caseworker prints the letter, the newcomer types its code, reads where they stand, finds next
Tuesday's class and takes it into their calendar, and downloads their data. Every page passes the
harness's checks (lang and dir, one h1, axe, focus, weight, no JS), is no wider than the phone,
and in Pashto and Sorani is drawn with the vendored Arabic-script font.
"""

import json
import re
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from babel import Locale
from babel.dates import format_date
from playwright.sync_api import expect

from integrapath.i18n import LOCALE_FONTS, NATIVE_DIGITS
from tests.browser.conftest import _visit
from tests.browser.pages import LANGUAGE_NAMES

BERLIN = ZoneInfo("Europe/Berlin")  # Lindenau's time zone (the demo data)
PASSPHRASE = "tea with mint at nine"
# The demo's civic course is taught in German, Arabic, Persian and Ukrainian: the Pashto
# reader also speaks Dari (Persian), the Sorani reader Arabic.
ALSO_SPEAKS = {"ps": "fa", "ckb": "ar"}
CIVIC_COURSE_LANGUAGES = {"de", "ar", "fa", "uk"}  # the demo data's (integrapath/cli.py)


@pytest.fixture(params=["uk", "fa", "ps", "ckb", "ti", "so"])
def phone_visit(request, browser, base_url):
    """A newcomer's phone, 360 px wide, in each language of the portal journey."""
    visit = next(generator := _visit(request, browser, base_url, request.param, "phone"))
    check = visit.check

    def check_fits_and_draws(name: str) -> None:
        check(name)
        _check_fits_the_phone_and_has_its_font(visit)

    visit.check = check_fits_and_draws
    yield visit
    yield from generator


def _check_fits_the_phone_and_has_its_font(visit) -> None:
    """Nothing sticks out sideways at 360 px; Pashto and Sorani use the vendored font."""
    page = visit.page
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide on a {widths[1]} px phone"
    if visit.locale in LOCALE_FONTS:
        loaded = page.evaluate(
            """async () => { await document.fonts.ready;
                return [...document.fonts].filter(f => f.family.includes("Noto Sans Arabic")
                    && f.status === "loaded").map(f => f.weight); }"""
        )
        assert "400" in loaded, f"{page.url}: the Arabic-script font is not used ({loaded})"


def _register_and_enrol(visit, family: str) -> None:
    """The caseworker opens a file in the visit's language and gives it a course."""
    page, t = visit.page, visit.t
    visit.sign_in("caseworker@lindenau.example")
    visit.go_to("Caseload")
    page.get_by_role("link", name=t("Register a newcomer")).first.click()
    visit.field("Given names").fill("Olena")
    visit.field("Family name").fill(family)
    visit.field("Date of birth").fill("1992-04-03")
    visit.field("Sex").select_option(label=t("Female"))
    visit.field("Nationalities").select_option(label=Locale.parse(visit.locale).territories["UA"])
    visit.field("Residence category").select_option(label=t("Subsidiary protection"))
    if visit.locale in ALSO_SPEAKS:  # so that the demo's civic course fits them too
        visit.field("Other languages spoken").select_option(ALSO_SPEAKS[visit.locale])
    visit.field("Preferred language for letters and the portal").select_option(
        label=LANGUAGE_NAMES[visit.locale]
    )
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Olena {family}")
    # Civic orientation: Tuesday afternoons from two weeks on, with free places.
    if ALSO_SPEAKS.get(visit.locale, visit.locale) in CIVIC_COURSE_LANGUAGES:  # suggested
        fitting = page.locator("#courses li", has_text="Living here")
        fitting.get_by_role("button", name=t("Enrol"), exact=True).click()
    else:  # not taught in Tigrinya or Somali: chosen from every course of the municipality
        other = page.locator("#courses details")
        other.locator("summary").click()
        course = other.locator("option", has_text="Living here").get_attribute("value")
        other.locator("select").select_option(course)
        other.locator("[type=submit]").click()
    expect(page.locator("#courses .list-group")).to_contain_text("Living here")


def _agree_a_plan(visit) -> None:
    """On the file's plan pages, the caseworker writes a goal with an action for each side
    and records that both agreed it today; then goes back to the file."""
    page, t = visit.page, visit.t
    file_url = page.url
    today = datetime.now(BERLIN).date()
    page.locator("#plan").get_by_role("link", name=t("Start a plan")).click()
    visit.field("Goal").fill("Pracjuvaty medsestroju")
    page.get_by_role("button", name=t("Add the goal")).click()
    for text, who, days in (("Dokumenty z dyplomom", "The newcomer", 10),
                            ("Termin u konsultaciji", "The municipality", 20)):  # fmt: skip
        page.get_by_role("link", name=t("Add an action")).click()
        visit.field("Action to take").fill(text)
        visit.field("Who does it").select_option(label=t(who))
        visit.field("Due on").fill((today + timedelta(days=days)).isoformat())
        page.get_by_role("button", name=t("Save the action")).click()
        expect(page.locator("#goals")).to_contain_text(text)
    visit.field("Agreed on").fill(today.isoformat())
    page.get_by_role("button", name=t("Record the agreement")).click()
    expect(page.locator("#versions")).to_contain_text(
        local_digits_in(visit.locale, t("Version %(number)s", number=1))
    )
    page.goto(file_url)


def test_a_newcomer_gets_in_with_the_letter_and_finds_their_way_on_a_phone(
    phone_visit, demo_seeded_on, tmp_path
):
    visit = phone_visit
    page, t = visit.page, visit.t
    family = f"Koval-{uuid.uuid4().hex[:6]}"
    _register_and_enrol(visit, family)
    _agree_a_plan(visit)

    # The letter: in the newcomer's language, then German (Lindenau's), QR code and code.
    visit.field("The newcomer's e-mail address").fill(f"olena.{family.lower()}@example.org")
    page.get_by_role("button", name=t("Open portal access")).click()
    expect(page.locator(".letter-part").first).to_have_attribute("lang", visit.locale)
    expect(page.locator(".letter-part").nth(1)).to_have_attribute("lang", "de")
    expect(page.locator(".letter-qr svg")).to_be_visible()
    code = page.locator(".letter-code").inner_text().strip()
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", code)
    visit.check("portal-letter")
    visit.sign_out("Jonas Weber")

    # The newcomer types the code from the letter and chooses a passphrase.
    page.goto("/login")
    visit.choose_language()
    page.get_by_role("link", name=t("I have a letter with a code")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Type the code from your letter"))
    visit.check("portal-code")
    visit.field("Code from your letter").fill(code)
    page.get_by_role("button", name=t("Continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Activate your account"))
    visit.field("New password").fill(PASSPHRASE)
    visit.field("Repeat the new password").fill(PASSPHRASE)
    page.get_by_role("button", name=t("Activate my account")).click()

    # Where they stand: in their language, the stage said in words.
    expect(page).to_have_url(re.compile(r"/my/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Welcome, %(name)s", name=f"Olena {family}")
    )
    current = page.locator('.pathway-step[aria-current="step"]')
    expect(current).to_contain_text(t("Arrival and orientation"))
    expect(current).to_contain_text(t("You are here"))
    expect(page.locator("#now-title")).to_have_text(t("What I do now"))
    visit.check("portal-home")

    # Their plan: their own action first, then the office's; they confirm it.
    visit.go_to("My plan")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My plan"))
    mine, theirs = (
        page.locator("section", has=page.locator("#mine-title")),
        page.locator("section", has=page.locator("#theirs-title")),
    )
    expect(mine).to_contain_text("Dokumenty z dyplomom")
    expect(theirs).to_contain_text("Termin u konsultaciji")
    expect(theirs).to_contain_text(t("Who: %(who)s", who=t("Your integration office")))
    visit.check("portal-plan")
    page.get_by_role("button", name=t("I have read my plan and I agree")).click()
    today = datetime.now(BERLIN).date()
    confirmed = page.locator("#confirm")
    expect(confirmed).to_contain_text(
        local_digits_in(visit.locale, format_date(today, "long", locale=visit.locale))
    )
    expect(page.get_by_role("button", name=t("I have read my plan and I agree"))).to_have_count(0)
    visit.check("portal-plan-confirmed")

    # The Tuesday class, with its day, time and place, and the calendar file.
    visit.go_to("My courses")
    civic_start = demo_seeded_on + timedelta(days=14)  # the demo's civic orientation course
    tuesday = civic_start + timedelta(days=(1 - civic_start.weekday()) % 7)
    day = local_digits_in(visit.locale, format_date(tuesday, "full", locale=visit.locale))
    session = page.locator(".session").first
    expect(session).to_contain_text(day)
    expect(session).to_contain_text("Volkshochschule Lindenau")
    expect(page.locator("#current-title + article")).to_contain_text(t("Enrolled"))
    visit.check("portal-courses")
    with page.expect_download() as download:
        page.get_by_role("link", name=t("Add my classes to my calendar")).click()
    saved = tmp_path / "my-courses.ics"
    download.value.save_as(saved)
    events = icalendar.Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    starts = [event.decoded("dtstart") for event in events]
    assert starts[0] == datetime.combine(tuesday, time(14), BERLIN)  # 14:00 in Lindenau
    assert family not in saved.read_text(encoding="utf-8")  # the class, not the person

    # Their data: the document to read and the file to keep.
    visit.go_to("My data")
    visit.check("portal-data")
    with page.expect_download() as download:
        page.get_by_role("link", name=t("Download my data as a file (JSON)")).click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["person"][0]["family_name"] == family
    assert [e["status"] for e in data["enrolments"]] == ["enrolled"]
    page.get_by_role("link", name=t("Read or print my data")).click()
    expect(page.locator("#data-person")).to_be_visible()
    visit.check("portal-data-document")

    for name, label in (("portal-skills", "My skills"), ("portal-details", "My details")):
        visit.go_to(label)
        visit.check(name)
    visit.sign_out(f"Olena {family}")


def local_digits_in(locale: str, text: str) -> str:
    """A date as the page writes it, in the locale's digits (CLDR's, as the app does):
    Persian digits in Persian and Pashto, Arabic-Indic ones in Sorani Kurdish."""
    digits = NATIVE_DIGITS.get(Locale.parse(locale).default_numbering_system)
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


@pytest.mark.parametrize(("locale", "fetched"), [("ti", True), ("so", False), ("ar", False)])
def test_the_ethiopic_font_is_fetched_only_where_ethiopic_letters_are_drawn(
    browser, base_url, locale, fetched
):
    """Tigrinya pages get Noto Sans Ethiopic; other pages only once the language menu, with
    «ትግርኛ» in it, is opened — and then the name is drawn in it, not as empty boxes."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 360, "height": 740}, locale=locale
    )
    page = context.new_page()
    fonts = []
    page.on("request", lambda request: fonts.append(request.url) if ".woff2" in request.url else 0)
    page.goto("/login", wait_until="networkidle")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    assert bool(fonts) is fetched, fonts
    page.locator("details[data-menu] summary").first.click()
    tigrinya = page.get_by_role("button", name="ትግርኛ", exact=True)
    expect(tigrinya).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(fonts) == 1 and "noto-sans-ethiopic" in fonts[0]
    assert page.evaluate("document.fonts.check('16px \"IntegraPath Ethiopic\"', 'ትግርኛ')")
    context.close()

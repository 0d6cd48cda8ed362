"""A caseworker's day, then a newcomer's pathway: a milestone ticked, an early move refused
without a reason and made with one; a referral to a partner service, late on the day, then
answered."""

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from playwright.sync_api import expect


def test_caseworker_sees_the_day_ticks_a_milestone_and_moves_a_case_on(visit):
    page, t = visit.page, visit.t
    family = f"Nouri-{uuid.uuid4().hex[:6]}"
    visit.sign_in("caseworker@lindenau.example")
    visit.go_to("My day")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My day"))
    expect(
        page.get_by_role("heading", name=re.compile(re.escape(t("Ready to advance"))))
    ).to_be_visible()
    visit.check("my-day")

    visit.go_to("Caseload")
    page.get_by_role("link", name=t("Register a newcomer")).first.click()
    visit.field("Given names").fill("Samira")
    visit.field("Family name").fill(family)
    visit.field("Date of birth").fill("1991-03-04")
    visit.field("Sex").select_option(label=t("Female"))
    visit.field("Nationalities").select_option(label=Locale.parse(visit.locale).territories["AF"])
    visit.field("Residence category").select_option(label=t("Refugee (international protection)"))
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Samira {family}")

    pathway = page.locator("#pathway")
    expect(pathway.locator('[aria-current="step"]')).to_contain_text(t("Arrival and orientation"))
    welcomed = pathway.locator("li", has_text=t("Registered and welcomed"))
    welcomed.get_by_role("button", name=t("Mark as met")).click()
    expect(page.locator("#pathway li", has_text=t("Registered and welcomed"))).to_contain_text(
        t("Met")
    )

    # The needs assessment is still missing: moving on needs a reason.
    pathway = page.locator("#pathway")
    pathway.locator("summary", has_text=t("Move to another stage")).click()
    pathway.get_by_role("button", name=t("Move the case")).click()
    expect(
        page.get_by_text(
            t("Required milestones are still missing: say why the case moves on early.")
        )
    ).to_be_visible()
    visit.check("case-pathway-refused")
    page.locator("#stage-reason").fill("Arrived with a recognised degree and a job offer")
    page.locator("#pathway").get_by_role("button", name=t("Move the case")).click()
    expect(page.locator('#pathway [aria-current="step"]')).to_contain_text(t("Early integration"))
    expect(page.locator("#timeline")).to_contain_text(t("Moved to a later stage"))
    visit.check("case-pathway")


def test_caseworker_refers_a_case_records_the_answer_and_sees_a_late_one_on_the_day(
    phone_visit,
):
    """On a phone: a referral sent three weeks ago to the housing office, still without
    answer, shows on My day; its answer is recorded from the case file."""
    visit = phone_visit
    page, t = visit.page, visit.t
    family = f"Karimi-{uuid.uuid4().hex[:6]}"
    lindenau_today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    visit.sign_in("caseworker@lindenau.example")
    visit.register_newcomer("Maryam", family, "AF")

    referrals = page.locator("#referrals")
    referrals.locator("summary", has_text=t("Refer to a partner service")).click()
    referrals.get_by_role("button", name=t("Record the referral")).click()
    expect(page.locator("#referral-partner-error")).to_be_visible()  # nothing chosen yet
    referrals = page.locator("#referrals")
    referrals.locator("#referral-partner").select_option(label="Wohnungsamt Lindenau")
    referrals.locator("#referral-reason").fill("Family of four in one room; looking for a flat")
    sent_on = lindenau_today - timedelta(days=20)
    referrals.locator("#referral-sent_on").fill(sent_on.isoformat())
    referrals.get_by_role("button", name=t("Record the referral")).click()
    expect(page.get_by_text(t("The referral has been recorded."))).to_be_visible()
    referral = page.locator("#referrals article", has_text="Wohnungsamt Lindenau")
    expect(referral).to_contain_text(t("Sent, waiting for an answer"))
    late = t.plural("No answer, %(num)s day late", "No answer, %(num)s days late", 6)
    expect(referral).to_contain_text(late)
    visit.check("case-referrals")

    visit.go_to("My day")
    unanswered = page.locator("#unanswered")
    expect(unanswered).to_contain_text(family)
    visit.check("my-day-referrals")
    unanswered.get_by_role("link", name=re.compile(family)).click()
    expect(page).to_have_url(re.compile(r"#referrals$"))

    referral = page.locator("#referrals article", has_text="Wohnungsamt Lindenau")
    referral.locator("summary", has_text=t("Record an answer or a change")).click()
    referral.get_by_label(t("New status")).select_option(label=t("Accepted by the partner service"))
    referral.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The referral's new status has been recorded."))).to_be_visible()
    referral = page.locator("#referrals article", has_text="Wohnungsamt Lindenau")
    expect(referral).to_contain_text(t("Accepted by the partner service"))
    expect(page.locator("#timeline")).to_contain_text(t("Partner service answered a referral"))
    visit.check("case-referral-answered")
    visit.go_to("My day")
    expect(page.locator("#unanswered")).not_to_contain_text(family)

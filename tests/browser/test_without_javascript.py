"""The main journeys of each role on a 360 px phone whose browser runs no JavaScript.

Some phone browsers and data-saving proxies run no script, and a script can fail to load on
a poor connection: navigation, the language switch and every form must work all the same.
``Visit.check`` also checks each page for controls that need a script.
"""

import re
import uuid

from playwright.sync_api import expect

from tests.browser.pages import LANGUAGE_NAMES


def test_newcomer_reads_the_pathway(visit_without_javascript):
    visit = visit_without_javascript
    visit.sign_in("farid@lindenau.example")
    expect(visit.page.get_by_role("heading", level=1)).to_have_text(
        visit.t("Welcome, %(name)s", name="Farid Rahimi")
    )
    visit.go_to("My pathway")
    expect(visit.page.get_by_text(visit.t("You are here"))).to_be_visible()
    visit.check("my")
    visit.open_menu(LANGUAGE_NAMES[visit.locale])
    visit.screenshot("menu-language")
    visit.open_menu("Farid Rahimi")
    visit.screenshot("menu-account")
    visit.sign_out("Farid Rahimi")


def test_caseworker_registers_a_newcomer_and_keeps_a_note(visit_without_javascript):
    visit = visit_without_javascript
    page, t = visit.page, visit.t
    family = f"Haddad-{uuid.uuid4().hex[:6]}"
    visit.sign_in("caseworker2@lindenau.example")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My day"))
    visit.go_to("Caseload")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Caseload"))
    visit.check("caseload")

    visit.go_to("Register a newcomer")
    visit.field("Given names").fill("Rami")
    visit.field("Family name").fill(family)
    visit.field("Date of birth").fill("1988-01-30")
    visit.field("Sex").select_option(label=t("Male"))
    visit.field("Residence category").select_option(label=t("Refugee (international protection)"))
    visit.field("Permit issued on").fill("2025-02-01")
    visit.field("Permit expires on").fill("2024-02-01")  # before the issue date
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_text(t("The expiry date must be after the issue date."))).to_be_visible()
    expect(visit.field("Family name")).to_have_value(family)
    visit.check("case-register-error")
    visit.field("Permit expires on").fill("2028-02-01")
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rami {family}")
    visit.check("case-file")
    visit.field("Note").fill("Prefers appointments in the morning.")
    page.get_by_role("button", name=t("Add note")).click()
    expect(page.get_by_text("Prefers appointments in the morning.")).to_be_visible()

    visit.go_to("Caseload")
    visit.field("Name, reference or permit number").fill(family)
    page.get_by_role("button", name=t("Search")).click()
    expect(page.get_by_role("link", name=re.compile(re.escape(family)))).to_be_visible()
    for heading in ("Transfers", "Import"):
        visit.go_to(heading)
        visit.check(f"nav-{heading.lower()}")
    visit.sign_out("Leyla Demir")


def test_admin_creates_an_account(visit_without_javascript):
    visit = visit_without_javascript
    page, t = visit.page, visit.t
    visit.sign_in("admin@beaumont.example")
    page.get_by_role("link", name=t("New account")).click()
    visit.field("Full name").fill("Nadia Benali")
    visit.field("E-mail address").fill(f"nadia.{uuid.uuid4().hex[:8]}@beaumont.example")
    visit.field("Role").select_option(label=t("Caseworker"))
    visit.field("Organisation").select_option(label="Bureau d'intégration de Beaumont")
    page.get_by_role("button", name=t("Create account")).click()
    expect(page.locator("#activation-link")).to_contain_text("/activate/")
    for heading in ("Audit log", "Organisations"):
        visit.go_to(heading)
        expect(page.get_by_role("heading", level=1)).to_have_text(t(heading))
        visit.check(f"admin-{heading.lower().replace(' ', '-')}")
    visit.sign_out("Claire Martin")


def test_provider_sees_the_courses_and_changes_the_password(visit_without_javascript):
    visit = visit_without_javascript
    page, t = visit.page, visit.t
    visit.sign_in("teacher@beaumont.example")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My courses"))
    visit.check("courses-provider")
    visit.open_menu("Lucas Bernard")
    page.get_by_role("link", name=t("Change password")).click()
    visit.field("Current password").fill("not-my-password")
    visit.field("New password").fill("a-new-secret-2026")
    visit.field("Repeat the new password").fill("a-new-secret-2026")
    page.get_by_role("button", name=t("Change password")).click()
    expect(page.get_by_text(t("The current password is not correct."))).to_be_visible()
    visit.check("change-password-error")
    visit.sign_out("Lucas Bernard")


def test_a_form_sent_without_a_connection_keeps_what_was_typed(visit):
    """With scripts on, the form says that nothing was sent instead of losing the input."""
    page, t = visit.page, visit.t
    visit.page.goto("/login")
    visit.choose_language()
    visit.field("E-mail address").fill("oksana@lindenau.example")
    page.context.set_offline(True)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        t(
            "You are offline, so nothing was sent. What you typed is still here: "
            "send it again once you are connected."
        )
    )
    expect(visit.field("E-mail address")).to_have_value("oksana@lindenau.example")
    page.context.set_offline(False)
    visit.field("Password").fill("demo-password-2026")
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/my/$"))

"""A caseworker's day: register a newcomer, find them again, keep notes, link family."""

import re
import uuid

from babel import Locale
from playwright.sync_api import expect

from tests.browser.pages import LANGUAGE_NAMES


def test_caseworker_registers_finds_and_annotates_a_newcomer(visit):
    page, t = visit.page, visit.t
    countries = Locale.parse(visit.locale).territories
    family = f"Müller-{uuid.uuid4().hex[:6]}"
    visit.sign_in("caseworker@lindenau.example")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My day"))
    visit.go_to("Caseload")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Caseload"))
    visit.check("caseload")

    page.get_by_role("link", name=t("Register a newcomer")).first.click()
    visit.check("case-register")
    visit.field("Given names").fill("Zoë")
    visit.field("Family name").fill(family)
    visit.field("Date of birth").fill("1990-05-17")
    visit.field("Sex").select_option(label=t("Female"))
    visit.field("Nationalities").select_option(label=countries["SY"])
    visit.field("Residence category").select_option(label=t("Refugee (international protection)"))
    visit.field("Preferred language for letters and the portal").select_option(
        label=LANGUAGE_NAMES[visit.locale]
    )
    visit.field("Permit issued on").fill("2025-02-01")
    visit.field("Permit expires on").fill("2024-02-01")  # a typing mistake: before the issue date
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_text(t("The expiry date must be after the issue date."))).to_be_visible()
    expect(visit.field("Family name")).to_have_value(family)  # nothing typed is lost
    visit.check("case-register-error")
    visit.field("Permit expires on").fill("2028-02-01")
    page.get_by_role("button", name=t("Save case file")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zoë {family}")
    visit.check("case-file")

    page.get_by_role("link", name=t("Caseload")).click()
    search = visit.field("Name, reference or permit number")
    search.fill(family.replace("ü", "u").lower())  # typed without the accent
    page.get_by_role("button", name=t("Search")).click()
    page.get_by_role("link", name=re.compile(re.escape(family))).click()

    visit.field("Note").fill("Looking for a flat near the school.")
    page.get_by_role("button", name=t("Add note")).click()
    expect(page.get_by_text("Looking for a flat near the school.")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text(t("Note added"))

    # The newcomer gets their own access and reads their pathway in their language.
    visit.field("The newcomer's e-mail address").fill(f"zoe.{family.lower()}@example.org")
    page.get_by_role("button", name=t("Open portal access")).click()
    link = page.locator("#activation-link").inner_text().strip()
    visit.sign_out("Jonas Weber")
    page.goto(link)
    visit.field("New password").fill("zoe-secret-2026")
    visit.field("Repeat the new password").fill("zoe-secret-2026")
    page.get_by_role("button", name=t("Activate my account")).click()
    expect(page.get_by_text(t("You are here"))).to_be_visible()
    visit.check("portal-new-newcomer")


def test_caseworker_imports_newcomers_from_a_spreadsheet(visit, tmp_path):
    page, t = visit.page, visit.t
    tag = uuid.uuid4().hex[:6]
    sheet = tmp_path / "newcomers.csv"
    sheet.write_text(
        "given_names;family_name;date_of_birth;sex;nationalities;residence_category\n"
        f"Samir;Khalil-{tag};1980-03-03;male;SY;refugee\n"
        f"Olena;Bondarenko-{tag};1992-10-10;female;UA;subsidiary_protection\n",
        encoding="utf-8",
    )
    visit.sign_in("caseworker2@lindenau.example")
    page.get_by_role("link", name=t("Import"), exact=True).click()
    visit.check("case-import")
    visit.field("Spreadsheet file").set_input_files(sheet)
    page.get_by_role("button", name=t("Check file")).click()
    import_button = page.get_by_role("button", name=t("Import the file"))
    expect(import_button).to_be_visible()
    visit.check("case-import-preview")
    import_button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Caseload"))
    expect(page.get_by_role("link", name=re.compile(f"Khalil-{tag}"))).to_be_visible()

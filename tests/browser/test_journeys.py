"""Journeys through the app as caseworkers, providers, newcomers and admins take them."""

import re
import uuid

import pytest
from babel import Locale
from playwright.sync_api import expect

from tests.browser.pages import LANGUAGE_NAMES

DEMO_PEOPLE = [
    ("admin@lindenau.example", "Petra Albers", "/admin/users", "Accounts"),
    ("caseworker@lindenau.example", "Jonas Weber", "/today", "My day"),
    ("teacher@lindenau.example", "Hannah Krüger", "/courses/provider", "My courses"),
    ("amina@lindenau.example", "Amina Haddad", "/my/", None),
]


def test_login_page_in_the_chosen_language(visit):
    visit.page.goto("/login")
    visit.choose_language()
    expect(visit.page.get_by_role("heading", level=1)).to_have_text(
        visit.t("Sign in to IntegraPath")
    )
    visit.check("login")


@pytest.mark.parametrize(("email", "name", "home", "heading"), DEMO_PEOPLE)
def test_each_role_signs_in_and_lands_on_its_home_page(visit, email, name, home, heading):
    visit.sign_in(email)
    expect(visit.page).to_have_url(re.compile(re.escape(home) + "$"))
    expected = visit.t(heading) if heading else visit.t("Welcome, %(name)s", name=name)
    expect(visit.page.get_by_role("heading", level=1)).to_have_text(expected)
    visit.check(home.strip("/").replace("/", "-") or "home")
    visit.sign_out(name)


def test_wrong_password_shows_the_error_in_the_chosen_language(visit):
    # An address nobody has: the same answer as for a wrong password (no account is revealed),
    # and each run its own, so that the runs together do not pause the address.
    email = f"nobody.{visit.locale}.{visit.viewport}@lindenau.example"
    visit.sign_in(email, "not-the-password")
    expect(visit.page.get_by_role("alert")).to_contain_text(
        visit.t("The e-mail address or password is not correct.")
    )
    expect(visit.field("E-mail address")).to_have_value(email)
    visit.check("login-error")


def test_admin_creates_a_caseworker_who_activates_the_account(visit):
    page, t = visit.page, visit.t
    email = f"new.{uuid.uuid4().hex[:8]}@lindenau.example"
    visit.sign_in("admin@lindenau.example")
    page.get_by_role("link", name=t("New account")).click()
    visit.check("admin-new-account")
    visit.field("Full name").fill("Mariam Sultani")
    visit.field("E-mail address").fill(email)
    visit.field("Role").select_option(label=t("Caseworker"))
    visit.field("Organisation").select_option(label="Integrationsbüro Lindenau")
    visit.field("Preferred language").select_option(label=LANGUAGE_NAMES[visit.locale])
    page.get_by_role("button", name=t("Create account")).click()
    link = page.locator("#activation-link").inner_text().strip()
    assert "/activate/" in link
    visit.check("admin-activation-link")
    page.get_by_role("link", name=t("Audit log")).click()
    expect(page.get_by_role("cell", name=t("Account created")).first).to_be_visible()
    visit.check("admin-audit-log")
    page.get_by_role("link", name=t("Organisations")).click()
    visit.check("admin-organisations")
    visit.sign_out("Petra Albers")

    page.goto(link)
    visit.check("activate")
    visit.field("New password").fill("mariam-secret-2026")
    visit.field("Repeat the new password").fill("mariam-secret-2026")
    page.get_by_role("button", name=t("Activate my account")).click()
    expect(page).to_have_url(re.compile(r"/today$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My day"))


def test_afghan_newcomer_reads_the_portal_in_dari_on_a_phone(dari_phone_visit):
    visit = dari_phone_visit
    page, t = visit.page, visit.t
    page.goto("/login")
    visit.choose_language()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Sign in to IntegraPath"))
    expect(page.get_by_text("لینک فعال‌سازی")).to_be_visible()  # Dari, not Persian «پیوند»
    visit.check("login")

    visit.sign_in("farid@lindenau.example")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Welcome, %(name)s", name="Farid Rahimi")
    )
    expect(page.get_by_text(t("You are here"))).to_be_visible()
    expect(page.locator(".pathway-step").first).to_contain_text("پیش از سفر")
    # The permit's expiry: a Dari month name and Persian digits only.
    expiry = page.get_by_text(t("Your residence permit is valid until")).locator("+ dd")
    months = Locale.parse("fa_AF").months["format"]["wide"].values()
    expect(expiry).to_have_text(re.compile(f"^[۰-۹]+ ({'|'.join(months)}) [۰-۹]{{4}}$"))
    expect(page.locator(".pathway-number").first).to_have_text("۱")
    visit.check("portal")
    visit.sign_out("Farid Rahimi")

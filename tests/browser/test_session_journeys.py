"""An administrator ends a caseworker's session (a lost phone): the caseworker is signed out."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORTS
from tests.browser.pages import Visit

CASEWORKER = ("caseworker2@beaumont.example", "Sofia García")
ADMIN = ("admin@beaumont.example", "Claire Martin")


def test_admin_ends_a_caseworkers_session_and_the_next_click_signs_out(visit, browser, base_url):
    page, t = visit.page, visit.t
    # The caseworker, on a device of their own.
    device = browser.new_context(base_url=base_url, viewport=VIEWPORTS[visit.viewport])
    try:
        caseworker = Visit(device.new_page(), visit.locale, visit.viewport)
        caseworker.sign_in(CASEWORKER[0])
        expect(caseworker.page).to_have_url(re.compile(r"/today$"))

        visit.sign_in(ADMIN[0])
        page.get_by_role("link", name=CASEWORKER[1], exact=True).click()
        sessions = page.locator("#sessions")
        expect(sessions.get_by_role("heading", name=t("Signed-in sessions"))).to_be_visible()
        expect(sessions.get_by_role("button", name=t("End this session")).first).to_be_visible()
        visit.check("admin-user-sessions")
        end_all = sessions.get_by_role("button", name=t("End all sessions"))
        if end_all.count():  # sessions left open by an earlier run of this journey
            end_all.click()
        else:
            sessions.get_by_role("button", name=t("End this session")).click()
        expect(page.get_by_role("status").filter(has_text=CASEWORKER[1])).to_be_visible()
        expect(page.locator("#sessions")).to_contain_text(
            t("Nobody is signed in with this account.")
        )
        visit.check("admin-user-sessions-ended")

        # The caseworker's next click lands on the sign-in page.
        caseworker.go_to("Caseload")
        expect(caseworker.page).to_have_url(re.compile(r"/login\?next="))
        expect(caseworker.page.get_by_role("status")).to_contain_text(
            t("Please sign in to see this page.")
        )
        visit.sign_out(ADMIN[1])
    finally:
        device.close()

"""What a person does in the browser, and the checks every visited page must pass."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from integrapath.i18n import locale_choices
from tests.browser.conftest import DEMO_PASSWORD, SCREENSHOTS, Translator

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
RTL = {"ar", "fa"}
LANGUAGE_NAMES = dict(locale_choices())
_axe = Axe()


class Visit:
    """One person at one screen size in one language."""

    def __init__(self, page: Page, locale: str, viewport: str):
        self.page = page
        self.locale = locale
        self.viewport = viewport
        self.t = Translator(locale)

    # -- actions -------------------------------------------------------------------------
    def field(self, label: str):
        """Find a form field by its visible label (required fields' labels end with *)."""
        return self.page.get_by_label(re.compile("^" + re.escape(self.t(label)) + r"\s*\*?$"))

    def open_menu(self, name: str | re.Pattern) -> None:
        """Open one of the header's <details> menus by the text of its summary."""
        menu = self.page.locator("details[data-menu]").filter(
            has=self.page.locator("summary", has_text=name)
        )
        menu.locator("summary").click()
        expect(menu).to_have_attribute("open", "")

    def choose_language(self) -> None:
        """Open the switcher (it shows the current language) and pick ours in its own script."""
        current = "|".join(re.escape(name) for name in LANGUAGE_NAMES.values())
        self.open_menu(re.compile(f"({current})\\s*$"))
        # Wait for the page the switcher sends us back to: the language may already be the
        # one we want, so the html lang attribute alone cannot tell that the switch is done.
        with self.page.expect_navigation(wait_until="load"):
            self.page.get_by_role("button", name=LANGUAGE_NAMES[self.locale], exact=True).click()
        expect(self.page.locator("html")).to_have_attribute("lang", self.locale)

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        self.page.goto("/login")
        self.choose_language()
        self.field("E-mail address").fill(email)
        self.field("Password").fill(password)
        self.page.get_by_role("button", name=self.t("Sign in"), exact=True).click()

    def sign_out(self, full_name: str) -> None:
        self.open_menu(full_name)
        self.page.get_by_role("button", name=self.t("Sign out")).click()
        expect(self.page).to_have_url(re.compile(r"/login$"))

    # -- checks --------------------------------------------------------------------------
    def check(self, name: str) -> None:
        """Check the current page like an accessibility reviewer, then photograph it."""
        page = self.page
        html = page.locator("html")
        expect(html).to_have_attribute("lang", self.locale)
        expect(html).to_have_attribute("dir", "rtl" if self.locale in RTL else "ltr")
        expect(page.locator("h1")).to_have_count(1)
        results = _axe.run(page, options=WCAG_21_AA)
        assert results.violations_count == 0, results.generate_report()
        self._check_focus_is_visible()
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / f"{name}-{self.locale}-{self.viewport}.png"), full_page=True
        )

    def _check_focus_is_visible(self) -> None:
        self.page.locator("body").focus()
        self.page.keyboard.press("Tab")
        style = self.page.evaluate(
            """() => {
                const el = document.activeElement;
                const s = getComputedStyle(el);
                const r = el.getBoundingClientRect();
                return {tag: el.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                        shadow: s.boxShadow, visible: r.width > 0 && r.height > 0};
            }"""
        )
        assert style["tag"] != "BODY", "Tab does not move focus into the page"
        assert style["visible"], f"the focused {style['tag']} is not visible"
        has_outline = style["outline"] != "none" and style["width"] > 0
        assert has_outline or style["shadow"] != "none", f"no focus indicator on {style['tag']}"

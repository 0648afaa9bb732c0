"""The main states of the portal as a person sees them, in English and French,
in the light and the dark colour scheme, saved as pictures.

`make screenshots` saves them into docs/screenshots/ (the README shows some),
in every language. The suite walks in French only (every other browser test
walks in English), into a temporary folder, and still proves what the
pictures show: each state is reached in the browser's language, and the dark
scheme really is dark. Selectors go by addresses and field names, not by
text, so one walk serves every language.
"""
import os
from pathlib import Path

import pytest

from browser_support import wait_for_code
from conftest import STRONG_PASSWORD
from test_accessibility import app, library, live_server  # noqa: F401  (fixtures)
from test_browser import ADA, browse, click, expect

pytestmark = pytest.mark.browser

SAVE_INTO = os.environ.get("PORTAL_SCREENSHOTS")
LANGUAGES = {"en": "en-GB", "fr": "fr-FR"} if SAVE_INTO else {"fr": "fr-FR"}
# Headings that prove the walk reached each dialog step in the language asked for.
CODE_STEP_HEADING = {"en": "Check your inbox and enter verification code",
                     "fr": "Vérifiez votre boîte de réception et saisissez le code de vérification"}


@pytest.fixture
def folder(tmp_path):
    """docs/screenshots/ under `make screenshots` (PORTAL_SCREENSHOTS names it); else a scratch folder."""
    folder = Path(SAVE_INTO) if SAVE_INTO else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Camera:
    """Pictures of one page in both colour schemes, named by language and state."""

    def __init__(self, page, folder: Path, language: str):
        self.page, self.folder, self.language = page, folder, language
        self.saved = []

    def shoot(self, state: str) -> None:
        self.page.wait_for_load_state()
        assert self.page.evaluate("document.documentElement.lang") == self.language, state
        for scheme in ("light", "dark"):
            self.page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            background = self.page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert is_dark(background) == (scheme == "dark"), f"{state} in {scheme}: body is {background}"
            path = self.folder / f"{state}-{self.language}-{scheme}.png"
            self.page.screenshot(path=path, caret="initial")  # hiding the caret would inject a style the CSP blocks
            self.saved.append(path)
        self.page.emulate_media(color_scheme="light")


def is_dark(css_colour: str) -> bool:
    red, green, blue = (int(part) for part in css_colour.strip("rgba()").split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 128


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_states_are_pictured_in_each_language_and_colour_scheme(browser, live_server, app, library,
                                                                         inbox, folder, language):
    with browse(browser, live_server, locale=LANGUAGES[language], viewport={"width": 1000, "height": 700}) as (page, _):
        camera = Camera(page, folder, language)
        dialog, banner = page.locator("#dialog"), page.get_by_role("banner")

        page.goto("/")
        camera.shoot("catalogue")
        page.locator(f"a[href='/videos/{library[0]}']").first.click()
        expect(page.locator("video")).to_be_visible()
        camera.shoot("video")

        click(banner.locator("a[href^='/register']"))
        expect(dialog.locator("[name=full_name]")).to_be_focused()
        camera.shoot("register")
        dialog.locator("[name=full_name]").fill("Ada Lovelace")
        dialog.locator("[name=email]").fill(ADA)
        for name in ("password", "confirm"):
            dialog.locator(f"[name={name}]").fill(STRONG_PASSWORD)
        dialog.locator("button[type=submit]").click()
        expect(dialog.get_by_role("heading", name=CODE_STEP_HEADING[language])).to_be_visible()
        camera.shoot("code")
        dialog.locator("[name=code]").fill(wait_for_code(inbox, ADA))
        dialog.locator("[name=code]").press("Enter")
        expect(dialog.locator("form[action='/newsletter/subscribe'] button")).to_be_visible()
        camera.shoot("welcome")
        dialog.locator("[data-close-dialog]").last.click()

        page.goto("/account/")
        camera.shoot("my-account")
        banner.locator("form[action='/logout'] button").click()
        click(banner.locator("a[href^='/login']"))
        expect(dialog.locator("[name=password]")).to_be_visible()
        camera.shoot("log-in")
        click(dialog.locator("a[href^='/reset']"))
        expect(dialog.locator("[name=password]")).to_have_count(0)
        camera.shoot("reset")

        admin_desk(app, page, language)
        camera.shoot("admin-desk")

    assert len(camera.saved) == 2 * 9 and all(path.stat().st_size > 10_000 for path in camera.saved)


def admin_desk(app, page, language):
    """An admin's first log-in, second factor set up, on ordinary pages."""
    import pyotp

    boss = f"boss-{language}@example.org"
    result = app.test_cli_runner().invoke(args=["users", "create-admin", boss, "--password-stdin"],
                                          input=STRONG_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    page.goto("/login?next=/admin")
    main = page.get_by_role("main")
    main.locator("[name=email]").fill(boss)
    main.locator("[name=password]").fill(STRONG_PASSWORD)
    main.locator("button[type=submit]").click()
    key = main.locator(".secret-key code").inner_text().replace(" ", "")
    main.locator("[name=code]").fill(pyotp.TOTP(key).now())
    main.locator("button[type=submit]").click()
    expect(main.locator(".recovery-codes, ol, ul").first).to_be_visible()
    page.goto("/admin")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

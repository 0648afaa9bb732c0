"""The admin's second factor in a real browser, with and without JavaScript.

The TOTP code is computed in the test with pyotp from the key the set-up step
shows as text; the QR code must load under the strict CSP (an SVG data: URI).
"""
import re

import pyotp
import pytest
from conftest import BOSS
from test_browser import (  # noqa: F401  (fixtures)
    app,
    click,
    expect,
    expect_logged_in,
    fill_log_in,
    header,
    live_server,
    open_from_header,
    page,
    page_and_watch,
    page_without_js,
    path_of,
    step,
    still_the_same_page,
    visit,
)

pytestmark = pytest.mark.browser

SET_UP = "Set up your second factor"


def key_shown(container) -> str:
    return container.locator(".secret-key code").inner_text().replace(" ", "")


def expect_qr_code_loaded(container):
    image = container.get_by_role("img", name=re.compile("QR code"))
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")


def recovery_codes_on(container) -> list[str]:
    return re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", container.inner_text())


def test_an_admin_sets_up_the_second_factor_in_the_dialog_and_reaches_the_desk(page, admin):
    visit(page, "/")
    dialog = open_from_header(page, "Log in", "Log in")
    fill_log_in(dialog, email=BOSS)
    click(dialog.get_by_role("button", name="Log in"))

    dialog = step(page, SET_UP)
    expect_qr_code_loaded(dialog)
    code_field = dialog.get_by_label("Code from your app", exact=True)
    expect(code_field).to_be_focused()
    code_field.fill(pyotp.TOTP(key_shown(dialog)).now())
    click(dialog.get_by_role("button", name="Confirm and log in"))

    dialog = step(page, "Your recovery codes")
    assert len(set(recovery_codes_on(dialog))) == 10
    expect_logged_in(page)
    assert still_the_same_page(page)

    dialog.get_by_role("link", name="I have saved my recovery codes").click()
    page.goto("/admin")
    expect(page.get_by_role("heading", name="Admin desk", level=1)).to_be_visible()


def test_without_javascript_an_admin_sets_up_the_second_factor_then_logs_in_with_a_recovery_code(
        page_without_js, admin):
    page = page_without_js
    page.goto("/login?next=/admin")
    fill_log_in(page.get_by_role("main"), email=BOSS)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name=SET_UP)).to_be_visible()
    assert path_of(page.url) == "/login/second-factor/set-up"
    main = page.get_by_role("main")
    expect_qr_code_loaded(main)
    main.get_by_label("Code from your app", exact=True).fill(pyotp.TOTP(key_shown(main)).now())
    main.get_by_role("button", name="Confirm and log in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = recovery_codes_on(page.get_by_role("main"))
    assert len(set(codes)) == 10
    page.get_by_role("link", name="I have saved my recovery codes").click()
    expect(page.get_by_role("heading", name="Admin desk", level=1)).to_be_visible()

    header(page).get_by_role("button", name="Log out").click()
    page.goto("/login")
    fill_log_in(page.get_by_role("main"), email=BOSS)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter the code from your app")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin")
    expect(page.get_by_role("heading", name="Admin desk", level=1)).to_be_visible()

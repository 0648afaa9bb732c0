"""The admin's second factor in a real browser, with and without JavaScript.

The TOTP code is computed in the test with pyotp from the key the set-up step
shows as text; the QR code must load under the strict CSP (an SVG data: URI).
"""
import re
from pathlib import Path

import pyotp
import pytest

from conftest import BOSS
from test_browser import (  # noqa: F401  (fixtures)
    ADA,
    ada,
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


# --- At the desk: the way in, new recovery codes, disabling with a confirmation ---------------


def admin_with_second_factor(app) -> str:
    """Set up the admin's app as the first log-in does; the key the app holds."""
    from sqlalchemy import select

    from portal.auth import second_factor
    from portal.clock import now
    from portal.extensions import db
    from portal.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == BOSS))
        key = second_factor.key_for_set_up(user)
        second_factor.factor_of(user).confirmed_at = now()
        second_factor.new_recovery_codes(user)
        db.session.commit()
    return key


def code_of_the_app(app, key) -> str:
    return pyotp.TOTP(key).at(app.extensions["clock"]())


def log_in_on_pages(page, app, key, next_page="/admin"):
    """Password, then the app's code, on ordinary pages (with or without JavaScript)."""
    page.goto(f"/login?next={next_page}")
    main = page.get_by_role("main")
    fill_log_in(main, email=BOSS)
    main.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter the code from your app")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(code_of_the_app(app, key))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Admin desk", level=1)).to_be_visible()


def expect_codes_in_the_text_file(page, codes):
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a text file").click()
    assert download.value.suggested_filename == "recovery-codes.txt"
    assert recovery_codes_on_text(Path(download.value.path()).read_text()) == codes


def recovery_codes_on_text(text: str) -> list[str]:
    return re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", text)


def test_an_admin_logging_in_from_a_dialog_finds_the_desk_in_the_header(page, app, admin):
    key = admin_with_second_factor(app)
    visit(page, "/")
    dialog = open_from_header(page, "Log in", "Log in")
    fill_log_in(dialog, email=BOSS)
    click(dialog.get_by_role("button", name="Log in"))
    dialog = step(page, "Enter the code from your app")
    dialog.get_by_label("Code", exact=True).fill(code_of_the_app(app, key))
    click(dialog.get_by_role("button", name="Log in"))
    expect(header(page).get_by_role("link", name="Admin desk")).to_be_visible()
    assert still_the_same_page(page)
    header(page).get_by_role("link", name="Admin desk").click()
    expect(page.get_by_role("heading", name="Admin desk", level=1)).to_be_visible()


def test_an_admin_makes_new_recovery_codes_in_a_dialog_copies_them_and_saves_them_as_a_file(
        page, app, admin, live_server):
    from browser_support import CONTEXTS, let_time_pass

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    CONTEXTS.spent.add(page.context)  # the permissions end with this test's context
    key = admin_with_second_factor(app)
    log_in_on_pages(page, app, key)
    page.evaluate("window.__marker = 1")
    click(page.get_by_role("link", name="Make new recovery codes"))
    dialog = step(page, "Make new recovery codes")
    let_time_pass(app, 30)  # the log-in spent the app's current code
    dialog.get_by_label("Code from your app", exact=True).fill(code_of_the_app(app, key))
    click(dialog.get_by_role("button", name="Make new recovery codes"))

    dialog = step(page, "Your new recovery codes")
    assert still_the_same_page(page)
    codes = recovery_codes_on(dialog)
    assert len(set(codes)) == 10
    dialog.get_by_role("button", name="Copy the codes").click()
    expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").split("\n") == codes
    expect_codes_in_the_text_file(page, codes)


def test_without_javascript_an_admin_makes_new_recovery_codes_and_saves_them_as_a_file(page_without_js, app, admin):
    from browser_support import let_time_pass

    page = page_without_js
    key = admin_with_second_factor(app)
    page.goto("/")
    page.get_by_role("link", name="Log in", exact=True).click()
    log_in_on_pages(page, app, key)
    page.goto("/")
    header(page).get_by_role("link", name="Admin desk").click()
    page.get_by_role("link", name="Make new recovery codes").click()
    let_time_pass(app, 30)
    page.get_by_label("Code from your app", exact=True).fill(code_of_the_app(app, key))
    page.get_by_role("button", name="Make new recovery codes").click()

    expect(page.get_by_role("heading", name="Your new recovery codes")).to_be_visible()
    codes = recovery_codes_on(page.get_by_role("main"))
    assert len(set(codes)) == 10
    expect(page.get_by_role("button", name="Copy the codes")).to_be_hidden()
    expect_codes_in_the_text_file(page, codes)


def test_three_recovery_codes_left_are_warned_about_on_the_desk(page_without_js, app, admin):
    from sqlalchemy import select, update

    from portal.auth.models import RecoveryCode
    from portal.clock import now
    from portal.extensions import db

    page = page_without_js
    key = admin_with_second_factor(app)
    with app.app_context():
        seven = select(RecoveryCode.id).limit(7).scalar_subquery()
        db.session.execute(update(RecoveryCode).where(RecoveryCode.id.in_(seven)).values(used_at=now()))
        db.session.commit()
    log_in_on_pages(page, app, key)
    expect(page.get_by_role("status").filter(has_text="Only 3 recovery codes are left.")).to_be_visible()


def lookup_ada(page):
    page.get_by_label("Look up an account by address").fill(ADA)
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", name="Account lookup")).to_be_visible()


def test_disable_asks_in_a_dialog_and_cancel_changes_nothing(page, app, admin, ada):
    key = admin_with_second_factor(app)
    log_in_on_pages(page, app, key)
    lookup_ada(page)
    click(page.get_by_role("link", name="Disable", exact=True))
    dialog = step(page, f"Disable {ADA}?")
    click(dialog.get_by_role("link", name="Cancel"))
    expect(dialog).to_be_hidden()
    click(page.get_by_role("link", name="Disable", exact=True))
    dialog = step(page, f"Disable {ADA}?")
    dialog.get_by_role("button", name="Disable the account").click()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_without_javascript_disable_asks_on_a_page_of_its_own(page_without_js, app, admin, ada):
    page = page_without_js
    key = admin_with_second_factor(app)
    log_in_on_pages(page, app, key)
    lookup_ada(page)
    page.get_by_role("link", name="Disable", exact=True).click()
    expect(page.get_by_role("heading", name=f"Disable {ADA}?")).to_be_visible()
    page.get_by_role("button", name="Disable the account").click()
    expect(page.get_by_role("heading", name="Account lookup")).to_be_visible()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()

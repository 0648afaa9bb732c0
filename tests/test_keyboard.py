"""Every account flow and a download with the keyboard alone: Tab, Shift+Tab,
Enter, Space and Escape, and typing into the field that has focus.

No test here clicks or calls `.focus()`: focus moves only as the keys and the
portal move it. At every stop of a Tab the focused control must show a
visible focus indicator.
"""
import os

import pytest

from browser_support import htmx_ready, wait_for_code
from conftest import OTHER_PASSWORD, STRONG_PASSWORD
from test_browser import (  # noqa: F401  (fixtures)
    ADA,
    CHECK_YOUR_INBOX,
    WELCOME,
    ada,
    app,
    at,
    expect,
    expect_logged_in,
    header,
    live_server,
    page,
    page_and_watch,
    path_of,
    step,
    still_the_same_page,
    visit,
)

pytestmark = pytest.mark.browser

# More Tab stops than any page of the portal has before the control a test looks for.
MAX_TAB_STOPS = 40

FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const text = (element.getAttribute("aria-label") || element.innerText || element.name || element.id || "").trim();
  return {
    description: `${element.localName} "${text.slice(0, 40)}"`,
    visible: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
  };
}"""


def tab_to(target, backwards=False):
    """Press Tab (Shift+Tab backwards) until `target` has focus, asserting at
    every stop that the focus can be seen; fail with the stops passed if
    `target` is not reached within MAX_TAB_STOPS."""
    page = target.page
    element = htmx_ready(target).element_handle()
    stops = []
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.evaluate(FOCUSED)
        stops.append(focused["description"])
        assert focused["visible"], f"no visible focus on {focused['description']}"
        if element.evaluate("element => element === document.activeElement"):
            return target
    raise AssertionError(f"{target} not reached in {MAX_TAB_STOPS} Tab presses; focus went to: {stops}")


def type_into(field, text):
    """Type into `field`, which must already have focus."""
    expect(field).to_be_focused()
    field.page.keyboard.type(text)


def log_in_by_keyboard(page, form, address, password=STRONG_PASSWORD):
    """Type the address in the focused Email field of `form`, Tab, the password, Enter."""
    type_into(form.get_by_label("Email", exact=True), address)
    page.keyboard.press("Tab")
    type_into(form.get_by_label("Password", exact=True), password)
    page.keyboard.press("Enter")


def focus_is_in(locator) -> bool:
    return locator.evaluate("container => container.contains(document.activeElement)")


def test_a_person_registers_verifies_and_subscribes_with_the_keyboard_alone(page, inbox):
    visit(page, "/")
    tab_to(header(page).get_by_role("link", name="Create an account", exact=True))
    page.keyboard.press("Enter")
    dialog = step(page, "Create an account")

    type_into(dialog.get_by_label("Full name"), "Ada Lovelace")
    page.keyboard.press("Tab")
    type_into(dialog.get_by_label("Email", exact=True), ADA)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the organisation is optional
    type_into(dialog.get_by_label("Password", exact=True), STRONG_PASSWORD)
    page.keyboard.press("Tab")
    type_into(dialog.get_by_label("Confirm password", exact=True), STRONG_PASSWORD)
    tab_to(dialog.get_by_role("button", name="Create account"))
    page.keyboard.press("Space")

    dialog = step(page, CHECK_YOUR_INBOX)
    type_into(dialog.get_by_label("Verification code", exact=True), wait_for_code(inbox, ADA))
    page.keyboard.press("Enter")

    dialog = step(page, WELCOME)
    expect_logged_in(page)
    tab_to(dialog.get_by_role("button", name="Subscribe to our newsletter"))
    page.keyboard.press("Space")
    expect(dialog.get_by_role("status")).to_contain_text("subscribed")

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(header(page).get_by_role("link", name="My account")).to_be_focused()
    assert still_the_same_page(page)


def test_a_person_logs_in_with_the_keyboard_alone_and_focus_stays_in_the_dialog_until_escape(page, ada):
    visit(page, "/")
    log_in = tab_to(header(page).get_by_role("link", name="Log in", exact=True))
    page.keyboard.press("Enter")
    dialog = step(page, "Log in")
    expect(dialog.get_by_label("Email", exact=True)).to_be_focused()

    # Tab past the dialog's last control and Shift+Tab past its first: focus stays in it.
    tab_to(dialog.get_by_role("link", name="Create an account"))
    page.keyboard.press("Tab")
    assert focus_is_in(dialog)
    tab_to(dialog.get_by_role("button", name="Close"), backwards=True)
    page.keyboard.press("Shift+Tab")
    assert focus_is_in(dialog)

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(log_in).to_be_focused()

    page.keyboard.press("Enter")
    dialog = step(page, "Log in")
    log_in_by_keyboard(page, dialog, ada)

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect_logged_in(page)
    expect(header(page).get_by_role("link", name="My account")).to_be_focused()
    assert still_the_same_page(page)


def test_a_person_resets_a_forgotten_password_with_the_keyboard_alone(page, inbox, ada):
    visit(page, "/")
    tab_to(header(page).get_by_role("link", name="Log in", exact=True))
    page.keyboard.press("Enter")
    dialog = step(page, "Log in")
    tab_to(dialog.get_by_role("link", name="Forgot your password?"))
    page.keyboard.press("Enter")

    dialog = step(page, "Reset password")
    type_into(dialog.get_by_label("Email", exact=True), ada)
    page.keyboard.press("Enter")

    dialog = step(page, CHECK_YOUR_INBOX)
    type_into(dialog.get_by_label("Verification code", exact=True), wait_for_code(inbox, ada))
    page.keyboard.press("Enter")

    dialog = step(page, "Create a new password")
    type_into(dialog.get_by_label("New password", exact=True), OTHER_PASSWORD)
    page.keyboard.press("Tab")
    type_into(dialog.get_by_label("Confirm new password", exact=True), OTHER_PASSWORD)
    page.keyboard.press("Enter")

    dialog = step(page, "Your password has been updated")
    tab_to(dialog.get_by_role("link", name="Return and log in"))
    page.keyboard.press("Enter")

    dialog = step(page, "Log in")
    log_in_by_keyboard(page, dialog, ada, OTHER_PASSWORD)
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect_logged_in(page)
    assert still_the_same_page(page)


def test_a_verified_person_downloads_a_video_with_the_keyboard_alone(page, ada, add_video):
    video_id, [file_id] = add_video("Speech in Lisbon")
    page.goto(f"/login?next=/videos/{video_id}")
    log_in_by_keyboard(page, page, ada)
    page.wait_for_url(at(f"/videos/{video_id}"))

    tab_to(page.get_by_role("link", name="Download HD 1080p MP4", exact=False))
    page.keyboard.press("Enter")
    tab_to(page.get_by_role("button", name="Accept and download"))
    with page.expect_download() as download:
        page.keyboard.press("Space")
    assert download.value.suggested_filename.endswith(".mp4")
    assert os.path.getsize(download.value.path()) == 5000


def test_after_next_page_focus_starts_at_the_top_of_the_new_results(app, page, add_video):
    app.config["CATALOGUE_PAGE_SIZE"] = 1
    add_video("Speech in Lisbon")
    add_video("B-roll in Porto")
    visit(page, "/")
    tab_to(page.get_by_role("link", name="Next page"))
    page.keyboard.press("Enter")

    page.wait_for_url(lambda url: "page=2" in url)
    expect(page.locator(".result-count")).to_be_focused()
    expect(page.get_by_role("link", name="Speech in Lisbon")).to_be_visible()
    assert still_the_same_page(page)

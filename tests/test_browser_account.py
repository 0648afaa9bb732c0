"""My account in a real browser, with and without JavaScript: every action a person takes there."""
import json
import re

import pytest

from browser_support import htmx_ready, is_announced, wait_for_code
from conftest import STRONG_PASSWORD
from test_browser import (  # noqa: F401  (fixtures)
    ADA,
    ada,
    app,
    at,
    click,
    expect,
    expect_logged_in,
    expect_logged_out,
    fill_log_in,
    header,
    live_server,
    page,
    page_and_watch,
    page_without_js,
    path_of,
    step,
    still_the_same_page,
    visit,
)

pytestmark = pytest.mark.browser
NEW_ADDRESS = "ada@new.example.org"


def log_in_to_my_account(page):
    visit(page, "/")
    click(header(page).get_by_role("link", name="Log in", exact=True))
    dialog = step(page, "Log in")
    fill_log_in(dialog)
    click(dialog.get_by_role("button", name="Log in", exact=True))
    expect_logged_in(page)
    header(page).get_by_role("link", name="My account").click()
    page.wait_for_url(at("/account/"))
    page.evaluate("window.__marker = 1")


def in_place(page, name):
    """A step of My account, loaded in place into the page, once htmx has settled it (until then it may
    still move focus to the step's first field, and typing would land in the wrong one)."""
    htmx_ready(page.get_by_role("heading", name=name, exact=True))
    return page.locator("#page-body")


def expect_said_once_that_the_account_was_deleted(page):
    """The catalogue says the account went, as a status read out; a reload no longer says it."""
    said = page.get_by_text("Your account was deleted.")
    expect(said).to_be_visible()
    assert is_announced(said)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(said).to_have_count(0)


def test_every_my_account_action_works_in_place(page, ada, inbox, browser, live_server):
    other = browser.new_context(base_url=live_server.url)
    other_page = other.new_page()
    other_page.goto("/login")
    fill_log_in(other_page)
    other_page.get_by_role("button", name="Log in", exact=True).click()
    other_page.wait_for_url(at("/"))

    log_in_to_my_account(page)
    click(page.get_by_role("link", name="Edit your details"))
    body = in_place(page, "Edit your details")
    body.get_by_label("Organisation").fill("Royal Society")
    click(body.get_by_role("button", name="Save"))
    expect(page.get_by_role("status")).to_have_text("Your details were saved.")
    expect(page.get_by_text("Royal Society")).to_be_visible()

    click(page.get_by_role("link", name="Change email"))
    body = in_place(page, "Change email")
    body.get_by_label("New email address").fill(NEW_ADDRESS)
    body.get_by_label("Current password").fill(STRONG_PASSWORD)
    click(body.get_by_role("button", name="Change email"))
    body = in_place(page, "Check your inbox and enter verification code")
    expect(body).to_contain_text(f"We have sent a verification code to {NEW_ADDRESS}.")
    body.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, NEW_ADDRESS))
    click(body.get_by_role("button", name="Verify"))
    expect(page.get_by_role("status")).to_have_text(f"Your email address is now {NEW_ADDRESS}.")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export my data").click()
    data = json.loads(open(download.value.path()).read())
    assert data["account"]["email"] == NEW_ADDRESS

    click(page.get_by_role("button", name="Log out everywhere else"))
    expect(page.get_by_role("status")).to_have_text("Every other browser was logged out.")
    other_page.reload()
    expect(other_page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    assert still_the_same_page(page)

    click(page.get_by_role("link", name="Delete account"))
    body = in_place(page, "Delete account")
    body.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    click(body.get_by_role("button", name="Delete account"))
    page.wait_for_url(at("/"))
    expect_logged_out(page)
    expect_said_once_that_the_account_was_deleted(page)
    other.close()


def test_without_javascript_every_my_account_action_works_on_pages(page_without_js, ada, inbox, browser,
                                                                   live_server, add_video):
    other = browser.new_context(base_url=live_server.url)
    other_page = other.new_page()
    other_page.goto("/login")
    fill_log_in(other_page)
    other_page.get_by_role("button", name="Log in", exact=True).click()
    other_page.wait_for_url(at("/"))
    video_id, [file_id] = add_video(title="Opening remarks")

    page = page_without_js
    page.goto("/login?next=/account/")
    fill_log_in(page)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(at("/account/"))

    page.get_by_role("button", name="Subscribe to our newsletter").click()
    page.wait_for_url(at("/account/"))
    expect(page.get_by_text("You are subscribed to our newsletter since")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Log out .+, last used")).click()  # the other browser
    page.wait_for_url(at("/account/"))
    expect(page.get_by_role("status")).to_have_text("That browser was logged out.")
    other_page.reload()
    expect(other_page.get_by_role("link", name="Log in", exact=True)).to_be_visible()

    page.goto("/terms/accept?next=/account/")
    page.get_by_role("button", name="Accept and download").click()
    page.wait_for_url(at("/account/"))
    page.request.get(f"/files/{file_id}")
    page.goto("/account/")
    expect(page.get_by_role("link", name="Opening remarks")).to_be_visible()

    page.get_by_role("link", name="Edit your details").click()
    page.get_by_label("Full name").fill("Augusta Ada King")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(at("/account/"))
    expect(page.get_by_text("Augusta Ada King")).to_be_visible()

    page.get_by_role("link", name="Change email").click()
    page.get_by_label("New email address").fill(NEW_ADDRESS)
    page.get_by_label("Current password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Change email").click()
    page.wait_for_url(at("/account/email/code"))
    page.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, NEW_ADDRESS))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(at("/account/"))
    expect(page.get_by_role("status")).to_have_text(f"Your email address is now {NEW_ADDRESS}.")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export my data").click()
    assert json.loads(open(download.value.path()).read())["account"]["full_name"] == "Augusta Ada King"

    page.get_by_role("link", name="Delete account").click()
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Delete account").click()
    page.wait_for_url(at("/"))
    expect_logged_out(page)
    assert path_of(page.url) == "/"
    expect_said_once_that_the_account_was_deleted(page)
    other.close()

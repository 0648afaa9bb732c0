"""The account dialogs in a real browser: Debian's chromium through Playwright.

The app runs on a live server with its mail worker and real time; codes
arrive over SMTP. With JavaScript, each test marks the window first: if the
mark is still there at the end, every step happened in place, without a page
load. Every page fails its test on a Content-Security-Policy violation, an
uncaught script error or a 5xx answer (see `browse`).
"""
import re
import shutil
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from portal.auth import passwords

from browser_support import (
    CONTEXTS,
    ConsoleWatch,
    LiveServer,
    RunningClock,
    htmx_ready,
    install_clock,
    is_announced,
    let_time_pass,
    wait_for_code,
)
from conftest import OTHER_PASSWORD, STRONG_PASSWORD, create_account, running_portal

try:
    from playwright.sync_api import expect
except ImportError:  # the `test` extra installs it; the `browser` fixture says what is missing
    expect = None

pytestmark = pytest.mark.browser

ADA = "ada@example.org"
CHECK_YOUR_INBOX = "Check your inbox and enter verification code"
WELCOME = "You have successfully created your account"
WEAK_PASSWORD = "short pass"
RESET_INTRO = "Enter the code to reset your password."


@contextmanager
def browser_app(tmp_path, inbox, migrated_database, **settings):
    """An app with its mail worker on, on real time (which a test may move on: `let_time_pass`),
    on a copy of the migrated database."""
    shutil.copyfile(migrated_database, tmp_path / "portal.sqlite3")
    with running_portal(tmp_path, inbox, RunningClock(), MAIL_WORKER=True, **settings) as app:
        yield app


@pytest.fixture
def app(tmp_path, inbox, migrated_database):
    with browser_app(tmp_path, inbox, migrated_database) as app:
        yield app


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@contextmanager
def browse(browser, live_server, **options):
    """A fresh page, without cookies, on the live server, and a watch on what the browser reports."""
    context, key = CONTEXTS.take(browser, live_server.url, **options)
    page = context.new_page()
    watch = ConsoleWatch(page)
    yield page, watch
    CONTEXTS.give_back(context, key)
    assert watch.problems() == [], "the browser reported a CSP violation, a script error or a server error"


@pytest.fixture
def page_and_watch(browser, live_server):
    with browse(browser, live_server) as page_and_watch:
        yield page_and_watch


@pytest.fixture
def page(page_and_watch):
    return page_and_watch[0]


@pytest.fixture
def page_without_js(browser, live_server):
    with browse(browser, live_server, java_script_enabled=False) as (page, _):
        yield page


@pytest.fixture
def ada(app):
    """A verified account, made directly in the database."""
    return create_account(app, ADA)


# --- what a person sees and does ----------------------------------------------


def header(page):
    return page.get_by_role("banner")


def visit(page, path):
    """Open a page and mark its window: a page load would lose the mark."""
    page.goto(path)
    page.evaluate("window.__marker = 1")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.__marker") == 1


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def at(path: str):
    """For `page.wait_for_url`: exactly this path and query."""
    return lambda url: path_of(url) == path


def click(locator):
    """Click an htmx-powered control, once htmx has processed it."""
    htmx_ready(locator).click()


def step(page, title):
    """The open dialog showing the step `title`, once htmx has settled it.

    Until then htmx may still move focus to the step's autofocus field, and
    typing would land in the wrong one.
    """
    dialog = page.get_by_role("dialog", name=title, exact=True)
    expect(dialog).to_be_visible()
    htmx_ready(dialog.get_by_role("heading", name=title, exact=True))
    return dialog


def open_from_header(page, link_name, title):
    click(header(page).get_by_role("link", name=link_name, exact=True))
    return step(page, title)


def fill_registration(form, password=STRONG_PASSWORD):
    form.get_by_label("Full name").fill("Ada Lovelace")
    form.get_by_label("Email", exact=True).fill(ADA)
    form.get_by_label("Organisation").fill("Analytical Engines Ltd")
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_label("Confirm password", exact=True).fill(password)


def fill_log_in(form, email=ADA, password=STRONG_PASSWORD):
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(password)


def fill_new_password(form, password=OTHER_PASSWORD):
    form.get_by_label("New password", exact=True).fill(password)
    form.get_by_label("Confirm new password", exact=True).fill(password)


def expect_logged_in(page):
    expect(header(page).get_by_role("button", name="Log out")).to_be_visible()
    expect(header(page).get_by_role("link", name="My account")).to_be_visible()
    expect(header(page).get_by_role("link", name="Log in", exact=True)).to_have_count(0)


def expect_logged_out(page):
    expect(header(page).get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(header(page).get_by_role("button", name="Log out")).to_have_count(0)


# --- with JavaScript: the dialog ------------------------------------------------


def test_log_in_opens_a_modal_dialog_in_place_and_escape_gives_focus_back(page):
    visit(page, "/")
    log_in_link = header(page).get_by_role("link", name="Log in", exact=True)

    dialog = open_from_header(page, "Log in", "Log in")

    assert page.evaluate("document.getElementById('dialog').matches(':modal')")
    expect(dialog.get_by_label("Email", exact=True)).to_be_focused()
    assert still_the_same_page(page)
    assert path_of(page.url) == "/"

    page.keyboard.press("Escape")

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(log_in_link).to_be_focused()
    assert still_the_same_page(page)


def test_a_person_registers_verifies_subscribes_and_logs_out_without_leaving_the_page(page, inbox):
    """Verifying starts a new session; the next step and the new header are
    fetched at once, and both must carry forms that work."""
    visit(page, "/")
    dialog = open_from_header(page, "Create an account", "Create an account")
    expect(dialog.get_by_label("Full name")).to_be_focused()

    fill_registration(dialog)
    click(dialog.get_by_role("button", name="Create account"))

    dialog = step(page, CHECK_YOUR_INBOX)
    code_field = dialog.get_by_label("Verification code", exact=True)
    expect(code_field).to_be_focused()
    code_field.press_sequentially(wait_for_code(inbox, ADA))
    code_field.press("Enter")

    dialog = step(page, WELCOME)
    expect_logged_in(page)
    assert still_the_same_page(page)

    click(dialog.get_by_role("button", name="Subscribe to our newsletter"))

    expect(dialog.get_by_role("status")).to_contain_text("subscribed")
    assert still_the_same_page(page)
    assert path_of(page.url) == "/"

    page.keyboard.press("Escape")
    header(page).get_by_role("button", name="Log out").click()
    expect_logged_out(page)


def error_summary(container):
    return container.get_by_role("group", name="There is a problem")


def test_a_weak_password_keeps_the_dialog_open_and_focuses_the_summary_of_its_errors(page):
    visit(page, "/")
    dialog = open_from_header(page, "Create an account", "Create an account")

    fill_registration(dialog, password=WEAK_PASSWORD)
    click(dialog.get_by_role("button", name="Create account"))

    summary = error_summary(dialog)
    password = dialog.get_by_label("Password", exact=True)
    expect(summary).to_be_focused()
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_value("")
    unmet = passwords.unmet_rules(WEAK_PASSWORD)
    assert len(unmet) >= 4
    for message in unmet:
        expect(summary.get_by_role("link", name=message)).to_be_visible()
        expect(password).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page.get_by_role("dialog", name="Create an account", exact=True)).to_be_visible()

    page.keyboard.press("Tab")
    expect(summary.get_by_role("link", name=unmet[0])).to_be_focused()
    page.keyboard.press("Enter")
    expect(password).to_be_focused()
    assert path_of(page.url) == "/" and still_the_same_page(page)


def test_without_javascript_a_step_with_errors_opens_with_their_summary_and_its_links_reach_the_fields(page_without_js):
    page = page_without_js
    page.goto("/register")
    fill_registration(page, password=WEAK_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    summary = error_summary(page)
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()


def test_a_dialog_over_a_step_page_is_labelled_by_its_own_heading_and_fields(page):
    """The log-in page and the registration dialog both have an "Email" field."""
    visit(page, "/login")
    dialog = open_from_header(page, "Create an account", "Create an account")

    dialog.get_by_text("Email", exact=True).click()

    email = dialog.get_by_label("Email", exact=True)
    expect(email).to_be_focused()
    expect(email).to_have_accessible_name("Email")
    assert still_the_same_page(page)


def test_a_forgotten_password_is_reset_in_the_dialog_and_the_person_stays_on_their_page(page, inbox, ada):
    visit(page, "/?page=2")
    dialog = open_from_header(page, "Log in", "Log in")

    click(dialog.get_by_role("link", name="Forgot your password?"))
    dialog = step(page, "Reset password")
    expect(dialog.get_by_label("Email", exact=True)).to_be_focused()
    dialog.get_by_label("Email", exact=True).fill(ada)
    click(dialog.get_by_role("button", name="Reset password"))

    dialog = step(page, CHECK_YOUR_INBOX)
    expect(dialog).to_contain_text(RESET_INTRO)
    expect(dialog).not_to_contain_text("verify your account")
    dialog.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ada))
    click(dialog.get_by_role("button", name="Verify"))

    dialog = step(page, "Create a new password")
    expect(dialog.get_by_label("New password", exact=True)).to_be_focused()
    fill_new_password(dialog)
    click(dialog.get_by_role("button", name="Update password"))

    dialog = step(page, "Your password has been updated")
    click(dialog.get_by_role("link", name="Return and log in"))

    dialog = step(page, "Log in")
    expect(dialog.get_by_label("Email", exact=True)).to_be_focused()
    fill_log_in(dialog, ada, OTHER_PASSWORD)
    click(dialog.get_by_role("button", name="Log in", exact=True))

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect_logged_in(page)
    assert path_of(page.url) == "/?page=2"
    assert still_the_same_page(page)


def test_a_registered_person_logs_in_and_the_header_changes_in_place(page, ada):
    visit(page, "/")
    dialog = open_from_header(page, "Log in", "Log in")

    fill_log_in(dialog, ada)
    click(dialog.get_by_role("button", name="Log in", exact=True))

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect_logged_in(page)
    expect(header(page).get_by_role("link", name="My account")).to_be_focused()
    assert still_the_same_page(page)
    assert path_of(page.url) == "/"


def test_a_wrong_password_keeps_the_dialog_open_with_a_message(page, ada):
    visit(page, "/")
    dialog = open_from_header(page, "Log in", "Log in")

    fill_log_in(dialog, ada, OTHER_PASSWORD)
    click(dialog.get_by_role("button", name="Log in", exact=True))

    password = dialog.get_by_label("Password", exact=True)
    expect(error_summary(dialog)).to_be_focused()
    expect(error_summary(dialog).get_by_role("link", name="The email or password is not right.")).to_be_visible()
    expect(password).to_have_accessible_description("The email or password is not right.")
    expect(password).to_have_value("")
    expect_logged_out(page)
    assert still_the_same_page(page)


def test_a_server_error_in_the_dialog_is_reported_not_swallowed(page_and_watch, ada):
    page, watch = page_and_watch
    watch.expect_server_error("POST", "/login")

    def fail_to_log_in(route):
        if route.request.method == "POST":
            route.fulfill(status=500, content_type="text/plain", body="failure")
        else:
            route.continue_()

    page.route("**/login", fail_to_log_in)
    visit(page, "/")
    dialog = open_from_header(page, "Log in", "Log in")

    fill_log_in(dialog, ada)
    click(dialog.get_by_role("button", name="Log in", exact=True))

    expect(dialog.get_by_role("alert")).to_contain_text("Something went wrong")
    expect(dialog.get_by_label("Email", exact=True)).to_have_value(ada)
    expect_logged_out(page)
    assert still_the_same_page(page)


# --- without JavaScript: the same links are ordinary pages ----------------------


def test_without_javascript_a_person_registers_on_ordinary_pages(page_without_js, inbox):
    page = page_without_js
    page.goto("/")
    header(page).get_by_role("link", name="Create an account", exact=True).click()
    page.wait_for_url(at("/register?next=/"))

    fill_registration(page)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(at("/verify"))
    expect(page.get_by_role("heading", name=CHECK_YOUR_INBOX)).to_be_visible()
    page.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ADA))
    page.get_by_role("button", name="Verify").click()

    page.wait_for_url(at("/welcome"))
    expect(page.get_by_role("heading", name=WELCOME)).to_be_visible()
    expect_logged_in(page)
    page.get_by_role("button", name="Subscribe to our newsletter").click()

    expect(page.get_by_role("status")).to_contain_text("subscribed")


def test_without_javascript_a_registered_person_logs_in_on_an_ordinary_page(page_without_js, ada):
    page = page_without_js
    page.goto("/")
    header(page).get_by_role("link", name="Log in", exact=True).click()
    page.wait_for_url(at("/login?next=/"))

    fill_log_in(page, ada)
    page.get_by_role("button", name="Log in", exact=True).click()

    page.wait_for_url(at("/"))
    expect_logged_in(page)


def test_without_javascript_a_password_is_reset_on_ordinary_pages(page_without_js, inbox, ada):
    page = page_without_js
    page.goto("/?page=2")
    header(page).get_by_role("link", name="Log in", exact=True).click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url(at("/reset"))

    page.get_by_label("Email", exact=True).fill(ada)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("main")).to_contain_text(RESET_INTRO)
    expect(page.get_by_role("main")).not_to_contain_text("verify your account")
    page.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ada))
    page.get_by_role("button", name="Verify").click()
    fill_new_password(page)
    page.get_by_role("button", name="Update password").click()
    expect(page.get_by_role("heading", name="Your password has been updated")).to_be_visible()
    page.get_by_role("link", name="Return and log in").click()
    fill_log_in(page, ada, OTHER_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    page.wait_for_url(at("/?page=2"))
    expect_logged_in(page)


# --- Content-Security-Policy --------------------------------------------------


def test_a_csp_violation_would_fail_these_tests(page_and_watch):
    """Every test above fails on a CSP message; this shows such a message is seen."""
    page, watch = page_and_watch
    page.goto("/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            """() => { const script = document.createElement("script");
                       script.textContent = "window.__inline = 1";
                       document.body.append(script); }"""
        )

    assert watch.csp_violations()
    assert page.evaluate("window.__inline") is None
    watch.messages.clear()


# --- the media library ------------------------------------------------------------


def test_search_results_update_in_place_as_one_types_and_the_url_is_shareable(page, add_video):
    from datetime import date

    add_video("Speech on maritime security", recorded_on=date(2025, 6, 3))
    add_video("B-roll: ministers arrive", recorded_on=date(2026, 10, 13))
    visit(page, "/")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="B-roll: ministers arrive")).to_be_visible()

    htmx_ready(page.get_by_label("Search videos")).press_sequentially("mariti", delay=40)

    expect(results.get_by_role("link", name="B-roll: ministers arrive")).to_have_count(0)
    expect(results.get_by_role("link", name="Speech on maritime security")).to_be_visible()
    page.wait_for_url(lambda url: "q=mariti" in url)
    assert still_the_same_page(page)
    # A screen reader hears the new count, politely, and not every card read out.
    expect(page.get_by_role("status")).to_have_text("1 video found")
    assert not is_announced(results.get_by_role("link", name="Speech on maritime security"))


def test_a_visitor_s_download_opens_the_log_in_dialog_and_then_offers_the_files(page, ada, add_video):
    video_id, [file_id] = add_video("Speech in Lisbon")
    visit(page, f"/videos/{video_id}")
    click(page.get_by_role("link", name="Download HD 1080p MP4 (5.0 kB)"))
    dialog = step(page, "Log in")

    fill_log_in(dialog, ada)
    click(dialog.get_by_role("button", name="Log in", exact=True))

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect_logged_in(page)
    assert path_of(page.url) == f"/videos/{video_id}" and still_the_same_page(page)
    download = page.get_by_role("link", name="Download HD 1080p MP4 (5.0 kB)")
    expect(download).to_have_attribute("href", f"/files/{file_id}")


def test_enter_in_the_search_box_adds_no_second_history_entry_and_back_shows_the_earlier_results(
        page_and_watch, add_video):
    from datetime import date

    page, watch = page_and_watch
    add_video("Speech on maritime security", recorded_on=date(2025, 6, 3))
    add_video("B-roll: ministers arrive", recorded_on=date(2026, 10, 13))
    visit(page, "/")
    results = page.locator("#results")
    search = htmx_ready(page.get_by_label("Search videos"))
    search.press_sequentially("mariti", delay=40)
    page.wait_for_url(at("/?q=mariti&tag=&year="))
    expect(results.get_by_role("link", name="B-roll: ministers arrive")).to_have_count(0)
    entries = page.evaluate("history.length")

    with page.expect_response(lambda response: "q=mariti" in response.url):
        search.press("Enter")
    expect(results.get_by_role("link", name="Speech on maritime security")).to_be_visible()
    assert page.evaluate("history.length") == entries

    page.go_back()
    page.wait_for_url(at("/"))
    expect(results.get_by_role("link", name="B-roll: ministers arrive")).to_be_visible()
    assert watch.errors == []
    assert still_the_same_page(page)


def test_my_account_at_320_pixels_wraps_a_long_address_and_name_instead_of_scrolling_sideways(
        browser, live_server, app):
    address = "augusta.ada.king-noel.countess.of.lovelace@analytical-engines.example"
    name = "Augusta-Ada-King-Noel-Countess-of-Lovelace-née-Byron-of-London"
    assert len(address) >= 60 and len(name) >= 60
    create_account(app, address, name=name)
    with browse(browser, live_server, viewport={"width": 320, "height": 640}) as (page, _):
        page.goto("/login")
        fill_log_in(page.locator("main"), address)
        page.locator("main").get_by_role("button", name="Log in", exact=True).click()
        expect_logged_in(page)
        page.goto("/account/")
        expect(page.get_by_text(address)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320


# --- no dead end on the way back to the code step, and where focus goes ------------


def test_escape_then_log_in_within_a_minute_leads_back_to_the_code_in_the_inbox(page, inbox):
    visit(page, "/")
    dialog = open_from_header(page, "Create an account", "Create an account")
    fill_registration(dialog)
    click(dialog.get_by_role("button", name="Create account"))
    step(page, CHECK_YOUR_INBOX)
    page.keyboard.press("Escape")

    dialog = open_from_header(page, "Log in", "Log in")
    fill_log_in(dialog)
    click(dialog.get_by_role("button", name="Log in", exact=True))
    expect(error_summary(dialog)).to_contain_text("The email or password is not right.")
    click(dialog.get_by_role("link", name="enter the code"))

    dialog = step(page, CHECK_YOUR_INBOX)
    expect(dialog).to_contain_text(f"We have sent a verification code to {ADA}.")
    expect(dialog).to_contain_text("You can ask for a new code in")
    dialog.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ADA))
    click(dialog.get_by_role("button", name="Verify"))
    step(page, WELCOME)
    expect_logged_in(page)
    assert still_the_same_page(page)
    assert len(inbox.to(ADA)) == 1


def test_without_javascript_registering_again_leads_back_to_the_code_in_the_inbox(page_without_js, inbox):
    page = page_without_js
    page.goto("/register")
    fill_registration(page)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(at("/verify"))
    page.goto("/login")
    fill_log_in(page)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.get_by_role("link", name="create the account again with the same address").click()

    fill_registration(page, password=OTHER_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(at("/verify"))
    expect(page.get_by_text(f"We have not sent a new code to {ADA}.")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("A code was sent to this address less than 60 seconds ago.")
    page.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ADA))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(at("/welcome"))
    expect_logged_in(page)


def waiting_to_ask_for_a_new_code(app, page, cooldown: int = 3):
    """Registered in the dialog, on a page whose clock the test holds: the code step, and its "Send new code"."""
    app.config["CODE_RESEND_COOLDOWN"] = cooldown
    install_clock(page)
    visit(page, "/")
    dialog = open_from_header(page, "Create an account", "Create an account")
    fill_registration(dialog)
    click(dialog.get_by_role("button", name="Create account"))
    dialog = step(page, CHECK_YOUR_INBOX)
    resend = dialog.get_by_role("button", name="Send new code")
    return dialog, resend


def test_send_new_code_waits_out_the_cooldown_with_a_countdown_then_works(app, page, inbox):
    dialog, resend = waiting_to_ask_for_a_new_code(app, page)

    expect(resend).to_be_disabled()
    countdown = dialog.get_by_text(re.compile("^You can ask for a new code in"))
    expect(countdown).to_be_visible()
    assert not is_announced(countdown), "a countdown read out every second is noise"
    let_time_pass(app, 3, page)
    expect(resend).to_be_enabled()
    expect(dialog.get_by_role("status")).to_have_text("You can ask for a new code now.")  # said once
    click(resend)

    dialog = step(page, CHECK_YOUR_INBOX)
    expect(dialog.get_by_role("status")).to_contain_text("We have sent a new code.")
    wait_for_code(inbox, ADA, count=2)
    assert still_the_same_page(page)


def test_without_javascript_send_new_code_works_once_the_time_has_passed(app, page_without_js, inbox):
    page = page_without_js
    page.goto("/register")
    fill_registration(page)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(at("/verify"))
    expect(page.get_by_text(re.compile(r"You can ask for a new code in \d+ seconds?\."))).to_be_visible()
    wait_for_code(inbox, ADA)
    let_time_pass(app, app.config["CODE_RESEND_COOLDOWN"])  # the portal's clock, not a real wait
    page.get_by_role("button", name="Send new code").click()

    page.wait_for_url(at("/verify"))  # post/redirect/get: a reload posts nothing
    expect(page.get_by_role("status")).to_contain_text("We have sent a new code.")
    wait_for_code(inbox, ADA, count=2)


def test_continue_after_registering_puts_focus_in_the_new_header(page, inbox):
    visit(page, "/")
    dialog = open_from_header(page, "Create an account", "Create an account")
    fill_registration(dialog)
    click(dialog.get_by_role("button", name="Create account"))
    dialog = step(page, CHECK_YOUR_INBOX)
    dialog.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ADA))
    click(dialog.get_by_role("button", name="Verify"))
    dialog = step(page, WELCOME)
    expect_logged_in(page)

    dialog.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(header(page).get_by_role("link", name="My account")).to_be_focused()


def test_log_out_stays_on_a_public_page_and_puts_focus_on_log_in(page, ada, add_video):
    video_id, _ = add_video(title="Opening remarks")
    visit(page, f"/videos/{video_id}")
    dialog = open_from_header(page, "Log in", "Log in")
    fill_log_in(dialog)
    click(dialog.get_by_role("button", name="Log in", exact=True))
    expect_logged_in(page)

    click(header(page).get_by_role("button", name="Log out"))
    expect_logged_out(page)
    expect(header(page).get_by_role("link", name="Log in", exact=True)).to_be_focused()
    assert path_of(page.url) == f"/videos/{video_id}"
    assert still_the_same_page(page)


def test_without_javascript_log_out_returns_to_the_public_page_it_was_pressed_on(page_without_js, ada, add_video):
    page = page_without_js
    video_id, _ = add_video(title="Opening remarks")
    page.goto(f"/login?next=/videos/{video_id}")
    fill_log_in(page)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(at(f"/videos/{video_id}"))
    header(page).get_by_role("button", name="Log out").click()
    page.wait_for_url(at(f"/videos/{video_id}"))
    expect_logged_out(page)
    page.goto("/login?next=/account/")
    fill_log_in(page)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(at("/account/"))
    header(page).get_by_role("button", name="Log out").click()
    page.wait_for_url(at("/"))  # My account is not for visitors: home instead


def test_a_person_switches_to_french_in_the_header_and_registers_in_the_dialog_in_french(page, inbox):
    visit(page, "/")
    header(page).get_by_role("button", name="Français").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert path_of(page.url) == "/"
    page.evaluate("window.__marker = 1")
    dialog = open_from_header(page, "Créer un compte", "Créer un compte")
    dialog.get_by_label("Nom et prénom").fill("Ada Lovelace")
    dialog.get_by_label("Adresse électronique", exact=True).fill(ADA)
    dialog.get_by_label("Mot de passe", exact=True).fill(STRONG_PASSWORD)
    dialog.get_by_label("Confirmer le mot de passe", exact=True).fill(STRONG_PASSWORD)
    click(dialog.get_by_role("button", name="Créer le compte"))

    dialog = step(page, "Vérifiez votre boîte de réception et saisissez le code de vérification")
    expect(dialog.locator("[data-countdown-text]")).to_contain_text("secondes")  # app.js counts down in French
    code_field = dialog.get_by_label("Code de vérification", exact=True)
    code_field.press_sequentially(wait_for_code(inbox, ADA))
    code_field.press("Enter")

    step(page, "Votre compte a bien été créé")
    expect(header(page).get_by_role("link", name="Mon compte")).to_be_visible()
    assert still_the_same_page(page)
    assert inbox.to(ADA)[0]["Subject"] == "Votre code de vérification"

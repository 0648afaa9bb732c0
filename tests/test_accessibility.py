"""Every page and dialog state passes axe-core's WCAG 2.0, 2.1 and 2.2 A and AA
rules, in chromium, with JavaScript (the dialogs, in place) and without (the
same steps as ordinary pages), in the light and the dark colour scheme; no
page or dialog state scrolls sideways at 320 or 640 px wide (400 % and 200 %
zoom); and motion stops for those who ask for less.

axe-core is vendored in tests/vendor; `assert_accessible` runs it outside the
page's Content-Security-Policy, which stays on.
"""
import re
from contextlib import contextmanager
from datetime import date
from urllib.parse import urlsplit

import pytest

from portal.extensions import db
from portal.models import User
from portal.newsletter import subscriptions

from browser_support import (
    LiveServer,
    assert_accessible,
    htmx_ready,
    install_clock,
    let_time_pass,
    wait_for_code,
    wait_until_settled,
    without_page_scripts,
)
from conftest import STRONG_PASSWORD
from test_browser import (  # noqa: F401  (fixtures)
    ADA,
    WEAK_PASSWORD,
    ada,
    at,
    browse,
    browser_app,
    click,
    expect,
    expect_logged_in,
    fill_log_in,
    fill_new_password,
    fill_registration,
    header,
    open_from_header,
    step,
)

pytestmark = pytest.mark.browser

CHECK_YOUR_INBOX = "Check your inbox and enter verification code"
WITH_AND_WITHOUT_JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


@pytest.fixture
def app(tmp_path, inbox, migrated_database):
    """The browser tests' app, with a resend cooldown of a second (`let_time_pass` passes it)
    and a page that fails on purpose."""
    with browser_app(tmp_path, inbox, migrated_database, CODE_RESEND_COOLDOWN=1) as app:

        @app.get("/test/failure")
        def failure():
            raise RuntimeError("a failure on purpose, for the 500 page")

        yield app


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def library(add_video, add_sample_video, tmp_path):
    """One video with a preview player and captions (a transcript on its page), one without either."""
    from helpers import write_captions

    with_preview = add_sample_video("hd.mp4", title="Speech on maritime security", recorded_on=date(2025, 6, 3),
                                    captions=write_captions(tmp_path))
    without_preview, _ = add_video("B-roll: ministers arrive", recorded_on=date(2026, 10, 13))
    return with_preview, without_preview


@contextmanager
def browser_page(browser, live_server, javascript, **options):
    """A page with or without the portal's scripts (see `without_page_scripts`)."""
    with browse(browser, live_server, **options) as (page, watch):
        if not javascript:
            without_page_scripts(page)
        yield page, watch


@WITH_AND_WITHOUT_JS
def test_public_pages_are_accessible(browser, live_server, library, javascript):
    with_preview, without_preview = library
    pages = {
        "catalogue with results": "/",
        "catalogue with no results": "/?q=nothing-matches-this",
        "video page with the preview player": f"/videos/{with_preview}",
        "video page without a preview": f"/videos/{without_preview}",
        "privacy notice": "/privacy",
        "terms of use": "/terms",
        "accessibility statement": "/accessibility",
        "contact": "/contact",
        "register page": "/register",
        "log-in page": "/login",
        "reset page": "/reset",
    }
    with browser_page(browser, live_server, javascript) as (page, _):
        for state, path in pages.items():
            page.goto(path)
            assert_accessible(page, state)


@WITH_AND_WITHOUT_JS
def test_error_pages_are_accessible(browser, live_server, javascript):
    with browser_page(browser, live_server, javascript) as (page, watch):
        watch.expect_server_error("GET", "/test/failure")
        pages = {"403, a download link that no longer works": "/d/not-a-token", "404": "/no-such-page",
                 "500": "/test/failure"}
        for state, path in pages.items():
            page.goto(path)
            assert_accessible(page, state)


@WITH_AND_WITHOUT_JS
def test_the_too_many_attempts_answer_is_accessible(browser, live_server, app, ada, javascript):
    app.config["LOGIN_RATE_LIMIT"] = "1 per hour"
    with browser_page(browser, live_server, javascript) as (page, _):
        page.goto("/")
        form = open_from_header(page, "Log in", "Log in") if javascript else page.get_by_role("main")
        for _attempt in range(3):
            if not javascript:
                page.goto("/login")
            fill_log_in(form, password="Not-the-password-1")
            button = form.get_by_role("button", name="Log in", exact=True)
            with page.expect_response(lambda response: response.request.method == "POST"):
                click(button) if javascript else button.click()
            # The answer swapped in, not the error still shown from the try before.
            wait_until_settled(page) if javascript else page.wait_for_load_state("load")
            too_many = page.get_by_role("heading", name="Too many attempts")
            expect(page.get_by_text("The email or password is not right.").first.or_(too_many)).to_be_visible()
            if javascript and not too_many.count():
                htmx_ready(form.get_by_label("Password", exact=True))
            if too_many.count():
                break
        expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
        assert_accessible(page, "429")


def test_registration_dialog_states_are_accessible(browser, live_server, app, inbox):
    with browser_page(browser, live_server, True) as (page, _):
        install_clock(page)
        page.goto("/")
        dialog = open_from_header(page, "Create an account", "Create an account")
        assert_accessible(page, "register dialog, empty")

        fill_registration(dialog, password=WEAK_PASSWORD)
        click(dialog.get_by_role("button", name="Create account"))
        expect(dialog.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
        assert_accessible(page, "register dialog, with errors")

        fill_registration(dialog)
        click(dialog.get_by_role("button", name="Create account"))
        dialog = step(page, CHECK_YOUR_INBOX)
        expect(dialog).to_contain_text("You can ask for a new code in")
        assert_accessible(page, "code step, with the countdown")

        dialog.get_by_label("Verification code", exact=True).fill("000000")
        click(dialog.get_by_role("button", name="Verify"))
        expect(dialog.get_by_label("Verification code", exact=True)).to_have_attribute("aria-invalid", "true")
        assert_accessible(page, "code step, with an error")

        resend = dialog.get_by_role("button", name="Send new code")
        let_time_pass(app, 1, page)  # the cooldown
        expect(resend).to_be_enabled()
        click(resend)
        dialog = step(page, CHECK_YOUR_INBOX)
        expect(dialog.get_by_role("status")).to_contain_text("We have sent a new code.")
        assert_accessible(page, "code step, after a resend")

        dialog.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ADA, count=2))
        click(dialog.get_by_role("button", name="Verify"))
        dialog = step(page, "You have successfully created your account")
        assert_accessible(page, "success with the newsletter offer")
        click(dialog.get_by_role("button", name="Subscribe to our newsletter"))
        expect(dialog.get_by_role("status")).to_contain_text("subscribed")
        assert_accessible(page, "success, subscribed")


def test_registration_pages_without_javascript_are_accessible(browser, live_server, app, inbox):
    with browser_page(browser, live_server, False) as (page, _):
        page.goto("/register")
        fill_registration(page, password=WEAK_PASSWORD)
        page.get_by_role("button", name="Create account").click()
        assert_accessible(page, "register page, with errors")

        fill_registration(page)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url(at("/verify"))
        assert_accessible(page, "code page, with the countdown")
        page.get_by_label("Verification code", exact=True).fill("000000")
        page.get_by_role("button", name="Verify").click()
        assert_accessible(page, "code page, with an error")
        wait_for_code(inbox, ADA)
        let_time_pass(app, 1)  # the cooldown
        page.get_by_role("button", name="Send new code").click()
        expect(page.get_by_role("status")).to_contain_text("We have sent a new code.")
        assert_accessible(page, "code page, after a resend")

        page.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ADA, count=2))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(at("/welcome"))
        assert_accessible(page, "success page with the newsletter offer")
        page.get_by_role("button", name="Subscribe to our newsletter").click()
        expect(page.get_by_role("status")).to_contain_text("subscribed")
        assert_accessible(page, "success page, subscribed")


def test_log_in_and_reset_dialog_states_are_accessible(browser, live_server, app, inbox, ada):
    app.config["LOGIN_MAX_FAILURES"] = 2
    with browser_page(browser, live_server, True) as (page, _):
        page.goto("/")
        dialog = open_from_header(page, "Log in", "Log in")
        assert_accessible(page, "log-in dialog, empty")
        fill_log_in(dialog, password="Not-the-password-1")
        click(dialog.get_by_role("button", name="Log in", exact=True))
        expect(dialog.get_by_label("Password", exact=True)).to_have_accessible_description(
            "The email or password is not right.")
        assert_accessible(page, "log-in dialog, with an error")
        for _attempt in range(2):  # each answer in place before the next try
            fill_log_in(dialog, password="Not-the-password-1")
            with page.expect_response(lambda response: response.request.method == "POST"):
                click(dialog.get_by_role("button", name="Log in", exact=True))
            htmx_ready(dialog.get_by_label("Password", exact=True))
        expect(dialog.get_by_text(re.compile("it is locked for now")).first).to_be_visible()
        assert_accessible(page, "log-in dialog, locked")

        click(dialog.get_by_role("link", name="Forgot your password?"))
        dialog = step(page, "Reset password")
        assert_accessible(page, "reset dialog, empty")
        dialog.get_by_label("Email", exact=True).fill(ada)
        click(dialog.get_by_role("button", name="Reset password"))
        dialog = step(page, CHECK_YOUR_INBOX)
        assert_accessible(page, "reset code step")
        dialog.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ada))
        click(dialog.get_by_role("button", name="Verify"))
        dialog = step(page, "Create a new password")
        assert_accessible(page, "new password step")
        fill_new_password(dialog, password=WEAK_PASSWORD)
        click(dialog.get_by_role("button", name="Update password"))
        expect(dialog.get_by_label("New password", exact=True)).to_have_attribute("aria-invalid", "true")
        assert_accessible(page, "new password step, with errors")
        fill_new_password(dialog)
        click(dialog.get_by_role("button", name="Update password"))
        step(page, "Your password has been updated")
        assert_accessible(page, "password updated")


def test_log_in_and_reset_pages_without_javascript_are_accessible(browser, live_server, app, inbox, ada):
    app.config["LOGIN_MAX_FAILURES"] = 1
    with browser_page(browser, live_server, False) as (page, _):
        page.goto("/login")
        main = page.get_by_role("main")
        fill_log_in(main, password="Not-the-password-1")
        main.get_by_role("button", name="Log in", exact=True).click()
        assert_accessible(page, "log-in page, with an error")
        fill_log_in(main, password="Not-the-password-1")
        main.get_by_role("button", name="Log in", exact=True).click()
        expect(main.get_by_text(re.compile("it is locked for now")).first).to_be_visible()
        assert_accessible(page, "log-in page, locked")

        page.goto("/reset")
        page.get_by_label("Email", exact=True).fill(ada)
        page.get_by_role("button", name="Reset password").click()
        assert_accessible(page, "reset code page")
        page.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ada))
        page.get_by_role("button", name="Verify").click()
        assert_accessible(page, "new password page")
        fill_new_password(page)
        page.get_by_role("button", name="Update password").click()
        expect(page.get_by_role("heading", name="Your password has been updated")).to_be_visible()
        assert_accessible(page, "password updated page")


@WITH_AND_WITHOUT_JS
def test_my_account_and_each_of_its_actions_are_accessible(browser, live_server, library, ada, inbox, javascript):
    with_preview, _ = library
    with browser_page(browser, live_server, javascript) as (page, _):
        page.goto("/login")
        fill_log_in(page.get_by_role("main"))
        page.get_by_role("main").get_by_role("button", name="Log in", exact=True).click()
        expect_logged_in(page)
        page.goto(f"/videos/{with_preview}")
        assert_accessible(page, "video page, logged in")
        page.goto(page.get_by_role("link", name=re.compile("^Download ")).first.get_attribute("href"))
        expect(page.get_by_role("button", name="Accept and download")).to_be_visible()
        assert_accessible(page, "terms of use step before the first download")
        with page.expect_download():
            page.get_by_role("button", name="Accept and download").click()
        expect(page.get_by_text(re.compile("your download of .+ has started"))).to_be_visible()
        assert_accessible(page, "video page, saying the download started")

        page.goto("/account/")
        assert_accessible(page, "My account")
        for link, heading in [("Edit your details", "Edit your details"), ("Change email", "Change email"),
                              ("Change password", "Change password"), ("Delete account", "Delete account")]:
            page.goto("/account/")
            action = page.get_by_role("link", name=link)
            click(action) if javascript else action.click()
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            assert_accessible(page, f"My account: {heading}")
            if heading == "Change email":
                page.get_by_label("New email address").fill("ada@new.example.org")
                page.get_by_label("Current password").fill("Not-the-password-1")
                button = page.get_by_role("main").get_by_role("button", name="Change email")
                click(button) if javascript else button.click()
                expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
                assert_accessible(page, "My account: Change email, with an error")
                page.get_by_label("Current password").fill(STRONG_PASSWORD)
                click(button) if javascript else button.click()
                expect(page.get_by_role("heading", name=CHECK_YOUR_INBOX)).to_be_visible()
                assert_accessible(page, "My account: new address's code step")
        page.goto("/account/downloads")
        assert_accessible(page, "My account: downloads")
        page.goto("/account/delete")
        page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
        button = page.get_by_role("main").get_by_role("button", name="Delete account")
        click(button) if javascript else button.click()
        expect(page.get_by_text("Your account was deleted.")).to_be_visible()
        assert_accessible(page, "the catalogue, saying the account was deleted")


@WITH_AND_WITHOUT_JS
def test_the_admin_s_second_factor_steps_and_desk_are_accessible(browser, live_server, app, ada, javascript):
    import pyotp

    boss = "boss@example.org"
    result = app.test_cli_runner().invoke(args=["users", "create-admin", boss, "--password-stdin"],
                                          input=STRONG_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with browser_page(browser, live_server, javascript) as (page, _):
        page.goto("/login?next=/admin")
        main = page.get_by_role("main")
        fill_log_in(main, email=boss)
        main.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
        assert_accessible(page, "second factor set-up")
        key = main.locator(".secret-key code").inner_text().replace(" ", "")
        main.get_by_label("Code from your app", exact=True).fill("000000")
        main.get_by_role("button", name="Confirm and log in").click()
        expect(main.get_by_label("Code from your app", exact=True)).to_have_attribute("aria-invalid", "true")
        assert_accessible(page, "second factor set-up, with an error")
        main.get_by_label("Code from your app", exact=True).fill(pyotp.TOTP(key).now())
        main.get_by_role("button", name="Confirm and log in").click()
        expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        assert_accessible(page, "recovery codes")
        page.goto("/admin")
        expect(page.get_by_role("heading", name="Admin desk", level=1)).to_be_visible()
        assert_accessible(page, "admin desk")
        page.goto(f"/admin/account?email={ada}")
        assert_accessible(page, "admin desk: an account")
        page.goto(page.get_by_role("link", name="Disable", exact=True).get_attribute("href"))
        expect(page.get_by_role("heading", name=f"Disable {ada}?")).to_be_visible()
        assert_accessible(page, "admin desk: disable an account?")
        page.goto("/admin/recovery-codes")
        expect(page.get_by_role("heading", name="Make new recovery codes")).to_be_visible()
        assert_accessible(page, "admin desk: make new recovery codes")

        header(page).get_by_role("button", name="Log out").click()
        expect(header(page).get_by_role("link", name="Log in", exact=True)).to_be_visible()
        page.goto("/login")
        fill_log_in(main, email=boss)
        main.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Enter the code from your app")).to_be_visible()
        assert_accessible(page, "second factor")


@WITH_AND_WITHOUT_JS
def test_my_account_s_newsletter_and_sessions_actions_are_accessible(browser, live_server, app, ada, javascript):
    with browser_page(browser, live_server, javascript) as (page, _):
        page.goto("/login")
        fill_log_in(page.get_by_role("main"))
        page.get_by_role("main").get_by_role("button", name="Log in", exact=True).click()
        expect_logged_in(page)
        page.goto("/account/")
        for button, then in [("Subscribe to our newsletter", "Unsubscribe from the newsletter"),
                             ("Unsubscribe from the newsletter", "Subscribe to our newsletter")]:
            action = page.get_by_role("button", name=button)
            click(action) if javascript else action.click()
            expect(page.get_by_role("button", name=then)).to_be_visible()
            assert_accessible(page, f"My account: after {button}")

        action = page.get_by_role("button", name="Subscribe to our newsletter")
        click(action) if javascript else action.click()
        expect(page.get_by_role("button", name="Unsubscribe from the newsletter")).to_be_visible()
        page.goto(newsletter_unsubscribe_path(app, ada))
        assert_accessible(page, "the newsletter's unsubscribe page")
        page.get_by_role("button", name="Unsubscribe").click()
        expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
        assert_accessible(page, "the newsletter's unsubscribe page, done")


def newsletter_unsubscribe_path(app, email):
    """The path of the link a newsletter mail carries for `email`."""
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        return urlsplit(subscriptions.unsubscribe_url(user)).path


def test_a_violation_would_fail_these_tests(browser, live_server):
    """Every test above passes on zero violations; this shows each check runs and
    sees one: axe in the light scheme, axe in the dark one, and sideways scrolling."""
    breakages = {
        "image-alt": "() => document.querySelector('main').append(document.createElement('img'))",
        r"\(dark\) .* color-contrast": """() => { const text = document.createElement("p");
                                               text.textContent = "Dark ink, fixed"; text.style.color = "#1b1f24";
                                               document.querySelector("main").append(text); }""",
        "scrolls sideways at 320 px": """() => { const wide = document.createElement("div");
                                             wide.style.width = "400px"; wide.style.height = "1px";
                                             document.querySelector("main").append(wide); }""",
    }
    with browser_page(browser, live_server, False) as (page, _):
        for failure, breakage in breakages.items():
            page.goto("/")
            page.evaluate(breakage)
            with pytest.raises(AssertionError, match=re.compile(failure, re.DOTALL)):
                assert_accessible(page, "a broken catalogue")


def test_the_catalogue_moves_only_for_those_who_have_not_asked_for_less_motion(browser, live_server, add_video):
    add_video("Speech on maritime security")
    with browser_page(browser, live_server, False) as (page, _):
        page.goto("/")
        poster = page.locator(".card-poster img, .card-poster .poster-placeholder").first
        transition = "element => getComputedStyle(element).transitionDuration"
        assert poster.evaluate(transition) == "0.2s"
        page.emulate_media(reduced_motion="reduce")
        assert poster.evaluate(transition) == "0s"


@WITH_AND_WITHOUT_JS
def test_what_a_waiting_account_sees_and_the_desk_s_queue_are_accessible(browser, live_server, app, ada, add_video,
                                                                         javascript):
    from test_admin_browser import admin_with_second_factor, log_in_on_pages

    app.config["REGISTRATION_APPROVAL"] = "admin"
    video_id, _ = add_video()
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == ada))
        user.approval_requested_at = user.verified_at
        db.session.commit()
    with browser_page(browser, live_server, javascript) as (page, _):
        page.goto("/login?next=/welcome")
        fill_log_in(page.get_by_role("main"))
        page.get_by_role("main").get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Your account is waiting for approval")).to_be_visible()
        assert_accessible(page, "waiting for approval, after verifying")
        page.goto(f"/videos/{video_id}")
        assert_accessible(page, "a video page, waiting for approval")
        page.get_by_role("link", name=re.compile(r"^Download HD 1080p MP4")).click()
        expect(page.get_by_role("heading", name="Your account is waiting for approval")).to_be_visible()
        assert_accessible(page, "a download refused, waiting for approval")
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "boss@example.org", "--password-stdin"],
                                          input=STRONG_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with browser_page(browser, live_server, javascript) as (page, _):
        log_in_on_pages(page, app, admin_with_second_factor(app))
        expect(page.get_by_role("button", name=f"Approve {ada}")).to_be_visible()
        assert_accessible(page, "admin desk with accounts waiting for approval")

"""Registration approval in a real browser, with and without JavaScript: what the waiting
person sees, and the desk's queue with "Approve" and "Refuse"."""
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import User

from browser_support import wait_for_code
from conftest import create_account
from test_admin_browser import BOSS, admin_with_second_factor, log_in_on_pages
from test_browser import (  # noqa: F401  (fixtures)
    ADA,
    CHECK_YOUR_INBOX,
    at,
    browser_app,
    click,
    expect,
    expect_logged_in,
    fill_registration,
    live_server,
    open_from_header,
    page,
    page_and_watch,
    page_without_js,
    step,
    visit,
)

pytestmark = pytest.mark.browser

WAITING = "Your account is waiting for approval"


@pytest.fixture
def app(tmp_path, inbox, migrated_database):
    with browser_app(tmp_path, inbox, migrated_database, REGISTRATION_APPROVAL="admin") as app:
        yield app


@pytest.fixture
def waiting_ada(app):
    """Ada's account, verified while approval is on: it waits."""
    create_account(app, ADA)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ADA))
        user.approval_requested_at = user.verified_at
        db.session.commit()
    return ADA


def expect_download_refused(page, video_id):
    page.goto(f"/videos/{video_id}")
    expect(page.get_by_role("status").filter(has_text=WAITING)).to_be_visible()
    expect(page.get_by_text("Link for download managers")).to_have_count(0)
    page.get_by_role("link", name=re.compile(r"^Download HD 1080p MP4")).click()
    expect(page.get_by_role("heading", name=WAITING)).to_be_visible()


def test_a_person_verifies_in_the_dialog_is_told_the_account_waits_and_cannot_download(page, inbox, add_video):
    video_id, _ = add_video()
    visit(page, "/")
    dialog = open_from_header(page, "Create an account", "Create an account")
    fill_registration(dialog)
    click(dialog.get_by_role("button", name="Create account"))
    dialog = step(page, CHECK_YOUR_INBOX)
    code_field = dialog.get_by_label("Verification code", exact=True)
    code_field.press_sequentially(wait_for_code(inbox, ADA))
    code_field.press("Enter")

    step(page, WAITING)
    expect_logged_in(page)
    page.keyboard.press("Escape")
    expect_download_refused(page, video_id)


def test_without_javascript_a_person_verifies_is_told_the_account_waits_and_cannot_download(
        page_without_js, inbox, add_video):
    page = page_without_js
    video_id, _ = add_video()
    page.goto("/register")
    fill_registration(page)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(at("/verify"))
    page.get_by_label("Verification code", exact=True).fill(wait_for_code(inbox, ADA))
    page.get_by_role("button", name="Verify").click()

    page.wait_for_url(at("/welcome"))
    expect(page.get_by_role("heading", name=WAITING)).to_be_visible()
    expect_download_refused(page, video_id)


def approve_or_refuse_on_the_desk(page, app, button):
    log_in_on_pages(page, app, admin_with_second_factor(app))
    queue = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Waiting since"))
    expect(queue.get_by_role("row").filter(has_text=ADA)).to_be_visible()
    expect(page.get_by_role("link", name="1 waiting for approval")).to_be_visible()
    page.get_by_role("button", name=f"{button} {ADA}").click()
    expect(page.get_by_text("Nobody is waiting.")).to_be_visible()
    expect(page.get_by_role("link", name="0 waiting for approval")).to_be_visible()


def test_the_desk_approves_from_its_queue(page, app, admin, waiting_ada):
    approve_or_refuse_on_the_desk(page, app, "Approve")
    with app.app_context():
        assert not db.session.scalar(select(User).where(User.email == ADA)).is_waiting_for_approval


def test_without_javascript_the_desk_refuses_from_its_queue(page_without_js, app, admin, waiting_ada):
    approve_or_refuse_on_the_desk(page_without_js, app, "Refuse")
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == ADA)) is None
        assert db.session.scalar(select(User).where(User.email == BOSS)) is not None

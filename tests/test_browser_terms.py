"""The terms of use step in a real browser: after accepting, the person is back on
the video page with the file on its way, with and without JavaScript."""
import re

import pytest

from browser_support import is_announced
from test_browser import ada, app, at, browse, expect, fill_log_in, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

FIRST_TIME = "Before your first download, please accept the terms of use."
WITH_AND_WITHOUT_JS = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])


def log_in_on_the_video_page(page, video_id):
    page.goto(f"/login?next=/videos/{video_id}")
    fill_log_in(page.get_by_role("main"))
    page.get_by_role("main").get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(at(f"/videos/{video_id}"))


def ask_for_the_file(page):
    """Download, on the video page: the terms step comes first; its text."""
    page.get_by_role("link", name=re.compile("^Download HD 1080p MP4")).click()
    expect(page.get_by_role("button", name="Accept and download")).to_be_visible()
    return page.get_by_role("main")


@WITH_AND_WITHOUT_JS
def test_accept_and_download_returns_to_the_video_page_with_the_file_on_its_way(
        browser, live_server, ada, add_video, javascript):
    video_id, _ = add_video("Speech in Lisbon")
    with browse(browser, live_server, java_script_enabled=javascript) as (page, _watch):
        log_in_on_the_video_page(page, video_id)
        step = ask_for_the_file(page)
        expect(step).to_contain_text(FIRST_TIME)
        expect(step).not_to_contain_text("new version")

        with page.expect_download() as download:
            page.get_by_role("button", name="Accept and download").click()
        assert download.value.suggested_filename.endswith(".mp4")
        page.wait_for_url(at(f"/videos/{video_id}"))
        said = page.get_by_text("Thank you: your download of HD 1080p MP4 has started.")
        expect(said).to_be_visible()
        assert is_announced(said)

        page.reload()
        expect(page.get_by_role("heading", name="Speech in Lisbon")).to_be_visible()
        expect(said).to_have_count(0)


def test_a_new_version_says_it_changed_and_what_changed_when_the_admin_wrote_it(browser, live_server, app, ada,
                                                                               add_video):
    video_id, _ = add_video("Speech in Lisbon")
    with browse(browser, live_server) as (page, _watch):
        log_in_on_the_video_page(page, video_id)
        with page.expect_download():
            ask_for_the_file(page)
            page.get_by_role("button", name="Accept and download").click()
        app.config.update(TERMS_VERSION="2", TERMS_CHANGES="Credits must now name the photographer.")
        page.goto(f"/videos/{video_id}")

        step = ask_for_the_file(page)
        expect(step).to_contain_text("The terms of use have changed since you accepted them.")
        expect(step).to_contain_text("What changed: Credits must now name the photographer.")
        expect(step).not_to_contain_text(FIRST_TIME)

        app.config.update(TERMS_VERSION="3", TERMS_CHANGES=None)
        page.goto(f"/videos/{video_id}")
        step = ask_for_the_file(page)
        expect(step).to_contain_text("The terms of use have changed since you accepted them.")
        expect(step).not_to_contain_text("What changed")

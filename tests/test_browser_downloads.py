"""Files saved by a real browser: the names SHA256SUMS checks and My account lists."""
import subprocess

import pytest

from helpers import ACCENTED_TITLE
from test_browser import ada, app, at, browse, fill_log_in, live_server  # noqa: F401  (the browser tests' app)

pytestmark = pytest.mark.browser


def save(page, link, folder):
    """Click a link that downloads, and save the file as the browser names it; its path."""
    with page.expect_download() as started:
        link.click()
    download = started.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def accept_terms(portal_app, email):
    from portal.auth.accounts import find_user
    from portal.media import terms

    with portal_app.app_context():
        terms.accept(find_user(email), None)


def test_files_saved_by_the_browser_pass_sha256sum_and_my_account_names_them_alike(
        browser, live_server, app, ada, add_video, tmp_path):  # noqa: F811  (fixtures imported above)
    video_id, _ = add_video(ACCENTED_TITLE, sizes=(5000, 4000), labels=("HD 1080p MP4", "SD 540p MP4"))
    accept_terms(app, ada)
    with browse(browser, live_server) as (page, _):
        page.goto(f"/login?next=/videos/{video_id}")
        fill_log_in(page)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(at(f"/videos/{video_id}"))

        saved = [save(page, page.get_by_role("link", name=f"Download {label}"), tmp_path)
                 for label in ("HD 1080p MP4", "SD 540p MP4")]
        save(page, page.get_by_role("link", name="SHA256SUMS"), tmp_path)
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], check=False, cwd=tmp_path, capture_output=True,
                               text=True)
        assert check.returncode == 0 and check.stdout.count(": OK") == 2, check.stdout + check.stderr

        page.goto("/account/downloads")
        listed = page.locator(".download-history tbody tr td:nth-child(2)").all_inner_texts()
        assert sorted(listed) == sorted(path.name for path in saved)

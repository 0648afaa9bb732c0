"""A whole video, or a whole search result, for a download manager: link list and SHA256SUMS."""
import html
import re
import shutil
import subprocess
from datetime import date
from urllib.parse import unquote, urlsplit

import pytest

from browser_support import LiveServer, unavailable
from conftest import OTHER_PASSWORD, code_in
from helpers import ACCENTED_TITLE

pytestmark = pytest.mark.usefixtures("storage_mode")  # every test in each: local files, a bucket

# How a journalist fetches the lines of links.txt: the program, and the command.
DOWNLOADERS = {
    "wget --content-disposition -i": ("wget", ["wget", "-q", "--content-disposition", "-i", "links.txt"]),
    "wget -i": ("wget", ["wget", "-q", "-i", "links.txt"]),
    "curl -OJ": ("curl", ["sh", "-c", "xargs -n 1 curl -sSfOJ < links.txt"]),
}


def fetch_all(app, link_list: str, folder):
    """What `wget -i` does: fetch every line without cookies, saving it under the link's last part."""
    client = app.test_client(use_cookies=False)
    statuses = []
    for line in link_list.splitlines():
        path = urlsplit(line).path
        response = client.get(path)
        statuses.append(response.status_code)
        if response.status_code == 200:
            (folder / unquote(path.rsplit("/", 1)[-1])).write_bytes(response.data)
    return statuses


def test_the_link_list_of_a_video_fetches_every_file_and_sha256sum_checks_them(
        app, verified, add_video, tmp_path):
    video_id, files = add_video("Discours à Reykjavík", sizes=(5000, 4000), labels=("HD 1080p MP4", "SD"))
    page = verified.client.get(f"/videos/{video_id}").text
    assert "Download all files (link list)" in page
    answer = verified.client.get(f"/videos/{video_id}/links.txt")
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert len(answer.text.splitlines()) == 2
    assert all(line.startswith("http://localhost/d/") for line in answer.text.splitlines())
    sums = verified.client.get(f"/videos/{video_id}/SHA256SUMS").text
    assert fetch_all(app, answer.text, tmp_path) == [200, 200]
    (tmp_path / "SHA256SUMS").write_text(sums)
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 2


def test_the_link_list_of_a_search_covers_every_video_found(app, verified, add_video, tmp_path):
    app.config["CATALOGUE_PAGE_SIZE"] = 1
    add_video("Speech on cables", recorded_on=date(2026, 1, 1))
    add_video("Speech at sea", recorded_on=date(2025, 1, 1))
    add_video("B-roll of ships", recorded_on=date(2025, 2, 1))
    assert "Link list for these results" in verified.client.get("/?q=speech").text
    link_list = verified.client.get("/links.txt?q=speech").text
    assert len(link_list.splitlines()) == 2
    assert fetch_all(app, link_list, tmp_path) == [200, 200]
    (tmp_path / "SHA256SUMS").write_text(verified.client.get("/SHA256SUMS?q=speech").text)
    assert subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=tmp_path).returncode == 0


def test_a_visitor_asking_for_a_link_list_is_sent_to_log_in(app, add_video):
    video_id, _ = add_video()
    client = app.test_client()
    assert "Download all files (link list)" not in client.get(f"/videos/{video_id}").text
    answer = client.get(f"/videos/{video_id}/links.txt")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/login?next=/videos/{video_id}"
    assert client.get("/SHA256SUMS?q=x").status_code == 302


def test_a_link_list_stops_working_after_a_password_change(app, verified, add_video, deliver, clock, tmp_path):
    video_id, _ = add_video(sizes=(5000, 4000), labels=("HD", "SD"))
    link_list = verified.client.get(f"/videos/{video_id}/links.txt").text
    clock.advance(61)
    verified.post("/reset", {"email": "ada@example.org"})
    verified.post("/reset/code", {"code": code_in(deliver().to("ada@example.org")[-1])})
    verified.post("/reset/password", {"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})
    assert fetch_all(app, link_list, tmp_path) == [403, 403]


def test_a_link_with_another_file_name_is_refused(app, verified, add_video):
    video_id, _ = add_video()
    [line] = verified.client.get(f"/videos/{video_id}/links.txt").text.splitlines()
    client = app.test_client(use_cookies=False)
    path = urlsplit(line).path
    assert unquote(path.rsplit("/", 1)[-1]) in client.get(path).headers["Content-Disposition"]
    assert client.get(path.rsplit("/", 1)[0] + "/other.mp4").status_code == 404


@pytest.fixture
def served(app):
    """The portal on a live server, its links built on the server's address (as `PORTAL_PUBLIC_URL` is)."""
    with LiveServer(app) as server:
        app.config["PUBLIC_URL"] = server.url
        yield server


def personal_links(video_page: str) -> list[str]:
    """The links a person copies from the video page, one per file."""
    return [html.unescape(link) for link in re.findall(r'<input id="link-\d+" type="text" readonly value="([^"]+)"',
                                                       video_page)]


@pytest.mark.parametrize("source", ["the link list", "the links copied from the video page"])
@pytest.mark.parametrize("downloader", DOWNLOADERS)
def test_download_managers_save_each_file_under_the_name_sha256sums_checks(
        served, verified, add_video, tmp_path, downloader, source):
    assert_saved_under_the_names_sha256sums_checks(verified, add_video, tmp_path, *DOWNLOADERS[downloader], source)


# A redirect to the bucket: wget follows it by itself, curl with -L (and -J then names the file as the bucket says).
FOLLOWING_DOWNLOADERS = {
    "wget --content-disposition -i": DOWNLOADERS["wget --content-disposition -i"],
    "wget -i": DOWNLOADERS["wget -i"],
    "curl -LOJ": ("curl", ["sh", "-c", "xargs -n 1 curl -sSfLOJ < links.txt"]),
}


@pytest.mark.parametrize("storage_mode", ["s3"], indirect=True)
@pytest.mark.parametrize("downloader", FOLLOWING_DOWNLOADERS)
def test_sent_to_the_bucket_download_managers_save_each_file_under_the_name_sha256sums_checks(
        app, served, verified, add_video, tmp_path, downloader):
    app.config["DOWNLOAD_ACCEL"] = "redirect"
    assert_saved_under_the_names_sha256sums_checks(verified, add_video, tmp_path, *FOLLOWING_DOWNLOADERS[downloader],
                                                   "the link list")


def assert_saved_under_the_names_sha256sums_checks(verified, add_video, tmp_path, program, command, source):
    if not shutil.which(program):
        unavailable(f"{command[0]} needs {program} (apt-get install {program})")
    video_id, _ = add_video(ACCENTED_TITLE, sizes=(5000, 4000), labels=("HD 1080p MP4", "SD 540p MP4"))
    if source == "the link list":
        links = verified.client.get(f"/videos/{video_id}/links.txt").text
    else:
        links = "".join(link + "\n" for link in personal_links(verified.client.get(f"/videos/{video_id}").text))
    (tmp_path / "links.txt").write_text(links)
    (tmp_path / "SHA256SUMS").write_text(verified.client.get(f"/videos/{video_id}/SHA256SUMS").text)

    subprocess.run(command, cwd=tmp_path, check=True, timeout=60)

    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], check=False, cwd=tmp_path, capture_output=True,
                           text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") == 2, check.stdout + check.stderr


def test_the_terms_step_before_a_link_list_sends_the_person_back_to_the_same_search(app, verified_before_terms):
    from urllib.parse import parse_qs, urlsplit

    answer = verified_before_terms.client.get("/links.txt?q=maritime&year=2025")
    assert answer.status_code == 303
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["next"] == ["/links.txt?q=maritime&year=2025"]

"""Downloads: only for verified accounts, resumable, conditional, recorded."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.media.models import Download

from conftest import OTHER_PASSWORD, code_in
from helpers import parallel_one_byte_downloads
from helpers import video_bytes as content

pytestmark = pytest.mark.usefixtures("storage_mode")  # every test in each: local files, a bucket


def downloads(app):
    with app.app_context():
        return db.session.scalars(select(Download).order_by(Download.id)).all()


def test_a_visitor_is_sent_to_log_in_and_back_to_the_video_and_gets_no_byte(app, add_video):
    video_id, [file_id] = add_video()
    response = app.test_client().get(f"/files/{file_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/videos/{video_id}"
    assert downloads(app) == []


def test_a_verified_account_gets_the_whole_file(app, verified, add_video):
    _, [file_id] = add_video(sizes=(5000,))
    response = verified.client.get(f"/files/{file_id}")
    assert response.status_code == 200
    assert response.data == content(5000)
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["ETag"] and response.headers["Last-Modified"]


def test_the_file_is_streamed_not_read_into_memory(app, verified, add_video):
    _, [file_id] = add_video(sizes=(300_000,))
    response = verified.client.get(f"/files/{file_id}", buffered=False)
    assert not response.is_sequence
    response.close()


def test_a_single_range_gets_exactly_those_bytes(app, verified, add_video):
    _, [file_id] = add_video(sizes=(5000,))
    response = verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.data == content(5000)[100:200]
    assert response.headers["Content-Range"] == "bytes 100-199/5000"


def test_an_unsatisfiable_range_gets_416(app, verified, add_video):
    _, [file_id] = add_video(sizes=(5000,))
    response = verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=9000-9999"})
    assert response.status_code == 416


def test_head_gives_the_headers_without_the_body(app, verified, add_video):
    _, [file_id] = add_video(sizes=(5000,))
    response = verified.client.head(f"/files/{file_id}")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "5000"
    assert response.data == b""


def test_conditional_requests_get_304(app, verified, add_video):
    _, [file_id] = add_video()
    first = verified.client.get(f"/files/{file_id}")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert verified.client.get(f"/files/{file_id}", headers={"If-None-Match": etag}).status_code == 304
    assert verified.client.get(f"/files/{file_id}", headers={"If-Modified-Since": modified}).status_code == 304


def test_if_range_resumes_only_the_same_file(app, verified, add_video):
    _, [file_id] = add_video(sizes=(5000,))
    etag = verified.client.get(f"/files/{file_id}").headers["ETag"]
    same = verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=10-19", "If-Range": etag})
    changed = verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=10-19", "If-Range": '"other"'})
    assert same.status_code == 206 and same.data == content(5000)[10:20]
    assert changed.status_code == 200 and len(changed.data) == 5000


def test_a_title_with_accents_names_the_file_in_plain_letters_so_every_client_saves_the_same_name(
        app, verified, add_video):
    """curl -OJ reads only `filename`; browsers and wget prefer `filename*`: one ASCII name leaves no choice."""
    _, [file_id] = add_video(title="Discours à Reykjavík : l’Ø/Æ?")
    disposition = verified.client.get(f"/files/{file_id}").headers["Content-Disposition"]
    assert disposition == f'attachment; filename="Discours a Reykjavik l\'O AE - HD 1080p MP4 [{file_id}].mp4"'


@pytest.mark.parametrize("path", ["/files/..%2F..%2Fetc%2Fpasswd", "/files/abc", "/files/999", "/files/-1"])
def test_files_are_found_by_id_only(app, verified, path):
    assert verified.client.get(path).status_code == 404


def test_a_download_is_recorded_with_who_which_file_and_what_part(app, verified, add_video):
    video_id, [file_id] = add_video(sizes=(5000,))
    verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=0-99"})
    [record] = downloads(app)
    assert (record.status, record.byte_range, record.video_id, record.rendition_id) == (
        206, "bytes=0-99", video_id, file_id)
    assert record.user_id


def test_many_range_requests_for_one_file_count_as_one_download(app, verified, add_video):
    _, [file_id] = add_video(sizes=(5000,))
    for start in range(50):
        verified.client.get(f"/files/{file_id}", headers={"Range": f"bytes={start}-{start}"})
    assert len(downloads(app)) == 1


def test_parallel_range_requests_for_one_file_count_as_one_download(app, verified, add_video):
    _, [file_id] = add_video(sizes=(5000,))
    assert parallel_one_byte_downloads(app, verified.client.get_cookie("session").value, file_id) == {206}
    assert len(downloads(app)) == 1


def test_the_same_file_again_after_the_window_is_a_new_download(app, verified, add_video, clock):
    _, [file_id] = add_video(sizes=(5000,))
    verified.client.get(f"/files/{file_id}")
    clock.advance(app.config["DOWNLOAD_RECORD_WINDOW"] - 1)
    verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=100-"})
    assert len(downloads(app)) == 1
    clock.advance(2)
    verified.client.get(f"/files/{file_id}")
    assert len(downloads(app)) == 2


def test_other_files_and_other_accounts_count_on_their_own(app, verified, add_video, new_visitor, deliver):
    _, [first, second] = add_video(sizes=(5000, 4000), labels=("HD", "SD"))
    verified.client.get(f"/files/{first}")
    verified.client.get(f"/files/{second}")
    grace = new_visitor()
    grace.register(email="grace@example.org", name="Grace Hopper")
    grace.verify(code_in(deliver().to("grace@example.org")[-1]))
    grace.accept_terms()
    grace.client.get(f"/files/{first}")
    assert sorted((r.user_id, r.rendition_id) for r in downloads(app)) == [(1, first), (1, second), (2, first)]


def test_the_report_counts_a_resumed_download_once(app, verified, add_video):
    _, [file_id] = add_video("Speech in Lisbon", sizes=(5000,))
    for part in ("bytes=0-999", "bytes=1000-", "bytes=1000-"):
        verified.client.get(f"/files/{file_id}", headers={"Range": part})
    report = app.test_cli_runner().invoke(args=["downloads", "report", "--csv"]).output
    assert "Speech in Lisbon,1" in report.replace('"', "")
    assert "ada@example.org,1" in report.replace('"', "")


def personal_link(verified, video_id):
    import re

    page = verified.client.get(f"/videos/{video_id}").text
    return re.search(r'value="(http://localhost/d/[^"]+)"', page).group(1).replace("http://localhost", "")


def test_a_personal_link_works_without_cookies(app, verified, add_video):
    video_id, _ = add_video(sizes=(5000,))
    link = personal_link(verified, video_id)
    response = app.test_client(use_cookies=False).get(link)
    assert response.status_code == 200
    assert response.data == content(5000)
    assert downloads(app)[-1].via_link


def test_a_personal_link_expires_after_a_day(app, verified, add_video, clock):
    video_id, _ = add_video()
    link = personal_link(verified, video_id)
    clock.advance(24 * 3600 + 1)
    response = app.test_client(use_cookies=False).get(link)
    assert response.status_code == 403
    assert "no longer works" in response.text


def test_a_personal_link_stops_when_the_password_changes(app, verified, add_video, deliver, clock):
    video_id, _ = add_video()
    link = personal_link(verified, video_id)
    clock.advance(61)
    verified.post("/reset", {"email": "ada@example.org"})
    verified.post("/reset/code", {"code": code_in(deliver().to("ada@example.org")[-1])})
    verified.post("/reset/password", {"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})
    assert app.test_client(use_cookies=False).get(link).status_code == 403


def test_a_personal_link_stops_when_the_account_is_removed(app, verified, add_video):
    from portal.models import User

    video_id, _ = add_video()
    link = personal_link(verified, video_id)
    with app.app_context():
        db.session.delete(db.session.scalar(select(User)))
        db.session.commit()
    assert app.test_client(use_cookies=False).get(link).status_code == 403


def test_a_tampered_link_is_refused(app, verified, add_video):
    video_id, _ = add_video()
    token, name = personal_link(verified, video_id).removeprefix("/d/").split("/")
    changed = "A" if token[-6] != "A" else "B"  # a character that carries six bits of the signature
    tampered = f"/d/{token[:-6]}{changed}{token[-5:]}/{name}"
    assert app.test_client(use_cookies=False).get(tampered).status_code == 403


@pytest.mark.parametrize("storage_mode", ["local"], indirect=True)
def test_nginx_mode_hands_the_file_to_nginx(app, verified, add_video):
    app.config.update(DOWNLOAD_ACCEL="nginx", DOWNLOAD_ACCEL_PREFIX="/protected/")
    video_id, [file_id] = add_video()
    response = verified.client.get(f"/files/{file_id}")
    assert response.headers["X-Accel-Redirect"].startswith(f"/protected/{video_id}/")
    assert "X-Sendfile" not in response.headers
    assert response.data == b""
    assert "filename=" in response.headers["Content-Disposition"]


@pytest.mark.parametrize("storage_mode", ["local"], indirect=True)
def test_sendfile_mode_names_the_file_for_the_web_server(app, verified, add_video):
    app.config["DOWNLOAD_ACCEL"] = "sendfile"
    _, [file_id] = add_video()
    response = verified.client.get(f"/files/{file_id}")
    assert response.headers["X-Sendfile"].endswith(".mp4")
    assert response.data == b""


def test_an_answer_without_bytes_is_no_download(app, verified, add_video, clock):
    _, [file_id] = add_video(sizes=(5000,))
    etag = verified.client.get(f"/files/{file_id}").headers["ETag"]
    clock.advance(app.config["DOWNLOAD_RECORD_WINDOW"] + 1)
    assert verified.client.get(f"/files/{file_id}", headers={"If-None-Match": etag}).status_code == 304
    assert verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=9000-"}).status_code == 416
    assert len(downloads(app)) == 1


def test_a_range_further_on_never_opens_a_new_record_even_after_the_window(app, verified, add_video, clock):
    """A resume (a range past byte 0) finishes a download already counted; only a start from byte 0 counts."""
    _, [file_id] = add_video(sizes=(5000,))
    verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=0-999"})
    clock.advance(app.config["DOWNLOAD_RECORD_WINDOW"] + 1)
    assert verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=1000-"}).status_code == 206
    assert len(downloads(app)) == 1
    verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=0-"})
    assert len(downloads(app)) == 2


def test_a_file_missing_from_the_storage_answers_404_and_the_log_says_so(app, verified, add_video, caplog):
    from portal.media import storage
    from portal.media.models import Rendition

    video_id, [file_id] = add_video(sizes=(5000,))
    with app.app_context():
        storage.remove_file(db.session.get(Rendition, file_id).stored_path)
    assert verified.client.get(f"/files/{file_id}").status_code == 404
    assert f"file {file_id} of video {video_id} is missing from" in caplog.text
    assert downloads(app) == []

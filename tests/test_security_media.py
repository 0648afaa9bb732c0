"""Attacks from the second security review (media, newsletter, logs): each must fail."""
import json
import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.media import library
from portal.models import User
from portal.web.access_log import redact

from conftest import test_settings
from helpers import png_image, video_bytes


def describe(folder, **data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "clip.mp4").write_bytes(video_bytes(5000))
    (folder / "video.json").write_text(json.dumps({"title": "T", "files": ["clip.mp4"], **data}))

@pytest.mark.parametrize("field, value", [
    ("files", ["../../secret.txt"]),
    ("files", ["/etc/passwd"]),
    ("transcript", "../../secret.txt"),
    ("poster", "/etc/hostname"),
])
def test_an_import_never_reaches_outside_its_folder(app, tmp_path, field, value):
    (tmp_path / "secret.txt").write_text("the server's secret")
    describe(tmp_path / "drop" / "evil", **{field: value})
    result = app.test_cli_runner().invoke(args=["media", "import", str(tmp_path / "drop")])
    assert "refused  evil:" in result.output and "outside the folder" in result.output
    assert "the server's secret" not in app.test_client().get("/videos/1").text

def test_an_import_does_not_follow_symlinks(app, tmp_path):
    (tmp_path / "secret.mp4").write_bytes(b"secret")
    folder = tmp_path / "drop" / "linked"
    describe(folder, files=["link.mp4"])
    os.symlink(tmp_path / "secret.mp4", folder / "link.mp4")
    result = app.test_cli_runner().invoke(args=["media", "import", str(tmp_path / "drop")])
    assert "outside the folder" in result.output

def test_a_malformed_description_refuses_only_its_folder(app, tmp_path):
    describe(tmp_path / "drop" / "a-bad", tags=5)
    describe(tmp_path / "drop" / "b-good")
    result = app.test_cli_runner().invoke(args=["media", "import", str(tmp_path / "drop")])
    assert "refused  a-bad" in result.output and "added    b-good" in result.output

@pytest.mark.parametrize("content", [b"<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>",
                                     b"<!doctype html><script>x()</script>", b"alert(1)"])
def test_a_poster_must_be_a_pixel_image(app, tmp_path, content):
    poster = tmp_path / "poster.png"
    poster.write_bytes(content)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(video_bytes(5000))
    with app.app_context(), pytest.raises(library.LibraryError, match="not a PNG, JPEG or WebP"):
        library.add_video(library.NewVideo(title="T", files=[clip], poster=poster))

def test_a_poster_is_served_as_the_image_it_is(app, tmp_path):
    poster, clip = tmp_path / "poster.bin", tmp_path / "clip.mp4"
    poster.write_bytes(png_image())
    clip.write_bytes(video_bytes(5000))
    with app.app_context():
        video_id = library.add_video(library.NewVideo(title="T", files=[clip], poster=poster)).id
    response = app.test_client().get(f"/videos/{video_id}/poster")
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]

@pytest.mark.parametrize("path", ["/videos/99999999999999999999", "/videos/2147483648", "/files/2147483648",
                                  "/videos/2147483648/poster", "/videos/0"])
def test_huge_or_zero_ids_are_404s(app, path):
    assert app.test_client().get(path).status_code == 404

def test_a_missing_poster_file_is_a_404(app, tmp_path):
    poster, clip = tmp_path / "poster.png", tmp_path / "clip.mp4"
    poster.write_bytes(png_image())
    clip.write_bytes(video_bytes(5000))
    with app.app_context():
        video = library.add_video(library.NewVideo(title="T", files=[clip], poster=poster))
        video_id, stored = video.id, video.poster
    (Path(app.instance_path) / "media" / stored).unlink()
    assert app.test_client().get(f"/videos/{video_id}/poster").status_code == 404

@pytest.mark.parametrize("query", ["tag=%00", "q=%00abc", "q=%1b%5b31m"])
def test_control_characters_in_search_parameters_are_harmless(app, query):
    assert app.test_client().get(f"/?{query}").status_code == 200

def test_ids_are_never_reused_so_the_catalogue_cannot_show_a_removed_video(tmp_path, inbox):
    settings = test_settings(tmp_path, inbox.port, CATALOGUE_CACHE_SECONDS=0)
    web = create_app(settings, instance_path=str(tmp_path / "web"))
    admin = create_app(settings, instance_path=str(tmp_path / "admin"))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(video_bytes(5000))
    from portal.media.models import Video

    with admin.app_context():
        library.add_video(library.NewVideo(title="Kept", files=[clip]))
        taken_down_id = library.add_video(library.NewVideo(title="Taken down", files=[clip])).id
    assert "Taken down" in web.test_client().get("/").text
    with admin.app_context():
        library.remove_video(db.session.get(Video, taken_down_id))
        assert library.add_video(library.NewVideo(title="Replacement", files=[clip])).id > taken_down_id
    html = web.test_client().get("/").text
    assert "Taken down" not in html and "Replacement" in html

def test_csv_exports_keep_formulas_as_text(app, verified, add_video):
    with app.app_context():
        user = db.session.scalar(select(User))
        user.full_name = '=HYPERLINK("http://evil.example","x")'
        user.newsletter_subscribed_at = user.verified_at
        user.newsletter_consent_source = "offer"
        db.session.commit()
    output = app.test_cli_runner().invoke(args=["newsletter", "export", "--csv"]).output
    assert "'=HYPERLINK" in output
    assert ',=HYPERLINK' not in output

def test_unsubscribe_links_never_reach_a_log_line():
    assert "SECRET" not in redact("GET /newsletter/unsubscribe/SECRET.sig HTTP/1.1")
    assert "SECRET" not in redact('"http://site/newsletter/unsubscribe/SECRET.sig"')

def test_child_loggers_are_redacted_by_the_portal_s_handler(app, capfd):
    logging.getLogger("portal.media").error("failed on /d/SECRET-TOKEN")
    assert "SECRET-TOKEN" not in capfd.readouterr().err

def test_an_unsubscribe_link_dies_when_the_address_changes(app, verified):
    from portal.newsletter import subscriptions

    with app.app_context():
        user = db.session.scalar(select(User))
        token = subscriptions.unsubscribe_url(user).rsplit("/", 1)[1]
        user.email = "new-address@example.org"
        db.session.commit()
    assert app.test_client().get(f"/newsletter/unsubscribe/{token}").status_code == 404

def test_a_download_link_and_an_unsubscribe_link_are_not_interchangeable(app, verified, add_video):
    import re

    from portal.newsletter import subscriptions

    video_id, _ = add_video()
    page = verified.client.get(f"/videos/{video_id}").text
    download_token = re.search(r'value="http://localhost/d/([^"]+)"', page).group(1)
    with app.app_context():
        unsubscribe_token = subscriptions.unsubscribe_url(db.session.scalar(select(User))).rsplit("/", 1)[1]
    client = app.test_client(use_cookies=False)
    assert client.get(f"/newsletter/unsubscribe/{download_token}").status_code == 404
    assert client.get(f"/d/{unsubscribe_token}").status_code == 403

def test_downloads_are_never_kept_by_a_shared_cache(app, verified, add_video):
    _, [file_id] = add_video()
    response = verified.client.get(f"/files/{file_id}")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]

def test_titles_and_transcripts_are_escaped(app, add_video):
    video_id, _ = add_video("<script>alert(1)</script>", transcript="<img src=x onerror=alert(1)>")
    html = app.test_client().get(f"/videos/{video_id}").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html

def test_a_newsletter_subject_is_one_line(app, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("x")
    result = app.test_cli_runner().invoke(
        args=["newsletter", "send", "--subject", "Hi\nBcc: x@evil", "--text", str(text)])
    assert result.exit_code != 0 and "one line" in result.output

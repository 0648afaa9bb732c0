"""The admin's commands: portal media add/import/captions/list/remove, portal demo, downloads report."""
import hashlib
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.media import library
from portal.media.models import Video


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def count_videos(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Video.id)))


def media_files(app):
    return sorted(path for path in (Path(app.instance_path) / "media").rglob("*") if path.is_file())


def probe_stored(stored_path):
    """What the probe finds in a stored file, wherever the storage keeps it."""
    from portal.media import engine, storage

    with storage.local_copy(stored_path) as path:
        return engine.probe(path)


def test_media_add_stores_what_each_file_is_and_prints_the_url(app, tmp_path, sample_videos):
    transcript = tmp_path / "t.txt"
    transcript.write_text("As delivered. Thank you.")
    result = run(app, "media", "add", str(sample_videos["hd.mp4"]), str(sample_videos["silent.mkv"]),
                 "--title", "Speech", "--recorded", "2026-01-02", "--place", "Oslo", "--tags", "speech, Oslo",
                 "--transcript", str(transcript), "--label", "HD 360p MP4", "--label", "Silent MKV")
    assert result.exit_code == 0, result.output
    assert "/videos/1" in result.output
    with app.app_context():
        video = db.session.get(Video, 1)
        assert video.tag_names == ["oslo", "speech"]
        assert video.duration_seconds == 2  # from the probe
        assert video.transcript == "As delivered. Thank you."
        hd = next(r for r in video.renditions if r.label == "HD 360p MP4")
        assert hd.size == sample_videos["hd.mp4"].stat().st_size
        assert hd.sha256 == hashlib.sha256(sample_videos["hd.mp4"].read_bytes()).hexdigest()
        assert (hd.container, hd.video_codec, hd.video_profile) == ("mp4", "h264", "Constrained Baseline")
        assert (hd.width, hd.height, hd.frame_rate, hd.scan_type) == (640, 360, 25, "progressive")
        assert (hd.audio_codec, hd.audio_channels, hd.audio_sample_rate) == ("aac", 2, 48_000)
        assert hd.bit_rate > 0 and abs(hd.duration - 2) < 0.1
        silent = next(r for r in video.renditions if r.label == "Silent MKV")
        assert (silent.video_codec, silent.frame_rate, silent.audio_codec) == ("mpeg4", 50, None)
        assert [(s.kind, s.width) for s in video.stills] == [("jpeg", 320), ("webp", 320), ("jpeg", 640), ("webp", 640)]
        assert video.preview
    # the two files, four stills and the preview
    assert len(media_files(app)) == 7


def test_the_duration_option_overrides_the_probe(app, sample_videos):
    result = run(app, "media", "add", str(sample_videos["hd.mp4"]), "--title", "T", "--duration", "12:34", "--quiet")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Video, 1).duration_seconds == 754


def test_a_given_poster_is_kept_and_no_stills_are_made(app, tmp_path, sample_videos):
    from helpers import png_image

    poster = tmp_path / "poster.png"
    poster.write_bytes(png_image())
    result = run(app, "media", "add", str(sample_videos["hd.mp4"]), "--title", "T", "--poster", str(poster), "--quiet")
    assert result.exit_code == 0, result.output
    with app.app_context():
        video = db.session.get(Video, 1)
        assert video.poster and video.stills == []


def test_media_add_refuses_bad_input_and_writes_nothing(app, sample_videos):
    result = run(app, "media", "add", str(sample_videos["hd.mp4"]), "--title", "T", "--recorded", "02/01/2026")
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output
    assert count_videos(app) == 0
    assert media_files(app) == []


@pytest.mark.parametrize("name", ["notes.mp4", "truncated.mp4"])
def test_media_add_refuses_a_file_that_is_not_a_video_in_one_line_naming_it(app, sample_videos, name):
    result = run(app, "media", "add", str(sample_videos["hd.mp4"]), str(sample_videos[name]), "--title", "T")
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"Error: {name}: ")
    assert count_videos(app) == 0
    assert media_files(app) == []


def test_media_add_with_captions_serves_them_to_anyone_as_webvtt(app, tmp_path, sample_videos):
    from helpers import CAPTIONS, write_captions

    result = run(app, "media", "add", str(sample_videos["hd.mp4"]), "--title", "T", "--quiet",
                 "--captions", str(write_captions(tmp_path)), "--captions-lang", "fr-BE")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Video, 1).captions_lang == "fr-BE"
    served = app.test_client().get("/videos/1/captions.vtt")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert served.headers["Cache-Control"] == "public, max-age=3600"
    assert served.text == CAPTIONS


@pytest.mark.parametrize("text, reason", [
    ("00:00.000 --> 00:01.000\nNo header\n", "its first line must be WEBVTT"),
    ("WEBVTT\n\n00:00.000 --> 00:0x.000\nA broken time\n", "not valid WebVTT"),
    ("WEBVTT\n\nNOTE only a note\n", "has no cues"),
    ("WEBVTT\n\n00:05.000 --> 00:01.000\nBackwards\n", "ends before it starts"),
    ("WEBVTT\n\n00:00.000 --> 00:01.000\nD\xe9j\xe0 en Latin-1\n".encode("latin-1"), "not UTF-8 text"),
])
def test_media_add_refuses_malformed_captions_in_one_line_naming_the_file_and_adds_nothing(
        app, tmp_path, sample_videos, text, reason):
    captions = tmp_path / "speech.vtt"
    captions.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = run(app, "media", "add", str(sample_videos["hd.mp4"]), "--title", "T", "--captions", str(captions))
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: speech.vtt: ") and reason in line
    assert count_videos(app) == 0
    assert media_files(app) == []


def describe(folder, sample_videos, **data):
    folder.mkdir(parents=True)
    for entry in data.get("files", []):
        name = entry["path"] if isinstance(entry, dict) else entry
        source = sample_videos.get(name, sample_videos["silent.mkv"])
        (folder / name).write_bytes(source.read_bytes())
    (folder / "video.json").write_text(json.dumps(data))


def test_media_import_is_idempotent_and_reports_what_it_did(app, tmp_path, sample_videos):
    root = tmp_path / "drop"
    describe(root / "a-speech", sample_videos, title="A speech", recorded="2026-03-01", tags=["speech"],
             files=[{"path": "hd.mp4", "label": "HD 1080p MP4"}])
    describe(root / "b-roll", sample_videos, title="B-roll", files=["clip.mov"])
    describe(root / "broken", sample_videos, title="", files=["x.mp4"])
    describe(root / "memo", sample_videos, title="Memo", files=["notes.mp4"])
    (root / "empty").mkdir()
    (root / "toml").mkdir()
    (root / "toml" / "f.mp4").write_bytes(sample_videos["silent.mkv"].read_bytes())
    (root / "toml" / "video.toml").write_text('title = "From TOML"\nfiles = ["f.mp4"]\nduration = "1:00"\n')

    first = run(app, "media", "import", str(root))
    assert first.exit_code == 0, first.output
    assert "added    a-speech" in first.output and "added    toml" in first.output
    assert "refused  broken: a title is needed" in first.output
    assert "refused  empty: no video.toml or video.json" in first.output
    assert "refused  memo: notes.mp4: not a video" in first.output
    assert "3 added, 0 skipped, 3 refused" in first.output
    assert "3 preview(s) made" in first.output

    second = run(app, "media", "import", str(root), "--quiet")
    assert "0 added, 3 skipped, 3 refused" in second.output
    assert "preview" not in second.output
    assert count_videos(app) == 3
    with app.app_context():
        assert db.session.scalar(select(Video.duration_seconds).where(Video.title == "From TOML")) == 60


def test_an_interrupted_import_finishes_the_previews_when_run_again(app, tmp_path, sample_videos, monkeypatch):
    from portal.media import engine

    root = tmp_path / "drop"
    describe(root / "a", sample_videos, title="A", files=["hd.mp4"])
    describe(root / "b", sample_videos, title="B", files=["vp9.webm"])
    real = engine.make_preview

    def interrupted(source, target, progress):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "make_preview", interrupted)
    first = run(app, "media", "import", str(root))
    assert first.exit_code == 130 and "previews --missing" in first.output
    monkeypatch.setattr(engine, "make_preview", real)
    with app.app_context():
        assert [video.preview for video in library.videos()] == [None, None]
    assert list((Path(app.instance_path) / "media").rglob("*.part")) == []

    second = run(app, "media", "import", str(root), "--quiet")
    assert "0 added, 2 skipped" in second.output and "2 preview(s) made" in second.output
    assert "0 preview(s) made" in run(app, "media", "previews", "--missing", "--quiet").output
    assert "2 preview(s) made" in run(app, "media", "previews", "--quiet").output


def test_media_import_takes_a_vtt_beside_a_video_as_its_captions(app, tmp_path, sample_videos):
    from helpers import CAPTIONS, write_captions

    root = tmp_path / "drop"
    describe(root / "speech", sample_videos, title="Speech", files=["clip.mkv"], captions_lang="de")
    write_captions(root / "speech", name="clip.vtt")
    describe(root / "garbled", sample_videos, title="Garbled", files=["clip.mkv"])
    write_captions(root / "garbled", "Not captions at all\n", name="clip.vtt")
    result = run(app, "media", "import", str(root), "--quiet")
    assert "added    speech" in result.output
    assert "refused  garbled: clip.vtt: not a WebVTT file" in result.output
    with app.app_context():
        [video] = library.videos()
        assert (video.title, video.captions_lang) == ("Speech", "de")
    assert app.test_client().get(f"/videos/{video.id}/captions.vtt").text == CAPTIONS


def test_media_captions_replaces_or_removes_a_video_s_captions_and_removing_the_video_removes_them(
        app, tmp_path, add_sample_video):
    from helpers import write_captions

    video_id = add_sample_video(captions=write_captions(tmp_path))
    first_files = media_files(app)

    def track_source():
        return re.search(r'<track [^>]*src="([^"]+)"', app.test_client().get(f"/videos/{video_id}").text).group(1)

    first_source = track_source()
    new = write_captions(tmp_path, "WEBVTT\n\n00:00.000 --> 00:01.000\nNouveau\n", name="new.vtt")
    result = run(app, "media", "captions", str(video_id), str(new), "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert f"captions (fr) set for http://localhost/videos/{video_id}" in result.output
    assert app.test_client().get(f"/videos/{video_id}/captions.vtt").text.endswith("Nouveau\n")
    # The old file is gone, the new one took its place, and the player asks for it by a new address (no stale cache).
    assert len(media_files(app)) == len(first_files) and media_files(app) != first_files
    assert track_source() != first_source

    refused = run(app, "media", "captions", str(video_id), str(write_captions(tmp_path, "WEBVTT\n", "bad.vtt")))
    assert refused.output.strip() == "Error: bad.vtt: has no cues"
    assert app.test_client().get(f"/videos/{video_id}/captions.vtt").text.endswith("Nouveau\n")
    wrong_language = run(app, "media", "captions", str(video_id), str(new), "--lang", "en us")
    assert wrong_language.output.strip() == "Error: captions language 'en us' is not a language tag such as en or fr-BE"
    assert run(app, "media", "captions", "99", str(new)).output.strip() == "Error: there is no video 99"
    huge = write_captions(tmp_path, "WEBVTT\n\n" + "00:00.000 --> 00:01.000\nWord\n\n" * 80_000, "huge.vtt")
    too_large = run(app, "media", "captions", str(video_id), str(huge))
    assert too_large.output.strip().startswith("Error: huge.vtt: ") and "too large for captions" in too_large.output

    assert run(app, "media", "captions", str(video_id), "--remove").output.strip() == \
        f"captions removed from http://localhost/videos/{video_id}"
    assert '<track' not in app.test_client().get(f"/videos/{video_id}").text
    assert app.test_client().get(f"/videos/{video_id}/captions.vtt").status_code == 404
    assert len(media_files(app)) == len(first_files) - 1
    assert "had no captions" in run(app, "media", "captions", str(video_id), "--remove").output

    assert run(app, "media", "captions", str(video_id), str(new)).exit_code == 0
    assert run(app, "media", "remove", str(video_id), "--yes").exit_code == 0
    assert media_files(app) == []
    assert app.test_client().get(f"/videos/{video_id}/captions.vtt").status_code == 404


def test_media_list_and_remove(app, add_video):
    video_id, _ = add_video("To be removed")
    assert "To be removed" in run(app, "media", "list").output
    refused = run(app, "media", "remove", str(video_id), input="n\n")
    assert count_videos(app) == 1 and refused.exit_code != 0
    result = run(app, "media", "remove", str(video_id), "--yes")
    assert result.exit_code == 0
    assert count_videos(app) == 0
    assert media_files(app) == []


def test_demo_adds_a_handful_of_playable_videos_with_posters_and_previews_once(app):
    assert "5 demo video(s) added" in run(app, "demo").output
    assert "The demo library is already there (5 videos)" in run(app, "demo").output
    assert count_videos(app) == 5
    html = app.test_client().get("/").text
    assert "Opening remarks at the Brussels press conference" in html
    first = app.test_client().get("/videos/1").text
    assert '<track kind="captions"' in first and "As delivered. Good morning." in first
    assert first.count('<section class="transcript') == 1  # the text as delivered, not the captions too
    with app.app_context():
        for video in library.videos():
            assert video.stills and video.duration_seconds == 3
            assert [(f.video_codec, f.audio_codec) for f in map(probe_stored, [
                *(r.stored_path for r in video.renditions), video.preview])] == [("h264", "aac")] * 3
            assert [(r.width, r.height) for r in video.renditions] == [(1280, 720), (640, 360)]


def test_demo_run_again_says_the_demo_library_is_there_with_the_count_read_from_the_library(app, monkeypatch):
    from portal.media import demo

    monkeypatch.setattr(demo, "DEMO_VIDEOS", demo.DEMO_VIDEOS[:2])
    assert "2 demo video(s) added" in run(app, "demo").output
    second = run(app, "demo")
    assert second.exit_code == 0
    assert second.output.strip() == "The demo library is already there (2 videos)"


def test_downloads_report_counts_per_video_and_account(app, verified, add_video, clock):
    video_id, [file_id] = add_video("Counted speech")
    for _ in range(3):
        verified.client.get(f"/files/{file_id}")
        clock.advance(app.config["DOWNLOAD_RECORD_WINDOW"] + 1)
    report = run(app, "downloads", "report").output
    assert "3  #1 Counted speech" in report
    assert "3  ada@example.org" in report
    csv = run(app, "downloads", "report", "--csv").output.splitlines()
    assert csv[0] == "kind,id,name,downloads"
    assert "video,1,Counted speech,3" in csv and "account,,ada@example.org,3" in csv

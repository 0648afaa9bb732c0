"""The admin's commands: portal media add/import/list/remove, portal demo, downloads report."""
import hashlib
import json
from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.media.models import Video


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def count_videos(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Video.id)))


def media_files(app):
    return sorted(path for path in (Path(app.instance_path) / "media").rglob("*") if path.is_file())


def test_media_add_copies_the_renditions_and_prints_the_url(app, tmp_path):
    big, small = tmp_path / "speech-hd.mp4", tmp_path / "speech-sd.mp4"
    big.write_bytes(b"h" * 300_000)
    small.write_bytes(b"s" * 1000)
    transcript = tmp_path / "t.txt"
    transcript.write_text("As delivered. Thank you.")
    result = run(app, "media", "add", str(big), str(small), "--title", "Speech", "--recorded", "2026-01-02",
                 "--place", "Oslo", "--tags", "speech, Oslo", "--transcript", str(transcript),
                 "--label", "HD 1080p MP4", "--label", "SD 540p MP4", "--duration", "12:34")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("/videos/1")
    with app.app_context():
        video = db.session.get(Video, 1)
        assert video.tag_names == ["oslo", "speech"]
        assert video.duration_seconds == 754
        assert video.transcript == "As delivered. Thank you."
        hd = next(r for r in video.renditions if r.label == "HD 1080p MP4")
        assert hd.size == 300_000
        assert hd.sha256 == hashlib.sha256(b"h" * 300_000).hexdigest()
    assert len(media_files(app)) == 2


def test_media_add_refuses_bad_input_and_writes_nothing(app, tmp_path):
    source = tmp_path / "a.mp4"
    source.write_bytes(b"x")
    result = run(app, "media", "add", str(source), "--title", "T", "--recorded", "02/01/2026")
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output
    assert count_videos(app) == 0
    assert media_files(app) == []


def describe(folder, **data):
    folder.mkdir(parents=True)
    for entry in data.get("files", []):
        (folder / (entry["path"] if isinstance(entry, dict) else entry)).write_bytes(b"v" * 100)
    (folder / "video.json").write_text(json.dumps(data))


def test_media_import_is_idempotent_and_reports_what_it_did(app, tmp_path):
    root = tmp_path / "drop"
    describe(root / "a-speech", title="A speech", recorded="2026-03-01", tags=["speech"],
             files=[{"path": "hd.mp4", "label": "HD 1080p MP4"}])
    describe(root / "b-roll", title="B-roll", files=["clip.mov"])
    describe(root / "broken", title="", files=["x.mp4"])
    (root / "empty").mkdir()
    (root / "toml").mkdir()
    (root / "toml" / "f.mp4").write_bytes(b"t")
    (root / "toml" / "video.toml").write_text('title = "From TOML"\nfiles = ["f.mp4"]\nduration = "1:00"\n')

    first = run(app, "media", "import", str(root))
    assert first.exit_code == 0, first.output
    assert "added    a-speech" in first.output and "added    toml" in first.output
    assert "refused  broken: a title is needed" in first.output
    assert "refused  empty: no video.toml or video.json" in first.output
    assert "3 added, 0 skipped, 2 refused" in first.output

    second = run(app, "media", "import", str(root))
    assert "0 added, 3 skipped, 2 refused" in second.output
    assert count_videos(app) == 3


def test_media_list_and_remove(app, add_video):
    video_id, _ = add_video("To be removed")
    assert "To be removed" in run(app, "media", "list").output
    refused = run(app, "media", "remove", str(video_id), input="n\n")
    assert count_videos(app) == 1 and refused.exit_code != 0
    result = run(app, "media", "remove", str(video_id), "--yes")
    assert result.exit_code == 0
    assert count_videos(app) == 0
    assert media_files(app) == []


def test_demo_adds_a_handful_of_videos_once(app):
    assert "5 demo video(s) added" in run(app, "demo").output
    assert "already present" in run(app, "demo").output
    assert count_videos(app) == 5
    html = app.test_client().get("/").text
    assert "Opening remarks at the Brussels press conference" in html


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

"""The library in an S3 bucket (moto's server on loopback): uploads, removal, health, redirects, previews.

The downloads tests run in both storage modes (test_downloads.py); these are what only a bucket has.
moto checks neither signatures nor expiry, so the presigned URL's parameters are checked as well as fetched.
"""
import hashlib
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.media import library, storage
from portal.media.models import Download, Rendition, Video

from conftest import free_port, test_settings
from helpers import video_bytes

BIG = 9 * 1024 * 1024  # two parts of a multipart upload


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def new_video(tmp_path, *sizes) -> library.NewVideo:
    files = []
    for number, size in enumerate(sizes):
        files.append(tmp_path / f"source-{number}.mp4")
        files[-1].write_bytes(video_bytes(size))
    return library.NewVideo(title="Opening remarks", files=files, labels=["HD"] * len(files))


def test_a_video_s_files_and_stills_are_objects_under_the_prefix_and_nothing_is_on_disk(
        app, s3_storage, s3_server, add_video):
    video_id, [file_id] = add_video(sizes=(5000,))
    with app.app_context():
        video = db.session.get(Video, video_id)
        stored = sorted(s3_storage + path for path in [video.renditions[0].stored_path,
                                                       *(still.stored_path for still in video.stills)])
    assert s3_server.keys(s3_storage) == stored and len(stored) > 1
    assert not (Path(app.instance_path) / "media").exists()


def test_a_big_file_goes_up_in_parts_hashed_as_it_passes_and_comes_down_a_chunk_at_a_time(
        app, s3_storage, s3_server, tmp_path, verified):
    with app.app_context():
        video = library.add_video(new_video(tmp_path, BIG))
        rendition = video.renditions[0]
        file_id, key = rendition.id, s3_storage + rendition.stored_path
        assert (rendition.size, rendition.sha256) == (BIG, hashlib.sha256(video_bytes(BIG)).hexdigest())
    assert s3_server.client.head_object(Bucket=s3_server.bucket, Key=key)["ETag"].endswith('-2"')
    held, sizes = memory_held_halfway(verified.client, f"/files/{file_id}")
    assert sum(sizes) == BIG and max(sizes) <= storage.CHUNK
    assert held < 4 * 1024 * 1024  # the request's own objects and a chunk or two; never the 9 MiB


def memory_held_halfway(client, path) -> tuple[int, list[int]]:
    """What the portal's side (moto's server thread left out) holds halfway through a download; the chunks' sizes."""
    import tracemalloc

    tracemalloc.start(10)
    try:
        response = client.get(path, buffered=False)
        chunks = iter(response.response)
        sizes = [len(next(chunks)) for _ in range(5)]
        halfway = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, "*/moto/*", all_frames=True)])
    finally:
        tracemalloc.stop()
    sizes += [len(chunk) for chunk in chunks]
    response.close()
    return sum(stat.size for stat in halfway.statistics("filename")), sizes


def test_an_upload_stopped_midway_leaves_no_object_no_upload_and_no_video(app, s3_storage, s3_server, tmp_path):
    """Ctrl-C during the second file's parts: its multipart upload is aborted and the first file removed."""
    parts = []

    def interrupt_after_a_part(size):
        parts.append(size)
        if len(parts) == 2:  # the small file, then the big file's first part
            raise KeyboardInterrupt

    with app.app_context(), pytest.raises(KeyboardInterrupt):
        library.add_video(new_video(tmp_path, 5000, BIG), interrupt_after_a_part)
    assert s3_server.keys(s3_storage) == []
    assert count(app, Video) == count(app, Rendition) == 0


def test_a_bucket_that_refuses_stops_media_add_with_a_clear_error_and_nothing_added(
        app, s3_storage, s3_server, tmp_path):
    app.config["S3_BUCKET"] = "no-such-bucket"
    source = new_video(tmp_path, 5000).files[0]
    result = app.test_cli_runner().invoke(args=["media", "add", str(source), "--title", "T", "--quiet"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: the bucket no-such-bucket at {s3_server.url} refused storing 1/")
    assert "NoSuchBucket" in result.output and result.output.rstrip().endswith("nothing was added")
    assert count(app, Video) == 0


def test_media_add_and_remove_store_and_remove_every_object_of_the_video(
        app, s3_storage, s3_server, sample_videos, tmp_path):
    from helpers import write_captions

    added = app.test_cli_runner().invoke(args=[
        "media", "add", str(sample_videos["hd.mp4"]), "--title", "T", "--captions", str(write_captions(tmp_path))])
    assert added.exit_code == 0, added.output
    keys = s3_server.keys(s3_storage)
    assert f"{s3_storage}1/preview.mp4" in keys and any(key.endswith(".vtt") for key in keys)
    assert app.test_cli_runner().invoke(args=["media", "remove", "1", "--yes"]).exit_code == 0
    assert s3_server.keys(s3_storage) == []


def test_the_preview_poster_and_captions_come_from_the_bucket_with_ranges(
        app, s3_storage, add_sample_video, tmp_path):
    from helpers import CAPTIONS, write_captions

    video_id = add_sample_video(captions=write_captions(tmp_path))
    client = app.test_client()
    whole = client.get(f"/videos/{video_id}/preview")
    part = client.get(f"/videos/{video_id}/preview", headers={"Range": "bytes=100-199"})
    assert whole.status_code == 200 and whole.headers["Cache-Control"] == "public, max-age=3600"
    assert part.status_code == 206 and part.data == whole.data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole.data)}"
    unchanged = client.get(f"/videos/{video_id}/preview", headers={"If-None-Match": whole.headers["ETag"]})
    assert unchanged.status_code == 304
    poster = client.get(f"/videos/{video_id}/poster")
    assert poster.status_code == 200 and poster.mimetype == "image/jpeg" and poster.data.startswith(b"\xff\xd8\xff")
    assert client.get(f"/videos/{video_id}/captions.vtt").text == CAPTIONS
    assert "Good morning." in client.get(f"/videos/{video_id}").text  # the transcript, read from the bucket


def test_healthz_says_whether_the_bucket_answers(app, s3_storage):
    assert app.test_client().get("/healthz").json["bucket"] == "ok"
    app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # a server that is not running
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json["bucket"] == "unavailable"
    assert response.json["database"] == "ok"


def test_redirect_mode_sends_the_person_to_a_presigned_url_that_names_the_file_and_lives_minutes(
        app, s3_storage, s3_server, verified, add_video):
    app.config.update(DOWNLOAD_ACCEL="redirect", S3_PRESIGN_SECONDS=240)
    _, [file_id] = add_video(sizes=(5000,))
    response = verified.client.get(f"/files/{file_id}")
    assert response.status_code == 302 and response.headers["Cache-Control"] == "private, no-store"
    location = response.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    name = f"Opening remarks - HD 1080p MP4 [{file_id}].mp4"
    assert location.startswith(f"{s3_server.url}/{s3_server.bucket}/{s3_storage}")
    assert query["X-Amz-Expires"] == ["240"] and "X-Amz-Signature" in query
    assert query["response-content-disposition"] == [f'attachment; filename="{name}"']
    with urllib.request.urlopen(location) as fetched:
        assert fetched.read() == video_bytes(5000)
        assert fetched.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    with app.app_context():
        assert [(row.status, row.byte_range) for row in db.session.scalars(select(Download))] == [(302, None)]


def test_redirect_mode_checks_first_and_a_resume_presigns_anew_without_a_new_record(
        app, s3_storage, verified, add_video, clock):
    app.config["DOWNLOAD_ACCEL"] = "redirect"
    video_id, [file_id] = add_video(sizes=(5000,))
    assert app.test_client().get(f"/files/{file_id}").headers["Location"] == f"/login?next=/videos/{video_id}"
    verified.client.get(f"/files/{file_id}")
    clock.advance(app.config["DOWNLOAD_RECORD_WINDOW"] + 1)
    resumed = verified.client.get(f"/files/{file_id}", headers={"Range": "bytes=1000-"})
    assert resumed.status_code == 302 and "X-Amz-Signature" in resumed.headers["Location"]
    assert count(app, Download) == 1


@pytest.mark.parametrize("storage_setting, accel, refused", [
    ({"MEDIA_STORAGE": "s3", "S3_BUCKET": "media"}, "nginx", "PORTAL_MEDIA_STORAGE=s3 is unset or redirect"),
    ({"MEDIA_STORAGE": "s3", "S3_BUCKET": "media"}, "sendfile", "PORTAL_MEDIA_STORAGE=s3 is unset or redirect"),
    ({"MEDIA_STORAGE": "local"}, "redirect", "PORTAL_MEDIA_STORAGE=local is unset or nginx, sendfile"),
    ({"MEDIA_STORAGE": "s3"}, None, "PORTAL_S3_BUCKET is not set"),
    ({"MEDIA_STORAGE": "disk"}, None, "PORTAL_MEDIA_STORAGE is local or s3"),
    ({"MEDIA_STORAGE": "s3", "S3_BUCKET": "media", "S3_PRESIGN_SECONDS": "5 minutes"}, "redirect",
     "PORTAL_S3_PRESIGN_SECONDS is a number of seconds from 1 to 604800"),
])
def test_a_storage_and_accelerator_that_do_not_go_together_stop_the_start(tmp_path, storage_setting, accel,
                                                                          refused):
    with pytest.raises(ValueError, match=refused):
        create_app(test_settings(tmp_path, free_port(), DOWNLOAD_ACCEL=accel, **storage_setting),
                   instance_path=str(tmp_path / "instance"))


def test_media_import_uploads_each_video_with_its_preview_and_a_second_run_uploads_nothing(
        app, s3_storage, s3_server, tmp_path, sample_videos):
    folder = tmp_path / "drop" / "speech"
    folder.mkdir(parents=True)
    (folder / "speech.mp4").write_bytes(sample_videos["hd.mp4"].read_bytes())
    (folder / "video.toml").write_text('title = "Speech"\nfiles = ["speech.mp4"]\n')
    first = app.test_cli_runner().invoke(args=["media", "import", str(tmp_path / "drop")])
    assert "1 added, 0 skipped, 0 refused" in first.output and "1 preview(s) made" in first.output
    assert "Importing" in first.output  # the progress bar
    keys = s3_server.keys(s3_storage)
    assert f"{s3_storage}1/preview.mp4" in keys and len(keys) == 6  # the file, 4 stills, the preview
    second = app.test_cli_runner().invoke(args=["media", "import", str(tmp_path / "drop"), "--quiet"])
    assert "0 added, 1 skipped, 0 refused" in second.output
    assert s3_server.keys(s3_storage) == keys


def test_a_store_that_does_not_answer_stops_media_add_with_a_clear_error_and_nothing_added(
        app, s3_storage, tmp_path):
    app.config["S3_ENDPOINT_URL"] = endpoint = f"http://127.0.0.1:{free_port()}"  # a server that is not running
    source = new_video(tmp_path, 5000).files[0]
    result = app.test_cli_runner().invoke(args=["media", "add", str(source), "--title", "T", "--quiet"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: the bucket portal-tests at {endpoint} did not answer storing 1/")
    assert count(app, Video) == 0


def test_removing_a_video_while_the_bucket_refuses_removes_it_from_the_portal_and_logs_what_is_left(
        app, s3_storage, add_video, caplog):
    video_id, _ = add_video()
    app.config["S3_BUCKET"] = "no-such-bucket"
    result = app.test_cli_runner().invoke(args=["media", "remove", str(video_id), "--yes"])
    assert result.exit_code == 0 and f"removed {video_id}" in result.output
    assert count(app, Video) == 0
    assert f"{video_id} is left in the bucket no-such-bucket" in caplog.text


def test_media_add_makes_the_preview_from_the_admin_s_file_and_media_previews_from_the_bucket(
        app, s3_storage, s3_server, sample_videos, monkeypatch):
    def fetching_back(stored_path):
        raise AssertionError(f"{stored_path} was fetched back from the bucket")

    with monkeypatch.context() as patched:
        patched.setattr(storage, "local_copy", fetching_back)
        added = app.test_cli_runner().invoke(args=["media", "add", str(sample_videos["hd.mp4"]), "--title", "T"])
    assert added.exit_code == 0 and "no preview" not in added.output, added.output
    first = s3_server.client.head_object(Bucket=s3_server.bucket, Key=f"{s3_storage}1/preview.mp4")
    again = app.test_cli_runner().invoke(args=["media", "previews", "--quiet"])
    assert again.output.strip() == "1 preview(s) made"
    second = s3_server.client.head_object(Bucket=s3_server.bucket, Key=f"{s3_storage}1/preview.mp4")
    assert second["LastModified"] >= first["LastModified"] and second["ContentLength"] > 0


def test_a_download_while_the_store_does_not_answer_gets_503_and_is_not_recorded(
        app, s3_storage, verified, add_video, caplog):
    _, [file_id] = add_video(sizes=(5000,))
    app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # a server that is not running
    response = verified.client.get(f"/files/{file_id}")
    assert response.status_code == 503 and "Please try again in a few seconds." in response.text
    assert f"file {file_id} of video 1 can't be read" in caplog.text
    assert count(app, Download) == 0


def test_replacing_and_removing_captions_replaces_and_removes_their_object(
        app, s3_storage, s3_server, add_video, tmp_path):
    from helpers import write_captions

    video_id, _ = add_video()
    before = s3_server.keys(s3_storage)
    runner = app.test_cli_runner()
    first = write_captions(tmp_path, name="first.vtt")
    second = write_captions(tmp_path, "WEBVTT\n\n00:00.000 --> 00:01.000\nNouveau\n", name="second.vtt")
    assert runner.invoke(args=["media", "captions", str(video_id), str(first)]).exit_code == 0
    [first_key] = set(s3_server.keys(s3_storage)) - set(before)
    assert runner.invoke(args=["media", "captions", str(video_id), str(second), "--lang", "fr"]).exit_code == 0
    [second_key] = set(s3_server.keys(s3_storage)) - set(before)
    assert second_key != first_key
    assert app.test_client().get(f"/videos/{video_id}/captions.vtt").text.endswith("Nouveau\n")
    assert runner.invoke(args=["media", "captions", str(video_id), "--remove"]).exit_code == 0
    assert s3_server.keys(s3_storage) == before

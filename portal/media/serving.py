"""Answer an authorised download, and record it.

The storage answers the HTTP (`storage.send`): single byte ranges (206,
416), If-Range, ETag and Last-Modified with 304s, HEAD, and the file's
name (`download_name`), or it hands the bytes to the web server in front
or (`redirect`) to the bucket, as `DOWNLOAD_ACCEL` says.
"""
import logging
import re
from contextlib import contextmanager
from datetime import timedelta

from flask import abort, current_app, request
from sqlalchemy import delete

from portal.clock import now, seconds_ago
from portal.extensions import db, insert_or_update
from portal.media import storage, terms
from portal.media.letters import without_accents
from portal.media.models import Download, DownloadWindow, Rendition
from portal.models import User

log = logging.getLogger("portal.media")


def file_response(rendition: Rendition, user: User, via_link: bool):
    with storage_failures_as_http(f"file {rendition.id} of video {rendition.video_id}"):
        response = storage.send(rendition.stored_path, mimetype=rendition.content_type,
                                download_name=download_name(rendition), etag=rendition.sha256[:32],
                                last_modified=rendition.added_at, size=rendition.size,
                                accel=current_app.config["DOWNLOAD_ACCEL"])
    # A personal file: no shared cache keeps it, and the browser asks each time.
    response.headers["Cache-Control"] = "private, no-store"
    if request.method == "GET":
        record(rendition, user, response.status_code, via_link)
    return response


@contextmanager
def storage_failures_as_http(what: str):
    """A stored file that is missing answers 404, a storage that fails 503; the log says which `what`."""
    try:
        yield
    except storage.MissingFile:
        log.error("%s is missing from %s", what, storage.where())
        abort(404)
    except storage.StorageError as error:
        log.error("%s can't be read: %s", what, error)
        abort(503)


def download_name(rendition: Rendition) -> str:
    """The file's one name: the download's, the link list's, SHA256SUMS's and My account's."""
    return name_for_file(rendition.id, rendition.video.title, rendition.label, rendition.filename)


def name_for_file(file_id: int, title: str, label: str, original_name: str) -> str:
    """"Discours a Geneve - HD 1080p MP4 [17].mp4", in plain ASCII.

    Browsers and wget save a download under RFC 6266's `filename*`, curl -OJ
    under the plain `filename`: a name with accents would be saved under two
    names, and SHA256SUMS could list only one. The file's id keeps the names
    of a list of many videos apart (titles and labels repeat).
    """
    stem = " - ".join(part for part in (_file_safe(title), _file_safe(label)) if part)[:150].rstrip(" .-")
    suffix = re.sub(r"[^a-z0-9]", "", original_name.rpartition(".")[2].lower()) if "." in original_name else ""
    return f"{stem or 'file'} [{file_id}]" + (f".{suffix}" if suffix else "")


def _file_safe(text: str) -> str:
    """ASCII without what a file system, a SHA256SUMS line or a quoted header cannot hold, nor a leading dot."""
    plain = without_accents(text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', " ", plain).split()).strip(" .-")


def record(rendition: Rendition, user: User, status: int, via_link: bool) -> None:
    """Record a download, once for all its requests within `DOWNLOAD_RECORD_WINDOW`.

    Only answers with bytes (200, 206), or the way to them (a 302 to the
    bucket), are downloads; a 304 or 416 is not. Only a request from the
    first byte starts one: a range further on resumes or completes a
    download already counted, so it never counts again.
    """
    if status not in (200, 206, 302) or not _from_the_first_byte():
        return
    if _starts_a_download(rendition, user):
        byte_range = request.headers.get("Range")
        db.session.add(
            Download(
                user_id=user.id,
                rendition_id=rendition.id,
                video_id=rendition.video_id,
                byte_range=byte_range[:100] if byte_range else None,
                status=status,
                via_link=via_link,
                terms_version=user.terms_accepted_version,
                stated_use=terms.stated_use_of(user),
            )
        )
    db.session.commit()


def _from_the_first_byte() -> bool:
    """No Range, one Werkzeug can't read (the whole file is sent), or one whose first range starts at byte 0."""
    return request.range is None or request.range.ranges[0][0] == 0


def _starts_a_download(rendition: Rendition, user: User) -> bool:
    """Open a new window for this account and file unless one is open; say whether it did.

    One statement, so parallel requests cannot both open one: the row's
    primary key makes all but the first take the conflict branch, which
    moves the window only if it has closed.
    """
    moment = now()
    window_opened_before = moment - timedelta(seconds=current_app.config["DOWNLOAD_RECORD_WINDOW"])
    statement = (
        insert_or_update(DownloadWindow)
        .values(user_id=user.id, rendition_id=rendition.id, counted_at=moment)
        .on_conflict_do_update(
            index_elements=[DownloadWindow.user_id, DownloadWindow.rendition_id],
            set_={"counted_at": moment},
            where=DownloadWindow.counted_at <= window_opened_before,
        )
        .returning(DownloadWindow.counted_at)
    )
    return db.session.execute(statement).first() is not None


def forget_stale() -> int:
    """Drop download windows that closed: a request after them counts as a new download anyway."""
    return db.session.execute(delete(DownloadWindow).where(
        DownloadWindow.counted_at <= seconds_ago(current_app.config["DOWNLOAD_RECORD_WINDOW"]))).rowcount

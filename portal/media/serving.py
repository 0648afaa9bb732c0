"""Answer an authorised download: stream it, or hand it to the web server.

Werkzeug's `send_file` does the HTTP: single byte ranges (206, 416),
If-Range, ETag and Last-Modified with 304s, HEAD, and an RFC 6266
`filename*` for non-ASCII names; it streams through `wsgi.file_wrapper`, which
gunicorn serves with sendfile(2). With `DOWNLOAD_ACCEL` the web server in
front sends the bytes (and handles ranges) instead.
"""
import logging
import re

from flask import abort, current_app, request
from werkzeug.utils import send_file

from ..extensions import db
from ..models import User
from . import storage
from .models import Download, Rendition

log = logging.getLogger("portal.media")


def file_response(rendition: Rendition, user: User, via_link: bool):
    accel = current_app.config["DOWNLOAD_ACCEL"]
    path = storage.path_of(rendition.stored_path)
    if not path.is_file():
        log.error("file %s of video %s is missing from the media root", rendition.id, rendition.video_id)
        abort(404)
    response = send_file(
        path,
        request.environ,
        mimetype=rendition.content_type,
        as_attachment=True,
        download_name=download_name(rendition),
        conditional=not accel,
        etag=rendition.sha256[:32],
        last_modified=rendition.added_at,
        use_x_sendfile=bool(accel),
    )
    if accel == "nginx":
        del response.headers["X-Sendfile"]
        response.headers["X-Accel-Redirect"] = current_app.config["DOWNLOAD_ACCEL_PREFIX"] + rendition.stored_path
    # A personal file: no shared cache keeps it, and the browser asks each time.
    response.headers["Cache-Control"] = "private, no-store"
    if request.method == "GET":
        record(rendition, user, response.status_code, via_link)
    return response


def download_name(rendition: Rendition) -> str:
    """"<title> - <label>.<ext>", without characters no file system takes."""
    suffix = "." + rendition.filename.rsplit(".", 1)[-1] if "." in rendition.filename else ""
    name = f"{rendition.video.title} - {rendition.label}"
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", name).strip()[:150]
    return name + suffix.lower()


def record(rendition: Rendition, user: User, status: int, via_link: bool) -> None:
    byte_range = request.headers.get("Range")
    db.session.add(
        Download(
            user_id=user.id,
            rendition_id=rendition.id,
            video_id=rendition.video_id,
            byte_range=byte_range[:100] if byte_range else None,
            status=status,
            via_link=via_link,
        )
    )
    db.session.commit()

"""Where the library's bytes live: files under the media root, or objects in an S3 bucket.

The rest of the portal names a stored file only by the name this module gave
it (`stored_path`, such as "17/3f9c….mp4", never a request's) and asks this
module to store, read, serve or remove it. `PORTAL_MEDIA_STORAGE` picks the
backend: `local_files` (the default) or `s3_objects`.
"""
import mimetypes
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from flask import current_app
from werkzeug.wrappers import Response

CHUNK = 1024 * 1024


class StorageError(Exception):
    """The storage did not answer, or refused: the message says which and why."""


class MissingFile(Exception):
    """A stored file that is not there (any more)."""


def _backend():
    """The backend the settings name, made for each use (it is light; boto3's client is kept by `s3_objects`).

    Imported when chosen: boto3 loads only where it is used, and the
    backends import this module's errors.
    """
    config = current_app.config
    if config["MEDIA_STORAGE"] == "s3":
        from portal.media.s3_objects import S3Objects

        return S3Objects(config)
    from portal.media.local_files import LocalFiles

    return LocalFiles(Path(config["MEDIA_ROOT"] or Path(current_app.instance_path) / "media"))


def _new_name(folder: str, suffix: str) -> str:
    return f"{folder}/{secrets.token_hex(8)}{suffix}"


def store_copy(source: Path, folder: str, progress: Callable[[int], None] = lambda _: None):
    """Store a copy of `source` in `folder` under a new random name.

    Returns (stored_path, size, sha256); the digest is taken while the bytes
    pass, so a big file is read once, a chunk at a time. On any failure
    nothing of it stays stored.
    """
    stored_path = _new_name(folder, "".join(source.suffixes[-1:]).lower())
    size, sha256 = _backend().put_file(source, stored_path, progress)
    return stored_path, size, sha256


def store_bytes(data: bytes, folder: str, suffix: str) -> str:
    """Store `data` in `folder` under a new random name; its stored path."""
    stored_path = _new_name(folder, suffix)
    _backend().put_bytes(data, stored_path)
    return stored_path


def made_file(stored_path: str) -> AbstractContextManager[Path]:
    """A local path to write a file to (a preview, say), stored as `stored_path` when the block ends without error."""
    return _backend().made_file(stored_path)


def local_copy(stored_path: str) -> AbstractContextManager[Path]:
    """A local path holding the stored file while the block runs, for a tool that reads files (PyAV)."""
    return _backend().local_copy(stored_path)


def read_bytes(stored_path: str, count: int | None = None) -> bytes:
    """The stored file's bytes (its first `count` only, when given); `MissingFile` when it is not there."""
    return _backend().read_bytes(stored_path, count)


def exists(stored_path: str) -> bool:
    return _backend().size(stored_path) is not None


def size(stored_path: str) -> int | None:
    """The stored file's size, or None when it is not there."""
    return _backend().size(stored_path)


def send(stored_path: str, *, mimetype: str, download_name: str | None = None, etag: str | None = None,
         last_modified: datetime | None = None, size: int | None = None, max_age: int | None = None,
         accel: str | None = None) -> Response:
    """The answer to a GET or HEAD for the stored file: ranges, If-Range, ETag and 304 as `send_file` gives them.

    `download_name`: sent as an attachment under this name. `etag`,
    `last_modified` and `size`, when the portal knows them, spare a bucket
    the question. `accel` (`PORTAL_DOWNLOAD_ACCEL`): who sends the bytes
    instead of the portal. `MissingFile` when the file is not there.
    """
    return _backend().send(stored_path, mimetype=mimetype, download_name=download_name, etag=etag,
                           last_modified=last_modified, size=size, max_age=max_age, accel=accel)


def remove_file(stored_path: str) -> None:
    _backend().remove_file(stored_path)


def remove_folder(folder: str) -> None:
    _backend().remove_folder(folder)


def bucket_answers() -> bool:
    """Whether the bucket answers now (`/healthz`; only with `PORTAL_MEDIA_STORAGE=s3`)."""
    return _backend().answers()


def where() -> str:
    """Where the bytes live, for an admin's error message."""
    return _backend().where()


def guess_content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
IMAGE_HEAD = 12


def image_type(head: bytes) -> str | None:
    """The type of a PNG, JPEG or WebP image, told by its first `IMAGE_HEAD` bytes; None for anything else.

    Posters are served inline on the portal's own origin: an SVG or HTML
    "poster" could carry script, so only these pixel formats are taken.
    """
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for signature, kind in IMAGE_SIGNATURES.items() if head.startswith(signature)), None)


def image_type_of_file(path: Path) -> str | None:
    with open(path, "rb") as handle:
        return image_type(handle.read(IMAGE_HEAD))

"""Files under the media root, named by the portal, never by a request."""
import hashlib
import mimetypes
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from flask import current_app

CHUNK = 1024 * 1024


def media_root() -> Path:
    root = Path(current_app.config["MEDIA_ROOT"] or Path(current_app.instance_path) / "media")
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_of(stored_path: str) -> Path:
    return media_root() / stored_path


def guess_content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def store_copy(source: Path, folder: str, progress: Callable[[int], None] = lambda _: None):
    """Copy `source` into `folder` of the media root under a new random name.

    Returns (stored_path, size, sha256); the digest is taken while copying, so
    a big file is read once, a chunk at a time.
    """
    suffix = "".join(source.suffixes[-1:]).lower()
    stored_path = f"{folder}/{secrets.token_hex(8)}{suffix}"
    target = path_of(stored_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as reader, open(target, "xb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
            progress(len(chunk))
    return stored_path, size, digest.hexdigest()


def store_bytes(data: bytes, folder: str, suffix: str) -> str:
    """Write `data` into `folder` of the media root under a new random name; its stored path."""
    stored_path = f"{folder}/{secrets.token_hex(8)}{suffix}"
    target = path_of(stored_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as writer:
        writer.write(data)
    return stored_path


IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def image_type(path: Path) -> str | None:
    """The type of a PNG, JPEG or WebP image, told by its first bytes; None for anything else.

    Posters are served inline on the portal's own origin: an SVG or HTML
    "poster" could carry script, so only these pixel formats are taken.
    """
    with open(path, "rb") as handle:
        head = handle.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for signature, kind in IMAGE_SIGNATURES.items() if head.startswith(signature)), None)


def remove_file(stored_path: str) -> None:
    path_of(stored_path).unlink(missing_ok=True)


def remove_folder(folder: str) -> None:
    shutil.rmtree(media_root() / folder, ignore_errors=True)

"""The library as files under the media root (`PORTAL_MEDIA_STORAGE=local`, the default).

Served with Werkzeug's `send_file`, which gunicorn sends with sendfile(2); with
`DOWNLOAD_ACCEL` the web server in front (nginx, or one that reads X-Sendfile)
sends the bytes instead.
"""
import hashlib
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, request
from werkzeug.utils import send_file

from portal.media.storage import CHUNK, MissingFile


class LocalFiles:
    def __init__(self, root: Path):
        self.root = root

    def path_of(self, stored_path: str) -> Path:
        return self.root / stored_path

    def where(self) -> str:
        return f"the media root {self.root}"

    def put_file(self, source: Path, stored_path: str, progress: Callable[[int], None]) -> tuple[int, str]:
        target = self._new_file(stored_path)
        digest = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as reader, open(target, "xb") as writer:
                while chunk := reader.read(CHUNK):
                    digest.update(chunk)
                    writer.write(chunk)
                    size += len(chunk)
                    progress(len(chunk))
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return size, digest.hexdigest()

    def put_bytes(self, data: bytes, stored_path: str) -> None:
        with open(self._new_file(stored_path), "xb") as writer:
            writer.write(data)

    @contextmanager
    def made_file(self, stored_path: str) -> Iterator[Path]:
        yield self._new_file(stored_path)

    @contextmanager
    def local_copy(self, stored_path: str) -> Iterator[Path]:
        yield self.path_of(stored_path)

    def read_bytes(self, stored_path: str, count: int | None) -> bytes:
        try:
            with open(self.path_of(stored_path), "rb") as reader:
                return reader.read(count if count is not None else -1)
        except FileNotFoundError:
            raise MissingFile(stored_path) from None

    def size(self, stored_path: str) -> int | None:
        path = self.path_of(stored_path)
        return path.stat().st_size if path.is_file() else None

    def send(self, stored_path, *, mimetype, download_name, etag, last_modified, size, max_age, accel):
        path = self.path_of(stored_path)
        if not path.is_file():
            raise MissingFile(stored_path)
        response = send_file(path, request.environ, mimetype=mimetype, as_attachment=bool(download_name),
                             download_name=download_name, conditional=not accel, etag=etag or True,
                             last_modified=last_modified, max_age=max_age, use_x_sendfile=bool(accel))
        if accel == "nginx":
            del response.headers["X-Sendfile"]
            response.headers["X-Accel-Redirect"] = current_app.config["DOWNLOAD_ACCEL_PREFIX"] + stored_path
        return response

    def remove_file(self, stored_path: str) -> None:
        self.path_of(stored_path).unlink(missing_ok=True)

    def remove_folder(self, folder: str) -> None:
        shutil.rmtree(self.root / folder, ignore_errors=True)

    def _new_file(self, stored_path: str) -> Path:
        target = self.path_of(stored_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

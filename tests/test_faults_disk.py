"""The disk fills up during `portal media add`: a clear error, and no half-added video."""
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.media.models import Rendition, Video

from browser_support import unavailable
from conftest import test_settings
from helpers import video_bytes


def mount_tiny_disk(folder: Path, size: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        unavailable("a full disk is simulated with a small tmpfs, which only root may mount")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)], check=True)


@pytest.fixture
def tiny_disk(tmp_path):
    """`tiny_disk(name, size)`: a folder on a filesystem of `size` (e.g. "1m"), unmounted afterwards."""
    mounted = []

    def make(name: str, size: str) -> Path:
        folder = tmp_path / name
        mount_tiny_disk(folder, size)
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def fill(folder: Path, leaving: int = 0) -> None:
    """Fill the filesystem of `folder` up to `leaving` bytes."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(folder / "filler", "wb") as filler:
        filler.write(b"\0" * max(free - leaving, 0))


def portal_media_add(app, *files):
    return app.test_cli_runner().invoke(
        args=["media", "add", *map(str, files), "--title", "Closing remarks", "--quiet"]
    )


def videos_and_renditions(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Video.id))), db.session.scalar(select(func.count(Rendition.id)))


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and path.name != "filler"]


def assert_one_clear_line(result, *words):
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: ") and all(word in line for word in words), line


def test_a_full_media_root_stops_media_add_with_a_clear_error_and_nothing_added(app, tmp_path, tiny_disk):
    app.config["MEDIA_ROOT"] = str(tiny_disk("media", "1m"))
    source = tmp_path / "big.mp4"
    source.write_bytes(video_bytes(3 * 1024 * 1024))

    result = portal_media_add(app, source)

    assert_one_clear_line(result, "no space left", str(app.config["MEDIA_ROOT"]))
    assert videos_and_renditions(app) == (0, 0)
    assert files_under(Path(app.config["MEDIA_ROOT"])) == []


def test_a_full_instance_folder_stops_media_add_with_a_clear_error_and_nothing_added(tmp_path, inbox, tiny_disk):
    instance = tiny_disk("instance", "4m")
    media = tmp_path / "media"
    app = create_app(test_settings(tmp_path, inbox.port, MEDIA_ROOT=str(media),
                                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'portal.sqlite3'}"),
                     instance_path=str(instance))
    source = tmp_path / "small.mp4"
    source.write_bytes(video_bytes(200_000))
    fill(instance)

    result = portal_media_add(app, source)

    assert_one_clear_line(result, "no space left")
    os.remove(instance / "filler")
    assert videos_and_renditions(app) == (0, 0)
    assert files_under(media) == []
    with app.app_context():
        db.engine.dispose()

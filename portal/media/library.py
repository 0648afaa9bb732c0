"""Adding, importing, listing and removing videos: what the admin commands call."""
import errno
import json
import logging
import re
import tomllib
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.media import captions, engine, listing_cache, search, storage
from portal.media.captions import DEFAULT_LANGUAGE
from portal.media.models import Rendition, Still, Tag, Video

log = logging.getLogger("portal.media")

DESCRIPTION_FILES = ("video.toml", "video.json")
# Poster stills: a catalogue card's width and a video page's.
STILL_WIDTHS = (320, 960)


class LibraryError(Exception):
    """Input the library refuses, with a reason an admin can act on."""


@dataclass
class NewVideo:
    title: str
    files: list[Path]
    labels: list[str] = field(default_factory=list)
    description: str = ""
    recorded_on: date | None = None
    place: str | None = None
    tags: list[str] = field(default_factory=list)
    transcript: str | None = None
    poster: Path | None = None
    duration_seconds: int | None = None
    source_key: str | None = None
    captions: Path | None = None  # a WebVTT file
    captions_lang: str = DEFAULT_LANGUAGE


def checked(new: NewVideo) -> list[engine.VideoFacts]:
    """What each file of `new` says, or a `LibraryError` before anything is copied."""
    _check(new)
    return [probe(path) for path in new.files]


def add_video(new: NewVideo, progress: Callable[[int], None] = lambda _: None,
              facts: list[engine.VideoFacts] | None = None) -> Video:
    """Probe the files, store them and record the video, or do none of it.

    The duration is the longest file's unless `new` gives one; without a
    given poster, stills are taken from the best file. The preview is made
    apart (`make_preview`): it can take minutes, and the video is usable
    without it. `facts`: what `checked(new)` already found.
    """
    if facts is None:
        facts = checked(new)
    try:
        return _record(new, facts, progress)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        raise LibraryError(f"no space left on the device of {storage.where()}: nothing was added") from error
    except storage.StorageError as error:
        raise LibraryError(f"{error}: nothing was added") from error
    except OperationalError as error:
        if not _is_disk_full(error):
            raise
        database = db.engine.url.render_as_string(hide_password=True)
        raise LibraryError(f"no space left on the device of the database {database}: nothing was added") from error


def _record(new: NewVideo, facts: list[engine.VideoFacts], progress: Callable[[int], None]) -> Video:
    """Store the files and write the rows in one transaction; on any failure, undo both."""
    probed_seconds = max((fact.duration for fact in facts if fact.duration), default=None)
    video = Video(
        title=new.title.strip(),
        description=new.description.strip(),
        recorded_on=new.recorded_on,
        place=new.place,
        transcript=new.transcript,
        duration_seconds=new.duration_seconds if new.duration_seconds is not None
        else (round(probed_seconds) if probed_seconds else None),
        source_key=new.source_key,
    )
    video.tags = [_tag(name) for name in new.tags]
    video.tag_text = " ".join(new.tags)
    folder = None
    sources = {}
    try:
        db.session.add(video)
        db.session.flush()
        folder = str(video.id)
        for number, source in enumerate(new.files):
            stored_path, size, sha256 = storage.store_copy(source, folder, progress)
            sources[stored_path] = source
            video.renditions.append(
                Rendition(
                    label=new.labels[number] if number < len(new.labels) else _default_label(source),
                    filename=source.name,
                    stored_path=stored_path,
                    content_type=storage.guess_content_type(source.name),
                    size=size,
                    sha256=sha256,
                    **_fact_fields(facts[number]),
                )
            )
        if new.captions:
            video.captions = storage.store_copy(new.captions, folder, progress)[0]
            video.captions_lang = new.captions_lang
        if new.poster:
            video.poster = storage.store_copy(new.poster, folder)[0]
        else:
            _add_stills(video, sources[video.best_rendition().stored_path])
        search.index_video(video)
        db.session.commit()
        listing_cache.forget()
    except BaseException:
        db.session.rollback()
        if folder:
            _remove_stored(storage.remove_folder, folder)
        raise
    return video


def _remove_stored(remove: Callable[[str], None], name: str) -> None:
    """Remove stored files no row points at (any more); a storage out of reach keeps them, and the log says so."""
    try:
        remove(name)
    except storage.StorageError as error:
        log.error("%s is left in %s, which no video points at: %s", name, storage.where(), error)


def probe(path: Path) -> engine.VideoFacts:
    """The facts of a file, or a `LibraryError` naming it when it is not a video."""
    try:
        return engine.probe(path)
    except engine.NotAVideo as error:
        raise LibraryError(str(error)) from error


def make_preview(video: Video, progress: Callable[[float], None] = lambda seconds: None,
                 originals: Sequence[Path] = ()) -> None:
    """Make (or make again) the video's preview from its best file, and record it.

    `originals`: the admin's files the video was just added from; the best
    one among them is read where it is instead of being fetched back from
    the storage. An interrupted run leaves the video as it was; running
    again starts the preview afresh.
    """
    source = video.best_rendition()
    if source is None:
        raise LibraryError(f"video {video.id} has no file to make a preview from")
    stored_path = f"{video.id}/preview.mp4"
    given = next((path for path in originals if path.name == source.filename and path.is_file()
                  and path.stat().st_size == source.size), None)
    try:
        with (nullcontext(given) if given else storage.local_copy(source.stored_path)) as original, \
                storage.made_file(stored_path) as preview:
            engine.make_preview(original, preview, progress)
    except engine.NotAVideo as error:
        raise LibraryError(str(error)) from error
    except (storage.StorageError, storage.MissingFile) as error:
        raise LibraryError(f"no preview for video {video.id}: {error}") from error
    video.preview = stored_path
    db.session.commit()


def set_captions(video: Video, path: Path, language: str) -> None:
    """Give the video these captions, replacing any it had; a refused file changes nothing.

    The new file gets a name of its own, so the old one is removed only
    once the video points at the new one.
    """
    check_captions(path, language)
    old = video.captions
    try:
        stored_path = storage.store_copy(path, str(video.id))[0]
    except storage.StorageError as error:
        raise LibraryError(f"{error}: the captions were not changed") from error
    try:
        video.captions = stored_path
        video.captions_lang = language
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _remove_stored(storage.remove_file, stored_path)
        raise
    if old:
        _remove_stored(storage.remove_file, old)


def remove_captions(video: Video) -> bool:
    """Take the video's captions away (the file after the video stops pointing at it); False if it had none."""
    old = video.captions
    if not old:
        return False
    video.captions = None
    db.session.commit()
    _remove_stored(storage.remove_file, old)
    return True


def check_captions(path: Path, language: str) -> None:
    """A `LibraryError` naming the file unless it is WebVTT with cues and the language a tag."""
    try:
        captions.check_language(language)
        captions.read(path)
    except captions.NotCaptions as error:
        raise LibraryError(str(error)) from error


def caption_cues(video: Video) -> tuple[captions.Cue, ...]:
    """The cues of the video's captions for its transcript; none when it has none (or the file went missing)."""
    if not video.captions:
        return ()
    try:
        return _stored_cues(video.captions)
    except (OSError, storage.StorageError, storage.MissingFile, captions.NotCaptions) as error:
        log.error("captions of video %s cannot be read: %s", video.id, error)
        return ()


@lru_cache(maxsize=64)
def _stored_cues(stored_path: str) -> tuple[captions.Cue, ...]:
    """The cues of stored captions, read once: a stored file is never rewritten (a new one gets a new name)."""
    return tuple(captions.cues_of(storage.read_bytes(stored_path), stored_path))


def has_preview(video: Video) -> bool:
    return bool(video.preview) and storage.exists(video.preview)


def videos_without_preview() -> list[Video]:
    return [video for video in videos() if not has_preview(video)]


def remove_video(video: Video) -> None:
    search.unindex_video(video.id)
    db.session.delete(video)
    db.session.commit()
    listing_cache.forget()
    _remove_stored(storage.remove_folder, str(video.id))


def videos() -> list[Video]:
    return list(db.session.scalars(select(Video).order_by(Video.id)))


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    # The videos of the added and skipped folders (a rerun finishes their previews), with the folders' files.
    originals: dict[int, list[Path]] = field(default_factory=dict)


def import_folder(root: Path, progress: Callable[[int], None] = lambda _: None) -> ImportReport:
    """Add every sub-folder that describes a video; skip those already added."""
    report = ImportReport()
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        try:
            new = read_description(folder)
        except LibraryError as error:
            report.refused.append((folder.name, str(error)))
            continue
        except (TypeError, ValueError, AttributeError, UnicodeDecodeError) as error:
            report.refused.append((folder.name, f"a field has the wrong form ({error})"))
            continue
        if existing := db.session.scalar(select(Video.id).where(Video.source_key == new.source_key)):
            report.skipped.append(folder.name)
            report.originals[existing] = new.files
            continue
        try:
            video = add_video(new, progress)
        except LibraryError as error:
            report.refused.append((folder.name, str(error)))
        else:
            report.added.append(folder.name)
            report.originals[video.id] = new.files
    return report


def read_description(folder: Path) -> NewVideo:
    """A `NewVideo` from the folder's video.toml or video.json."""
    described = next((folder / name for name in DESCRIPTION_FILES if (folder / name).is_file()), None)
    if described is None:
        raise LibraryError("no video.toml or video.json")
    try:
        text = described.read_text(encoding="utf-8")
        data = tomllib.loads(text) if described.suffix == ".toml" else json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise LibraryError(f"{described.name} cannot be read: {error}") from error
    files = data.get("files") or []
    if not isinstance(files, list) or not files:
        raise LibraryError("no files listed")
    entries = [entry if isinstance(entry, dict) else {"path": entry} for entry in files]
    transcript = data.get("transcript")
    if transcript and (folder / str(transcript)).is_file():
        transcript = inside(folder, transcript).read_text(encoding="utf-8")
    place = data.get("place")
    paths = [inside(folder, entry.get("path", "")) for entry in entries]
    return NewVideo(
        title=str(data.get("title") or ""),
        files=paths,
        labels=[str(entry.get("label") or _default_label(Path(str(entry.get("path", ""))))) for entry in entries],
        description=str(data.get("description") or ""),
        recorded_on=parse_date(data.get("recorded")),
        place=str(place) if place else None,
        tags=parse_tags(data.get("tags")),
        transcript=str(transcript) if transcript else None,
        poster=inside(folder, data["poster"]) if data.get("poster") else None,
        duration_seconds=parse_duration(data.get("duration")),
        source_key=str(data.get("id") or folder.name),
        captions=_sidecar_captions(folder, paths),
        captions_lang=str(data.get("captions_lang") or DEFAULT_LANGUAGE),
    )


def _sidecar_captions(folder: Path, files: list[Path]) -> Path | None:
    """The first `<name>.vtt` beside a listed file (speech-1080p.vtt beside speech-1080p.mp4), if any."""
    for path in files:
        sidecar = path.with_suffix(".vtt")
        if path.is_file() and sidecar.is_file():
            return inside(folder, sidecar.relative_to(folder))
    return None


def inside(folder: Path, name) -> Path:
    """A file named in a description: only within its folder, never through a link.

    Import folders often come from others; a description must not publish
    a file from elsewhere on the server (`../`, an absolute path, a symlink).
    """
    path = folder / str(name)
    if path.is_symlink() or not path.resolve().is_relative_to(folder.resolve()):
        raise LibraryError(f"{name} is outside the folder")
    return path


def parse_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise LibraryError(f"recorded date {value!r} is not YYYY-MM-DD") from error


def parse_tags(value) -> list[str]:
    if not isinstance(value, (str, list, type(None))):
        raise LibraryError("tags are a list or a comma-separated text")
    names = value.split(",") if isinstance(value, str) else list(value or [])
    cleaned = [str(name).strip().lower() for name in names if str(name).strip()]
    return list(dict.fromkeys(cleaned))


def parse_duration(value) -> int | None:
    """Seconds from 90, "1:30" or "1:02:03"."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    if not re.fullmatch(r"\d+(:\d{1,2}){0,2}", str(value)):
        raise LibraryError(f"duration {value!r} is not seconds, MM:SS or HH:MM:SS")
    seconds = 0
    for part in str(value).split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def _check(new: NewVideo) -> None:
    if not new.title.strip():
        raise LibraryError("a title is needed")
    if not new.files:
        raise LibraryError("no files given")
    for path in [*new.files, *([new.poster] if new.poster else [])]:
        if not path.is_file():
            raise LibraryError(f"{path} is not a file")
    if new.poster and storage.image_type_of_file(new.poster) is None:
        raise LibraryError(f"{new.poster} is not a PNG, JPEG or WebP image")
    if new.captions:
        check_captions(new.captions, new.captions_lang)


def _fact_fields(facts: engine.VideoFacts) -> dict:
    return {
        "container": facts.container,
        "video_codec": facts.video_codec,
        "video_profile": facts.video_profile,
        "width": facts.width,
        "height": facts.height,
        "frame_rate": facts.frame_rate,
        "scan_type": facts.scan_type,
        "bit_rate": facts.bit_rate,
        "duration": facts.duration,
        "audio_codec": facts.audio_codec,
        "audio_channels": facts.audio_channels,
        "audio_sample_rate": facts.audio_sample_rate,
    }


def _add_stills(video: Video, source: Path) -> None:
    """Stills from `source`, the admin's copy of the video's best file (never fetched back from the storage)."""
    try:
        stills = engine.posters(source, STILL_WIDTHS)
    except engine.NotAVideo as error:
        raise LibraryError(str(error)) from error
    suffixes = {"webp": ".webp", "jpeg": ".jpg"}
    for still in stills:
        stored_path = storage.store_bytes(still.data, str(video.id), suffixes[still.kind])
        video.stills.append(Still(kind=still.kind, width=still.width, height=still.height, stored_path=stored_path))


def _tag(name: str) -> Tag:
    tag = db.session.scalar(select(Tag).where(Tag.name == name))
    return tag or Tag(name=name)


def _default_label(path: Path) -> str:
    return path.suffix.lstrip(".").upper() or "File"


def _is_disk_full(error: OperationalError) -> bool:
    """SQLite's "database or disk is full" or PostgreSQL's disk_full (53100)."""
    return "disk is full" in str(error.orig) or getattr(error.orig, "sqlstate", None) == "53100"

"""`portal media …`, `portal demo` and `portal downloads report`: thin, the work is in `library`."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from portal.csv_cells import write_rows
from portal.extensions import db
from portal.media import demo, library
from portal.media.captions import DEFAULT_LANGUAGE
from portal.media.models import Download, Video
from portal.models import User
from portal.web.urls import public_url

media_group = AppGroup("media", help="The video library.")
downloads_group = AppGroup("downloads", help="The record of downloads.")


class _Silent:
    """A progress bar that shows nothing (`--quiet`, for cron)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def update(self, steps: int) -> None:
        pass


def _progress_bar(length: int, label: str, quiet: bool):
    if quiet:
        return _Silent()
    return click.progressbar(length=length, label=label, file=sys.stderr, show_pos=False)


def _copy_bar(files: list[Path], label: str, quiet: bool):
    return _progress_bar(sum(path.stat().st_size for path in files if path.is_file()), label, quiet)


def _make_previews(videos: list[Video], quiet: bool, originals: dict[int, list[Path]] | None = None) -> int:
    """Make each video's preview with a bar of its own; how many were made.

    `originals`: the files each video (by id) was added from, read in place
    rather than fetched back from the storage.

    Ctrl-C stops between or within previews and leaves no half file: run
    `portal media previews --missing` to go on.
    """
    made = 0
    for video in videos:
        source = video.best_rendition()
        seconds = (source.duration if source else None) or 1
        with _progress_bar(int(seconds * 1000), f"Preview #{video.id}", quiet) as bar:
            try:
                library.make_preview(video, _moving(bar), (originals or {}).get(video.id, ()))
            except KeyboardInterrupt:
                click.echo(f"\ninterrupted: #{video.id} and later videos have no preview yet; "
                           "`portal media previews --missing` makes them", err=True)
                raise SystemExit(130) from None
            except library.LibraryError as error:
                click.echo(f"no preview for #{video.id}: {error}", err=True)
                continue
        made += 1
    return made


def _video_url(video: Video) -> str:
    return public_url("media.video", video_id=video.id)


@media_group.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option("--recorded", help="YYYY-MM-DD")
@click.option("--place")
@click.option("--tags", default="", help="Comma-separated.")
@click.option("--transcript", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A text file.")
@click.option("--poster", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--duration", help="Seconds, MM:SS or HH:MM:SS; by default the files say.")
@click.option("--label", "labels", multiple=True, help='Once per file, in order, e.g. "HD 1080p MP4".')
@click.option("--captions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A WebVTT file: captions for the preview, and a transcript with times on the page.")
@click.option("--captions-lang", default=DEFAULT_LANGUAGE, show_default=True, help="The captions' language tag.")
@click.option("--quiet", is_flag=True, help="No progress bars (for cron).")
def add_command(files, title, description, recorded, place, tags, transcript, poster, duration, labels, captions,
                captions_lang, quiet):
    """Add one video; several FILES are its renditions. Makes posters (unless given) and a preview."""
    try:
        new = library.NewVideo(
            title=title,
            files=list(files),
            labels=list(labels),
            description=description,
            recorded_on=library.parse_date(recorded),
            place=place,
            tags=library.parse_tags(tags),
            transcript=transcript.read_text(encoding="utf-8") if transcript else None,
            poster=poster,
            duration_seconds=library.parse_duration(duration),
            captions=captions,
            captions_lang=captions_lang,
        )
        facts = library.checked(new)  # refused before the progress bar shows, or anything is copied
        with _copy_bar(new.files, "Copying", quiet) as bar:
            video = library.add_video(new, bar.update, facts)
    except library.LibraryError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_video_url(video))
    _make_previews([video], quiet, {video.id: new.files})


@media_group.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bars (for cron).")
def import_command(folder, quiet):
    """Add each sub-folder of FOLDER that has a video.toml or video.json, and make their previews.

    Run again after an interruption: added videos are skipped, missing previews made.
    """
    files = [path for path in folder.glob("*/*") if path.is_file() and path.name not in library.DESCRIPTION_FILES]
    with _copy_bar(files, "Importing", quiet) as bar:
        report = library.import_folder(folder, bar.update)
    for name in report.added:
        click.echo(f"added    {name}")
    for name in report.skipped:
        click.echo(f"skipped  {name} (already in the library)")
    for name, reason in report.refused:
        click.echo(f"refused  {name}: {reason}")
    click.echo(f"{len(report.added)} added, {len(report.skipped)} skipped, {len(report.refused)} refused")
    missing = [video for video in library.videos() if video.id in report.originals and not library.has_preview(video)]
    if missing:
        click.echo(f"{_make_previews(missing, quiet, report.originals)} preview(s) made")


@media_group.command("previews")
@click.option("--missing", is_flag=True, help="Only the videos that have none (after an interruption, say).")
@click.option("--quiet", is_flag=True, help="No progress bars (for cron).")
def previews_command(missing, quiet):
    """Make the previews anyone may play on the video pages (again, unless --missing)."""
    videos = library.videos_without_preview() if missing else library.videos()
    click.echo(f"{_make_previews(videos, quiet)} preview(s) made")


@media_group.command("captions")
@click.argument("video_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--lang", help=f"The captions' language tag; by default the video's present one, or {DEFAULT_LANGUAGE}.")
@click.option("--remove", is_flag=True, help="Take the video's captions away instead.")
def captions_command(video_id, file, lang, remove):
    """Give a video captions from a WebVTT FILE, replacing those it had (or --remove them)."""
    video = db.session.get(Video, video_id)
    if video is None:
        raise click.ClickException(f"there is no video {video_id}")
    if remove or file is None:
        if not remove:
            raise click.UsageError("give a WebVTT FILE, or --remove")
        removed = library.remove_captions(video)
        click.echo(f"captions removed from {_video_url(video)}" if removed else f"{_video_url(video)} had no captions")
        return
    try:
        library.set_captions(video, file, lang or video.captions_lang or DEFAULT_LANGUAGE)
    except library.LibraryError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"captions ({video.captions_lang}) set for {_video_url(video)}")


@media_group.command("list")
def list_command():
    """Every video with its id, date, files and title."""
    for video in library.videos():
        recorded = video.recorded_on.isoformat() if video.recorded_on else "----------"
        click.echo(f"{video.id:>5}  {recorded}  {len(video.renditions)} file(s)  {video.title}")


@media_group.command("remove")
@click.argument("video_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask.")
def remove_command(video_id, yes):
    """Remove a video and its files."""
    video = db.session.get(Video, video_id)
    if video is None:
        raise click.ClickException(f"there is no video {video_id}")
    if not yes:
        click.confirm(f"Remove “{video.title}” and its {len(video.renditions)} file(s)?", abort=True)
    library.remove_video(video)
    click.echo(f"removed {video_id}")


@click.command("demo")
@with_appcontext
def demo_command():
    """Add a few short demo videos, generated on the spot, with their posters and previews (once)."""
    added = demo.add_demo_videos()
    if added:
        click.echo(f"{added} demo video(s) added")
    else:
        present = demo.demo_videos_in_library()
        click.echo(f"The demo library is already there ({present} video{'' if present == 1 else 's'})")
    missing = [video for video in library.videos_without_preview() if (video.source_key or "").startswith("demo-")]
    if missing:
        _make_previews(missing, quiet=True)


@downloads_group.command("report")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on standard output.")
def report_command(as_csv):
    """Downloads per video and per account."""
    per_video = db.session.execute(
        select(Video.id, Video.title, func.count(Download.id))
        .join(Download, Download.video_id == Video.id)
        .group_by(Video.id, Video.title)
        .order_by(func.count(Download.id).desc())
    ).all()
    per_account = db.session.execute(
        select(User.email, func.count(Download.id))
        .join(Download, Download.user_id == User.id)
        .group_by(User.email)
        .order_by(func.count(Download.id).desc())
    ).all()
    if as_csv:
        write_rows(["kind", "id", "name", "downloads"],
                   [*(["video", video_id, title, count] for video_id, title, count in per_video),
                    *(["account", "", email, count] for email, count in per_account)])
        return
    click.echo("Downloads per video")
    for video_id, title, count in per_video:
        click.echo(f"{count:>8}  #{video_id} {title}")
    click.echo("Downloads per account")
    for email, count in per_account:
        click.echo(f"{count:>8}  {email}")


def _moving(bar):
    """A preview's progress callback: the seconds encoded so far move `bar` on, in milliseconds."""
    done = 0

    def advance(seconds: float) -> None:
        nonlocal done
        step = int(seconds * 1000) - done
        if step > 0:
            bar.update(step)
            done += step

    return advance

"""`portal media …`, `portal demo` and `portal downloads report`: thin, the work is in `library`."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from ..csv_cells import write_rows
from ..extensions import db
from ..models import User
from ..urls import public_url
from . import demo, library
from .models import Download, Video

media_group = AppGroup("media", help="The video library.")
downloads_group = AppGroup("downloads", help="The record of downloads.")


def _progress_bar(files: list[Path], label: str):
    total = sum(path.stat().st_size for path in files if path.is_file())
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=False)


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
@click.option("--duration", help="Seconds, MM:SS or HH:MM:SS.")
@click.option("--label", "labels", multiple=True, help='Once per file, in order, e.g. "HD 1080p MP4".')
def add_command(files, title, description, recorded, place, tags, transcript, poster, duration, labels):
    """Add one video; several FILES are its renditions."""
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
        )
        with _progress_bar(new.files, "Copying") as bar:
            video = library.add_video(new, bar.update)
    except library.LibraryError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_video_url(video))


@media_group.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_command(folder):
    """Add each sub-folder of FOLDER that has a video.toml or video.json."""
    with click.progressbar(length=0, label="Importing", file=sys.stderr, show_pos=False) as bar:
        report = library.import_folder(folder, bar.update)
    for name in report.added:
        click.echo(f"added    {name}")
    for name in report.skipped:
        click.echo(f"skipped  {name} (already in the library)")
    for name, reason in report.refused:
        click.echo(f"refused  {name}: {reason}")
    click.echo(f"{len(report.added)} added, {len(report.skipped)} skipped, {len(report.refused)} refused")


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
    """Add a few demo videos with small generated files (once)."""
    added = demo.add_demo_videos()
    click.echo(f"{added} demo video(s) added" if added else "demo videos already present")


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

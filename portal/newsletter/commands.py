"""`portal newsletter send` and `portal newsletter export`."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.csv_cells import write_rows
from portal.extensions import db
from portal.newsletter import mailout

newsletter_group = AppGroup("newsletter", help="The newsletter.")


@newsletter_group.command("send")
@click.option("--subject", required=True)
@click.option("--text", "text_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--html", "html_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def send_command(subject, text_file, html_file):
    """Queue one mail per subscriber; run it again after an interruption to finish."""
    if "\n" in subject or "\r" in subject:
        raise click.BadParameter("a subject is one line", param_hint="--subject")
    send = mailout.find_or_start(
        subject, text_file.read_text(encoding="utf-8"), html_file.read_text(encoding="utf-8") if html_file else None
    )
    waiting = db.session.scalar(select(func.count()).select_from(mailout.waiting(send).subquery()))
    with click.progressbar(length=waiting, label=f"Send {send.id}", file=sys.stderr) as bar:
        queued = mailout.queue(send, bar.update)
    click.echo(f"send {send.id}: queued {queued} mail(s) now; the outbox delivers them")


@newsletter_group.command("export")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on standard output.")
def export_command(as_csv):
    """Subscribers with the time and place of their consent."""
    rows = [(user.email, user.full_name, user.newsletter_subscribed_at.isoformat(), user.newsletter_consent_source)
            for user in mailout.subscribers()]
    if as_csv:
        write_rows(["email", "name", "subscribed_at", "source"], rows)
        return
    for email, name, subscribed_at, source in rows:
        click.echo(f"{subscribed_at}  {source:<8}  {email}  {name}")
    click.echo(f"{len(rows)} subscriber(s)")

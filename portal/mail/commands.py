"""`portal mail …`: the outbox from the command line."""
import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.delivery import deliver_due
from portal.mail.models import OutboxMail

mail_group = AppGroup("mail", help="The outbox of mails.")


@mail_group.command("deliver", help="Send every mail that is due now, then stop.")
def deliver_command() -> None:
    total = 0
    while sent := deliver_due():
        total += sent
    click.echo(f"Handled {total} mail(s).")


@mail_group.command("status", help="Count mails by state and show the last errors.")
def status_command() -> None:
    counts = dict(db.session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    retrying = db.session.scalar(
        select(func.count()).where(OutboxMail.status == "queued", OutboxMail.attempts > 0)
    )
    for status in ("queued", "sending", "sent", "failed"):
        click.echo(f"{status:>8}: {counts.get(status, 0)}")
    click.echo(f"retrying: {retrying} (of the queued)")
    errors = db.session.scalars(
        select(OutboxMail).where(OutboxMail.last_error.is_not(None)).order_by(OutboxMail.id.desc()).limit(5)
    )
    for row in errors:
        click.echo(f"#{row.id} to {row.recipient} [{row.status}]: {row.last_error}")

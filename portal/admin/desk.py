"""What the admin's desk shows, and the changes it makes to the outbox: plain functions."""
import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.admin import audit
from portal.clock import now
from portal.csv_cells import cell
from portal.extensions import db
from portal.mail.models import OutboxMail
from portal.media.models import Download, Video
from portal.models import User

# The periods of the "most downloaded" tables: days back, None for all time.
PERIODS = {"week": 7, "month": 30, "all": None}


@dataclass(frozen=True)
class Counts:
    accounts: int
    verified: int
    waiting_for_approval: int
    subscribers: int
    downloads_this_week: int
    mails_waiting: int
    mails_retrying: int
    mails_failed: int


@dataclass(frozen=True)
class VideoDownloads:
    video_id: int | None
    title: str
    downloads: int
    is_removed: bool = False


def _count(*conditions, of=User.id) -> int:
    return db.session.scalar(select(func.count(of)).where(*conditions))


def counts() -> Counts:
    queued = OutboxMail.status.in_(("queued", "sending"))
    return Counts(
        accounts=_count(),
        verified=_count(User.verified_at.is_not(None)),
        waiting_for_approval=_count(User.approval_requested_at.is_not(None)),
        subscribers=_count(User.newsletter_subscribed_at.is_not(None)),
        downloads_this_week=_count(Download.at > now() - timedelta(days=7), of=Download.id),
        mails_waiting=_count(queued, OutboxMail.attempts == 0, of=OutboxMail.id),
        mails_retrying=_count(queued, OutboxMail.attempts > 0, of=OutboxMail.id),
        mails_failed=_count(OutboxMail.status == "failed", of=OutboxMail.id),
    )


def newest_accounts(limit: int = 10) -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.created_at.desc(), User.id.desc()).limit(limit)))


def most_downloaded(period: str, limit: int | None = 10) -> list[VideoDownloads]:
    """Videos by downloads in the last week, month, or all time; a removed video keeps its count."""
    downloads = func.count(Download.id).label("downloads")
    query = (select(Download.video_id, Video.title, downloads)
             .outerjoin(Video, Video.id == Download.video_id)
             .group_by(Download.video_id, Video.title)
             .order_by(downloads.desc(), Download.video_id))
    if PERIODS[period] is not None:
        query = query.where(Download.at > now() - timedelta(days=PERIODS[period]))
    return [VideoDownloads(video_id, title or _("(removed video %(id)s)", id=video_id), count, is_removed=title is None)
            for video_id, title, count in db.session.execute(query.limit(limit))]


def most_downloaded_csv(period: str) -> str:
    """The whole table for `period`; cells that start like a formula are kept as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["video_id", "title", "downloads"])
    writer.writerows([cell(row.video_id), cell(row.title), row.downloads] for row in most_downloaded(period, None))
    return buffer.getvalue()


def failed_mails(limit: int = 50) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.status == "failed")
                                   .order_by(OutboxMail.id.desc()).limit(limit)))


def retry_mail(mail_id: int, actor: str) -> bool:
    """Queue a failed mail again, due now; False if it is not (or no longer) failed.

One more try now: a mail older than `MAIL_RETRY_FOR` that meets another
temporary error fails again at once instead of being retried for a day.
"""
    mail = db.session.get(OutboxMail, mail_id)
    retried = db.session.execute(update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == "failed")
                                 .values(status="queued", attempts=0, next_attempt_at=now(),
                                         lease_until=None)).rowcount == 1
    if retried:
        audit.record(actor, "retry-mail", f"mail {mail_id} to {mail.recipient}", mail.subject)
    db.session.commit()
    return retried


def drop_mail(mail_id: int, actor: str) -> bool:
    """Delete a failed mail from the outbox; False if it is not (or no longer) failed."""
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None or mail.status != "failed":
        return False
    audit.record(actor, "drop-mail", f"mail {mail_id} to {mail.recipient}", mail.subject)
    db.session.delete(mail)
    db.session.commit()
    return True

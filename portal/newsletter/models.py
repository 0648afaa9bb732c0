"""A newsletter send, and who it was queued for (so a re-run sends nobody twice)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now
from portal.extensions import db
from portal.models import UTCDateTime


class NewsletterSend(db.Model):
    __tablename__ = "newsletter_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same subject and bodies make the same send: running the command again resumes it.
    content_key: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class NewsletterRecipient(db.Model):
    __tablename__ = "newsletter_recipients"
    __table_args__ = (UniqueConstraint("send_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("newsletter_sends.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

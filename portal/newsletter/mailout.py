"""Queue a newsletter for every subscriber, resumably.

A send is known by its content: running the same command again finds the
same send and queues only the subscribers it has not reached. Each mail and
the record of its recipient are committed together, a batch at a time, so an
interruption leaves nobody half-queued and nobody queued twice.
"""
import hashlib
from collections.abc import Callable

from sqlalchemy import exists, select

from portal.extensions import db
from portal.mail import outbox
from portal.models import User
from portal.newsletter.models import NewsletterRecipient, NewsletterSend
from portal.newsletter.subscriptions import unsubscribe_mail_parts
from portal.web.i18n import language_of

BATCH = 100


def find_or_start(subject: str, text_body: str, html_body: str | None) -> NewsletterSend:
    key = hashlib.sha256("\0".join([subject, text_body, html_body or ""]).encode()).hexdigest()
    send = db.session.scalar(select(NewsletterSend).where(NewsletterSend.content_key == key))
    if send is None:
        send = NewsletterSend(content_key=key, subject=subject, text_body=text_body, html_body=html_body)
        db.session.add(send)
        db.session.commit()
    return send


def waiting(send: NewsletterSend):
    """Current subscribers this send has not been queued for."""
    reached = exists().where(NewsletterRecipient.send_id == send.id, NewsletterRecipient.user_id == User.id)
    return (
        select(User)
        .where(User.newsletter_subscribed_at.is_not(None), User.verified_at.is_not(None), ~reached)
        .order_by(User.id)
    )


def queue(send: NewsletterSend, progress: Callable[[int], None] = lambda _: None) -> int:
    """Queue the send for everyone waiting; return how many were queued now."""
    queued = 0
    while batch := db.session.scalars(waiting(send).limit(BATCH)).all():
        for user in batch:
            mail = outbox.enqueue(user.email, "newsletter", send.subject, text_body=send.text_body,
                                  html_body=send.html_body, language=language_of(user),
                                  **unsubscribe_mail_parts(user))
            db.session.flush()
            db.session.add(NewsletterRecipient(send_id=send.id, user_id=user.id, outbox_id=mail.id))
        db.session.commit()
        queued += len(batch)
        progress(len(batch))
    return queued


def subscribers():
    return db.session.scalars(
        select(User).where(User.newsletter_subscribed_at.is_not(None)).order_by(User.newsletter_subscribed_at)
    ).all()

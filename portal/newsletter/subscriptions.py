"""Consent to the newsletter: given (when, from where), withdrawn, and the links for it."""
import hashlib
import hmac

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from portal.clock import now
from portal.extensions import db
from portal.mail import outbox
from portal.mail.models import OutboxMail
from portal.models import User
from portal.web.i18n import language_of
from portal.web.urls import public_url

SALT = "portal.unsubscribe"


def subscribe(user: User, source: str) -> None:
    """Record consent (`offer`, `account`) and confirm it by mail, in one transaction."""
    if user.is_subscribed:
        return
    user.newsletter_subscribed_at = now()
    user.newsletter_consent_source = source
    outbox.enqueue(user.email, "newsletter_welcome", _l("You are subscribed to our newsletter"),
                   language=language_of(user), **unsubscribe_mail_parts(user))
    db.session.commit()


def unsubscribe(user: User) -> None:
    """Withdraw consent; newsletter mails still waiting in the outbox are not sent."""
    from portal.newsletter.models import NewsletterRecipient

    user.newsletter_subscribed_at = None
    user.newsletter_consent_source = None
    waiting = select(NewsletterRecipient.outbox_id).where(NewsletterRecipient.user_id == user.id)
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(waiting), OutboxMail.status == "queued")
        .values(status="failed", last_error="not sent: the recipient unsubscribed")
    )
    db.session.commit()


def unsubscribe_url(user: User) -> str:
    """A link that unsubscribes without logging in: the account, and the address it was sent to."""
    token = _serializer().dumps([user.id, _address_mark(user.email)])
    return public_url("newsletter.unsubscribe", token=token)


def user_of(token: str) -> User | None:
    """The account a link was made for, while it still has the address the link went to."""
    try:
        user_id, mark = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not hmac.compare_digest(_address_mark(user.email), str(mark)):
        return None
    return user


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _address_mark(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def unsubscribe_mail_parts(user: User) -> dict:
    """What every newsletter mail carries: the visible link and RFC 8058's headers."""
    url = unsubscribe_url(user)
    return {
        "unsubscribe_url": url,
        "headers": {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    }

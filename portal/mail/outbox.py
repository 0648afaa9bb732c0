"""Write mails to the outbox in the caller's transaction; nothing is sent here."""
import json
from email.utils import make_msgid

from flask import current_app, render_template
from jinja2 import TemplateNotFound

from portal.extensions import db
from portal.mail.models import OutboxMail
from portal.web.i18n import in_language

# Set on a session that added mail, so its commit can wake the delivery worker.
ENQUEUED_FLAG = "portal.mail_enqueued"


def enqueue(recipient: str, template: str, subject: str, headers: dict | None = None, decoy: bool = False,
            language: str | None = None, **context) -> OutboxMail:
    """Queue the mail rendered from `mail/<template>.txt` (and `.html` if present).

    Subject and bodies are in `language` (see `i18n.language_of`), else in
    the request's; a subject is best given with `lazy_gettext`.

    The row joins the current transaction: it is sent if, and only if, the
    change that caused it is committed. A `decoy` is rendered and written
    like any mail, then taken back before the commit: a request for an
    address that gets no mail takes as long as one that does.
    """
    with in_language(language):
        subject = str(subject)
        context = {"subject": subject, "site_name": current_app.config["SITE_NAME"], **context}
        mail = OutboxMail(
            recipient=recipient,
            subject=subject,
            text_body=render_template(f"mail/{template}.txt", **context),
            html_body=_render_optional(f"mail/{template}.html", context),
            message_id=make_msgid(domain=_sender_domain()),
            headers=json.dumps(headers) if headers else None,
        )
    db.session.add(mail)
    if decoy:
        db.session.flush()
        db.session.delete(mail)
    else:
        db.session.info[ENQUEUED_FLAG] = True
    return mail


def _render_optional(name: str, context: dict) -> str | None:
    try:
        return render_template(name, **context)
    except TemplateNotFound:
        return None


def _sender_domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rpartition("@")[2] or "localhost"

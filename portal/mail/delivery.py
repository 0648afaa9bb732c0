"""Claim due outbox rows and send them, once each, across processes and hosts.

A row is claimed by a guarded UPDATE (status and lease checked in the WHERE),
so two workers never both win it; on PostgreSQL the candidate rows are picked
with FOR UPDATE SKIP LOCKED so workers don't queue behind each other. A worker
that dies leaves its rows "sending" until their lease runs out; then any
worker takes them again.
"""
import json
import logging
import random
import smtplib
import sys
from datetime import timedelta

from flask import current_app
from flask_mail import BadHeaderError, Message
from sqlalchemy import and_, func, or_, select, update

from portal.clock import now
from portal.extensions import db, mail
from portal.mail.models import OutboxMail

log = logging.getLogger("portal.mail")


def deliver_due(batch_size: int = 50) -> int:
    """Send what is due now; return how many mails were claimed.

    While mail waits out a backoff, one waiting mail is tried every
    `MAIL_RECOVERY_PROBE` seconds anyway: the first to go through shows the
    server is back, and everything waiting is sent at once, so a code held up
    by an outage arrives within a minute of the server's return, not only
    when its own backoff (up to 5 minutes) ends.
    """
    claimed = claim(batch_size) or (claim(1, probe=True) if _probe_is_due() else [])
    if claimed:
        _send_all(claimed)
    return len(claimed)


def claim(batch_size: int, probe: bool = False) -> list[OutboxMail]:
    """Take due mail, oldest first (with `probe`: mail still waiting out its backoff).

    Mail leaves in the order it was written: a mail whose backoff has ended
    takes older mail still waiting out a (randomly longer) backoff with it,
    so after an outage the codes arrive in the order people asked for them.
    """
    moment = now()
    queued = OutboxMail.status == "queued"
    newest_due = (
        select(func.max(OutboxMail.id))
        .where(queued, OutboxMail.next_attempt_at <= moment)
        .scalar_subquery()
    )
    due = or_(
        queued if probe else and_(queued, OutboxMail.id <= newest_due),
        and_(OutboxMail.status == "sending", OutboxMail.lease_until < moment),
    )
    candidates = db.session.scalars(
        select(OutboxMail.id)
        .where(due)
        .order_by(OutboxMail.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    lease_until = moment + timedelta(seconds=current_app.config["MAIL_LEASE"])
    won = []
    for mail_id in candidates:
        result = db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, due)
            .values(
                status="sending",
                lease_until=lease_until,
                attempts=OutboxMail.attempts + 1,
            )
        )
        if result.rowcount == 1:
            won.append(mail_id)
    db.session.commit()
    return [db.session.get(OutboxMail, mail_id) for mail_id in won]


def _send_all(claimed: list[OutboxMail]) -> None:
    try:
        with mail.connect() as connection:
            _limit_socket_wait(connection)
            for row in claimed:
                _send_one(connection, row)
        if any(row.status == "sent" for row in claimed):
            _hurry_waiting()
    except (OSError, smtplib.SMTPException) as error:
        # The connection itself failed: every row not yet settled waits.
        for row in claimed:
            if row.status == "sending":
                _retry_later(row, error)
        db.session.commit()


def _send_one(connection, row: OutboxMail) -> None:
    try:
        if connection.host is None:
            _print_to_log(row)
        connection.send(_message(row))
    except BadHeaderError:
        _mark(row, "failed", last_error="header contains a line break")
    except smtplib.SMTPRecipientsRefused as error:
        code, answer = next(iter(error.recipients.values()))
        _settle_refusal(row, code, answer)
    except smtplib.SMTPResponseException as error:
        _settle_refusal(row, error.smtp_code, error.smtp_error)
    else:
        # What was sent is not kept: its text may hold a code, which lives on only as an HMAC.
        _mark(row, "sent", sent_at=now(), text_body="", html_body=None)
        log.info("mail %s (%s) sent to %s", row.id, row.subject, row.recipient)
    db.session.commit()


def _probe_is_due() -> bool:
    probes = current_app.extensions.setdefault("mail_probe", {"at": None})
    moment = now()
    if probes["at"] is not None and (moment - probes["at"]).total_seconds() < current_app.config["MAIL_RECOVERY_PROBE"]:
        return False
    probes["at"] = moment
    return True


def _hurry_waiting() -> None:
    """The server took mail: what waits out a backoff may go now."""
    moment = now()
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.status == "queued", OutboxMail.next_attempt_at > moment)
        .values(next_attempt_at=moment)
    )
    db.session.commit()


def _settle_refusal(row: OutboxMail, code: int, answer) -> None:
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    if code >= 500:
        _mark(row, "failed", last_error=f"{code} {text}")
    else:
        _retry_later(row, f"{code} {text}")


def _retry_later(row: OutboxMail, error) -> None:
    config = current_app.config
    if now() - row.created_at > timedelta(seconds=config["MAIL_RETRY_FOR"]):
        _mark(row, "failed", last_error=f"gave up after {row.attempts} tries: {error}")
        return
    delay = min(config["MAIL_RETRY_MAX_DELAY"], 5 * 2 ** (row.attempts - 1))
    delay *= random.uniform(0.5, 1.0)
    _mark(row, "queued", last_error=str(error), next_attempt_at=now() + timedelta(seconds=delay))


def _mark(row: OutboxMail, status: str, **values) -> None:
    row.status = status
    row.lease_until = None
    for name, value in values.items():
        setattr(row, name, value)


def _message(row: OutboxMail) -> Message:
    message = Message(
        subject=row.subject,
        recipients=[row.recipient],
        body=row.text_body,
        html=row.html_body,
        reply_to=current_app.config["MAIL_REPLY_TO"],
        date=row.created_at.timestamp(),
        extra_headers=json.loads(row.headers) if row.headers else None,
    )
    # The same Message-ID on every try lets mail clients drop a rare duplicate.
    message.msgId = row.message_id
    return message


def _limit_socket_wait(connection) -> None:
    """Flask-Mail opens SMTP without a timeout; bound every later wait."""
    if connection.host is not None and connection.host.sock is not None:
        connection.host.sock.settimeout(current_app.config["MAIL_TIMEOUT"])


class PrintedMailHandler(logging.StreamHandler):
    """Writes a printed mail as it is, to the standard error of the moment (as logging's last resort does).

    Not the portal's log handler: that one keeps every event on one escaped
    line and redacts signed links, which would leave a person trying the
    portal without a readable mail or a working unsubscribe link.
    """

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def _printed_mail_log() -> logging.Logger:
    """The stand-in mailbox: its own handler, and none of the portal log's (`propagate` off)."""
    printed = logging.getLogger("portal.mail.printed")
    if not any(isinstance(handler, PrintedMailHandler) for handler in printed.handlers):
        handler = PrintedMailHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        printed.addHandler(handler)
        printed.propagate = False
    return printed


def _print_to_log(row: OutboxMail) -> None:
    """Development without an SMTP server: the log stands in for a mailbox.

    Each mail is printed whole, as a block with its line breaks and its links
    (the unsubscribe link included), so every flow can be tried locally.
    This is the one place a code or a signed link is written out: `_send_one`
    calls it only when no SMTP server is configured.
    """
    _printed_mail_log().warning("\n".join([
        f"----- mail {row.id} printed instead of sent (no PORTAL_MAIL_SERVER) -----",
        f"To: {row.recipient}",
        f"Subject: {row.subject}",
        "",
        row.text_body.rstrip("\n"),
        f"----- end of mail {row.id} -----",
    ]))

"""Throttles on the mails the code forms send, so nobody can flood an inbox.

A form that mails a code first `claim`s a send for the address: the send is
recorded and committed, then counted; when the count is over a limit the
record is taken back and the claim refused. Whatever the interleaving of
parallel requests, the last to count sees every committed claim, so no
limit is exceeded. A taken or unknown address is claimed like any other, so
the answers reveal nothing.
"""
from flask import current_app
from sqlalchemy import delete, func, select

from .clients import client_network
from .clock import seconds_ago
from .extensions import db
from .models import CodeSend

COOLDOWN_MESSAGE = "A code was sent less than {seconds} seconds ago. Wait a moment, then try again."
ADDRESS_CAP_MESSAGE = "Too many codes were sent to this address. Try again in an hour."
IP_CAP_MESSAGE = "Too many codes were sent from your network. Try again in an hour."


def claim(address: str) -> str | None:
    """Record a send to `address` now, or say why not (and record nothing)."""
    db.session.commit()
    send = CodeSend(address=address, client_ip=client_network())
    db.session.add(send)
    db.session.commit()
    refusal = _refusal(send)
    if refusal:
        db.session.execute(delete(CodeSend).where(CodeSend.id == send.id))
        db.session.commit()
    return refusal


def _refusal(send: CodeSend) -> str | None:
    config = current_app.config
    cooldown = config["CODE_RESEND_COOLDOWN"]
    others = CodeSend.id != send.id
    if _count(others, CodeSend.address == send.address, within=cooldown):
        return COOLDOWN_MESSAGE.format(seconds=cooldown)
    if _count(CodeSend.address == send.address, within=3600) > config["CODE_SENDS_PER_ADDRESS_PER_HOUR"]:
        return ADDRESS_CAP_MESSAGE
    if _count(CodeSend.client_ip == send.client_ip, within=3600) > config["CODE_SENDS_PER_IP_PER_HOUR"]:
        return IP_CAP_MESSAGE
    return None


def _count(*conditions, within: float) -> int:
    query = select(func.count(CodeSend.id)).where(*conditions, CodeSend.sent_at > seconds_ago(within))
    return db.session.scalar(query)

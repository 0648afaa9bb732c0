"""Throttles on the mails the code forms send, so nobody can flood an inbox.

Each form that mails a code asks `refusal(address)` first and calls
`record(address)` when it sends (or pretends to: a taken or unknown address
counts like any other, so the throttle's answers reveal nothing).
"""
from flask import current_app, request
from sqlalchemy import func, select

from .clock import seconds_ago
from .extensions import db
from .models import CodeSend

COOLDOWN_MESSAGE = "A code was sent less than {seconds} seconds ago. Wait a moment, then try again."
ADDRESS_CAP_MESSAGE = "Too many codes were sent to this address. Try again in an hour."
IP_CAP_MESSAGE = "Too many codes were sent from your network. Try again in an hour."


def refusal(address: str) -> str | None:
    """Why no code may be sent to `address` now, or None when one may."""
    config = current_app.config
    cooldown = config["CODE_RESEND_COOLDOWN"]
    if _count(CodeSend.address == address, cooldown):
        return COOLDOWN_MESSAGE.format(seconds=cooldown)
    if _count(CodeSend.address == address, 3600) >= config["CODE_SENDS_PER_ADDRESS_PER_HOUR"]:
        return ADDRESS_CAP_MESSAGE
    if _count(CodeSend.client_ip == client_ip(), 3600) >= config["CODE_SENDS_PER_IP_PER_HOUR"]:
        return IP_CAP_MESSAGE
    return None


def record(address: str) -> None:
    db.session.add(CodeSend(address=address, client_ip=client_ip()))


def client_ip() -> str:
    return request.remote_addr or "unknown"


def _count(condition, within_seconds: float) -> int:
    query = select(func.count(CodeSend.id)).where(
        condition, CodeSend.sent_at > seconds_ago(within_seconds)
    )
    return db.session.scalar(query)

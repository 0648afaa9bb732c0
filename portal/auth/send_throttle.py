"""Throttles on the mails the code flows send, so nobody can flood an inbox.

A flow that mails a code first `claim`s a send for the address: the send is
recorded and committed, then counted; when a count is over its limit the
record is taken back and the claim refused. Whatever the interleaving of
parallel requests, the last to count sees every committed claim, so no
limit is exceeded. A taken or unknown address is claimed like any other, so
the answers reveal nothing. Every refusal says when a send will be possible.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.clock import seconds_ago
from portal.extensions import db
from portal.limits import DAY, HOUR, client_network, value
from portal.models import CodeSend


@dataclass(frozen=True)
class Throttle:
    """At most `cap` sends in `window` seconds (each a number, or the setting that holds it)."""

    cap: int | str
    window: int | str
    per_network: bool = False
    reason: str = ""


THROTTLES = (
    Throttle("CODE_SENDS_PER_IP_PER_HOUR", HOUR, per_network=True,
             reason=_l("Too many codes were sent from your network.")),
    Throttle("CODE_SENDS_PER_ADDRESS_PER_DAY", DAY, reason=_l("Too many codes were sent to this address today.")),
    Throttle("CODE_SENDS_PER_ADDRESS_PER_HOUR", HOUR, reason=_l("Too many codes were sent to this address.")),
    Throttle(1, "CODE_RESEND_COOLDOWN"),  # the cooldown: the step's countdown says when, no reason needed
)


@dataclass(frozen=True)
class Refusal:
    """No send now: why (empty for the short cooldown) and from when one is possible."""

    reason: str
    open_again_at: datetime


def forget_stale() -> int:
    """Drop sends older than the longest throttle window: no limit counts them any more."""
    longest = max(value(throttle.window) for throttle in THROTTLES)
    return db.session.execute(delete(CodeSend).where(CodeSend.sent_at <= seconds_ago(longest))).rowcount


def claim(address: str) -> Refusal | None:
    """Record a send to `address` now, or say why not (and record nothing)."""
    db.session.commit()
    send = CodeSend(address=address, client_ip=client_network())
    db.session.add(send)
    db.session.commit()
    refusal = _refusal(address, CodeSend.id != send.id)
    if refusal:
        db.session.execute(delete(CodeSend).where(CodeSend.id == send.id))
        db.session.commit()
    return refusal


def wait(address: str) -> Refusal | None:
    """What a claim for `address` would be refused for now, without claiming."""
    return _refusal(address)


def _refusal(address: str, *others) -> Refusal | None:
    """The throttle that holds the longest, counting the sends that match `others`."""
    refusals = []
    for throttle in THROTTLES:
        cap, window = value(throttle.cap), value(throttle.window)
        matching = (CodeSend.client_ip == client_network()) if throttle.per_network else (CodeSend.address == address)
        times = _send_times(matching, *others, within=window)
        if window and len(times) >= cap:
            refusals.append(Refusal(throttle.reason, times[cap - 1] + timedelta(seconds=window)))
    return max(refusals, key=lambda refusal: refusal.open_again_at, default=None)



def _send_times(*conditions, within: float) -> list[datetime]:
    """When the matching sends in the window went out, newest first."""
    query = select(CodeSend.sent_at).where(*conditions, CodeSend.sent_at > seconds_ago(within))
    return list(db.session.scalars(query.order_by(CodeSend.sent_at.desc())))

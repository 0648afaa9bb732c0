"""What one address (or client network) may do: tries and code mails, each limit an `AddressLimit`.

Tries (failed log-ins, wrong codes) are reserved before they are checked:
`reserve` counts a try in one guarded upsert and commits before the caller
checks anything, so however many requests arrive at once, at most the limit
get to check a password or a code. A failure that fills the limit locks the
address; a success clears its count.

Code mails are claimed before they go: `claim_send` records the send and
commits, then counts; when a count is over its limit the record is taken
back and the claim refused. Whatever the interleaving of parallel requests,
the last to count sees every committed claim, so no limit is exceeded.

Addresses without an account are counted alike, so a lock or a refusal
reveals nothing; every refusal says when the address may try again.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, delete, literal, or_, select, update

from portal.clock import now, seconds_ago
from portal.extensions import db, insert_or_update
from portal.limits import DAY, HOUR, client_network, value
from portal.models import AddressCounter, CodeSend, UTCDateTime


@dataclass(frozen=True)
class AddressLimit:
    """At most `most` in `window` seconds (each a number, or the setting that holds it).

    A limit on tries has a `kind` (its counter's name) and may lock the
    address for `lockout` once filled (None: until the window ends); a limit
    on sends may count per client network instead, or per address and code
    flow, and gives its `reason`.
    """

    most: int | str
    window: int | str
    kind: str = ""
    lockout: str | None = None
    per_network: bool = False
    per_purpose: bool = False
    reason: str = ""


LOGIN = AddressLimit("LOGIN_MAX_FAILURES", "LOGIN_FAILURE_WINDOW", kind="login", lockout="LOGIN_LOCKOUT")
CODE_GUESSES = AddressLimit("CODE_WRONG_TRIES_PER_ADDRESS_PER_DAY", DAY, kind="code")
SECOND_FACTOR = AddressLimit("SECOND_FACTOR_MAX_FAILURES", "LOGIN_FAILURE_WINDOW", kind="second-factor",
                             lockout="LOGIN_LOCKOUT")
TRIES = (LOGIN, CODE_GUESSES, SECOND_FACTOR)

CODE_SENDS = (
    AddressLimit("CODE_SENDS_PER_IP_PER_HOUR", HOUR, per_network=True,
                 reason=_l("Too many codes were sent from your network.")),
    AddressLimit("CODE_SENDS_PER_ADDRESS_PER_DAY", DAY, reason=_l("Too many codes were sent to this address today.")),
    AddressLimit("CODE_SENDS_PER_ADDRESS_PER_HOUR", HOUR, reason=_l("Too many codes were sent to this address.")),
    # The cooldown counts one flow's sends only: a notice another flow sent in a code's place (someone
    # tried to register) must not hold back the code this one sends (a reset the owner needs now).
    AddressLimit(1, "CODE_RESEND_COOLDOWN", per_purpose=True),
)


@dataclass(frozen=True)
class Reservation:
    """A reserved try (`count` tries in the window with it), or when tries open again."""

    address: str
    limit: AddressLimit
    count: int = 0
    open_again_at: datetime | None = None

    @property
    def is_granted(self) -> bool:
        return self.open_again_at is None


def reserve(address: str, limit: AddressLimit) -> Reservation:
    """Count a try, unless the address is locked or its limit reached; one statement either way.

    An upsert, so the counter is made and counted at once: there is no moment
    between the two in which a parallel request, or housekeeping forgetting a
    stale counter, could slip in.
    """
    moment = now()
    in_window = AddressCounter.window_started_at > moment - timedelta(seconds=value(limit.window))
    count = db.session.scalar(
        insert_or_update(AddressCounter)
        .values(address=address, kind=limit.kind, count=1, window_started_at=moment)
        .on_conflict_do_update(
            index_elements=["address", "kind"],
            set_={
                "count": case((in_window, AddressCounter.count + 1), else_=1),
                "window_started_at": case((in_window, AddressCounter.window_started_at),
                                          else_=literal(moment, UTCDateTime)),
                "locked_until": None,
            },
            where=and_(or_(AddressCounter.locked_until.is_(None), AddressCounter.locked_until <= moment),
                       or_(~in_window, AddressCounter.count < value(limit.most))),
        )
        .returning(AddressCounter.count)
    )
    db.session.commit()
    if count is not None:
        return Reservation(address, limit, count)
    return Reservation(address, limit, open_again_at=_open_again_at(address, limit))


def failed(reservation: Reservation) -> None:
    """The reserved try failed: the last one the limit allows locks the address."""
    limit = reservation.limit
    if reservation.count < value(limit.most):
        return
    counter = _counter(reservation.address, limit.kind)
    lockout = value(limit.lockout)
    until = (now() + timedelta(seconds=lockout)) if lockout else \
        counter.window_started_at + timedelta(seconds=value(limit.window))
    db.session.execute(update(AddressCounter).where(AddressCounter.id == counter.id)
                       .values(locked_until=until, count=0))
    db.session.commit()


def succeeded(reservation: Reservation) -> None:
    """The try succeeded: the address starts afresh."""
    clear(reservation.address, reservation.limit)


def release(reservation: Reservation) -> None:
    """The reserved try turned out not to be one (nothing was checked): give it back."""
    db.session.execute(update(AddressCounter)
                       .where(AddressCounter.address == reservation.address,
                              AddressCounter.kind == reservation.limit.kind, AddressCounter.count > 0)
                       .values(count=AddressCounter.count - 1))
    db.session.commit()


def clear(address: str, limit: AddressLimit | None = None) -> None:
    """Forget an address's tries (all kinds, or one): an admin's unlock, a success."""
    statement = delete(AddressCounter).where(AddressCounter.address == address)
    if limit is not None:
        statement = statement.where(AddressCounter.kind == limit.kind)
    db.session.execute(statement)
    db.session.commit()



@dataclass(frozen=True)
class Refusal:
    """No send now: why (empty for the short cooldown) and from when one is possible."""

    reason: str
    open_again_at: datetime

    @property
    def is_cooldown(self) -> bool:
        return not self.reason


def claim_send(address: str, purpose: str) -> Refusal | None:
    """Record a send to `address` by the flow `purpose` now, or say why not (and record nothing)."""
    db.session.commit()
    send = CodeSend(address=address, client_ip=client_network(), purpose=purpose)
    db.session.add(send)
    db.session.commit()
    refusal = _refusal(address, purpose, CodeSend.id != send.id)
    if refusal:
        db.session.execute(delete(CodeSend).where(CodeSend.id == send.id))
        db.session.commit()
    return refusal


def send_refused(address: str, purpose: str) -> Refusal | None:
    """What a claim for `address` by the flow `purpose` would be refused for now, without claiming."""
    return _refusal(address, purpose)


def _refusal(address: str, purpose: str, *others) -> Refusal | None:
    """The limit that holds the longest, counting the sends that match `others`."""
    refusals = []
    for limit in CODE_SENDS:
        most, window = value(limit.most), value(limit.window)
        times = _send_times(_counted_by(limit, address, purpose), *others, within=window)
        if window and len(times) >= most:
            refusals.append(Refusal(limit.reason, times[most - 1] + timedelta(seconds=window)))
    return max(refusals, key=lambda refusal: refusal.open_again_at, default=None)


def _counted_by(limit: AddressLimit, address: str, purpose: str):
    """The sends `limit` counts: the client network's, the address's, or the address's in one flow."""
    if limit.per_network:
        return CodeSend.client_ip == client_network()
    if limit.per_purpose:
        return and_(CodeSend.address == address, CodeSend.purpose == purpose)
    return CodeSend.address == address


def _send_times(*conditions, within: float) -> list[datetime]:
    """When the matching sends in the window went out, newest first."""
    query = select(CodeSend.sent_at).where(*conditions, CodeSend.sent_at > seconds_ago(within))
    return list(db.session.scalars(query.order_by(CodeSend.sent_at.desc())))


def forget_stale_tries() -> int:
    """Drop try counters that no longer count: their window has passed and no lock holds."""
    moment = now()
    forgotten = 0
    for limit in TRIES:
        forgotten += db.session.execute(
            delete(AddressCounter).where(
                AddressCounter.kind == limit.kind,
                AddressCounter.window_started_at <= moment - timedelta(seconds=value(limit.window)),
                or_(AddressCounter.locked_until.is_(None), AddressCounter.locked_until <= moment),
            )
        ).rowcount
    return forgotten


def forget_stale_sends() -> int:
    """Drop sends older than the longest limit's window: no limit counts them any more."""
    longest = max(value(limit.window) for limit in CODE_SENDS)
    return db.session.execute(delete(CodeSend).where(CodeSend.sent_at <= seconds_ago(longest))).rowcount


def _open_again_at(address: str, limit: AddressLimit) -> datetime:
    counter = _counter(address, limit.kind)
    if counter.locked_until is not None and counter.locked_until > now():
        return counter.locked_until
    # The limit is filled by tries still being checked: at the latest, the window's end.
    return counter.window_started_at + timedelta(seconds=value(limit.window))


def _counter(address: str, kind: str) -> AddressCounter:
    return db.session.scalar(select(AddressCounter).where(AddressCounter.address == address,
                                                          AddressCounter.kind == kind)
                             .execution_options(populate_existing=True))

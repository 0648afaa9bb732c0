"""Tries per address (failed log-ins, wrong codes), reserved before they are checked.

`reserve` counts a try in one guarded upsert and commits before the caller
checks anything, so however many requests arrive at once, at most the limit
get to check a password or a code. Addresses without an account are counted
alike, so a lock reveals nothing. A failure that fills the budget locks the
address; a success clears its count.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, literal, or_, select, update

from portal.clock import now
from portal.extensions import db, insert_or_update
from portal.limits import value
from portal.models import AddressCounter, UTCDateTime


@dataclass(frozen=True)
class Budget:
    """A kind of try and the settings (or seconds) that bound it; lockout None: until the window ends."""

    kind: str
    most: str
    window: str | int
    lockout: str | None = None

    def __post_init__(self):
        BUDGETS.append(self)


# Every budget made, so that counters whose window has passed can be forgotten.
BUDGETS: list[Budget] = []


LOGIN = Budget("login", most="LOGIN_MAX_FAILURES", window="LOGIN_FAILURE_WINDOW", lockout="LOGIN_LOCKOUT")
CODE_GUESSES = Budget("code", most="CODE_WRONG_TRIES_PER_ADDRESS_PER_DAY", window=24 * 3600)


@dataclass(frozen=True)
class Reservation:
    """A reserved try (`count` tries in the window with it), or when tries open again."""

    address: str
    budget: Budget
    count: int = 0
    open_again_at: datetime | None = None

    @property
    def is_granted(self) -> bool:
        return self.open_again_at is None


def reserve(address: str, budget: Budget) -> Reservation:
    """Count a try, unless the address is locked or its budget spent; one statement either way.

    An upsert, so the counter is made and counted at once: there is no moment
    between the two in which a parallel request, or housekeeping forgetting a
    stale counter, could slip in.
    """
    moment = now()
    in_window = AddressCounter.window_started_at > moment - timedelta(seconds=value(budget.window))
    count = db.session.scalar(
        insert_or_update(AddressCounter)
        .values(address=address, kind=budget.kind, count=1, window_started_at=moment)
        .on_conflict_do_update(
            index_elements=["address", "kind"],
            set_={
                "count": case((in_window, AddressCounter.count + 1), else_=1),
                "window_started_at": case((in_window, AddressCounter.window_started_at),
                                          else_=literal(moment, UTCDateTime)),
                "locked_until": None,
            },
            where=and_(or_(AddressCounter.locked_until.is_(None), AddressCounter.locked_until <= moment),
                       or_(~in_window, AddressCounter.count < value(budget.most))),
        )
        .returning(AddressCounter.count)
    )
    db.session.commit()
    if count is not None:
        return Reservation(address, budget, count)
    return Reservation(address, budget, open_again_at=_open_again_at(address, budget))


def failed(reservation: Reservation) -> None:
    """The reserved try failed: the last one the budget allows locks the address."""
    budget = reservation.budget
    if reservation.count < value(budget.most):
        return
    counter = _counter(reservation.address, budget.kind)
    lockout = value(budget.lockout)
    until = (now() + timedelta(seconds=lockout)) if lockout else \
        counter.window_started_at + timedelta(seconds=value(budget.window))
    db.session.execute(update(AddressCounter).where(AddressCounter.id == counter.id)
                       .values(locked_until=until, count=0))
    db.session.commit()


def succeeded(reservation: Reservation) -> None:
    """The try succeeded: the address starts afresh."""
    clear(reservation.address, reservation.budget)


def release(reservation: Reservation) -> None:
    """The reserved try turned out not to be one (nothing was checked): give it back."""
    db.session.execute(update(AddressCounter)
                       .where(AddressCounter.address == reservation.address,
                              AddressCounter.kind == reservation.budget.kind, AddressCounter.count > 0)
                       .values(count=AddressCounter.count - 1))
    db.session.commit()


def clear(address: str, budget: Budget | None = None) -> None:
    """Forget an address's tries (all kinds, or one): an admin's unlock, a success."""
    statement = delete(AddressCounter).where(AddressCounter.address == address)
    if budget is not None:
        statement = statement.where(AddressCounter.kind == budget.kind)
    db.session.execute(statement)
    db.session.commit()


def forget_stale() -> int:
    """Drop counters that no longer count: their window has passed and no lock holds."""
    moment = now()
    forgotten = 0
    for budget in BUDGETS:
        forgotten += db.session.execute(
            delete(AddressCounter).where(
                AddressCounter.kind == budget.kind,
                AddressCounter.window_started_at <= moment - timedelta(seconds=value(budget.window)),
                or_(AddressCounter.locked_until.is_(None), AddressCounter.locked_until <= moment),
            )
        ).rowcount
    return forgotten


def _open_again_at(address: str, budget: Budget) -> datetime:
    counter = _counter(address, budget.kind)
    if counter.locked_until is not None and counter.locked_until > now():
        return counter.locked_until
    # The budget is spent by tries still being checked: at the latest, the window's end.
    return counter.window_started_at + timedelta(seconds=value(budget.window))


def _counter(address: str, kind: str) -> AddressCounter:
    return db.session.scalar(select(AddressCounter).where(AddressCounter.address == address,
                                                          AddressCounter.kind == kind)
                             .execution_options(populate_existing=True))

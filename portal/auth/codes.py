"""Issue, check and kill one-time codes.

A code is 6 digits from `secrets`, bound to one address and one purpose, and
stored only as an HMAC keyed with the app secret. Issuing a code replaces
the address's older live ones of that purpose; 5 wrong tries kill it. Every change
of a counter or state is one guarded UPDATE, so parallel requests on any
number of workers cannot lose a wrong try or use a code twice.
"""
import enum
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from portal.clock import now, seconds_ago, seconds_ahead
from portal.extensions import db
from portal.models import OneTimeCode, User

# A spent or expired code still tells "a newer code was sent" for this long.
SPENT_CODE_KEPT = timedelta(days=1)


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    TOO_MANY_TRIES = "too_many_tries"
    EXPIRED = "expired"
    USED = "used"
    KILLED = "killed"
    REPLACED = "replaced"

    @property
    def message(self) -> str:
        return MESSAGES[self]


MESSAGES = {
    Outcome.ACCEPTED: "",
    Outcome.WRONG: _l("That code is not right. Check the email and try again."),
    Outcome.TOO_MANY_TRIES: _l("Too many wrong tries: this code no longer works. "
                               "Choose “Send new code” to get a new one."),
    Outcome.EXPIRED: _l("This code has expired. Choose “Send new code” to get a new one."),
    Outcome.USED: _l("This code has already been used. Choose “Send new code” to get a new one."),
    Outcome.KILLED: _l("This code no longer works. Choose “Send new code” to get a new one."),
    Outcome.REPLACED: _l("A newer code was sent; use the latest one."),
}


def keyed_hash(address: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}:{address}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def issue(address: str, purpose: str, *, user: User | None = None, decoy: bool = False) -> str:
    """A fresh code for `address`; its older live codes of `purpose` stop working.

    A decoy (`user` None) is never mailed: the caller drops the code.
    """
    kill(address, purpose, replaced=True)
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(
        OneTimeCode(
            address=address,
            user=user,
            purpose=purpose,
            code_hash=keyed_hash(address, purpose, code),
            is_decoy=decoy,
            expires_at=seconds_ahead(current_app.config["CODE_LIFETIME"]),
        )
    )
    return code


def kill(address: str, purpose: str | None = None, *, replaced: bool = False) -> None:
    """Kill the live codes sent to `address`: all, or one purpose's."""
    statement = update(OneTimeCode).where(
        OneTimeCode.address == address, OneTimeCode.used_at.is_(None), OneTimeCode.killed_at.is_(None)
    )
    if purpose is not None:
        statement = statement.where(OneTimeCode.purpose == purpose)
    db.session.execute(statement.values(killed_at=now(), is_replaced=replaced))


def check(address: str, purpose: str, submitted: str) -> tuple[Outcome, OneTimeCode | None]:
    """Check a submitted code; an accepted code is used up and returned."""
    codes = _codes(address, purpose)
    digest = keyed_hash(address, purpose, submitted)
    for code in codes:
        if hmac.compare_digest(code.code_hash, digest) and not code.is_decoy:
            return _use(code), code
    live = next((code for code in codes if code.is_live), None)
    if live is None:
        return (_state_of(codes[0]) if codes else Outcome.KILLED), None
    return _count_wrong_try(live), None


def _codes(address: str, purpose: str) -> list[OneTimeCode]:
    query = select(OneTimeCode).where(OneTimeCode.address == address, OneTimeCode.purpose == purpose)
    # The latest few are enough to tell a reused or replaced code from a wrong one.
    return list(db.session.scalars(query.order_by(OneTimeCode.id.desc()).limit(20)))


def _still_live(code: OneTimeCode):
    return update(OneTimeCode).where(
        OneTimeCode.id == code.id,
        OneTimeCode.used_at.is_(None),
        OneTimeCode.killed_at.is_(None),
        OneTimeCode.expires_at > now(),
    )


def _use(code: OneTimeCode) -> Outcome:
    if db.session.execute(_still_live(code).values(used_at=now())).rowcount == 1:
        return Outcome.ACCEPTED
    db.session.refresh(code)
    return _state_of(code)


def _count_wrong_try(code: OneTimeCode) -> Outcome:
    tries = db.session.scalar(
        _still_live(code).values(wrong_tries=OneTimeCode.wrong_tries + 1).returning(OneTimeCode.wrong_tries)
    )
    if tries is None:
        db.session.refresh(code)
        return _state_of(code)
    if tries >= current_app.config["CODE_MAX_WRONG_TRIES"]:
        db.session.execute(_still_live(code).values(killed_at=now()))
        return Outcome.TOO_MANY_TRIES
    return Outcome.WRONG


def _state_of(code: OneTimeCode) -> Outcome:
    if code.used_at is not None:
        return Outcome.USED
    if code.killed_at is not None:
        return Outcome.REPLACED if code.is_replaced else Outcome.KILLED
    if now() >= code.expires_at:
        return Outcome.EXPIRED
    return Outcome.WRONG


def forget_stale() -> int:
    """Drop codes a day after they expired or were spent; until then one still tells "a newer code was sent"."""
    return db.session.execute(delete(OneTimeCode).where(
        OneTimeCode.expires_at <= seconds_ago(SPENT_CODE_KEPT.total_seconds()))).rowcount

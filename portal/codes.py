"""Issue, check and kill one-time codes.

A code is 6 digits from `secrets`, bound to one account and one purpose, and
stored only as an HMAC keyed with the app secret. Issuing a code kills the
older live ones of the same purpose; 5 wrong tries kill it.
"""
import enum
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select

from .clock import now, seconds_ahead
from .extensions import db
from .models import OneTimeCode, User

VERIFY_EMAIL = "verify"
RESET_PASSWORD = "reset"


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    TOO_MANY_TRIES = "too_many_tries"
    EXPIRED = "expired"
    USED = "used"
    KILLED = "killed"

    @property
    def message(self) -> str:
        return MESSAGES[self]


MESSAGES = {
    Outcome.ACCEPTED: "",
    Outcome.WRONG: "That code is not right. Check the email and try again.",
    Outcome.TOO_MANY_TRIES: "Too many wrong tries: this code no longer works. "
    "Choose “Send new code” to get a new one.",
    Outcome.EXPIRED: "This code has expired. Choose “Send new code” to get a new one.",
    Outcome.USED: "This code has already been used. "
    "Choose “Send new code” to get a new one.",
    Outcome.KILLED: "This code no longer works. Choose “Send new code” to get a new one.",
}


def keyed_hash(user_id: int, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}:{user_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def issue(user: User, purpose: str) -> str:
    """A fresh code for `user`; older live codes of the purpose stop working."""
    kill(user, purpose)
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(
        OneTimeCode(
            user=user,
            purpose=purpose,
            code_hash=keyed_hash(user.id, purpose, code),
            expires_at=seconds_ahead(current_app.config["CODE_LIFETIME"]),
        )
    )
    return code


def kill(user: User, purpose: str | None = None) -> None:
    """Kill the live codes of `user`: of one purpose, or (None) of every purpose."""
    for code in _codes(user, purpose):
        if code.used_at is None and code.killed_at is None:
            code.killed_at = now()


def check(user: User, purpose: str, submitted: str) -> Outcome:
    """Check a submitted code; an accepted code is used up."""
    codes = _codes(user, purpose)
    for code in codes:
        if hmac.compare_digest(code.code_hash, keyed_hash(user.id, purpose, submitted)):
            return _use(code)
    live = next((code for code in codes if code.is_live), None)
    if live is None:
        return _state_of(codes[0]) if codes else Outcome.KILLED
    live.wrong_tries += 1
    if live.wrong_tries >= current_app.config["CODE_MAX_WRONG_TRIES"]:
        live.killed_at = now()
        return Outcome.TOO_MANY_TRIES
    return Outcome.WRONG


def decoy_check(wrong_tries: int) -> Outcome:
    """What `check` answers for a wrong code, for a flow that has no real code.

    Used where a real account would have one (a taken or unknown address), so
    that the answers alone never tell whether the address has an account.
    """
    limit = current_app.config["CODE_MAX_WRONG_TRIES"]
    if wrong_tries < limit:
        return Outcome.WRONG
    return Outcome.TOO_MANY_TRIES if wrong_tries == limit else Outcome.KILLED


def _codes(user: User, purpose: str | None) -> list[OneTimeCode]:
    query = select(OneTimeCode).where(OneTimeCode.user_id == user.id)
    if purpose is not None:
        query = query.where(OneTimeCode.purpose == purpose)
    # The latest few are enough to tell a reused or replaced code from a wrong one.
    return list(db.session.scalars(query.order_by(OneTimeCode.id.desc()).limit(20)))


def _use(code: OneTimeCode) -> Outcome:
    if not code.is_live:
        return _state_of(code)
    code.used_at = now()
    return Outcome.ACCEPTED


def _state_of(code: OneTimeCode) -> Outcome:
    if code.used_at is not None:
        return Outcome.USED
    if code.killed_at is not None:
        return Outcome.KILLED
    if now() >= code.expires_at:
        return Outcome.EXPIRED
    return Outcome.WRONG

"""The password policy (its one definition) and the argon2id hasher."""
import logging
import os
import threading
import unicodedata
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from portal.auth import breaches

log = logging.getLogger("portal.auth.passwords")

MIN_LENGTH = 12
MAX_LENGTH = 256

HINT = _l(
    "The password must be at least %(count)d characters long, no spaces, "
    "include upper/lowercase letters, numbers and symbols.", count=MIN_LENGTH
)


@dataclass(frozen=True)
class Rule:
    message: LazyString
    is_met: Callable[[str], bool]


def _is_control(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Cf")


def _is_symbol(character: str) -> bool:
    return not character.isalnum() and not character.isspace() and not _is_control(character)


RULES = (
    Rule(_l("Use at least %(count)d characters.", count=MIN_LENGTH), lambda p: len(p) >= MIN_LENGTH),
    Rule(_l("Use at most %(count)d characters.", count=MAX_LENGTH), lambda p: len(p) <= MAX_LENGTH),
    Rule(_l("Do not use spaces."), lambda p: not any(c.isspace() for c in p)),
    Rule(_l("Do not use control characters."), lambda p: not any(_is_control(c) and not c.isspace() for c in p)),
    Rule(_l("Include an uppercase letter."), lambda p: any(c.isupper() for c in p)),
    Rule(_l("Include a lowercase letter."), lambda p: any(c.islower() for c in p)),
    Rule(_l("Include a number."), lambda p: any(c.isdecimal() for c in p)),
    Rule(_l("Include a symbol."), lambda p: any(_is_symbol(c) for c in p)),
)


def unmet_rules(password: str) -> list[str]:
    """The message of every rule the password breaks, in the policy's order, in the request's language."""
    return [str(rule.message) for rule in RULES if not rule.is_met(password)]


BREACHED = _l("This password appears in known data breaches. Choose another.")


def refusals(password: str) -> list[str]:
    """Why a new password is refused: every rule it breaks, else that it is known from breaches.

    Only a password that meets the rules is looked up, so no other one's hash prefix leaves the server.
    """
    return unmet_rules(password) or ([str(BREACHED)] if breaches.is_breached(password) else [])


@dataclass
class _Hashing:
    """An app's hasher, the settings it was built from, its dummy hash, and its slots.

    Each argon2 computation takes `memory_cost` KiB and a core for its whole
    time. With more at once than there are cores, all of them only get slower,
    the memory adds up (16 threads: 1 GiB), and the rest of the process waits
    for the CPU; so at most `slots` run at once in a process, the others queue.
    """

    settings: dict
    hasher: PasswordHasher
    slots: threading.BoundedSemaphore
    dummy_hash: str | None = None


def _hashing() -> _Hashing:
    config = current_app.config
    settings = {
        "time_cost": config["PASSWORD_HASH_TIME_COST"],
        "memory_cost": config["PASSWORD_HASH_MEMORY_COST"],
        "parallelism": config["PASSWORD_HASH_PARALLELISM"],
    }
    hashing = current_app.extensions.get("password_hashing")
    if hashing is None or hashing.settings != settings:
        if not current_app.testing and _is_below_rfc_9106_low_memory(settings):
            log.warning("password hash settings %s are below RFC 9106's low-memory profile", settings)
        concurrency = config["PASSWORD_HASH_CONCURRENCY"] or len(os.sched_getaffinity(0))
        hashing = _Hashing(settings, PasswordHasher(**settings), threading.BoundedSemaphore(concurrency))
        current_app.extensions["password_hashing"] = hashing
    return hashing


def _is_below_rfc_9106_low_memory(settings: dict) -> bool:
    floor = profiles.RFC_9106_LOW_MEMORY
    return settings["time_cost"] < floor.time_cost or settings["memory_cost"] < floor.memory_cost


def hasher() -> PasswordHasher:
    """The app's argon2id hasher, built from its `PASSWORD_HASH_*` settings."""
    return _hashing().hasher


@contextmanager
def _slot(hashing: _Hashing):
    with hashing.slots:
        yield hashing.hasher


def hash_password(password: str) -> str:
    with _slot(_hashing()) as argon2:
        return argon2.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _slot(_hashing()) as argon2:
            return argon2.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the settings now name."""
    return hasher().check_needs_rehash(password_hash)


def spend_verification_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown email costs what a known one does."""
    hashing = _hashing()
    if hashing.dummy_hash is None:
        hashing.dummy_hash = hash_password("dummy password, never matches")
    verify_password(hashing.dummy_hash, password)

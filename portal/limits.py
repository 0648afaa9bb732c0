"""Every limit of the account flows, named once with its meaning.

Each is a setting (`PORTAL_<NAME>`) whose default is here; the code reads
`current_app.config[NAME]`, and the README's limits table is this table (a
test keeps them equal). Counters kept in the database hold across workers
and hosts; the per-client request limits live in Flask-Limiter's storage,
counted per client network.
"""
import ipaddress
from dataclasses import dataclass

from flask import current_app, request

MINUTE = 60
HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Limit:
    setting: str
    default: int | str
    meaning: str


LIMITS = (
    Limit("CODE_LIFETIME", 30 * MINUTE, "seconds a mailed code works"),
    Limit("CODE_RESEND_COOLDOWN", MINUTE,
          "seconds between two codes (or notices in their place) to one address in one flow: "
          "registering, a reset, a new address"),
    Limit("CODE_MAX_WRONG_TRIES", 5, "wrong tries that kill a code"),
    Limit("CODE_SENDS_PER_ADDRESS_PER_HOUR", 5, "codes (or notices) one address gets in an hour"),
    Limit("CODE_SENDS_PER_ADDRESS_PER_DAY", 10, "codes (or notices) one address gets in a day"),
    Limit("CODE_WRONG_TRIES_PER_ADDRESS_PER_DAY", 20,
          "wrong codes entered for one address in a day, over all its codes"),
    Limit("CODE_SENDS_PER_IP_PER_HOUR", 30, "code mails one client network may cause in an hour"),
    Limit("LOGIN_MAX_FAILURES", 10, "failed log-ins (and current-password checks) for one address before it locks"),
    Limit("LOGIN_FAILURE_WINDOW", 15 * MINUTE, "seconds in which those failures count"),
    Limit("LOGIN_LOCKOUT", 15 * MINUTE, "seconds an address stays locked (a reset by code still works)"),
    Limit("SECOND_FACTOR_MAX_FAILURES", 5,
          "wrong second-factor codes for one admin before the account locks (for LOGIN_LOCKOUT)"),
    Limit("SECOND_FACTOR_STEP_LIFETIME", 10 * MINUTE,
          "seconds an admin has after the password to enter the second factor"),
    Limit("LOGIN_RATE_LIMIT", "300 per hour", "failed log-ins per client network (Flask-Limiter)"),
    Limit("FORM_RATE_LIMIT", "120 per hour",
          "posts per client network to all other account forms together (Flask-Limiter)"),
)


def defaults() -> dict:
    return {limit.setting: limit.default for limit in LIMITS}


def value(number_or_setting: int | str | None) -> int | None:
    """A limit given as a number, or as the name of the setting that holds it."""
    return current_app.config[number_or_setting] if isinstance(number_or_setting, str) else number_or_setting


def client_network() -> str:
    """The client's IPv4 address, or its IPv6 /64 (one household or office).

    One IPv6 client commonly holds a whole /64, so counting single addresses
    would let it rotate past every limit.
    """
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def form_limit() -> str:
    """Flask-Limiter's limit on posts of the account forms, per client network."""
    return current_app.config["FORM_RATE_LIMIT"]


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# Limits that count every request, whatever its method, if an admin sets them.
EVERY_REQUEST_LIMITS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def no_limit_applies() -> bool:
    """Flask-Limiter's request filter: reads pass, as every limit the portal declares counts posts.

    Limits an admin sets for every request (`PORTAL_RATELIMIT_DEFAULT`, ...) still count reads.
    """
    return request.method in READS and not any(current_app.config.get(name) for name in EVERY_REQUEST_LIMITS)

"""Who is asking: the unit that per-client limits count."""
import ipaddress

from flask import current_app, request


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

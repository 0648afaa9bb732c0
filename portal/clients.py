"""Who is asking: the unit that per-client limits count."""
import ipaddress
from functools import partial

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
    """Flask-Limiter's request filter: a read skips the limiter's per-request work.

    Every per-client limit the portal declares counts posts (`login_limit`,
    `form_limit`: `methods=["POST"]`, and a test keeps it so), yet the
    limiter resolved and evaluated them for every page and file read, about
    a tenth of a cached catalogue page's time. Limits an admin sets for every
    request (`PORTAL_RATELIMIT_DEFAULT`, ...) still count reads.
    """
    return request.method in READS and not every_request_counts(current_app)


def every_request_counts(app) -> bool:
    return any(app.config.get(name) for name in EVERY_REQUEST_LIMITS)


def skip_the_limiter_when_no_limit_applies(app, limiter) -> None:
    """Let reads pass each of the limiter's per-request hooks, unless a limit counts every request.

    The request filter only spares the evaluation: before asking it, the
    hook still looks up the endpoint's exemptions and meta limits, and its
    after-request and teardown hooks still look for limits to report; about
    a tenth of a cached catalogue page's time together. Flask-Limiter reads
    the limits that count every request once, at `init_app`, and so does
    this. The hooks are the ones `init_app` registered on this app, found
    by what they are bound to.
    """
    if every_request_counts(app):
        return

    def bound_to_the_limiter(hook) -> bool:
        return getattr(hook, "__self__", None) is limiter or (isinstance(hook, partial) and hook.args == (limiter,))

    def before(hook):
        return lambda: None if request.method in READS else hook()

    def after(hook):
        return lambda response: response if request.method in READS else hook(response)

    def teardown(hook):
        return lambda error=None: None if request.method in READS else hook(error)

    for hooks, guard in ((app.before_request_funcs[None], before), (app.after_request_funcs[None], after),
                         (app.teardown_request_funcs[None], teardown)):
        found = [index for index, hook in enumerate(hooks) if bound_to_the_limiter(hook)]
        if len(found) != 1:  # a Flask-Limiter that registers otherwise: fail at start, not silently
            raise RuntimeError(f"expected one Flask-Limiter hook among {hooks}")
        hooks[found[0]] = guard(hooks[found[0]])

"""One log line per request and per event, each carrying the request's id.

Lines are `key=value` (values with spaces, quotes or line breaks are quoted
and escaped, so one event is always one line) or JSON, by `LOG_FORMAT`. A
request's line names its method, path, status, time and account id; never
its query string (a search, a token) and never the token of a `/d/` or
unsubscribe link. The id comes from a proxy's `X-Request-ID` when that is a
short, safe token, is made here otherwise, and is sent back in `X-Request-ID`
so a person's report, nginx's log and the portal's log meet on it.
"""
import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

from portal.web.access_log import RedactLinks, redact

HEADER = "X-Request-ID"
SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
FORMATS = ("keyvalue", "json")
log = logging.getLogger("portal.request")


def is_safe_id(value: str) -> bool:
    return bool(SAFE_ID.fullmatch(value))


def request_id() -> str:
    """This request's id, made once (the first caller may be another extension's hook)."""
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if is_safe_id(incoming) else secrets.token_hex(8)
    return g.request_id


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _log_request(response):
    started = g.get("request_started", time.perf_counter())
    # The account the request already loaded, if any: a query of its own here
    # could fail (the database down) and turn /healthz's 503 into a 500.
    user = g.get("_login_user")
    account = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    response.headers[HEADER] = request_id()
    log.info("request", extra={"fields": {
        "event": "request",
        "method": request.method,
        "path": redact(request.path),
        "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "user": account if account is not None else "-",
    }})
    return response


def install(app: Flask) -> None:
    """Register first, so every other hook (a limit's 429 included) sees the id."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_log_request)


class AddRequestId(logging.Filter):
    """Every record logged while a request is served names it; others get `-`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def _fields(record: logging.LogRecord) -> dict:
    fields = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "request_id": getattr(record, "request_id", "-"),
    }
    extra = getattr(record, "fields", None)
    if extra:
        fields.update(extra)
    else:
        fields["msg"] = record.getMessage()
    if record.exc_info:
        fields["exc"] = redact(logging.Formatter().formatException(record.exc_info))
    return fields


BARE_VALUE = re.compile(r"[^\s\"=\\]+")


def _value(value) -> str:
    text = str(value)
    return text if BARE_VALUE.fullmatch(text) else json.dumps(text)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_value(value)}" for key, value in _fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str)


class PortalHandler(logging.StreamHandler):
    """The handler of the "portal" logger: links redacted, request id added."""


def formatter(log_format: str) -> logging.Formatter:
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    return JsonFormatter() if log_format == "json" else KeyValueFormatter()


def make_handler(stream=None, log_format: str = "keyvalue") -> PortalHandler:
    handler = PortalHandler(stream)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RedactLinks())
    handler.addFilter(AddRequestId())
    return handler

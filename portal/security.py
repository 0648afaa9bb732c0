"""Response headers and the error pages a person may meet (CSRF, 429, 4xx)."""
import time

from flask import request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .clock import duration_in_words
from .extensions import limiter
from .htmx import render

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

ERROR_MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    404: ("Page not found", "Check the address, or start again from the home page."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("Too much data", "What you sent is too large. Please shorten it and try again."),
    429: ("Too many attempts", "Too many attempts came from your network. Please try again in {wait}."),
    500: ("Something went wrong", "An error on our side stopped this. Please try again in a moment."),
}


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def add_security_headers(response):
    headers = response.headers
    # A view may have set its own. Read the names once: `setdefault` per
    # header (a miss raises and catches KeyError) was most of this function's time.
    present = {name.lower() for name, _ in headers.items()}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if request.endpoint != "static":
        # Pages carry personal state and CSRF tokens: never keep them in a cache.
        if "cache-control" not in present:
            headers.add("Cache-Control", "no-store")
        response.vary.add("HX-Request")
    return response


def csrf_error(error: CSRFError):
    return render(
        "_message.html",
        400,
        title="Your form has expired",
        message="For your security, forms expire. Reload the page and try again.",
    )


def http_error(error: HTTPException):
    title, message = ERROR_MESSAGES.get(error.code, (error.name, error.description))
    if error.code == 429:
        message = message.format(wait=duration_in_words(_seconds_until_the_limit_resets()))
    return render("_message.html", error.code, title=title, message=message)


def _seconds_until_the_limit_resets() -> float:
    """From the per-client limit that was hit (Flask-Limiter's clock is the real one)."""
    limit = limiter.current_limit
    return int(limit.reset_at - time.time()) if limit else 60  # as the Retry-After header counts


def install(app) -> None:
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, csrf_error)
    for code in ERROR_MESSAGES:
        app.register_error_handler(code, http_error)

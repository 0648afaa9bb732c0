"""Response headers and the error pages a person may meet (CSRF, 429, 4xx, 503)."""
import logging
import time

from flask import g, make_response, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from portal.clock import duration_in_words
from portal.extensions import db, limiter, login_manager
from portal.web import i18n
from portal.web.htmx import render

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
    400: (_l("Something was wrong with that request"), _l("Please go back and try again.")),
    404: (_l("Page not found"), _l("Check the address, or start again from the home page.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too much data"), _l("What you sent is too large. Please shorten it and try again.")),
    429: (_l("Too many attempts"), _l("Too many attempts came from your network. Please try again in %(wait)s.")),
    500: (_l("Something went wrong"), _l("An error on our side stopped this. Please try again in a moment.")),
    # A service the portal needs (the media storage) did not answer; the database's own page is `database_unavailable`.
    503: (_l("The portal is busy"),
          _l("We could not handle this just now, and nothing was changed. Please try again in a few seconds.")),
}
# Seconds a 503 asks the browser to wait: a database restart or a busy SQLite lock passes that soon.
RETRY_AFTER_UNAVAILABLE = 5

log = logging.getLogger("portal.errors")


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


PAGE_VARY = ("HX-Request", *i18n.VARY)


def add_security_headers(response):
    """Headers a view did not set itself."""
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Pages carry personal state and CSRF tokens: never keep them in a cache.
        response.headers.setdefault("Cache-Control", "no-store")
        # What a page depends on besides its address: a fragment for htmx, and its language.
        response.vary.update(PAGE_VARY)
    return response


def csrf_error(error: CSRFError):
    return render(
        "_message.html",
        400,
        title=_("Your form has expired"),
        message=_("For your security, forms expire. Reload the page and try again."),
    )


def http_error(error: HTTPException):
    title, message = ERROR_MESSAGES.get(error.code, (error.name, error.description))
    if error.code == 429:
        message = str(message) % {"wait": duration_in_words(_seconds_until_the_limit_resets())}
    return render("_message.html", error.code, title=title, message=message)


def database_unavailable(error: OperationalError):
    """The database could not be reached, or stayed locked: nothing was done; try again soon."""
    log.warning("database unavailable: %s", type(error.orig or error).__name__)
    if "_login_user" not in g:
        # Who is logged in could not be found: the page is a visitor's, or each
        # question about the person (the page's language first) asks the database again.
        g._login_user = login_manager.anonymous_user()
    title = _("The portal is busy")
    message = _("We could not handle this just now, and nothing was changed. Please try again in a few seconds.")
    try:
        db.session.rollback()
        response = render("_message.html", 503, title=title, message=message)
    except SQLAlchemyError:  # the page's header needed the database too
        response = make_response(f"{title}\n\n{message}\n", 503, {"Content-Type": "text/plain; charset=utf-8"})
    g.database_unavailable = True
    return response


def _retry_soon(response):
    """A 503's Retry-After is ours: the rate limiter would put its own window's end in it."""
    if g.pop("database_unavailable", False):
        response.headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response


def _seconds_until_the_limit_resets() -> float:
    """From the per-client limit that was hit (Flask-Limiter's clock is the real one)."""
    limit = limiter.current_limit
    return int(limit.reset_at - time.time()) if limit else 60  # as the Retry-After header counts


def install(app) -> None:
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(OperationalError, database_unavailable)
    # First in the list, so it runs after every other hook (Flask runs them in reverse).
    app.after_request_funcs.setdefault(None, []).insert(0, _retry_soon)
    for code in ERROR_MESSAGES:
        app.register_error_handler(code, http_error)

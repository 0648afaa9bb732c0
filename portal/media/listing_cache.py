"""Rendered catalogue pages, kept per process while the library stays the same.

The catalogue is the same for every visitor who is not logged in, and the
library changes rarely, so each process keeps the rendered HTML of the most
asked listings (results and filter choices) and of whole pages, each
person's CSRF token filled in as it is sent.
The library's version is read from the database at most every
`CATALOGUE_CACHE_SECONDS`, and this process forgets everything at once when
it adds or removes a video itself; another worker or host sees such a change
within those seconds.
"""
import secrets
import threading
import time
from collections import OrderedDict
from typing import Callable

from flask import current_app, session
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from sqlalchemy import func, select

from ..clock import now, seconds_ago
from ..extensions import db
from ..i18n import current_language
from .models import Video

SIZE = 512
# A session's signed CSRF token is signed again at most this often: a token
# signed a minute ago expires a minute sooner (Flask-WTF's limit is an
# hour), and signing on every request cost about 8 % of such a page's time.
TOKEN_REUSE_SECONDS = 60
# Stands for the CSRF token in a cached page; random per process, so that no
# search a person types can spell it and have the token put in its place.
_TOKEN_HOLE = "csrf-" + secrets.token_hex(16)


class _Cache:
    def __init__(self):
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.version = None
        self.checked_at = None
        self.tokens: dict = {}


def _cache() -> _Cache:
    cache = current_app.extensions.get("listing_cache")
    if cache is None:
        cache = current_app.extensions.setdefault("listing_cache", _Cache())
    return cache


def library_version() -> tuple:
    """Changes whenever a video is added or removed."""
    return tuple(db.session.execute(select(func.count(Video.id), func.max(Video.id))).one())


def _current_version(cache: _Cache) -> tuple:
    # The portal's clock, not the process's: tests move it instead of waiting.
    if cache.version is None or cache.checked_at < seconds_ago(current_app.config["CATALOGUE_CACHE_SECONDS"]):
        cache.version, cache.checked_at = library_version(), now()
    return cache.version


def cached(key: tuple, build: Callable):
    """`build()`'s result for `key` in the library as it is now, in the request's language."""
    cache = _cache()
    key = (_current_version(cache), current_language(), *key)
    with cache.lock:
        if key in cache.entries:
            cache.entries.move_to_end(key)
            return cache.entries[key]
    value = build()
    with cache.lock:
        cache.entries[key] = value
        while len(cache.entries) > SIZE:
            cache.entries.popitem(last=False)
    return value


def cached_page(key: tuple, build: Callable[..., str]) -> str:
    """A whole page, the same for every visitor (or every logged-in person) but the CSRF token of its forms.

    `build(csrf_token=...)` renders the page once with a stand-in for the
    token; each request gets its own session's token filled in (a visitor's
    header has a form too, the language switch).
    """
    page = cached(key, lambda: build(csrf_token=lambda: _TOKEN_HOLE))
    return page.replace(_TOKEN_HOLE, str(escape(_signed_csrf_token())))


def _signed_csrf_token() -> str:
    """This session's CSRF token as Flask-WTF signs it, kept for `TOKEN_REUSE_SECONDS`."""
    secret = session.get("csrf_token")
    tokens = _cache().tokens
    signed = tokens.get(secret)
    if secret is None or signed is None or signed[1] < time.time() - TOKEN_REUSE_SECONDS:
        if len(tokens) >= SIZE * 8:
            tokens.clear()
        signed = (generate_csrf(), time.time())
        tokens[session["csrf_token"]] = signed
    return signed[0]


def forget() -> None:
    """The library changed here: nothing cached stands."""
    cache = _cache()
    with cache.lock:
        cache.entries.clear()
        cache.version = None

"""Catalogue listings, kept per process while the library stays the same.

The listing (a search's results and the filter choices) is the same for
everyone and the library changes rarely, so each process keeps the most
asked ones. The library's version is read from the database at most every
`CATALOGUE_CACHE_SECONDS`, and this process forgets everything at once when
it adds or removes a video itself; another worker or host sees such a change
within those seconds.
"""
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app
from sqlalchemy import func, select

from portal.clock import now, seconds_ago
from portal.extensions import db
from portal.media.models import Video
from portal.web.i18n import current_language

SIZE = 512


class _Cache:
    def __init__(self):
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.version = None
        self.checked_at = None


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


def forget() -> None:
    """The library changed here: nothing cached stands."""
    cache = _cache()
    with cache.lock:
        cache.entries.clear()
        cache.version = None

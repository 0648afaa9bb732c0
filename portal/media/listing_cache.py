"""Rendered catalogue listings, kept per process until the library changes.

The listing (results and filter choices) is the same for every visitor, and
the library changes rarely, so each process keeps the rendered HTML of the
most asked listings. Every request reads the library's version from the
database (one small query), so an added or removed video shows at once on
every worker and host.
"""
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import func, select

from ..extensions import db
from . import catalogue
from .models import Video

SIZE = 256


@dataclass(frozen=True)
class Listing:
    html: Markup
    tags: list[str]
    years: list[int]


class _Cache:
    def __init__(self):
        self.listings: OrderedDict = OrderedDict()
        self.lock = threading.Lock()


def _cache() -> _Cache:
    return current_app.extensions.setdefault("listing_cache", _Cache())


def library_version() -> tuple:
    """Changes whenever a video is added or removed."""
    return tuple(db.session.execute(select(func.count(Video.id), func.max(Video.id))).one())


def listing(query: str, tag: str, year: int | None, number: int) -> Listing:
    cache = _cache()
    key = (library_version(), query, tag, year, number)
    with cache.lock:
        if key in cache.listings:
            cache.listings.move_to_end(key)
            return cache.listings[key]
    results = catalogue.find(query, tag, year, number)
    # Rendered (and escaped) by our own template: safe to embed as it is.
    html = Markup(render_template("media/_results.html", results=results, query=query, tag=tag, year=year))
    made = Listing(html=html, tags=catalogue.tag_names(), years=catalogue.years())
    with cache.lock:
        cache.listings[key] = made
        while len(cache.listings) > SIZE:
            cache.listings.popitem(last=False)
    return made

"""The public catalogue: newest first, or ranked by a search; tag and year filters."""
import math
from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import func, nulls_last, select

from portal.extensions import db
from portal.media import search
from portal.media.models import Tag, Video, video_tags


@dataclass(frozen=True)
class Listing:
    """The rendered results with the filter choices beside them."""

    html: Markup
    tags: list[str]
    years: list[int]
    total: int = 0


@dataclass
class Page:
    videos: list[Video]
    total: int
    number: int
    count: int


def find(query: str = "", tag: str = "", year: int | None = None, number: int = 1) -> Page:
    statement = _search(query, tag, year)
    size = current_app.config["CATALOGUE_PAGE_SIZE"]
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    count = max(1, math.ceil(total / size))
    number = min(max(1, number), count)
    videos = db.session.scalars(statement.limit(size).offset((number - 1) * size)).all()
    return Page(videos=list(videos), total=total, number=number, count=count)


def _search(query: str, tag: str, year: int | None):
    statement = select(Video)
    matches = search.ranked_matches(query)
    if matches is not None:
        statement = statement.join(matches, matches.c.video_id == Video.id).order_by(matches.c.rank, Video.id.desc())
    else:
        statement = statement.order_by(nulls_last(Video.recorded_on.desc()), Video.id.desc())
    if tag:
        statement = statement.where(Video.id.in_(
            select(video_tags.c.video_id).join(Tag, Tag.id == video_tags.c.tag_id).where(Tag.name == tag)
        ))
    if year:
        statement = statement.where(Video.recorded_on.between(date(year, 1, 1), date(year, 12, 31)))
    return statement


def every_match(query: str = "", tag: str = "", year: int | None = None) -> list[Video]:
    """All the videos a search finds (every page), up to `LINK_LIST_MAX_VIDEOS`."""
    statement = _search(query, tag, year).limit(current_app.config["LINK_LIST_MAX_VIDEOS"])
    return list(db.session.scalars(statement))


def tag_names() -> list[str]:
    return list(db.session.scalars(select(Tag.name).order_by(Tag.name)))


def years() -> list[int]:
    dates = db.session.scalars(select(Video.recorded_on).where(Video.recorded_on.is_not(None)))
    return sorted({day.year for day in dates}, reverse=True)


def listing(query: str, tag: str, year: int | None, number: int) -> Listing:
    results = find(query, tag, year, number)
    # Rendered (and escaped) by our own template: safe to embed as it is.
    html = Markup(render_template("media/_results.html", results=results, query=query, tag=tag, year=year))
    return Listing(html=html, tags=tag_names(), years=years(), total=results.total)

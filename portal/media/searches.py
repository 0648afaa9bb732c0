"""Catalogue searches that found nothing, for the librarians' report: bounded, and anonymous.

A query is kept normalised (lower case, whitespace collapsed, at most
`QUERY_LENGTH` characters) with how often it was asked and when last. Only
the `UNFOUND_SEARCHES_KEPT` most recently seen queries are kept; each new one
prunes the oldest.
"""
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.extensions import db
from portal.media.models import UnfoundSearch

QUERY_LENGTH = 200


def normalise(query: str) -> str:
    return " ".join(query.lower().split())[:QUERY_LENGTH].strip()


def record_if_nothing_found(query: str, tag: str, year: int | None, total: int) -> None:
    """Count a search by words alone that found nothing (a filter may explain an empty page)."""
    query = normalise(query)
    if not query or tag or year or total:
        return
    moment = now()
    if _count_again(query, moment):
        db.session.commit()
        return
    try:
        db.session.add(UnfoundSearch(query=query, count=1, last_seen_at=moment))
        _prune()  # flushes: the insert meets the unique constraint here
        db.session.commit()
    except IntegrityError:  # another worker added the same query this instant: count this one on its row
        db.session.rollback()
        _count_again(query, moment)
        db.session.commit()


def _count_again(query: str, moment) -> bool:
    """Count one more asking of a query already kept; False if it is not kept."""
    counted = db.session.execute(update(UnfoundSearch).where(UnfoundSearch.query == query)
                                 .values(count=UnfoundSearch.count + 1, last_seen_at=moment))
    return counted.rowcount > 0


def report(limit: int | None = None) -> list[UnfoundSearch]:
    """Most asked first, then most recent."""
    query = select(UnfoundSearch).order_by(UnfoundSearch.count.desc(), UnfoundSearch.last_seen_at.desc())
    return list(db.session.scalars(query.limit(limit)))


def _prune() -> None:
    kept = current_app.config["UNFOUND_SEARCHES_KEPT"]
    db.session.flush()
    newest = select(UnfoundSearch.id).order_by(UnfoundSearch.last_seen_at.desc(), UnfoundSearch.id.desc()).limit(kept)
    db.session.execute(delete(UnfoundSearch).where(UnfoundSearch.id.not_in(newest)))

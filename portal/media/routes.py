"""Catalogue, video pages, posters and downloads."""
from flask import Blueprint, abort, redirect, request, send_file, url_for
from flask_login import current_user

from ..admin import searches
from ..extensions import db
from ..htmx import is_htmx, render
from . import catalogue, links, listing_cache, serving, storage
from .models import Rendition, Video

blueprint = Blueprint("media", __name__)


def printable(text: str) -> str:
    """A search parameter without control characters (a NUL breaks PostgreSQL)."""
    return "".join(c for c in text if c.isprintable()).strip()


def catalogue_page():
    """The home page: the catalogue, or only its results for an htmx search."""
    query = printable(request.args.get("q", ""))[:200]
    tag = printable(request.args.get("tag", ""))[:80]
    year = request.args.get("year", type=int)
    year = year if year and 1 <= year <= 9999 else None
    number = request.args.get("page", 1, type=int)
    listing = listing_cache.cached(("listing", query, tag, year, number),
                                   lambda: catalogue.listing(query, tag, year, number))
    searches.record_if_nothing_found(query, tag, year, listing.total)

    def page():
        title = f"Search: {query}" if query else "Video library"
        return render("media/_listing.html", page="media/catalogue.html", listing=listing, query=query,
                      tag=tag, year=year, title=title).get_data(as_text=True)

    if is_htmx() or current_user.is_authenticated:
        return page()
    # Whole pages only for visitors who are not logged in: theirs are all alike.
    return listing_cache.cached(("page", request.full_path), page)


@blueprint.get("/videos/<id:video_id>")
def video(video_id: int):
    item = db.get_or_404(Video, video_id)
    return render("media/_files.html", page="media/video.html", video=item, title=item.title)


@blueprint.get("/videos/<id:video_id>/poster")
def poster(video_id: int):
    item = db.get_or_404(Video, video_id)
    path = storage.path_of(item.poster) if item.poster else None
    if path is None or not path.is_file() or storage.image_type(path) is None:
        abort(404)
    return send_file(path, mimetype=storage.image_type(path), max_age=3600)


@blueprint.route("/files/<id:rendition_id>", methods=["GET", "HEAD"])
def download(rendition_id: int):
    rendition = db.get_or_404(Rendition, rendition_id)
    if not current_user.is_authenticated or not current_user.is_verified:
        return redirect(url_for("auth.login", next=url_for("media.video", video_id=rendition.video_id)))
    return serving.file_response(rendition, current_user, via_link=False)


@blueprint.route("/d/<token>", methods=["GET", "HEAD"])
def linked_download(token: str):
    resolved = links.resolve(token)
    if resolved is None:
        return render(
            "_message.html",
            403,
            title="This download link no longer works",
            message="Links expire, and stop working when the password changes. "
            "Copy a new link from the video page.",
        )
    user, rendition_id = resolved
    return serving.file_response(db.get_or_404(Rendition, rendition_id), user, via_link=True)

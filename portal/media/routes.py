"""Catalogue, video pages, posters and downloads."""
from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import approval
from portal.extensions import db
from portal.media import (
    catalogue,
    describe,
    library,
    link_lists,
    links,
    listing_cache,
    searches,
    serving,
    storage,
    terms,
)
from portal.media.forms import AcceptTermsForm
from portal.media.models import Rendition, Still, Video
from portal.web.htmx import current_page, is_htmx, render, render_form
from portal.web.navigation import number_in_query, safe_next, text_in_query

blueprint = Blueprint("media", __name__)
blueprint.add_app_template_global(terms.notice, "terms_of_use")
blueprint.add_app_template_filter(describe.specs, "file_specs")


@blueprint.app_template_filter()
def duration(seconds: int) -> str:
    """1:02:03 or 4:05."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@blueprint.app_template_global()
def download_link(rendition: Rendition) -> str:
    """The personal link of a file, ending in its name, so a plain `wget` saves it under that name too."""
    return links.link_for(current_user, rendition.id, serving.download_name(rendition))


def catalogue_page(notice: str | None = None):
    """The home page: the catalogue, or only its results for an htmx search; `notice` is said once above it."""
    query, tag, year = _filters()
    number = number_in_query("page") or 1
    listing = listing_cache.cached(("listing", query, tag, year, number),
                                   lambda: catalogue.listing(query, tag, year, number))
    searches.record_if_nothing_found(query, tag, year, listing.total)
    title = _("Search: %(query)s", query=query) if query else _("Video library")
    return render("media/_listing.html", page="media/catalogue.html", listing=listing, query=query,
                  tag=tag, year=year, title=title, notice=notice)


@blueprint.get("/videos/<id:video_id>")
def video(video_id: int):
    item = db.get_or_404(Video, video_id)
    terms_pending = current_user.is_authenticated and terms.needs_acceptance(current_user)
    return render("media/_files.html", page="media/video.html", video=item, title=item.title,
                  description=item.description or item.title, terms_pending=terms_pending,
                  cues=library.caption_cues(item), starting_download=terms.held_download(item))


@blueprint.get("/videos/<id:video_id>/poster")
def poster(video_id: int):
    """The poster an admin gave, or else the largest JPEG still."""
    item = db.get_or_404(Video, video_id)
    if item.poster:
        return _image(item.poster)
    jpegs = [still for still in item.stills if still.kind == "jpeg"]
    if not jpegs:
        abort(404)
    return _image(jpegs[-1].stored_path)


@blueprint.get("/stills/<id:still_id>")
def still(still_id: int):
    return _image(db.get_or_404(Still, still_id).stored_path)


def _image(stored_path: str):
    """A poster or still, only if its first bytes say it is an image the portal may show inline."""
    with serving.storage_failures_as_http(stored_path):
        kind = storage.image_type(storage.read_bytes(stored_path, storage.IMAGE_HEAD))
    if kind is None:
        abort(404)
    return _stored_file(stored_path, kind)


def _stored_file(stored_path: str, mimetype: str):
    """A file of the library anyone may fetch (with ranges), cached an hour; 404 when it is missing."""
    with serving.storage_failures_as_http(stored_path):
        response = storage.send(stored_path, mimetype=mimetype, max_age=3600)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blueprint.route("/videos/<id:video_id>/preview", methods=["GET", "HEAD"])
def preview(video_id: int):
    """The small preview anyone may play: it is for choosing, not for broadcast.

    `send_file` answers byte ranges, so the player can seek.
    """
    return _public_file(db.get_or_404(Video, video_id).preview, "video/mp4")


@blueprint.get("/videos/<id:video_id>/captions.vtt")
def captions(video_id: int):
    """The preview's captions, public like the preview.

    The page links them with `v=Video.captions_version`, so replaced
    captions are fetched at once despite the hour of caching.
    """
    return _public_file(db.get_or_404(Video, video_id).captions, "text/vtt")


def _public_file(stored_path: str | None, mimetype: str):
    """A file anyone may fetch (with ranges), cached an hour; 404 when the video has none."""
    if not stored_path:
        abort(404)
    return _stored_file(stored_path, mimetype)


@blueprint.route("/files/<id:rendition_id>", methods=["GET", "HEAD"])
def download(rendition_id: int):
    rendition = db.get_or_404(Rendition, rendition_id)
    if not current_user.is_authenticated or not current_user.is_verified:
        return redirect(url_for("auth.login", next=url_for("media.video", video_id=rendition.video_id)))
    if current_user.is_waiting_for_approval:
        return _waiting_for_approval()
    if terms.needs_acceptance(current_user):
        return _terms_step(AcceptTermsForm(), url_for("media.video", video_id=rendition.video_id), rendition_id)
    return serving.file_response(rendition, current_user, via_link=False)


def _waiting_for_approval():
    return render("_message.html", 403, **approval.waiting_notice()._asdict())


@blueprint.route("/terms/accept", methods=["GET", "POST"])
def accept_terms():
    """The one-click acceptance of the current terms; then on to `next`.

    `next` is a link list, or the video page the person asked for a `file`
    of: that page starts the file's download and says so.
    """
    next_path = safe_next(request.args.get("next")) or url_for("pages.home")
    file_id = number_in_query("file")
    if not current_user.is_authenticated or not current_user.is_verified:
        return redirect(url_for("auth.login", next=next_path))
    form = AcceptTermsForm()
    if not form.validate_on_submit():
        return _terms_step(form, next_path, file_id)
    terms.accept(current_user, form.stated_use.data if "stated_use" in form else None)
    if file_id is not None:
        terms.download_on_return(file_id)
    if is_htmx():
        # A file is no page to swap in: the browser itself goes on to it.
        response = Response(status=204)
        response.headers["HX-Redirect"] = next_path
        return response
    return redirect(next_path, 303)


def _terms_step(form, next_path: str, file_id: int | None = None):
    return render_form("media/_terms.html", form, next_path=next_path, file_id=file_id,
                       accepted_version=current_user.terms_accepted_version, version=terms.current_version(),
                       changes=terms.changes(), title=_("Terms of use"))


@blueprint.get("/videos/<id:video_id>/links.txt")
def video_link_list(video_id: int):
    item = db.get_or_404(Video, video_id)
    return _list_answer("links", [item], url_for("media.video", video_id=video_id), f"video-{video_id}-links.txt")


@blueprint.get("/videos/<id:video_id>/SHA256SUMS")
def video_sha256sums(video_id: int):
    item = db.get_or_404(Video, video_id)
    return _list_answer("sums", [item], url_for("media.video", video_id=video_id), "SHA256SUMS")


@blueprint.get("/links.txt")
def results_link_list():
    query, tag, year = _filters()
    videos = catalogue.every_match(query, tag, year)
    return _list_answer("links", videos, url_for("pages.home", q=query or None, tag=tag or None, year=year),
                        "search-links.txt")


@blueprint.get("/SHA256SUMS")
def results_sha256sums():
    query, tag, year = _filters()
    videos = catalogue.every_match(query, tag, year)
    return _list_answer("sums", videos, url_for("pages.home", q=query or None, tag=tag or None, year=year),
                        "SHA256SUMS")


def _filters() -> tuple[str, str, int | None]:
    """The catalogue's search, tag and year as the query gives them: text without control characters, a real year."""
    query = text_in_query("q", longest=200)
    tag = text_in_query("tag", longest=80)
    year = number_in_query("year")
    return query, tag, (year if year and 1 <= year <= 9999 else None)


def _list_answer(kind: str, videos, back: str, filename: str):
    """The link list ("links") or SHA256SUMS ("sums") of `videos`, for a verified account; others log in first."""
    if not current_user.is_authenticated or not current_user.is_verified:
        return redirect(url_for("auth.login", next=back))
    if current_user.is_waiting_for_approval:
        return _waiting_for_approval()
    if terms.needs_acceptance(current_user):
        return redirect(url_for("media.accept_terms", next=current_page()), 303)
    text = link_lists.link_list(current_user, videos) if kind == "links" else link_lists.sha256sums(videos)
    response = Response(text, mimetype="text/plain")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/d/<token>/<file_name:name>", methods=["GET", "HEAD"])
def named_linked_download(token: str, name: str):
    """A personal link as the page and the link list give it: it ends in the file's name."""
    return linked_download(token, name)


@blueprint.route("/d/<token>", methods=["GET", "HEAD"])
def linked_download(token: str, name: str | None = None):
    resolved = links.resolve(token)
    if resolved is None:
        return render(
            "_message.html",
            403,
            title=_("This download link no longer works"),
            message=_("Links expire, and stop working when the password changes. "
                      "Copy a new link from the video page."),
        )
    user, rendition_id = resolved
    if user.is_waiting_for_approval:
        return _waiting_for_approval()
    if terms.needs_acceptance(user):
        return render(
            "_message.html",
            403,
            title=_("Accept the new terms of use first"),
            message=_("The terms of use have changed. Log in on the site and download a file once to accept them; "
                      "this link works again after that."),
        )
    rendition = db.get_or_404(Rendition, rendition_id)
    if name is not None and name != serving.download_name(rendition):
        abort(404)
    return serving.file_response(rendition, user, via_link=True)

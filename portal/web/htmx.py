"""The one place that decides between a full page and an htmx fragment.

Every step of a dialog has a fragment template; `page.html` wraps any
fragment in the site layout. A request from htmx gets the fragment, any other
request the page, so the views work the same with JavaScript off.
"""
import json
from urllib.parse import urlsplit

from flask import Response, make_response, redirect, render_template, request
from werkzeug.urls import iri_to_uri


def is_htmx() -> bool:
    """A partial request; a history restore wants the whole page."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"


def render(fragment: str, status: int = 200, page: str = "page.html", **context) -> Response:
    """The fragment for htmx, else `page` (which includes the fragment)."""
    if is_htmx():
        body = render_template(fragment, **context)
    else:
        body = render_template(page, fragment=fragment, **context)
    return make_response(body, status)


def render_form(fragment: str, form, status: int | None = None, **context) -> Response:
    """Render a step with a form; one with errors answers 422 so htmx and tests can tell."""
    if status is None:
        status = 422 if form.errors else 200
    return render(fragment, status, form=form, **context)


def advance(url: str, *, trigger: str | None = None) -> Response:
    """Go on to the next step: in place for htmx, by a 303 redirect otherwise.

    For htmx, `HX-Location` loads the next step into the element that showed
    this one, without touching the address bar.
    """
    if is_htmx():
        response = make_response("", 200)
        target = "#" + request.headers.get("HX-Target", "dialog-body")
        response.headers["HX-Location"] = json.dumps(
            {"path": url, "target": target, "push": False}
        )
    else:
        response = redirect(url, 303)
    if trigger:
        response.headers["HX-Trigger"] = trigger
    return response


def finish(url: str, *, trigger: str) -> Response:
    """End a dialog and land on `url`.

    When the dialog was opened on that very page, htmx just closes it and
    tells the page (`trigger`), so nothing reloads; otherwise the browser goes there.
    """
    if not is_htmx():
        return redirect(url, 303)
    response = make_response("", 204)
    if _path_of(request.headers.get("HX-Current-URL", "")) == url:
        response.headers["HX-Trigger"] = json.dumps({trigger: None, "close-dialog": None})
    else:
        response.headers["HX-Redirect"] = iri_to_uri(url)
    return response


def current_page() -> str:
    """The path (and query) of the page the person is looking at, without its own `next`.

    Links built on it carry it as their `next`; were a page's own `next`
    kept, a crawler following log-in and register links would build ever
    longer `next=/login?next=/register?next=…` addresses.
    """
    if is_htmx():
        return _path_of(request.headers.get("HX-Current-URL", "")) or "/"
    # Not `request.full_path`: it fails on a query that is not UTF-8, and
    # this page may be the one that refuses such a query.
    query = _without_next(request.query_string.decode("utf-8", "replace"))
    return request.path + (f"?{query}" if query else "")


def _without_next(query: str) -> str:
    return "&".join(part for part in query.split("&") if part and part.split("=", 1)[0] != "next")


def _path_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    query = _without_next(parts.query)
    return parts.path + (f"?{query}" if query else "")

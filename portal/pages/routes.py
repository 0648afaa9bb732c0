"""The home page, the pages every public portal has, the site's logo, and the
header that refreshes itself after log-in or log-out."""
from flask import Blueprint, abort, render_template, send_file

from portal.account import notices
from portal.media.routes import catalogue_page
from portal.pages import branding
from portal.pages.texts import PAGES, page_body
from portal.web.htmx import render

blueprint = Blueprint("pages", __name__)
blueprint.add_app_template_global(branding.logo_url, "site_logo")


@blueprint.get("/")
def home():
    """The catalogue, with a notice an account action left for it ("Your account was deleted.")."""
    return catalogue_page(notice=notices.pop())


@blueprint.get("/_header")
def header():
    return render_template("_header.html")


@blueprint.get("/privacy")
def privacy():
    return _show("privacy")


@blueprint.get("/terms")
def terms():
    return _show("terms")


@blueprint.get("/accessibility")
def accessibility():
    return _show("accessibility")


@blueprint.get("/contact")
def contact():
    return _show("contact")


@blueprint.get("/logo")
def logo():
    found = branding.find_logo()
    if found is None:
        abort(404)
    # The header asks for `?v=<version>`, so a changed logo is a new address.
    response = send_file(found.path, mimetype=found.mimetype, conditional=True, max_age=24 * 3600)
    if found.mimetype == "image/svg+xml":
        response.headers["Content-Security-Policy"] = branding.SVG_POLICY
    return response


def _show(name: str):
    return render("pages/_page.html", title=PAGES[name], body=page_body(name))

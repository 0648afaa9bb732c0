"""The home page, the pages every public portal has, and the header that
refreshes itself after log-in or log-out."""
from flask import Blueprint, render_template

from .htmx import render
from .media.routes import catalogue_page
from .page_text import PAGES, page_body

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def home():
    return catalogue_page()


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


def _show(name: str):
    return render("pages/_page.html", title=PAGES[name], body=page_body(name))

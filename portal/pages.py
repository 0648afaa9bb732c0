"""The home page, and the header that refreshes itself after log-in or log-out."""
from flask import Blueprint, render_template

from .media.routes import catalogue_page

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def home():
    return catalogue_page()


@blueprint.get("/_header")
def header():
    return render_template("_header.html")

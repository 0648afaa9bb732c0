"""Public pages, and the header that refreshes itself after log-in or log-out."""
from flask import Blueprint, render_template

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def home():
    return render_template("home.html")


@blueprint.get("/_header")
def header():
    return render_template("_header.html")

"""Subscribing from the welcome step, and unsubscribing from a newsletter mail without logging in."""
from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.sessions import members_only
from portal.extensions import csrf
from portal.newsletter import models, subscriptions  # noqa: F401  (models: their tables join the schema)
from portal.web.htmx import advance, render

blueprint = Blueprint("newsletter", __name__, url_prefix="/newsletter")


@blueprint.post("/subscribe")
@members_only
def subscribe():
    """The welcome step's offer, accepted."""
    subscriptions.subscribe(current_user, "offer")
    return advance(url_for("auth.welcome"))


@blueprint.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """GET shows one button; POST (that button, or a mail client's RFC 8058
    one-click POST) unsubscribes. The signed token is the authority, which is
    why this one form needs no CSRF token: no other site can forge it.
    Link scanners only GET, so they never unsubscribe anyone."""
    user = subscriptions.user_of(token)
    if user is None:
        return render("_message.html", 404, title=_("This link does not work"),
                      message=_("Check that the whole link was copied from the mail."))
    if request.method == "POST":
        subscriptions.unsubscribe(user)
        return render("newsletter/_unsubscribed.html", email=user.email, title=_("Unsubscribed"))
    return render("newsletter/_unsubscribe.html", email=user.email, is_subscribed=user.is_subscribed,
                  title=_("Unsubscribe from the newsletter"))

"""My account page."""
from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from ..newsletter import subscriptions
from ..auth.forms import ButtonForm
from ..htmx import advance, render

blueprint = Blueprint("account", __name__, url_prefix="/account")


@blueprint.get("/")
@login_required
def overview():
    return render("account/_overview.html", form=ButtonForm())


@blueprint.post("/newsletter")
@login_required
def newsletter():
    if request.form.get("subscribed") == "yes":
        subscriptions.subscribe(current_user, "account")
    else:
        subscriptions.unsubscribe(current_user)
    return advance(url_for("account.overview"))

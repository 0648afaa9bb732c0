"""My account: details, newsletter choice, password change."""
from flask import Blueprint, request, url_for
from flask_login import current_user

from ..auth import accounts, sessions
from ..auth.forms import ButtonForm, ChangePasswordForm
from ..auth.sessions import members_only
from ..extensions import account_forms
from ..htmx import advance, render, render_form
from ..newsletter import subscriptions

blueprint = Blueprint("account", __name__, url_prefix="/account")


@blueprint.get("/")
@members_only
def overview():
    return render("account/_overview.html", form=ButtonForm(), password_changed="changed" in request.args,
                  title="My account")


@blueprint.post("/newsletter")
@members_only
def newsletter():
    if request.form.get("subscribed") == "yes":
        subscriptions.subscribe(current_user, "account")
    else:
        subscriptions.unsubscribe(current_user)
    return advance(url_for("account.overview"))


@blueprint.route("/password", methods=["GET", "POST"])
@members_only
@account_forms
def change_password():
    """A new password ends every other session; this browser stays logged in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        accounts.set_new_password(user, form.password.data)
        sessions.start(user)
        return advance(url_for("account.overview", changed=1))
    return render_form("account/_password.html", form, title="Change password")

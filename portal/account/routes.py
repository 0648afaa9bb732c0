"""My account: details, newsletter choice, password change."""
from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from .. import passwords
from ..auth import accounts, sessions
from ..auth.forms import ButtonForm, ChangePasswordForm
from ..extensions import limiter
from ..clients import form_limit
from ..htmx import advance, render, render_form
from ..newsletter import subscriptions

blueprint = Blueprint("account", __name__, url_prefix="/account")


@blueprint.get("/")
@login_required
def overview():
    return render("account/_overview.html", form=ButtonForm(), password_changed="changed" in request.args)


@blueprint.post("/newsletter")
@login_required
def newsletter():
    if request.form.get("subscribed") == "yes":
        subscriptions.subscribe(current_user, "account")
    else:
        subscriptions.unsubscribe(current_user)
    return advance(url_for("account.overview"))


@blueprint.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(form_limit, methods=["POST"])
def change_password():
    """A new password ends every other session; this browser stays logged in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not passwords.verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            user = current_user._get_current_object()
            accounts.set_new_password(user, form.password.data)
            sessions.start(user)
            return advance(url_for("account.overview", changed=1))
    return render_form("account/_password.html", form)

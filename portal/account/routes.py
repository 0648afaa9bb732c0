"""My account: details, address, password, newsletter, downloads, browsers, export, delete."""
import json

from flask import Blueprint, abort, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.account import notices, profile
from portal.account.flows import CHANGE_EMAIL
from portal.account.forms import (
    AdminConfirmIdentityForm,
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmIdentityForm,
    DeleteAccountForm,
    DetailsForm,
    PasskeyNameForm,
)
from portal.account.notices import tell
from portal.auth import accounts, passkeys, reauthentication, second_factor, sessions
from portal.auth.forms import ButtonForm
from portal.auth.sessions import members_only
from portal.auth.steps import code_step, resend_code
from portal.clock import now
from portal.extensions import account_forms
from portal.newsletter import subscriptions
from portal.web import json_steps
from portal.web.htmx import advance, finish, is_htmx, render, render_form
from portal.web.navigation import number_in_query, safe_next

blueprint = Blueprint("account", __name__, url_prefix="/account")

# After the confirmation step, My account starts the passkey the person asked for (`passkeys.js`).
ADD_PASSKEY = "add-passkey"


@blueprint.get("/")
@members_only
def overview():
    user = current_user
    downloads, pages = profile.download_history(user, 1)
    return render("account/_overview.html", form=ButtonForm(), notice=notices.pop(),
                  downloads=downloads, download_pages=pages, logins=profile.login_sessions(user),
                  this_login=sessions.current_login_id(), browser_name=profile.browser_name,
                  passkeys=passkeys.of_account(user),
                  add_passkey_now=request.args.get("carry_on") == ADD_PASSKEY, title=_("My account"))


@blueprint.route("/details", methods=["GET", "POST"])
@members_only
@account_forms
def details():
    form = DetailsForm(obj=current_user)
    if form.validate_on_submit():
        profile.update_details(current_user, form.full_name.data, form.organisation.data)
        tell(_("Your details were saved."))
        return advance(url_for("account.overview"))
    return render_form("account/_details.html", form, title=_("Edit your details"))


@blueprint.route("/email", methods=["GET", "POST"])
@members_only
@account_forms
def change_email():
    """A code goes to the new address; the address changes only once it is entered."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        CHANGE_EMAIL.start(accounts.normalise_email(form.email.data), user_id=current_user.id)
        return advance(url_for("account.confirm_email"))
    return render_form("account/_email.html", form, title=_("Change email"))


@blueprint.route("/email/code", methods=["GET", "POST"])
@members_only
@account_forms
def confirm_email():
    return code_step(CHANGE_EMAIL)


@blueprint.post("/email/resend")
@members_only
@account_forms
def resend_email_code():
    return resend_code(CHANGE_EMAIL)


@blueprint.route("/password", methods=["GET", "POST"])
@members_only
@account_forms
def change_password():
    """A new password ends every other session; this browser stays logged in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()  # the row itself: starting a new session logs the proxy out
        accounts.set_new_password(user, form.password.data)
        sessions.start(user)
        tell(_("Your password has been changed. Other browsers were logged out."))
        return advance(url_for("account.overview"))
    return render_form("account/_password.html", form, title=_("Change password"))


@blueprint.post("/newsletter")
@members_only
def newsletter():
    if request.form.get("subscribed") == "yes":
        subscriptions.subscribe(current_user, "account")
    else:
        subscriptions.unsubscribe(current_user)
    return advance(url_for("account.overview"))


@blueprint.get("/downloads")
@members_only
def downloads():
    page = number_in_query("page", default=1)
    if page is None:
        abort(404)
    lines, pages = profile.download_history(current_user, page)
    if page > pages:
        abort(404)
    return render("account/_downloads.html", downloads=lines, page_number=page, pages=pages, title=_("Your downloads"))


@blueprint.post("/sessions/<id:login_id>/end")
@members_only
def end_session(login_id: int):
    sessions.end_one(current_user, login_id)
    tell(_("That browser was logged out."))
    return advance(url_for("account.overview"))


@blueprint.post("/sessions/end-others")
@members_only
def end_other_sessions():
    sessions.end_others(current_user)
    tell(_("Every other browser was logged out."))
    return advance(url_for("account.overview"))


@blueprint.post("/passkeys/options")
@members_only
@account_forms
@reauthentication.required(then="account.overview", carry_on=ADD_PASSKEY)
@passkeys.where_offered
def passkey_options():
    return json_steps.options(passkeys.registration_options(current_user))


@blueprint.post("/passkeys")
@members_only
@account_forms
@reauthentication.required(then="account.overview")
@passkeys.where_offered
def add_passkey():
    """The browser made a passkey: keep it, named after the browser and system it was made on."""
    try:
        passkeys.add(current_user, json_steps.posted_object(), profile.browser_name(request.user_agent.string))
    except passkeys.Refused as refusal:
        return json_steps.refused(refusal.message)
    tell(_("Your passkey was added. You can now sign in with it."))
    return json_steps.go_to(url_for("account.overview"))


@blueprint.route("/passkeys/<id:passkey_id>/name", methods=["GET", "POST"])
@members_only
@account_forms
def rename_passkey(passkey_id: int):
    passkey = passkeys.find(current_user, passkey_id) or abort(404)
    form = PasskeyNameForm(obj=passkey)
    if form.validate_on_submit():
        passkeys.rename(passkey, form.name.data)
        tell(_("The passkey was renamed."))
        return advance(url_for("account.overview"))
    return render_form("account/_passkey_name.html", form, passkey=passkey, title=_("Rename passkey"))


@blueprint.route("/passkeys/<id:passkey_id>/remove", methods=["GET", "POST"])
@members_only
@account_forms
@reauthentication.required()
def remove_passkey(passkey_id: int):
    """Allowed for the last passkey too: the password always stays."""
    passkey = passkeys.find(current_user, passkey_id) or abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        passkeys.remove(passkey)
        tell(_("The passkey was removed. It can no longer sign in to your account."))
        return advance(url_for("account.overview"))
    return render_form("account/_remove_passkey.html", form, passkey=passkey, title=_("Remove passkey"))


@blueprint.route("/confirm", methods=["GET", "POST"])
@members_only
@account_forms
def confirm_identity():
    """The password (or a passkey of this account, see `confirm_with_passkey`) again, then on to `next`."""
    next_step = safe_next(request.args.get("next")) or url_for("account.overview")
    form = AdminConfirmIdentityForm() if current_user.is_admin else ConfirmIdentityForm()
    if form.validate_on_submit() and _app_code_accepted(form):
        reauthentication.note()
        tell(_("Thank you. For the next few minutes you won't be asked again."))
        return advance(next_step)
    return render_form("account/_confirm.html", form, next_step=next_step, title=_("Confirm it's you"))


def _app_code_accepted(form) -> bool:
    """An admin's code from the app (or a recovery code), counted as at log-in; others have none to give."""
    if not current_user.is_admin:
        return True
    refusal = second_factor.check(current_user, form.code.data)
    if refusal is not None:
        form.code.errors.append(refusal)
    return refusal is None


@blueprint.post("/confirm/passkey")
@members_only
@account_forms
def confirm_with_passkey():
    """A passkey of this very account proves it; another account's is refused like a wrong one.
    Not an admin's: they confirm with the app's code (`AdminConfirmIdentityForm`)."""
    if current_user.is_admin:
        return json_steps.refused(passkeys.NOT_ACCEPTED)
    try:
        passkeys.proves(current_user, json_steps.posted_object())
    except passkeys.Refused as refusal:
        return json_steps.refused(refusal.message)
    reauthentication.note()
    return json_steps.go_to(safe_next(request.args.get("next")) or url_for("account.overview"))


@blueprint.get("/export")
@members_only
@reauthentication.required()
def export():
    if is_htmx():
        # Reached in place, after the confirmation step: My account again, and the browser fetches the file.
        return advance(url_for("account.overview"), trigger=json.dumps({"download-file": request.path}))
    body = json.dumps(profile.export(current_user), indent=2, ensure_ascii=False)
    response = make_response(body)
    response.mimetype = "application/json"
    filename = f"my-data-{now():%Y-%m-%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blueprint.route("/delete", methods=["GET", "POST"])
@members_only
@account_forms
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        accounts.delete_account(current_user._get_current_object())  # the row, not the proxy, is deleted
        sessions.end()
        tell(_("Your account was deleted."))  # after `end`, which clears the session
        return finish(url_for("pages.home"), trigger="auth-changed")
    return render_form("account/_delete.html", form, title=_("Delete account"))

"""One small view per step of the account dialogs: form, one call, render."""
from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from portal.auth import accounts, approval, passkeys, passwords, second_factor, sessions
from portal.auth.flows import AUTH_CHANGED, RESET_PASSWORD, VERIFY_EMAIL, reset_done, user_allowed_to_reset
from portal.auth.forms import ButtonForm, LoginForm, NewPasswordForm, RegisterForm, ResetRequestForm
from portal.auth.sessions import members_only
from portal.auth.steps import code_step, resend_code
from portal.extensions import account_forms, limiter
from portal.limits import login_limit
from portal.web import json_steps
from portal.web.htmx import advance, finish, render, render_form
from portal.web.navigation import next_page, pop_next_page, remember_next

blueprint = Blueprint("auth", __name__)
blueprint.add_app_template_global(passwords.HINT, "password_hint")
blueprint.add_app_template_global(approval.waiting_notice, "waiting_for_approval")
blueprint.add_app_template_global(passkeys.are_offered, "passkeys_offered")
blueprint.add_app_template_global(passkeys.host, "passkey_host")


def failed(response) -> bool:
    return response.status_code == 422


# Password and passkey log-ins share one per-client limit: a passkey is no way around it.
login_tries = limiter.shared_limit(login_limit, scope="login", methods=["POST"], deduct_when=failed)


@blueprint.before_request
def keep_next():
    if request.method == "GET":
        remember_next(request.args.get("next"))


@blueprint.route("/register", methods=["GET", "POST"])
@account_forms
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        details = accounts.registration(form.full_name.data, form.password.data, form.organisation.data)
        VERIFY_EMAIL.start(email, **details)
        return advance(url_for("auth.verify"))
    return render_form("auth/_register.html", form, title=_("Create an account"), waiting=VERIFY_EMAIL.resume())


@blueprint.route("/verify", methods=["GET", "POST"])
@account_forms
def verify():
    return code_step(VERIFY_EMAIL)


@blueprint.route("/reset/code", methods=["GET", "POST"])
@account_forms
def reset_code():
    return code_step(RESET_PASSWORD)


@blueprint.post("/verify/resend")
@account_forms
def resend_verify_code():
    return resend_code(VERIFY_EMAIL)


@blueprint.post("/reset/resend")
@account_forms
def resend_reset_code():
    return resend_code(RESET_PASSWORD)


@blueprint.get("/welcome")
@members_only
def welcome():
    return render("auth/_welcome.html", form=ButtonForm(), next_page=next_page(), title="Welcome")


@blueprint.route("/login", methods=["GET", "POST"])
@login_tries
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user, refusal = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            if second_factor.is_required(user):
                return advance(second_factor.begin(user))
            sessions.start(user)
            return finish(pop_next_page(), trigger=AUTH_CHANGED)
        form.password.errors.append(refusal)
    return render_form("auth/_login.html", form, title=_("Log in"), waiting=VERIFY_EMAIL.resume())


@blueprint.post("/login/passkey/options")
@account_forms
@passkeys.where_offered
def passkey_sign_in_options():
    return json_steps.options(passkeys.sign_in_options())


@blueprint.post("/login/passkey")
@login_tries
@passkeys.where_offered
def passkey_sign_in():
    """The admins' second factor is asked for after a passkey too: a passkey stands for the password only."""
    try:
        user = passkeys.authenticate(json_steps.posted_object())
    except passkeys.Refused as refusal:
        return json_steps.refused(refusal.message)
    if second_factor.is_required(user):
        return json_steps.go_to(second_factor.begin(user, by_passkey=True))
    sessions.start(user)
    return json_steps.go_to(pop_next_page())


@blueprint.post("/logout")
def logout():
    sessions.end()
    return finish(sessions.public_page(request.form.get("next")), trigger=AUTH_CHANGED)


@blueprint.route("/reset", methods=["GET", "POST"])
@account_forms
def reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        RESET_PASSWORD.start(accounts.normalise_email(form.email.data))
        return advance(url_for("auth.reset_code"))
    return render_form("auth/_reset.html", form, title=_("Reset password"))


@blueprint.route("/reset/password", methods=["GET", "POST"])
@account_forms
def new_password():
    user = user_allowed_to_reset()
    if user is None:
        return advance(url_for("auth.reset"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        accounts.set_new_password(user, form.password.data)
        reset_done()
        return advance(url_for("auth.password_updated"), trigger=AUTH_CHANGED)
    return render_form("auth/_new_password.html", form, title=_("Create a new password"))


@blueprint.get("/reset/done")
def password_updated():
    return render("auth/_password_updated.html", login_url=url_for("auth.login", next=next_page()),
                  title=_("Password updated"))

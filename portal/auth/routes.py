"""One small view per step of the account dialogs; the work is in `accounts`."""
from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from .. import codes, sending
from ..extensions import limiter
from ..clients import form_limit, login_limit
from ..htmx import advance, finish, render, render_form
from ..newsletter import subscriptions
from ..navigation import next_page, pop_next_page, remember_next
from . import accounts, flow, sessions
from .forms import ButtonForm, CodeForm, LoginForm, NewPasswordForm, RegisterForm, ResetRequestForm

blueprint = Blueprint("auth", __name__)

AUTH_CHANGED = "auth-changed"
WRONG_LOGIN = "The email or password is not right."
CODE_STEPS = {
    codes.VERIFY_EMAIL: {"endpoint": "auth.verify", "resend": "auth.resend_verify_code",
                         "start": "auth.register", "eyebrow": "Create an account"},
    codes.RESET_PASSWORD: {"endpoint": "auth.reset_code", "resend": "auth.resend_reset_code",
                           "start": "auth.reset", "eyebrow": "Reset password"},
}


def failed(response) -> bool:
    return response.status_code == 422


def refuse_to_send(form, email: str, fragment: str):
    """The step again, 429, when no code may go to `email` now; else None (a send is claimed)."""
    refusal = sending.claim(email)
    if refusal is None:
        return None
    form.email.errors.append(refusal)
    return render_form(fragment, form, 429)


@blueprint.before_request
def keep_next():
    if request.method == "GET":
        remember_next(request.args.get("next"))


@blueprint.route("/register", methods=["GET", "POST"])
@limiter.limit(form_limit, methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        if refused := refuse_to_send(form, email, "auth/_register.html"):
            return refused
        binding = flow.await_code(codes.VERIFY_EMAIL, email)
        accounts.register(form.full_name.data, email, form.password.data, form.organisation.data, binding)
        return advance(url_for("auth.verify"))
    return render_form("auth/_register.html", form)


@blueprint.route("/verify", methods=["GET", "POST"])
@limiter.limit(form_limit, methods=["POST"])
def verify():
    return code_step(codes.VERIFY_EMAIL)


@blueprint.route("/reset/code", methods=["GET", "POST"])
@limiter.limit(form_limit, methods=["POST"])
def reset_code():
    return code_step(codes.RESET_PASSWORD)


@blueprint.post("/verify/resend")
@limiter.limit(form_limit)
def resend_verify_code():
    return resend_code(codes.VERIFY_EMAIL)


@blueprint.post("/reset/resend")
@limiter.limit(form_limit)
def resend_reset_code():
    return resend_code(codes.RESET_PASSWORD)


def code_step(purpose: str):
    """The "Check your inbox" step, for either purpose."""
    awaited = flow.awaited_code(purpose)
    if awaited is None:
        return advance(url_for(CODE_STEPS[purpose]["start"]))
    form = CodeForm()
    if form.validate_on_submit():
        outcome, user = accounts.check_code(awaited["email"], purpose, awaited["binding"], form.code.data)
        if outcome is codes.Outcome.ACCEPTED:
            flow.code_accepted()
            return code_accepted(purpose, user)
        form.code.errors.append(outcome.message)
    return show_code_step(purpose, form)


def show_code_step(purpose: str, form, status: int | None = None, **context):
    return render_form("auth/_code.html", form, status, step=CODE_STEPS[purpose],
                resend_form=ButtonForm(), **context)


def resend_code(purpose: str):
    awaited = flow.awaited_code(purpose)
    if awaited is None:
        return advance(url_for(CODE_STEPS[purpose]["start"]))
    refusal = sending.claim(awaited["email"])
    if refusal:
        return show_code_step(purpose, CodeForm(formdata=None), 429, resend_error=refusal)
    accounts.send_code(awaited["email"], purpose, awaited["binding"])
    return show_code_step(purpose, CodeForm(formdata=None), resent=True)


def code_accepted(purpose: str, user):
    if purpose == codes.VERIFY_EMAIL:
        sessions.start(user)
        return advance(url_for("auth.welcome"), trigger=AUTH_CHANGED)
    flow.allow_password_reset(user)
    return advance(url_for("auth.new_password"))


@blueprint.get("/welcome")
@login_required
def welcome():
    return render("auth/_welcome.html", form=ButtonForm(), next_page=next_page())


@blueprint.post("/welcome/subscribe")
@login_required
def subscribe():
    subscriptions.subscribe(current_user, "offer")
    return advance(url_for("auth.welcome"))


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"], deduct_when=failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(WRONG_LOGIN)
        elif not user.is_verified:
            return verify_before_login(user.email)
        else:
            sessions.start(user)
            return finish(pop_next_page(), trigger=AUTH_CHANGED)
    return render_form("auth/_login.html", form)


def verify_before_login(email: str):
    """An unverified account logging in is sent to its code step (with a fresh code)."""
    binding = flow.await_code(codes.VERIFY_EMAIL, email)
    if sending.claim(email) is None:
        accounts.send_code(email, codes.VERIFY_EMAIL, binding)
    return advance(url_for("auth.verify"))


@blueprint.post("/logout")
def logout():
    sessions.end()
    return advance(url_for("pages.home"), trigger=AUTH_CHANGED)


@blueprint.route("/reset", methods=["GET", "POST"])
@limiter.limit(form_limit, methods=["POST"])
def reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        if refused := refuse_to_send(form, email, "auth/_reset.html"):
            return refused
        binding = flow.await_code(codes.RESET_PASSWORD, email)
        accounts.send_code(email, codes.RESET_PASSWORD, binding)
        return advance(url_for("auth.reset_code"))
    return render_form("auth/_reset.html", form)


@blueprint.route("/reset/password", methods=["GET", "POST"])
@limiter.limit(form_limit, methods=["POST"])
def new_password():
    user = flow.user_allowed_to_reset()
    if user is None:
        return advance(url_for("auth.reset"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        accounts.set_new_password(user, form.password.data)
        flow.reset_done()
        return advance(url_for("auth.password_updated"), trigger=AUTH_CHANGED)
    return render_form("auth/_new_password.html", form)


@blueprint.get("/reset/done")
def password_updated():
    return render("auth/_password_updated.html", login_url=url_for("auth.login", next=next_page()))

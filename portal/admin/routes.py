"""The admin's second factor at log-in, and the desk at `/admin` (404 for everyone else)."""
from functools import wraps
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import approvals, audit, users
from portal.admin import desk as desk_data
from portal.admin.forms import AppCodeForm, SecondFactorForm
from portal.auth import accounts, passkeys, second_factor
from portal.auth.flows import AUTH_CHANGED
from portal.extensions import account_forms, db
from portal.media import searches
from portal.models import User
from portal.web import json_steps
from portal.web.htmx import advance, finish, render, render_form
from portal.web.navigation import pop_next_page, text_in_query

blueprint = Blueprint("admin", __name__)
# The header links the desk for whoever may open it, and nobody else.
blueprint.add_app_template_global(second_factor.passed, "may_open_admin_desk")


def desk_only(view):
    """404 unless an admin who passed the second factor in this session asks: nothing tells the desk is here."""
    @wraps(view)
    def guarded(*args, **kwargs):
        if not second_factor.passed():
            abort(404)
        return view(*args, **kwargs)
    guarded.is_members_only = True
    return guarded


@blueprint.route("/login/second-factor", methods=["GET", "POST"])
@account_forms
def enter_second_factor():
    user = second_factor.pending_user()
    if user is None:
        return advance(url_for("auth.login"))
    if not second_factor.is_set_up(user):
        return advance(url_for("admin.set_up_second_factor"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        refusal = second_factor.check(user, form.code.data)
        if refusal is None:
            second_factor.complete(user)
            return finish(pop_next_page(), trigger=AUTH_CHANGED)
        form.code.errors.append(refusal)
    return render_form("admin/_second_factor.html", form, title=_("Second factor"),
                       passkey_may_follow=second_factor.passkey_may_follow() and bool(passkeys.of_account(user)))


@blueprint.post("/login/second-factor/passkey")
@account_forms
def second_factor_by_passkey():
    """A passkey of the half-way admin, after the password, in place of the app's code."""
    user = second_factor.pending_user()
    if user is None or not second_factor.is_set_up(user) or not second_factor.passkey_may_follow():
        return json_steps.refused(passkeys.TOO_LATE)
    try:
        refusal = second_factor.check_passkey(user, json_steps.posted_object())
    except passkeys.Refused as too_late:
        refusal = too_late.message
    if refusal is not None:
        return json_steps.refused(refusal)
    second_factor.complete(user)
    return json_steps.go_to(pop_next_page())


@blueprint.route("/login/second-factor/set-up", methods=["GET", "POST"])
@account_forms
def set_up_second_factor():
    user = second_factor.pending_user()
    if user is None:
        return advance(url_for("auth.login"))
    if second_factor.is_set_up(user):
        return advance(url_for("admin.enter_second_factor"))
    key = second_factor.key_for_set_up(user)
    form = AppCodeForm()
    if form.validate_on_submit():
        result = second_factor.confirm_set_up(user, form.code.data)
        if isinstance(result, list):
            second_factor.complete(user)
            response = _show_recovery_codes(user, result, next_page=pop_next_page())
            response.headers["HX-Trigger"] = AUTH_CHANGED
            return response
        form.code.errors.append(result)
    return render_form("admin/_set_up.html", form, key=second_factor.spaced(key),
                       qr_code=second_factor.qr_code_data_uri(user, key), title=_("Set up your second factor"))


def _show_recovery_codes(user: User, codes: list[str], next_page: str, are_new: bool = False) -> Response:
    """The codes, shown once in answer to the post that made them: they are nowhere else to be read.

    Beside them a text file to keep, as a `data:` link, so it downloads
    without JavaScript and without the codes ever being kept to serve it.
    """
    introduction = _("Recovery codes for %(address)s at %(site)s. Each logs you in once in place of a code "
                     "from your app.", address=user.email, site=current_app.config["SITE_NAME"])
    codes_text = "\n".join([introduction, "", *codes, ""])
    return render("admin/_recovery_codes.html", recovery_codes=codes, next_page=next_page, are_new=are_new,
                  codes_file=f"data:text/plain;charset=utf-8,{quote(codes_text)}",
                  codes_to_copy="\n".join(codes),
                  title=_("Your new recovery codes") if are_new else _("Your recovery codes"))


# --- The desk: read-mostly; every change is a POST (CSRF) written to the audit log ---


def _actor() -> str:
    return current_user.email


@blueprint.get("/admin")
@desk_only
def desk():
    return render("admin/_desk.html", page="admin/desk.html", counts=desk_data.counts(),
                  newest=desk_data.newest_accounts(), waiting=approvals.waiting_accounts(),
                  most_downloaded={period: desk_data.most_downloaded(period) for period in desk_data.PERIODS},
                  unfound=searches.report(50), failed_mails=desk_data.failed_mails(), audit_log=audit.latest(),
                  recovery_codes_left=second_factor.recovery_codes_left(current_user),
                  title=_("Admin desk"))


@blueprint.route("/admin/recovery-codes", methods=["GET", "POST"])
@desk_only
def renew_recovery_codes():
    """New recovery codes for the admin at the desk, after a code from the app; the old ones stop working."""
    form = AppCodeForm()
    if form.validate_on_submit():
        result = second_factor.renew_recovery_codes(current_user, form.code.data)
        if isinstance(result, list):
            audit.record(_actor(), "new-recovery-codes", current_user.email)
            db.session.commit()
            return _show_recovery_codes(current_user, result, next_page=url_for("admin.desk"), are_new=True)
        form.code.errors.append(result)
    return render_form("admin/_renew_recovery_codes.html", form, title=_("Make new recovery codes"))


@blueprint.get("/admin/most-downloaded.csv")
@desk_only
def most_downloaded_csv():
    period = request.args.get("period", "week")
    if period not in desk_data.PERIODS:
        abort(404)
    return Response(desk_data.most_downloaded_csv(period), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="most-downloaded-{period}.csv"'})


@blueprint.post("/admin/mails/<id:mail_id>/retry")
@desk_only
def retry_mail(mail_id: int):
    desk_data.retry_mail(mail_id, _actor())
    return advance(url_for("admin.desk", _anchor="failed-mail"))


@blueprint.post("/admin/mails/<id:mail_id>/drop")
@desk_only
def drop_mail(mail_id: int):
    desk_data.drop_mail(mail_id, _actor())
    return advance(url_for("admin.desk", _anchor="failed-mail"))


@blueprint.get("/admin/account")
@desk_only
def account():
    email = text_in_query("email", longest=254)
    user = accounts.find_user(email) if email else None
    return render("admin/_account.html", page="admin/desk.html", email=email, user=user,
                  state=users.state_of(user) if user else None, title=_("Account lookup"))


@blueprint.route("/admin/accounts/<id:user_id>/disable", methods=["GET", "POST"])
@desk_only
def disable_account(user_id: int):
    """Asked first (a page, or a dialog with JavaScript): disabling ends the person's sessions at once."""
    user = db.get_or_404(User, user_id)
    if request.method == "POST":
        users.disable(user, _actor())
        return advance(url_for("admin.account", email=user.email))
    return render("admin/_disable.html", user=user, title=_("Disable %(address)s?", address=user.email))


@blueprint.post("/admin/accounts/<id:user_id>/enable")
@desk_only
def enable_account(user_id: int):
    user = db.get_or_404(User, user_id)
    users.enable(user, _actor())
    return advance(url_for("admin.account", email=user.email))


@blueprint.post("/admin/accounts/<id:user_id>/unlock")
@desk_only
def unlock_account(user_id: int):
    user = db.get_or_404(User, user_id)
    users.unlock(user.email, _actor())
    return advance(url_for("admin.account", email=user.email))


@blueprint.post("/admin/accounts/<id:user_id>/approve")
@desk_only
def approve_account(user_id: int):
    approvals.approve(db.get_or_404(User, user_id), _actor())
    return advance(url_for("admin.desk", _anchor="waiting-for-approval"))


@blueprint.post("/admin/accounts/<id:user_id>/refuse")
@desk_only
def refuse_account(user_id: int):
    approvals.refuse(db.get_or_404(User, user_id), _actor())
    return advance(url_for("admin.desk", _anchor="waiting-for-approval"))

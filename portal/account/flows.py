"""The code flow of My account: a new address, proved by a code sent to it."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.account import notices, profile
from portal.auth.code_flow import Accepted, CodeFlow
from portal.auth.flows import AUTH_CHANGED
from portal.extensions import db
from portal.models import CodeFlowRecord, User


def _move_to_new_address(address: str, user: User | None, record: CodeFlowRecord) -> Accepted:
    account = db.session.get(User, record.user_id)
    if account is not None and profile.change_email(account, address):
        notices.tell(_("Your email address is now %(address)s.", address=address))
    else:
        notices.tell(_("Your email address could not be changed. Please try again."))
    return Accepted("account.overview", trigger=AUTH_CHANGED)


def _new_address_taken(address: str, user: User | None) -> tuple[str, str] | None:
    if user is not None:
        return "email_change_attempt", _l("Someone tried to use your address for another account")
    return None


CHANGE_EMAIL = CodeFlow(
    purpose="new_email",
    eyebrow=_l("Change email"),
    intro=_l("Enter the code to confirm your new address."),
    mail_template="new_email_code",
    mail_subject=_l("Confirm your new email address"),
    start_endpoint="account.change_email",
    step_endpoint="account.confirm_email",
    resend_endpoint="account.resend_email_code",
    gets_code=lambda user: user is None,
    on_accept=_move_to_new_address,
    notice=_new_address_taken,
)

"""The code flows of registering and resetting a password, one table row each.

A new purpose is one more `CodeFlow` (as My account's new address is, in
`portal/account/flows.py`): its texts, its mail, its endpoints and what an
accepted code does.
"""
from flask import current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth import accounts, sessions
from portal.auth.code_flow import Accepted, CodeFlow
from portal.clock import now
from portal.extensions import db
from portal.models import CodeFlowRecord, User

AUTH_CHANGED = "auth-changed"
PASSWORD_RESET_KEY = "password_reset"


def _log_in_verified(address: str, user: User | None, record: CodeFlowRecord) -> Accepted:
    user = accounts.complete_registration(address, user, record)
    db.session.commit()
    sessions.start(user)
    return Accepted("auth.welcome", trigger=AUTH_CHANGED)


def _allow_new_password(address: str, user: User | None, record: CodeFlowRecord) -> Accepted:
    session[PASSWORD_RESET_KEY] = {
        "token": user.session_token,
        "until": now().timestamp() + current_app.config["CODE_LIFETIME"],
    }
    return Accepted("auth.new_password")


def _registration_attempt(address: str, user: User | None) -> tuple[str, str] | None:
    if user is not None and user.is_verified:
        return "registration_attempt", _l("Someone tried to register with your address")
    return None


def _reset_before_registering(address: str, user: User | None) -> tuple[str, str] | None:
    """A reset for an address whose registration is not finished: say how to finish it."""
    waiting = db.session.scalar(select(CodeFlowRecord.id).where(CodeFlowRecord.address == address,
                                                                CodeFlowRecord.purpose == VERIFY_EMAIL.purpose)
                                .limit(1))
    if user is None and waiting is not None:
        return "reset_unfinished_registration", _l("Finish creating your account")
    return None


VERIFY_EMAIL = CodeFlow(
    purpose="verify",
    eyebrow=_l("Create an account"),
    intro=_l("Enter the code to verify your account."),
    mail_template="verify_code",
    mail_subject=_l("Your verification code"),
    start_endpoint="auth.register",
    step_endpoint="auth.verify",
    resend_endpoint="auth.resend_verify_code",
    gets_code=lambda user: user is None or not user.is_verified,
    on_accept=_log_in_verified,
    notice=_registration_attempt,
)

RESET_PASSWORD = CodeFlow(
    purpose="reset",
    eyebrow=_l("Reset password"),
    intro=_l("Enter the code to reset your password."),
    mail_template="reset_code",
    mail_subject=_l("Your password reset code"),
    start_endpoint="auth.reset",
    step_endpoint="auth.reset_code",
    resend_endpoint="auth.resend_reset_code",
    gets_code=lambda user: user is not None,
    on_accept=_allow_new_password,
    notice=_reset_before_registering,
)


def user_allowed_to_reset() -> User | None:
    """The account whose reset code was accepted in this browser, while that holds."""
    state = session.get(PASSWORD_RESET_KEY)
    if not state or now().timestamp() > state["until"]:
        return None
    return db.session.scalar(db.select(User).where(User.session_token == state["token"]))


def reset_done() -> None:
    session.pop(PASSWORD_RESET_KEY, None)

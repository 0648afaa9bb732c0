"""The little a multi-step dialog remembers between steps, in the signed session.

Which address is waiting for a code (and for what), and, after a reset code
was accepted, whose password may be set. Nothing travels in hidden fields.
"""
import secrets

from flask import current_app, session

from ..clock import now
from ..extensions import db
from ..models import User

PENDING_CODE = "pending_code"
PASSWORD_RESET = "password_reset"


def await_code(purpose: str, email: str) -> str:
    """Start a code flow in this browser; returns its binding (see `codes`)."""
    binding = secrets.token_urlsafe(16)
    session[PENDING_CODE] = {"purpose": purpose, "email": email, "binding": binding}
    return binding


def awaited_code(purpose: str) -> dict | None:
    state = session.get(PENDING_CODE)
    return state if state and state["purpose"] == purpose else None


def code_accepted() -> None:
    session.pop(PENDING_CODE, None)


def allow_password_reset(user: User) -> None:
    session[PASSWORD_RESET] = {
        "token": user.session_token,
        "until": now().timestamp() + current_app.config["CODE_LIFETIME"],
    }


def user_allowed_to_reset() -> User | None:
    """The account whose reset code was accepted here, while that still holds."""
    state = session.get(PASSWORD_RESET)
    if not state or now().timestamp() > state["until"]:
        return None
    return db.session.scalar(db.select(User).where(User.session_token == state["token"]))


def reset_done() -> None:
    session.pop(PASSWORD_RESET, None)

"""Flask-Login glue: the session token as the user id, fresh sessions at login."""
from flask import redirect, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import select

from ..extensions import db, login_manager
from ..htmx import current_page
from ..models import User
from ..navigation import NEXT_KEY


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    return db.session.scalar(select(User).where(User.session_token == session_token))


@login_manager.unauthorized_handler
def ask_to_log_in():
    return redirect(url_for("auth.login", next=current_page()))


def start(user: User) -> None:
    """A new session for `user`: nothing of the old one survives but `next`."""
    next_page = session.get(NEXT_KEY)
    session.clear()
    login_user(user)
    if next_page:
        session[NEXT_KEY] = next_page


def end() -> None:
    logout_user()
    session.clear()

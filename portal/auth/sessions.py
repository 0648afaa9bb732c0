"""Flask-Login glue: who is logged in, and the server-side record of each login.

Flask-Login's id is the account's session token (replaced on a password
change or reset, which ends every session); each login also gets a
`LoginSession` row, named in the cookie, which logging out deletes.
"""
from flask import g, redirect, session, url_for
from flask_wtf.csrf import generate_csrf
from flask_login import login_user, logout_user
from sqlalchemy import delete, select

from ..extensions import db, login_manager
from ..htmx import current_page
from ..models import LoginSession, User
from ..navigation import NEXT_KEY

LOGIN_KEY = "login"


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    login = session.get(LOGIN_KEY)
    if not login:
        return None
    return db.session.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.session_token == session_token, LoginSession.token == login)
    )


@login_manager.unauthorized_handler
def ask_to_log_in():
    return redirect(url_for("auth.login", next=current_page()))


def start(user: User) -> None:
    """A new session for `user`: nothing of the old one survives but `next`."""
    next_page = session.get(NEXT_KEY)
    end()
    login = LoginSession(user_id=user.id)
    db.session.add(login)
    db.session.commit()
    login_user(user)
    session[LOGIN_KEY] = login.token
    if next_page:
        session[NEXT_KEY] = next_page


def end() -> None:
    """Forget this browser's login, on the server first."""
    login = session.get(LOGIN_KEY)
    if login:
        db.session.execute(delete(LoginSession).where(LoginSession.token == login))
        db.session.commit()
    session.clear()
    logout_user()
    # Flask-WTF caches this request's token, which belonged to the cleared
    # session: mint the new session's token now, once, so parallel htmx
    # requests that follow do not each mint (and overwrite) their own.
    g.pop("csrf_token", None)
    generate_csrf()


def end_all(user: User) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))

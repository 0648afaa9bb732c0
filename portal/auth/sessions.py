"""Flask-Login glue: who is logged in, and the server-side record of each login.

Flask-Login's id is the account's session token (replaced on a password
change or reset, which ends every session); each login also gets a
`LoginSession` row, named in the cookie, which logging out deletes.
"""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import delete, func, select, update
from werkzeug.exceptions import HTTPException

from portal.clock import now, seconds_ago
from portal.extensions import db, login_manager
from portal.models import LoginSession, User
from portal.web.htmx import current_page
from portal.web.navigation import NEXT_KEY, safe_next

LOGIN_KEY = "login"
# When the person last proved who they are; `reauthentication` asks again once it is old.
PROVED_AT = "proved_at"
# "Last used" is approximate: written at most this often, not on every request.
LAST_SEEN_PRECISION = timedelta(minutes=5)


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """The account and this browser's login session, in one SELECT.

    None when the password changed since (the token was replaced), the
    browser logged out or was logged out (its login session is gone), or the
    account was disabled or deleted: every worker asks the database on every
    request, so such a change holds on the very next one.
    """
    login = session.get(LOGIN_KEY)
    if not login:
        return None
    with db.session.no_autoflush:  # a view's own changes stay its own (see `_note_seen`)
        found = db.session.execute(
            select(User, LoginSession).join(LoginSession, LoginSession.user_id == User.id)
            .where(User.session_token == session_token, LoginSession.token == login, User.disabled_at.is_(None))
        ).first()
    if found is None:
        return None
    user, login_session = found
    g.login_session_id = login_session.id
    if login_session.last_seen_at is None or now() - login_session.last_seen_at > LAST_SEEN_PRECISION:
        _note_seen(login_session.id)
    return user


def _note_seen(login_id: int) -> None:
    """Write "last used", unless the request already has changes of its own waiting.

    The user is loaded when first asked for, which may be in the middle of a
    view; its changes must commit with the rest of its work, not here. The
    time is approximate anyway: the next request writes it.
    """
    if db.session.new or db.session.dirty or db.session.deleted:
        return
    db.session.execute(update(LoginSession).where(LoginSession.id == login_id).values(last_seen_at=now()))
    db.session.commit()


@login_manager.unauthorized_handler
def ask_to_log_in():
    return redirect(url_for("auth.login", next=current_page()))


def start(user: User) -> None:
    """A new session for `user`: nothing of the old one survives but `next`."""
    next_page = session.get(NEXT_KEY)
    end()
    # Shown in "Where you're logged in"; control characters (a NUL can't be stored in PostgreSQL) dropped.
    browser = "".join(c for c in request.user_agent.string if c.isprintable())[:300]
    login = LoginSession(user_id=user.id, user_agent=browser or None, last_seen_at=now())
    db.session.add(login)
    db.session.commit()
    login_user(user)
    session[LOGIN_KEY] = login.token
    session[PROVED_AT] = now().timestamp()
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


def current_login_id() -> int | None:
    """The `LoginSession` of this browser, once Flask-Login has loaded the user."""
    return g.get("login_session_id")


def end_one(user: User, login_id: int) -> None:
    """Log out one of the account's browsers (its next request finds no session)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id == login_id))
    db.session.commit()


def end_others(user: User) -> None:
    """Log out every browser of the account but this one."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.id != current_login_id()))
    db.session.commit()


def end_all(user: User) -> None:
    """End every session of the account, in every browser (the caller commits)."""
    user.replace_session_token()
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def members_only(view):
    """`login_required`, marked so that `public_page` can tell such pages apart."""
    guarded = login_required(view)
    guarded.is_members_only = True
    return guarded


def public_page(target: str | None) -> str:
    """`target` if it is a local page a logged-out visitor may see; else the home page."""
    target = safe_next(target)
    if not target:
        return "/"
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(urlsplit(target).path, method="GET")
    except HTTPException:
        return "/"
    view = current_app.view_functions.get(endpoint)
    return "/" if getattr(view, "is_members_only", False) else target


def forget_stale() -> int:
    """Drop login sessions whose cookie can no longer be presented: Flask refuses it after its lifetime."""
    return db.session.execute(delete(LoginSession).where(
        func.coalesce(LoginSession.last_seen_at, LoginSession.created_at)
        <= seconds_ago(current_app.permanent_session_lifetime.total_seconds()))).rowcount

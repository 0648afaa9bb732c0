"""Who is logged in: the account and its login session, found by one light query.

Every request of a logged-in person must know who they are, but most need
no ORM object for it: the catalogue only asks whether someone is logged in,
and loading the ORM `User` was about a third of such a request's time. So
Flask-Login's user is a `SignedIn`, filled from one Core SELECT that joins
the account to its login session; the ORM `User` is loaded only for a view
that asks for `record` (through `sessions.account()`), to change the account.
"""
from typing import Any

from flask_login import UserMixin
from sqlalchemy import Row, bindparam, select

from ..extensions import db
from ..models import AccountFacts, LoginSession, User

_USERS = User.__table__
_LOGINS = LoginSession.__table__
_ACCOUNT_COLUMNS = frozenset(_USERS.c.keys())
# Built once: building the statement would cost as much as running it.
_FIND = (
    select(*_USERS.c, _LOGINS.c.id.label("login_session_id"), _LOGINS.c.last_seen_at.label("login_last_seen_at"))
    .join_from(_USERS, _LOGINS, _LOGINS.c.user_id == _USERS.c.id)
    .where(_USERS.c.session_token == bindparam("session_token"), _LOGINS.c.token == bindparam("login"),
           _USERS.c.disabled_at.is_(None))
)


def find(session_token: str, login: str) -> Row | None:
    """The account whose session token this is, with its login session `login`, if both stand.

    None when the password changed since (the token was replaced), the
    browser logged out or was logged out (the login session is gone), or
    the account was disabled or deleted. A connection of its own, returned
    at once: no ORM session is begun for a request that needs none.
    """
    with db.engine.connect() as connection:
        return connection.execute(_FIND, {"session_token": session_token, "login": login}).first()


class SignedIn(AccountFacts, UserMixin):
    """The logged-in account as the query found it, read-only.

    Its columns read as a `User`'s do (`current_user.email`,
    `current_user.is_verified`); anything else, and every column once
    `record` is loaded, comes from the ORM `User`, so a value a view has
    just changed is the value read. Writing goes through `record`.
    """

    def __init__(self, row: Row):
        object.__setattr__(self, "_row", row)
        object.__setattr__(self, "_record", None)

    @property
    def record(self) -> User:
        """The account's ORM row, loaded the first time a view asks for it."""
        if self._record is None:
            object.__setattr__(self, "_record", db.session.get(User, self._row.id))
        return self._record

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._record is None and name in _ACCOUNT_COLUMNS:
            return getattr(self._row, name)
        return getattr(self.record, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"the logged-in account is read-only here: change sessions.account().{name}")

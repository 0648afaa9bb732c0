"""Who is logged in: the account and its login session, found by one light query.

Every request of a logged-in person must know who they are, but most need
no ORM object for it: the catalogue only asks whether someone is logged in,
and loading the ORM `User` was about a third of such a request's time. So
Flask-Login's user is a `SignedIn`, filled from one SELECT that joins the
account to its login session (compiled by SQLAlchemy once, run on the
driver); the ORM `User` is loaded only for a view that asks for `record`
(through `sessions.account()`), to change the account.
"""
from collections import namedtuple
from typing import Any, Callable

from flask_login import UserMixin
from sqlalchemy import Dialect, bindparam, select
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..models import AccountFacts, LoginSession, User
from . import login_cache

_USERS = User.__table__
_LOGINS = LoginSession.__table__
_ACCOUNT_COLUMNS = frozenset(_USERS.c.keys())
_FIND = (
    select(*_USERS.c, _LOGINS.c.id.label("login_session_id"), _LOGINS.c.last_seen_at.label("login_last_seen_at"))
    .join_from(_USERS, _LOGINS, _LOGINS.c.user_id == _USERS.c.id)
    .where(_USERS.c.session_token == bindparam("session_token"), _LOGINS.c.token == bindparam("login"),
           _USERS.c.disabled_at.is_(None))
)
Found = namedtuple("Found", [column.name for column in _FIND.selected_columns])


class _Lookup:
    """`_FIND` compiled once for a dialect, with what turns a driver's row into typed values.

    Executed by SQLAlchemy, the lookup took about 100 µs, of which the query
    itself is under 20: the rest is the execution context and result
    machinery SQLAlchemy builds for every statement, about a tenth of a
    logged-in page's time. So the compiled text runs on the pooled DB-API
    connection, and each column's own result processor (SQLAlchemy's, the
    portal's `UTCDateTime`) types its value.
    """

    def __init__(self, dialect: Dialect):
        compiled = _FIND.compile(dialect=dialect)
        self.sql = compiled.string
        self.positions = compiled.positiontup if compiled.positional else None
        self.processors: list[Callable | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in _FIND.selected_columns]

    def parameters(self, values: dict) -> dict | tuple:
        return tuple(values[name] for name in self.positions) if self.positions is not None else values

    def typed(self, row: tuple) -> Found:
        return Found._make(value if process is None else process(value)
                           for process, value in zip(self.processors, row))


_LOOKUPS: dict[tuple[str, str, str], _Lookup] = {}


def find(session_token: str, login: str) -> Found | None:
    """`_query`'s answer, from this process's memory while no account or login has changed."""
    cache = login_cache.current()
    if cache is None:
        return _query(session_token, login)
    return cache.found((session_token, login), lambda: _query(session_token, login))


def remember_seen(session_token: str, login: str, served: Found, found: Found) -> None:
    """The lookup's answer `served` with the last-seen time just written."""
    cache = login_cache.current()
    if cache is not None:
        cache.replace((session_token, login), served, found)


def _query(session_token: str, login: str) -> Found | None:
    """The account whose session token this is, with its login session `login`, if both stand.

    None when the password changed since (the token was replaced), the
    browser logged out or was logged out (the login session is gone), or
    the account was disabled or deleted. A pooled connection of its own
    (a server's checked before use, like every other), returned at once: no
    ORM session is begun for a request that needs none. A driver's error is
    raised as SQLAlchemy's, so a database that is down still gets its 503.
    """
    engine = db.engine
    dialect = engine.dialect
    kind = (dialect.name, dialect.driver, dialect.paramstyle)  # all the compiled text depends on
    lookup = _LOOKUPS.get(kind)
    if lookup is None:
        lookup = _LOOKUPS[kind] = _Lookup(dialect)
    connection = cursor = None
    try:
        connection = engine.raw_connection()  # a checkout may connect, and fail as the driver's error too
        cursor = connection.cursor()
        cursor.execute(lookup.sql, lookup.parameters({"session_token": session_token, "login": login}))
        row = cursor.fetchone()
        cursor.close()
    except dialect.loaded_dbapi.Error as error:
        if connection is not None and dialect.is_disconnect(error, connection.dbapi_connection, cursor):
            connection.invalidate(error)
        raise DBAPIError.instance(lookup.sql, None, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                  dialect=dialect) from error
    finally:
        if connection is not None:
            connection.close()
    return None if row is None else lookup.typed(row)


class SignedIn(AccountFacts, UserMixin):
    """The logged-in account as the query found it, read-only.

    Its columns read as a `User`'s do (`current_user.email`,
    `current_user.is_verified`); anything else, and every column once
    `record` is loaded, comes from the ORM `User`, so a value a view has
    just changed is the value read. Writing goes through `record`.
    """

    def __init__(self, row: Found):
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

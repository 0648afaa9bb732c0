"""What the login lookup found, kept between requests until any account or login changes.

Under gunicorn's threads, the logged-in lookup's one SQLite query cost a
logged-in page about 500 µs of CPU beyond a visitor's (each step of the query
hands Python's lock to another thread), more than the rest of the page. So
each process keeps what the lookup found, for up to `MAX_AGE`, and
forgets all of it as soon as any process on the host commits a change to an
account or a login session: a log-out, a password change, a disabled or
deleted account, a changed name or language. Processes learn of such a
change from eight bytes in a small file every one of them maps into memory
(reading them is no system call, so no lock is handed over); each commit
that touched `users` or `login_sessions` writes new ones there.

That holds only where every process that writes the database maps the same
file: on by default for SQLite (the file lies beside the database, on one
host by nature), off for a database server that several hosts may share
(`LOGIN_CACHE = True` turns it on for a single host).
"""
import mmap
import os
import secrets
from datetime import timedelta
from itertools import chain
from pathlib import Path
from urllib.parse import unquote, urlsplit
from typing import Callable

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import URL

from ..clock import now
from ..extensions import db
from ..models import LoginSession, User

# An account changed without the portal (an admin's SQL) reaches pages within this time.
MAX_AGE = timedelta(seconds=60)
SIZE = 4096
EXTENSION = "login_cache"
WATCHED_TABLES = frozenset({User.__tablename__, LoginSession.__tablename__})
# On a statement that writes a watched table but changes nothing a lookup is cached for.
UNAFFECTED = "login_cache_unaffected"
_CHANGED = "changes logins"  # set in an ORM session's info until it commits or rolls back


class SharedGeneration:
    """Eight bytes every process mapping `path` sees; None: this process's own."""

    def __init__(self, path: Path | None):
        if path is None:
            self._map = mmap.mmap(-1, 8)
            return
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(descriptor).st_size < 8:
                os.ftruncate(descriptor, 8)
            if os.fstat(descriptor).st_uid == os.geteuid():
                os.fchmod(descriptor, 0o600)  # private to the portal's user, like the database
            self._map = mmap.mmap(descriptor, 8)
        finally:
            os.close(descriptor)

    def read(self) -> bytes:
        return self._map[:8]

    def change(self) -> None:
        self._map[:8] = secrets.token_bytes(8)


class LoginCache:
    def __init__(self, generation: SharedGeneration):
        self.generation = generation
        self.entries: dict = {}

    def found(self, key: tuple, look_up: Callable):
        """What `look_up()` finds for `key`, from memory while no account or login changed since."""
        generation = self.generation.read()  # before the query: a change committed during it is seen next time
        entry = self.entries.get(key)
        if entry is not None and entry[0] == generation and now() < entry[1]:
            return entry[2]
        result = look_up()
        if result is not None:
            if len(self.entries) >= SIZE:
                self.entries.clear()
            self.entries[key] = (generation, now() + MAX_AGE, result)
        return result

    def replace(self, key: tuple, served, result) -> None:
        """This process wrote what changes nothing for the others (the last-seen time) of what it `served`.

        Only while `served` is still what is kept: a parallel request may meanwhile
        have found and kept a newer answer, which an older one must not overwrite.
        """
        entry = self.entries.get(key)
        if entry is not None and entry[2] is served:
            self.entries[key] = (entry[0], entry[1], result)


def current() -> LoginCache | None:
    return current_app.extensions.get(EXTENSION)


def _generation_file(url: URL, instance_path: str) -> Path | None:
    """Beside the SQLite file the engine opens; None for a database of this process alone."""
    if url.get_backend_name() != "sqlite":
        return Path(instance_path) / "logins.generation"
    database = url.database or ""
    if url.query.get("uri") and database.startswith("file:"):  # SQLite's URI form, `file:/path?mode=…`
        if url.query.get("mode") == "memory":
            return None
        database = unquote(urlsplit(database).path)
    if database in ("", ":memory:"):
        return None
    return Path(database + "-logins").absolute()


def _note_statement(state) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and not state.execution_options.get(UNAFFECTED):
        if state.statement.table.name in WATCHED_TABLES:
            state.session.info[_CHANGED] = True


def _note_flush(session, flush_context) -> None:
    if any(isinstance(row, (User, LoginSession)) for row in chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True


def _tell_every_process(session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        cache = current()
        if cache is not None:
            cache.generation.change()


def _forget_the_note(session, *args) -> None:
    session.info.pop(_CHANGED, None)


def install(app: Flask) -> None:
    with app.app_context():
        url = db.engine.url  # Flask-SQLAlchemy has made a relative path absolute, in the instance folder
    setting = app.config["LOGIN_CACHE"]
    on = url.get_backend_name() == "sqlite" if setting is None else bool(setting)  # None: with SQLite only
    if on:
        app.extensions[EXTENSION] = LoginCache(SharedGeneration(_generation_file(url, app.instance_path)))
    if not event.contains(db.session, "after_commit", _tell_every_process):
        event.listen(db.session, "do_orm_execute", _note_statement)
        event.listen(db.session, "after_flush", _note_flush)
        event.listen(db.session, "after_commit", _tell_every_process)
        event.listen(db.session, "after_rollback", _forget_the_note)

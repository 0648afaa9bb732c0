"""Bring the database to the current schema on start, once, even when many workers start together.

A fresh database gets the whole schema from the models at once and is
stamped with the newest migration; one made by an older version is upgraded
through `migrations/` (Flask-Migrate, i.e. Alembic). A file lock (SQLite) or
an advisory lock (PostgreSQL) lets one process do it while the others wait.
A SQLite database file is private to the portal's user, like the secret key.
"""
import fcntl
import functools
import os
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine

from portal.extensions import db

# Any constant will do; it names the lock among this database's advisory locks.
POSTGRES_LOCK_KEY = 0x504F5254414C


def create_schema(app) -> None:
    with app.app_context():
        _make_sqlite_file_private()
    with app.app_context(), _schema_lock(app):
        if inspect(db.engine).has_table("users"):
            if not _at_the_newest_revision(app):
                flask_migrate.upgrade()
        else:
            _create_all()
            flask_migrate.stamp()


def _at_the_newest_revision(app) -> bool:
    """Whether the database is stamped with every head of `migrations/` (as on most starts)."""
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == _heads(app.extensions["migrate"].directory)


@functools.cache
def _heads(directory: str) -> frozenset[str]:
    """Read once per process: Alembic loads every migration script to find them."""
    return frozenset(ScriptDirectory(directory).get_heads())


def _make_sqlite_file_private() -> None:
    """Create the SQLite file with mode 0600, or bring an existing one to it.

    SQLite gives the `-wal` and `-shm` files the mode of the database file,
    so those follow; ones left by an earlier run are set here as well.
    """
    url = db.engine.url  # Flask-SQLAlchemy has made a relative path absolute
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.query.get("uri"):
        return
    database = Path(url.database)
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path.exists():
            path.chmod(0o600)


def _create_all() -> None:
    from portal.media import search

    with db.engine.begin() as connection:
        db.metadata.create_all(connection)
        search.create_index(connection)


@contextmanager
def _schema_lock(app):
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": POSTGRES_LOCK_KEY})
                connection.commit()
    else:
        with _file_lock(Path(app.instance_path) / "schema.lock"):
            yield


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record) -> None:
    """WAL lets pages read while the mail worker writes (the wait on a lock is `SQLITE_BUSY_TIMEOUT`)."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()

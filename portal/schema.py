"""Bring the database to the current schema on start, once, even when many workers start together.

A fresh database gets the whole schema from the models at once and is
stamped with the newest migration; one made by an older version is upgraded
through `migrations/` (Flask-Migrate, i.e. Alembic). A file lock (SQLite) or
an advisory lock (PostgreSQL) lets one process do it while the others wait.
"""
import fcntl
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine

from .extensions import db

# Any constant will do; it names the lock among this database's advisory locks.
POSTGRES_LOCK_KEY = 0x504F5254414C


def create_schema(app) -> None:
    with app.app_context(), _schema_lock(app):
        if inspect(db.engine).has_table("users"):
            flask_migrate.upgrade()
        else:
            _create_all()
            flask_migrate.stamp()


def _create_all() -> None:
    from .media import search

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
    """WAL lets pages read while the mail worker writes; wait on locks, don't fail."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()

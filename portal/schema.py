"""Create the schema on first start, once, even when many workers start together."""
import fcntl
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from .extensions import db

# Any constant will do; it names the lock among this database's advisory locks.
POSTGRES_LOCK_KEY = 0x504F5254414C


def create_schema(app) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
                _create_all(connection)
        else:
            with _file_lock(Path(app.instance_path) / "schema.lock"), engine.begin() as connection:
                _create_all(connection)


def _create_all(connection) -> None:
    from .media import search

    db.metadata.create_all(connection)
    search.create_index(connection)


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

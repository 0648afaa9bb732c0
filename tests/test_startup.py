"""A fresh checkout starts with one command, even with several workers at once."""
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def start_app_in(instance: str) -> tuple[str, str]:
    os.environ.pop("PORTAL_SECRET_KEY", None)
    os.environ.pop("PORTAL_TOTP_ENCRYPTION_KEY", None)
    from portal import create_app

    app = create_app({"MAIL_WORKER": False}, instance_path=instance)
    return app.config["SECRET_KEY"], app.config["TOTP_ENCRYPTION_KEY"]


def test_many_processes_starting_at_once_share_one_secret_and_schema(tmp_path):
    instance = str(tmp_path / "instance")
    with ProcessPoolExecutor(max_workers=6) as pool:
        secrets = list(pool.map(start_app_in, [instance] * 6))
    assert len(set(secrets)) == 1
    for name in ("secret_key", "totp_encryption_key"):
        assert stat.S_IMODE(os.stat(Path(instance) / name).st_mode) == 0o600
    assert sorted(p.name for p in Path(instance).iterdir() if p.name.startswith(".")) == []


def test_gunicorn_serves_a_working_portal_on_a_fresh_instance(tmp_path):
    port = free_port()
    environment = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path / "instance")}
    environment.pop("PORTAL_SECRET_KEY", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        pages = [fetch(f"http://127.0.0.1:{port}{path}") for path in ("/", "/register", "/login")]
        assert all(status == 200 for status, _ in pages)
        assert "Create an account" in pages[1][1]
        assert (tmp_path / "instance" / "portal.sqlite3").exists()
        # Three workers counting per-IP limits each on their own: said loudly, in /healthz too.
        status, health = fetch(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and "per-IP limit is multiplied by 3" in health
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=20)[0].decode()
    assert "Traceback" not in output, output
    assert "set PORTAL_RATELIMIT_STORAGE_URI to Redis" in output


def fetch(url: str, attempts: int = 100):
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


def test_the_migrations_build_the_same_schema_as_the_models(tmp_path):
    """A model change without its migration fails here: add one with `portal db migrate`."""
    import flask_migrate
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portal import create_app
    from portal.extensions import db
    from portal.media.search import belongs_to_models

    app = create_app({"MAIL_WORKER": False, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_object": belongs_to_models})
            differences = compare_metadata(context, db.metadata)
            assert differences == []
            assert connection.exec_driver_sql("SELECT count(*) FROM video_search").scalar() == 0


def test_a_started_database_is_stamped_with_the_newest_migration_and_restarts_cleanly(tmp_path):
    from alembic.script import ScriptDirectory

    from portal import create_app
    from portal.extensions import db

    settings = {"MAIL_WORKER": False, "SECRET_KEY": "x",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.sqlite3'}"}
    for _ in range(2):  # the second start takes the upgrade path
        app = create_app(settings, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
        assert db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar() == head


# The database, SQLite's write-ahead log and shared memory.
PRIVATE_FILES = ("", "-wal", "-shm")


def file_modes(folder: Path, name: str) -> dict:
    return {suffix: stat.S_IMODE(os.stat(folder / (name + suffix)).st_mode) for suffix in PRIVATE_FILES}


def test_a_fresh_sqlite_database_and_its_wal_files_are_private(tmp_path):
    from portal import create_app
    from portal.extensions import db

    app = create_app({"MAIL_WORKER": False, "SECRET_KEY": "x"}, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        db.session.execute(db.text("SELECT count(*) FROM users"))  # an open connection keeps -wal and -shm
        assert file_modes(tmp_path / "instance", "portal.sqlite3") == dict.fromkeys(PRIVATE_FILES, 0o600)
        db.session.rollback()
        db.engine.dispose()


def test_an_existing_sqlite_database_readable_by_others_is_made_private(tmp_path):
    from portal import create_app
    from portal.extensions import db

    database = tmp_path / "shared.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)
    app = create_app({"MAIL_WORKER": False, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        db.session.execute(db.text("SELECT count(*) FROM users"))
        assert file_modes(tmp_path, "shared.sqlite3") == dict.fromkeys(PRIVATE_FILES, 0o600)
        db.session.rollback()
        db.engine.dispose()


# Revision 0012: two migrations behind, one of which rebuilds an index and one adds tables.
BEFORE_SEARCH_PLACES = "5e2b7c9d1a04"


def test_a_database_migrations_behind_is_upgraded_when_the_portal_starts(tmp_path):
    """The next start finds an older schema (a restored backup, an upgrade of the code) and migrates it."""
    import flask_migrate
    from sqlalchemy import inspect

    from portal import create_app
    from portal.extensions import db

    def columns(table):
        return {column["name"] for column in inspect(db.engine).get_columns(table)}

    settings = {"MAIL_WORKER": False, "SECRET_KEY": "test"}
    with create_app(settings, instance_path=str(tmp_path)).app_context():
        flask_migrate.downgrade(revision=BEFORE_SEARCH_PLACES)
        assert "place" not in columns("video_search")
        assert not inspect(db.engine).has_table("passkeys")
        assert "approval_requested_at" not in columns("users")
        db.engine.dispose()
    with create_app(settings, instance_path=str(tmp_path)).app_context():
        assert "place" in columns("video_search")
        assert "credential_id" in columns("passkeys")
        assert "approval_requested_at" in columns("users")
        db.engine.dispose()


def fake_venv(folder: Path) -> Path:
    """A `.venv` for the Makefile whose commands run this checkout with the test's Python, installed already."""
    bin_folder = folder / "bin"
    bin_folder.mkdir(parents=True)
    commands = {
        "portal": f'"{sys.executable}" -c "import sys; from portal.cli import main; sys.argv[0] = \'portal\'; main()"',
        "gunicorn": f'"{sys.executable}" -m gunicorn',
    }
    for name, command in commands.items():
        script = bin_folder / name
        script.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        script.chmod(0o755)
    (folder / ".installed").touch()  # newer than pyproject.toml: make installs nothing
    return folder


def test_make_run_on_another_port_serves_there_and_writes_that_address_into_mails(tmp_path):
    port = free_port()
    environment = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path / "instance")}
    environment.pop("PORTAL_PUBLIC_URL", None)
    server = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}",
                               f"VENV={fake_venv(tmp_path / 'venv')}"],
                              cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        status, health = fetch(f"http://127.0.0.1:{port}/healthz", attempts=600)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert status == 200, output
    assert f'"public_url":"http://127.0.0.1:{port}"' in health.replace(" ", "")
    assert "PORTAL_PUBLIC_URL is not set" not in health

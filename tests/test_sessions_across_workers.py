"""A session ends on the very next request, on every worker, whichever process made the change.

Two gunicorn workers serve the portal; the change comes from another
process: a request served here (another browser of the same person) or
`portal users disable|delete` run in a shell. Nothing about who is logged in
is remembered between requests, so no worker can serve an ended session.
"""
import http.client
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import STRONG_PASSWORD, Visitor, create_account, free_port, running_portal
from test_scale_out import POSTGRES
from test_scale_out import reason as postgres_unreachable

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = "ada@example.org"
NEW_PASSWORD = "Another-Horse-43"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[
    pytest.mark.postgres, pytest.mark.skipif(postgres_unreachable is not None, reason=postgres_unreachable or "")])])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.sqlite3'}"
        return
    schema = f"test_{secrets.token_hex(6)}"
    engine = create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


class TwoWorkers:
    """`gunicorn --workers 2 wsgi:app` on the app's database and instance folder, logging each worker's pid."""

    def __init__(self, app):
        self.port = free_port()
        self.environment = {
            **os.environ,
            "PORTAL_INSTANCE_PATH": app.instance_path,
            "PORTAL_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PORTAL_SECRET_KEY": app.config["SECRET_KEY"],
            "PORTAL_MAIL_WORKER": "false",
            "PORTAL_PUBLIC_URL": app.config["PUBLIC_URL"],
        }
        self.access_log = Path(tempfile.mkstemp(dir=app.instance_path, suffix=".log")[1])
        self.arbiter = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
             "--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(U)s", "wsgi:app"],
            cwd=ROOT, env=self.environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_for_an_answer()

    def _wait_for_an_answer(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.logged_in(None)
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("gunicorn never answered")

    def logged_in(self, cookie: str | None) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", "/_header", headers={"Cookie": f"session={cookie}"} if cookie else {})
        return "Log out" in connection.getresponse().read().decode()

    def answers_on_both_workers(self, cookie: str) -> set[bool]:
        """Whether `cookie` is logged in, asked in parallel until both workers have answered."""
        for _ in range(20):
            self.access_log.write_text("")
            with ThreadPoolExecutor(max_workers=16) as pool:
                answers = set(pool.map(lambda _: self.logged_in(cookie), range(32)))
            if len(set(re.findall(r"^<(\d+)> /_header$", self.access_log.read_text(), re.MULTILINE))) == 2:
                return answers
        raise AssertionError("one worker served every request")

    def portal_command(self, *arguments: str) -> None:
        subprocess.run([str(Path(sys.executable).with_name("portal")), *arguments], cwd=ROOT, env=self.environment,
                       check=True, capture_output=True)

    def stop(self) -> None:
        self.arbiter.terminate()
        self.arbiter.wait(timeout=30)


@pytest.fixture
def portal(database_url, tmp_path, inbox, clock):
    with running_portal(tmp_path, inbox, clock, SQLALCHEMY_DATABASE_URI=database_url) as app:
        create_account(app, ADDRESS)
        yield app


@pytest.fixture
def workers(portal):
    server = TwoWorkers(portal)
    yield server
    server.stop()


def logged_in_cookie(app, password=STRONG_PASSWORD) -> tuple[Visitor, str]:
    person = Visitor(app.test_client(), htmx=False)
    assert "Log out" in person.login(ADDRESS, password).text
    return person, person.client.get_cookie("session").value


def test_every_change_that_ends_a_session_holds_on_both_workers_at_once(portal, workers):
    # Logged out from another browser ("Log out everywhere else").
    here, _ = logged_in_cookie(portal)
    _, cookie = logged_in_cookie(portal)
    assert workers.answers_on_both_workers(cookie) == {True}
    here.post("/account/sessions/end-others", form_url="/account/")
    assert workers.answers_on_both_workers(cookie) == {False}

    # A new password, set in another browser.
    _, cookie = logged_in_cookie(portal)
    here.post("/account/password", {"current_password": STRONG_PASSWORD, "password": NEW_PASSWORD,
                                    "confirm": NEW_PASSWORD}, form_url="/account/password")
    assert workers.answers_on_both_workers(cookie) == {False}

    # Disabled by the admin in a shell.
    _, cookie = logged_in_cookie(portal, NEW_PASSWORD)
    workers.portal_command("users", "disable", ADDRESS)
    assert workers.answers_on_both_workers(cookie) == {False}

    # Deleted by the admin in a shell.
    workers.portal_command("users", "enable", ADDRESS)
    _, cookie = logged_in_cookie(portal, NEW_PASSWORD)
    assert workers.answers_on_both_workers(cookie) == {True}
    workers.portal_command("users", "delete", "--yes", ADDRESS)
    assert workers.answers_on_both_workers(cookie) == {False}

"""A gunicorn worker killed with SIGKILL: downloads resume, registrations are whole or absent."""
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.models import OutboxMail
from portal.media import links
from portal.models import CodeFlowRecord, OneTimeCode, User

from conftest import STRONG_PASSWORD, free_port

ROOT = Path(__file__).resolve().parent.parent
BIG = 48 * 1024 * 1024


class Gunicorn:
    """`gunicorn wsgi:app` with one worker on the test's instance folder and database."""

    def __init__(self, app):
        self.port = free_port()
        environment = {
            **os.environ,
            "PORTAL_INSTANCE_PATH": app.instance_path,
            "PORTAL_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PORTAL_SECRET_KEY": app.config["SECRET_KEY"],
            "PORTAL_MAIL_WORKER": "false",
            "PORTAL_PUBLIC_URL": app.config["PUBLIC_URL"],
        }
        self.arbiter = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def worker(self) -> int:
        """The pid of the (one) worker, waiting for the arbiter to have started it."""
        for _ in range(200):
            children = Path(f"/proc/{self.arbiter.pid}/task/{self.arbiter.pid}/children").read_text().split()
            if children:
                return int(children[0])
            time.sleep(0.05)
        raise AssertionError("gunicorn started no worker")

    def kill_worker(self) -> None:
        worker = self.worker()
        os.kill(worker, signal.SIGKILL)
        for _ in range(200):  # until the arbiter has started another one
            if self.worker() != worker:
                return
            time.sleep(0.05)

    def connection(self) -> http.client.HTTPConnection:
        for _ in range(200):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                return connection
            except OSError:
                time.sleep(0.05)
        raise AssertionError("gunicorn never answered")

    def stop(self) -> None:
        self.arbiter.send_signal(signal.SIGTERM)
        self.arbiter.wait(timeout=120)  # a loaded machine may take its time to stop it


@pytest.fixture
def gunicorn(app):
    server = Gunicorn(app)
    yield server
    server.stop()


def test_a_download_cut_by_a_killed_worker_resumes_with_range(app, clock, gunicorn, verified, add_video):
    clock.moment = datetime.now(UTC)  # the link is checked by gunicorn's clock, the real one
    _, [file_id] = add_video(sizes=(BIG,))
    with app.test_request_context():
        user = db.session.scalar(select(User))
        path = urlsplit(links.link_for(user, file_id)).path
    with app.app_context():
        from portal.media import storage
        from portal.media.models import Rendition

        original = storage.read_bytes(db.session.get(Rendition, file_id).stored_path)

    connection = gunicorn.connection()
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    received = response.read(1024 * 1024)
    gunicorn.kill_worker()
    try:
        while chunk := response.read(64 * 1024):
            received += chunk
    except (OSError, http.client.HTTPException):
        pass  # the client sees the transfer break off
    assert 0 < len(received) < BIG

    resumed = gunicorn.connection()
    resumed.request("GET", path, headers={"Range": f"bytes={len(received)}-"})
    rest = resumed.getresponse()
    assert rest.status == 206
    assert rest.getheader("Content-Range") == f"bytes {len(received)}-{BIG - 1}/{BIG}"
    assert received + rest.read() == original


def records_for(app, address: str) -> tuple[int, int, int]:
    """How many flows, codes and mails the database holds for `address`."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).where(CodeFlowRecord.address == address)),
            db.session.scalar(select(func.count()).where(OneTimeCode.address == address)),
            db.session.scalar(select(func.count()).where(OutboxMail.recipient == address)),
        )


def start_registering(gunicorn, address: str) -> None:
    """Send a filled-in registration form, as a browser does, without waiting for the answer."""
    connection = gunicorn.connection()
    connection.request("GET", "/register")
    page = connection.getresponse()
    cookie = page.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode()).group(1)
    body = urlencode({"csrf_token": token, "full_name": "Ada Lovelace", "email": address,
                      "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    connection.request("POST", "/register", body=body,
                       headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})


def test_a_registration_cut_by_a_killed_worker_happened_fully_or_not_at_all(app, gunicorn):
    """"Mid-registration" is the POST /register that records the flow, its code and its mail.

    The worker is killed at several moments of that request (while it checks
    the form, hashes the password, writes, answers): the database then holds
    the flow, its code and its mail together, or none of them; never a flow
    whose code mail will never come. The delays are real time: the worker is a
    real process, which the portal clock can't hold.
    """
    outcomes = {}
    for number, delay in enumerate((0.0, 0.05, 0.15, 0.4, 1.0)):
        address = f"person{number}@example.org"
        start_registering(gunicorn, address)
        time.sleep(delay)
        gunicorn.kill_worker()
        outcomes[delay] = records_for(app, address)
    assert set(outcomes.values()) <= {(0, 0, 0), (1, 1, 1)}, outcomes


class WorkerKilled(BaseException):
    """What a SIGKILL does to a request, for a test that needs it at one exact line: it ends, uncommitted."""


def test_a_worker_dying_while_it_creates_the_account_leaves_the_code_usable(app, deliver, monkeypatch):
    """"Mid-registration" is also the POST /verify that turns the flow into an account.

    The worker dies after the code was found right, before the account is
    written (a window too narrow to hit with a real signal, so the process's
    end is raised there). The code must not be spent on an account that
    doesn't exist: the same code, entered again, creates it.
    """
    from portal.auth import accounts

    from conftest import Visitor, code_in

    ada = Visitor(app.test_client(), htmx=False)
    ada.register()
    code = code_in(deliver().to("ada@example.org")[0])
    real = accounts.complete_registration

    def die(*args):
        raise WorkerKilled

    monkeypatch.setattr(accounts, "complete_registration", die)
    with pytest.raises(WorkerKilled):
        ada.verify(code)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0

    monkeypatch.setattr(accounts, "complete_registration", real)
    assert "successfully created" in ada.verify(code).text

"""Fixtures: an app on a fresh database, a real SMTP server, a settable clock,
and a visitor who walks the dialogs either as plain pages or as htmx would."""
import asyncio
import email
import email.policy
import os
import re
import shutil
import socket
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jinja2
import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from portal import create_app
from portal.extensions import db, limiter
from portal.mail.delivery import deliver_due

STRONG_PASSWORD = "Correct-Horse-42"
BOSS = "boss@example.org"
OTHER_PASSWORD = "Battery+Staple-77"

# `tmp_path` in memory where the system has a tmpfs: SQLite syncs the disk at
# every commit (about 4 ms each on a virtual disk, far more while other jobs
# write), and a test commits dozens of times. What the tests check is the same
# on either; PYTEST_DEBUG_TEMPROOT, pytest's own setting, still wins when set.
if os.access("/dev/shm", os.W_OK):
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", "/dev/shm")


class CompiledTemplates(jinja2.BytecodeCache):
    """Each template compiled once per test process, not once per app.

    Every test builds its own app, and each app's Jinja environment would
    parse and compile every template it renders again (about a quarter of
    a typical test's CPU time). Jinja checks each template's source against the
    cached code, so a changed template is compiled afresh.
    """

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


# Flask passes `jinja_options` to every app's environment, including apps a test module builds itself.
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": CompiledTemplates()}


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.answer = "250 OK"
        self.data_started = threading.Event()
        self.recipient_held = threading.Event()

    recipient_delay = 0
    is_holding = False
    # Once this many messages are in, the next recipient is held (and `recipient_held` set) until it is None.
    hold_recipients_after = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.recipient_delay:
            await asyncio.sleep(self.recipient_delay)
        if self.hold_recipients_after is not None and len(self.messages) >= self.hold_recipients_after:
            self.recipient_held.set()
            while self.hold_recipients_after is not None:
                await asyncio.sleep(0.01)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_started.set()
        while self.is_holding:  # a server that takes its time, until the test lets go
            await asyncio.sleep(0.01)
        if not self.answer.startswith("250"):
            return self.answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def clear(self):
        with self.lock:
            self.messages.clear()
        self.answer = "250 OK"
        self.recipient_delay = 0
        self.is_holding = False
        self.data_started.clear()
        self.hold_recipients_after = None
        self.recipient_held.clear()

    is_up = True

    def go_down(self):
        """An outage: nothing listens on the port until `come_back`."""
        self.controller.stop()
        self.is_up = False

    def come_back(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.is_up = True


def without_tokens(html: str) -> str:
    """The page without its CSRF tokens (they differ on every render)."""
    return re.sub(r'(value|data-csrf)="[^"]*\.[^"]*"', "", html)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def code_in(message) -> str:
    return re.search(r"\b(\d{6})\b", text_of(message)).group(1)


@pytest.fixture(scope="session")
def smtp_server():
    inbox = Inbox()
    inbox.port = free_port()
    inbox.controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    inbox.controller.start()
    yield inbox
    inbox.controller.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, one for the whole run (shared by every browser test module)."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS, require_chromium, unavailable

    require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # the `test` extra installs it
        unavailable("browser tests need Playwright for Python (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def inbox(smtp_server):
    smtp_server.clear()
    yield smtp_server
    if not smtp_server.is_up:
        smtp_server.come_back()
    smtp_server.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self):
        self.moment = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self):
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


def test_settings(tmp_path, smtp_port, **more):
    return {
        "TESTING": True,
        "SECRET_KEY": "test secret key, not for production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_WORKER": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_URL": "http://localhost",
        # A cheap hash keeps the suite fast; production's cost is tested on its own.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 8,
        "PASSWORD_HASH_PARALLELISM": 1,
        **more,
    }


test_settings.__test__ = False  # a helper, not a test, when a test module imports it


@pytest.fixture
def settings():
    """Extra settings a test module may override."""
    return {}


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database file at the newest schema, made once per test process by the portal itself.

    Each test's app starts from a copy: the portal then finds the schema up to
    date (as on any restart) instead of creating every table and index again.
    """
    folder = tmp_path_factory.mktemp("migrated")
    app = create_app(test_settings(folder, free_port()), instance_path=str(folder / "instance"))
    with app.app_context():
        db.engine.dispose()  # the last connection to close folds the write-ahead log into the file
    database = folder / "portal.sqlite3"
    assert not database.with_name(database.name + "-wal").exists()
    return database


@contextmanager
def running_portal(tmp_path, inbox, clock, **settings):
    """A portal on the test's folder and database, on the test's clock; its connections closed after.

    A second one on the same folder stands for another worker process.
    """
    app = create_app(test_settings(tmp_path, inbox.port, **settings), instance_path=str(tmp_path / "instance"))
    app.extensions["clock"] = clock
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory, smtp_server, migrated_database):
    """One app per test process, as Flask's tutorial builds it; `app` hands it to each test as it was made."""
    folder = tmp_path_factory.mktemp("shared")
    shutil.copyfile(migrated_database, folder / "portal.sqlite3")
    return create_app(test_settings(folder, smtp_server.port), instance_path=str(folder / "instance"))


@contextmanager
def as_made(app, clock, migrated_database):
    """The app on the test's clock; afterwards its settings, caches, instance folder, limits and
    database are put back as they were made (the database: a fresh copy of the migrated file)."""
    settings, extensions = dict(app.config), set(app.extensions)
    instance = Path(app.instance_path)
    instance_files = set(instance.rglob("*"))
    app.extensions["clock"] = clock
    try:
        yield app
    finally:
        app.config.clear()
        app.config.update(settings)
        for name in set(app.extensions) - extensions:
            del app.extensions[name]
        for path in sorted(set(instance.rglob("*")) - instance_files, reverse=True):  # files before their folders
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
        limiter.reset()
        with app.app_context():
            database = Path(db.engine.url.database)
            db.engine.dispose()
        fresh = database.with_name("fresh.sqlite3")
        shutil.copyfile(migrated_database, fresh)
        for leftover in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
            leftover.unlink(missing_ok=True)
        os.replace(fresh, database)  # a new file: a connection a test left open keeps the old one


@pytest.fixture
def own_app(tmp_path, inbox, clock, settings, migrated_database):
    """An app of the test's own, on a copy of the migrated database in `tmp_path`: for a test that
    changes what an app is made of (a route added, say), or a module with settings of its own."""
    shutil.copyfile(migrated_database, tmp_path / "portal.sqlite3")
    with running_portal(tmp_path, inbox, clock, **settings) as app:
        yield app


@pytest.fixture
def app(request, clock, settings, migrated_database):
    """The process's app on a fresh database; a module with settings of its own gets an app of its own."""
    if settings:
        yield request.getfixturevalue("own_app")
        return
    with as_made(request.getfixturevalue("shared_app"), clock, migrated_database) as app:
        yield app


def folder_of(app) -> Path:
    """The folder of the app's SQLite database; `running_portal(folder_of(app), ...)` is another worker on it."""
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent


@pytest.fixture
def deliver(app, inbox):
    """Run the delivery worker once, as the background thread would."""

    def deliver_now():
        with app.app_context():
            while deliver_due():
                pass
        return inbox

    return deliver_now


class Visitor:
    """A person with a browser: plain pages (`htmx=False`) or htmx requests.

    `post` fetches the step first (for its CSRF token, as a browser has it),
    then submits and follows the answer to the next step the way the
    browser would: a 303 for pages, `HX-Location` for htmx.
    """

    def __init__(self, client, htmx: bool, page: str = "/"):
        self.client = client
        self.htmx = htmx
        self.page = page

    def headers(self):
        if not self.htmx:
            return {}
        return {
            "HX-Request": "true",
            "HX-Target": "dialog-body",
            "HX-Current-URL": f"http://localhost{self.page}",
        }

    def get(self, url):
        response = self.client.get(url, headers=self.headers())
        return self._follow(response)

    def post(self, url, data=None, form_url=None):
        token = self.csrf_token(form_url or url)
        response = self.client.post(url, data={"csrf_token": token, **(data or {})}, headers=self.headers())
        return self._follow(response)

    def csrf_token(self, url):
        page = self.client.get(url).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def _follow(self, response):
        while True:
            if self.htmx and "HX-Location" in response.headers:
                import json

                location = json.loads(response.headers["HX-Location"])
                response = self.client.get(location["path"], headers=self.headers())
            elif not self.htmx and response.status_code in (301, 302, 303):
                response = self.client.get(response.headers["Location"])
            else:
                return response

    def register(self, email="ada@example.org", password=STRONG_PASSWORD, name="Ada Lovelace", **more):
        data = {"full_name": name, "email": email, "password": password, "confirm": password, **more}
        return self.post("/register", data)

    def verify(self, code):
        return self.post("/verify", {"code": code})

    def login(self, email="ada@example.org", password=STRONG_PASSWORD):
        return self.post("/login", {"email": email, "password": password})

    def accept_terms(self):
        """Accept the current terms of use, as the first download asks."""
        return self.post("/terms/accept")


@pytest.fixture(params=["page", "htmx"])
def visitor(request, app):
    return Visitor(app.test_client(), htmx=request.param == "htmx")


@pytest.fixture
def new_visitor(app):
    def make(htmx=False):
        return Visitor(app.test_client(), htmx=htmx)

    return make


def create_account(app, email="ada@example.org", password=STRONG_PASSWORD, name="Ada Lovelace") -> str:
    """A verified account made directly in the database, as registering in English and entering the code
    leave it (registering through the pages is tested on its own)."""
    from portal.auth import passwords
    from portal.clock import now
    from portal.models import User

    with app.app_context():
        db.session.add(User(email=email, full_name=name, password_hash=passwords.hash_password(password),
                            verified_at=now(), language="en"))
        db.session.commit()
    return email


@pytest.fixture
def registered(app, visitor):
    """A verified account ada@example.org, and a visitor who is not logged in."""
    create_account(app)
    return visitor


@pytest.fixture
def add_video(app, tmp_path):
    """Add a video to the library from real MP4 files of the given sizes; returns its id and files' ids."""
    from portal.media import library

    counter = iter(range(10_000))

    def add(title="Opening remarks", sizes=(5000,), labels=("HD 1080p MP4",), **fields):
        from helpers import video_bytes

        number = next(counter)
        files = []
        for index, size in enumerate(sizes):
            path = tmp_path / f"source-{number}-{index}.mp4"
            path.write_bytes(video_bytes(size))
            files.append(path)
        with app.app_context():
            video = library.add_video(library.NewVideo(title=title, files=files, labels=list(labels), **fields))
            return video.id, [rendition.id for rendition in video.renditions]

    return add


@pytest.fixture
def verified_before_terms(app):
    """A person (plain pages) logged in to the verified account ada@example.org, terms not yet accepted."""
    person = Visitor(app.test_client(), htmx=False)
    person.login(create_account(app))
    return person


@pytest.fixture
def verified(verified_before_terms):
    """A person (plain pages) logged in to the verified account ada@example.org, the terms of use accepted."""
    verified_before_terms.accept_terms()
    return verified_before_terms


@pytest.fixture(scope="session")
def sample_videos(tmp_path_factory):
    """Small real videos, made once per run: name → path.

    Different sizes, frame rates, codecs and containers, one without sound,
    one cut in half (its index was at the end) and one that is not a video.
    """
    from fractions import Fraction

    from portal.media import engine

    folder = tmp_path_factory.mktemp("videos")
    made = {
        "hd.mp4": dict(width=640, height=360, seconds=2, frame_rate=25),
        "wide.mp4": dict(width=1280, height=720, seconds=1, frame_rate=50),
        "ntsc.mov": dict(width=480, height=270, seconds=1, frame_rate=Fraction(30000, 1001)),
        "vp9.webm": dict(width=320, height=240, seconds=1, frame_rate=30, codec="libvpx-vp9"),
        "silent.mkv": dict(width=322, height=180, seconds=1, frame_rate=50, codec="mpeg4", audio=False),
        "whole.mp4": dict(width=320, height=180, seconds=2, faststart=False),
    }
    for name, options in made.items():
        engine.generate_video(folder / name, f"Sample {name}", **options)
    whole = (folder / "whole.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(whole[: len(whole) // 2])
    (folder / "notes.mp4").write_bytes(b"Not a video, only a text with a video's name.\n" * 50)
    return {name: folder / name for name in [*made, "truncated.mp4", "notes.mp4"]}


@pytest.fixture
def add_sample_video(app, sample_videos):
    """Add a video from one or more of the `sample_videos`, with its stills and preview; its id."""
    from portal.media import library

    def add(*names, title="Speech on maritime security", labels=(), preview=True, **fields):
        with app.app_context():
            video = library.add_video(library.NewVideo(
                title=title, files=[sample_videos[name] for name in names or ["hd.mp4"]], labels=list(labels),
                **fields))
            if preview:
                library.make_preview(video)
            return video.id

    return add


@pytest.fixture
def admin(app):
    """An admin account, boss@example.org, made with `portal users create-admin` (no second factor yet)."""
    result = app.test_cli_runner().invoke(args=["users", "create-admin", BOSS, "--password-stdin"],
                                          input=STRONG_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return BOSS


@pytest.fixture
def desk(app, admin, clock):
    """The admin logged in with the second factor, at the desk (plain pages)."""
    from helpers import app_code

    boss = Visitor(app.test_client(), htmx=False)
    boss.login(admin)
    boss.post("/login/second-factor/set-up", {"code": app_code(app, admin, clock())})
    assert boss.client.get("/admin").status_code == 200
    return boss


class S3Server:
    """moto's S3 server on loopback, with one bucket for the test process; `client` is boto3's, for checking."""

    bucket = "portal-tests"

    def __init__(self):
        import boto3
        from moto.server import ThreadedMotoServer

        # boto3's standard chain finds these, as it would a deployment's.
        os.environ.update(AWS_ACCESS_KEY_ID="test-key", AWS_SECRET_ACCESS_KEY="test-secret")
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        self.url = "http://{}:{}".format(*self.server.get_host_and_port())
        self.client = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1")
        self.client.create_bucket(Bucket=self.bucket)

    def keys(self, prefix: str) -> list[str]:
        """The names of the objects under `prefix`, and of uploads begun there and neither completed nor aborted."""
        objects = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix).get("Uploads", [])
        return sorted(item["Key"] for item in [*objects, *uploads])


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    yield server
    server.server.stop()


@pytest.fixture
def s3_storage(app, s3_server):
    """The app keeps its library in the test server's bucket, under a key prefix of the test's own; the prefix."""
    prefix = f"test-{os.urandom(4).hex()}/"
    app.config.update(MEDIA_STORAGE="s3", S3_BUCKET=s3_server.bucket, S3_ENDPOINT_URL=s3_server.url,
                      S3_REGION="us-east-1", S3_PREFIX=prefix)
    return prefix


@pytest.fixture(params=["local", "s3"])
def storage_mode(request):
    """The library on the local disk, then in a bucket: `usefixtures("storage_mode")` runs a test in each."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param

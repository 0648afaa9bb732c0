"""Helpers that several test modules share (fixtures live in conftest.py)."""
import functools
import os
import re
import tempfile
import threading
from pathlib import Path

from conftest import Visitor

# How often a test's werkzeug server checks whether it should stop: its
# `shutdown()` waits for that check, and werkzeug's default 0.5 s was waited out at every test's end.
SHUTDOWN_POLL = 0.02


def parallel(count, action):
    """Run `action` in `count` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results = []

    def run():
        barrier.wait()
        results.append(action())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def parallel_posts(app, count, path, data, visitors=None):
    """`count` people (or `visitors`) post `data` to `path` at the same moment; their statuses."""
    visitors = visitors or [Visitor(app.test_client(), htmx=False) for _ in range(count)]
    tokens = iter([(visitor, visitor.csrf_token(path)) for visitor in visitors])
    lock = threading.Lock()

    def post():
        with lock:
            visitor, token = next(tokens)
        return visitor.client.post(path, data={"csrf_token": token, **data}).status_code

    return parallel(count, post)


def count_verifications_of(monkeypatch, password_hash):
    """A list that grows by one for every argon2 check against `password_hash`."""
    from argon2 import PasswordHasher

    checks = []
    real = PasswordHasher.verify

    def counting(self, stored, password):
        if stored == password_hash:
            checks.append(stored)
        return real(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return checks


def parallel_one_byte_downloads(app, session_cookie: str, file_id: int, count: int = 40) -> set:
    """`count` one-byte Range requests for a file, eight at a time, by one logged-in browser; their statuses."""
    from concurrent.futures import ThreadPoolExecutor

    def fetch_one_byte(start):
        client = app.test_client()
        client.set_cookie("session", session_cookie)
        return client.get(f"/files/{file_id}", headers={"Range": f"bytes={start}-{start}"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return set(pool.map(fetch_one_byte, range(count)))


@functools.cache
def _smallest_video() -> bytes:
    from portal.media import engine

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one-picture.mp4"
        engine.generate_video(path, "", width=32, height=18, seconds=0.04, audio=False)
        return path.read_bytes()


def video_bytes(size: int) -> bytes:
    """A real MP4 (one tiny picture, about 2 kB) padded to exactly `size` bytes.

    Players and the probe stop where the video ends, so tests of downloads
    get a file the library accepts, of the size they need.
    """
    video = _smallest_video()
    assert size >= len(video), f"the smallest video has {len(video)} bytes"
    return video + (bytes(range(256)) * (size // 256 + 1))[: size - len(video)]


def png_image(colour: str = "#123456", width: int = 32, height: int = 18) -> bytes:
    """A small PNG poster."""
    import io

    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(output, format="PNG")
    return output.getvalue()


def title_of(response) -> str:
    """The text of a page's <title>."""
    return re.search(r"<title>(.*?)</title>", response.text, re.DOTALL).group(1).strip()


def totp_key_of(app, email) -> str:
    """An admin's TOTP key as the authenticator app holds it (the database keeps it encrypted)."""
    from sqlalchemy import select

    from portal.auth import second_factor, totp_keys
    from portal.extensions import db
    from portal.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return totp_keys.key_of(second_factor.factor_of(user))


def app_code(app, email, moment) -> str:
    """The code an admin's authenticator app shows at `moment` (a datetime or a timestamp)."""
    import pyotp

    return pyotp.TOTP(totp_key_of(app, email)).at(moment)


# The revisions of migrations/versions/0011_encrypted_totp_keys.py and of the one before it.
ENCRYPTED_TOTP_KEYS, BEFORE_ENCRYPTED_TOTP_KEYS = "064f3ab1546b", "9c41d7a2e5b3"


def plain_totp_key_through_the_migration(app, email, plain) -> tuple[str, str]:
    """Store `plain` as the admin's TOTP key as the portal did before keys were encrypted, migrate up,
    then down again (through that migration only, named: later ones come after it); the value stored after each."""
    import flask_migrate
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        flask_migrate.downgrade(revision=BEFORE_ENCRYPTED_TOTP_KEYS)
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO second_factors (user_id, secret, created_at, last_step) "
                                    "SELECT id, :plain, created_at, 0 FROM users WHERE email = :email"),
                               {"plain": plain, "email": email})
        flask_migrate.upgrade(revision=ENCRYPTED_TOTP_KEYS)
        with db.engine.connect() as connection:
            encrypted = connection.execute(text("SELECT encrypted_secret FROM second_factors")).scalar_one()
        flask_migrate.downgrade(revision=BEFORE_ENCRYPTED_TOTP_KEYS)
        with db.engine.connect() as connection:
            decrypted = connection.execute(text("SELECT secret FROM second_factors")).scalar_one()
    return encrypted, decrypted


def write_instance_file(app, name, content):
    """Put a file (text or bytes) at `name` in the app's instance folder, as an admin would."""
    path = os.path.join(app.instance_path, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else content.encode())
    return path


# Captions for a 2-second sample video: a speaker, a tag, and markup written as text.
CAPTIONS = """WEBVTT

00:00.000 --> 00:00.900
<v Ann &amp; Bob>Good <b>morning</b>.

00:00.900 --> 00:02.000
We write &lt;script&gt;alert(1)&lt;/script&gt; as text.
"""


def write_captions(folder: Path, text: str = CAPTIONS, name: str = "captions.vtt") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# What the demo library's places are asked as, and what a person then sees, best first.
PLACE_SEARCHES = [
    ("Lisbon", ["Speech on maritime security"]),
    ("Reykjavík", ["Joint press point with the Prime Minister of Iceland"]),
    ("Reykjavik", ["Joint press point with the Prime Minister of Iceland"]),
    ("reykjav", ["Joint press point with the Prime Minister of Iceland"]),
    ("Brussels", ["Opening remarks at the Brussels press conference", "B-roll: ministers arrive at headquarters"]),
]

# The migration before the one that indexes places (0012_code_send_purpose).
BEFORE_PLACES = "5e2b7c9d1a04"


def card_titles(html: str) -> list[str]:
    """The titles of the catalogue's cards, in the order a person reads them."""
    return re.findall(r'<h2 class="card-title"><a href="/videos/\d+">([^<]+)</a>', html)


# A title whose accents, colon and curly apostrophe each tempt a client to save a file under a name of its own.
ACCENTED_TITLE = "Conférence de presse à Genève : l’accord"


def add_demo_library(app, source: Path) -> None:
    """The demo library's videos as `portal demo` describes them (titles, places, texts), on one small file."""
    from portal.media import library
    from portal.media.demo import DEMO_VIDEOS

    source.write_bytes(video_bytes(5000))
    with app.app_context():
        for entry in DEMO_VIDEOS:
            library.add_video(library.NewVideo(
                title=entry["title"], files=[source], place=entry["place"], recorded_on=entry["recorded"],
                tags=entry["tags"], description=entry["description"], transcript=entry["transcript"]))


def assert_the_upgrade_indexes_the_places_already_there(app, source: Path) -> None:
    """The demo library added before the migration that indexes places: after it, each place is found."""
    import flask_migrate

    add_demo_library(app, source)
    with app.app_context():
        flask_migrate.downgrade(revision=BEFORE_PLACES)
        flask_migrate.upgrade()
    client = app.test_client()
    for query, found in PLACE_SEARCHES:
        assert card_titles(client.get("/", query_string={"q": query}).text) == found, query

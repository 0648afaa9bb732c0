"""Each worker remembers who is logged in, and every worker forgets it the moment an account or a login changes.

Two apps on one database stand for two gunicorn workers: each keeps its own
memory, and they share only the database and the small file beside it.
"""
import os
import sqlite3
from datetime import UTC, datetime

import pytest
from flask import Flask

from conftest import STRONG_PASSWORD, Visitor, running_portal
from portal.auth import login_cache
from portal.extensions import db


# The ways an admin may write the database's address: each process must find the same file beside it.
ADDRESSES = {
    "path": lambda folder: f"sqlite:///{folder / 'portal.sqlite3'}",
    "sqlite uri": lambda folder: f"sqlite:///file:{folder / 'portal.sqlite3'}?uri=true",
    "relative to the instance folder": lambda folder: "sqlite:///portal.sqlite3",
}


@pytest.fixture(params=ADDRESSES)
def settings(request, tmp_path):
    return {"SQLALCHEMY_DATABASE_URI": ADDRESSES[request.param](tmp_path)}


@pytest.fixture
def other_worker(app, tmp_path, inbox, clock, settings):
    with running_portal(tmp_path, inbox, clock, **settings) as worker:
        yield worker


@pytest.fixture
def elsewhere(verified, other_worker):
    """The same account logged in from a second browser, served by the other worker, which has seen it twice."""
    person = Visitor(other_worker.test_client(), htmx=False)
    person.login()
    for _ in range(2):
        assert "Log out" in person.client.get("/_header").text
    return person


def test_logging_out_the_other_browsers_on_one_worker_ends_them_on_the_other(verified, elsewhere):
    assert verified.post("/account/sessions/end-others", form_url="/account/").status_code == 200
    assert "Log out" not in elsewhere.client.get("/_header").text


def test_a_changed_password_ends_the_session_another_worker_remembers(verified, elsewhere):
    verified.post("/account/password", {"current_password": STRONG_PASSWORD,
                                        "password": "Another-Horse-43", "confirm": "Another-Horse-43"},
                  form_url="/account/password")
    assert "Log out" not in elsewhere.client.get("/_header").text


def test_an_account_disabled_in_another_process_is_logged_out_at_once(app, other_worker, elsewhere):
    from portal.admin import users
    from portal.models import User

    with app.app_context():
        users.disable(db.session.scalar(db.select(User)), actor="test")
    assert "Log out" not in elsewhere.client.get("/_header").text


def test_a_language_chosen_in_one_browser_reaches_the_other_at_once(verified, elsewhere):
    assert '<html lang="en"' in elsewhere.client.get("/").text
    verified.client.post("/language", data={"csrf_token": verified.csrf_token("/"), "language": "fr", "next": "/"})
    assert '<html lang="fr"' in elsewhere.client.get("/").text


def test_an_account_disabled_outside_the_portal_is_logged_out_within_a_minute(app, elsewhere, clock):
    """An admin's own SQL writes no note to the other processes: what they remember lasts a minute at most."""
    with app.app_context():
        database = db.engine.url.database
    with sqlite3.connect(database, uri=database.startswith("file:")) as connection:
        connection.execute("UPDATE users SET disabled_at = '2026-11-24 12:00:00'")
    clock.advance(61)
    assert "Log out" not in elsewhere.client.get("/_header").text


def test_the_shared_file_lies_beside_the_database_whatever_the_folder_the_process_started_in(
        app, other_worker):
    with app.app_context():
        database = db.engine.url.database.removeprefix("file:")
    assert os.path.exists(database + "-logins")
    assert not os.path.exists("portal.sqlite3-logins")  # not in the folder the test runs in


def test_a_lookup_that_finished_late_does_not_put_back_what_a_newer_one_replaced():
    """Two requests of one browser at once: the first writes its last-seen time after the second found newer facts."""
    cache = login_cache.LoginCache(login_cache.SharedGeneration(None))
    key = ("token", "login")
    with Flask(__name__).app_context() as context:
        context.app.extensions["clock"] = lambda: datetime(2026, 11, 24, tzinfo=UTC)
        older = cache.found(key, lambda: {"language": "en"})
        cache.generation.change()  # another process changed the account
        newer = cache.found(key, lambda: {"language": "fr"})
        cache.replace(key, older, {"language": "en", "seen": "now"})
        assert cache.found(key, lambda: None) is newer


def test_fifty_requests_at_once_before_and_after_a_password_change_elsewhere(verified, elsewhere):
    """Fifty requests of the other browser at once fill and read the other worker's memory together;
    once the new password is saved, fifty more at once all find the session ended."""
    from helpers import parallel

    def logged_in() -> bool:
        return "Log out" in elsewhere.client.get("/_header").text

    assert parallel(50, logged_in) == [True] * 50
    verified.post("/account/password", {"current_password": STRONG_PASSWORD,
                                        "password": "Another-Horse-43", "confirm": "Another-Horse-43"},
                  form_url="/account/password")
    assert parallel(50, logged_in) == [False] * 50

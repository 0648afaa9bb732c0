"""Each worker remembers who is logged in, and every worker forgets it the moment an account or a login changes.

Two apps on one database stand for two gunicorn workers: each keeps its own
memory, and they share only the database and the small file beside it.
"""
import sqlite3

import pytest

from conftest import STRONG_PASSWORD, Visitor, test_settings
from portal import create_app
from portal.extensions import db


@pytest.fixture
def other_worker(app, tmp_path, inbox, clock):
    worker = create_app(test_settings(tmp_path, inbox.port), instance_path=str(tmp_path / "instance"))
    worker.extensions["clock"] = clock
    yield worker
    with worker.app_context():
        db.engine.dispose()


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


def test_an_account_disabled_outside_the_portal_is_logged_out_within_a_minute(tmp_path, elsewhere, clock):
    """An admin's own SQL writes no note to the other processes: what they remember lasts a minute at most."""
    with sqlite3.connect(tmp_path / "portal.sqlite3") as connection:
        connection.execute("UPDATE users SET disabled_at = '2026-11-24 12:00:00'")
    clock.advance(61)
    assert "Log out" not in elsewhere.client.get("/_header").text

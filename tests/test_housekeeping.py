"""Retention: what the limits and sessions need is kept while they need it, then forgotten."""
import time

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AddressCounter, CodeSend, LoginSession, OneTimeCode
from portal.ops import housekeeping

DAY = 24 * 3600


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def forget_stale(app) -> dict:
    with app.app_context():
        return housekeeping.forget_stale()


def test_a_browser_unused_for_longer_than_a_login_lasts_leaves_the_list_of_browsers(app, clock, verified, new_visitor):
    laptop = new_visitor()
    laptop.login()
    assert verified.client.get("/account/").text.count("Log out</button>") >= 2

    clock.advance(15 * DAY)
    assert "Log out" in verified.client.get("/_header").text  # this browser comes back; the laptop never does
    forget_stale(app)

    assert rows(app, LoginSession) == 1
    assert "Log out" in verified.client.get("/_header").text


def test_a_lock_and_the_day_s_sends_survive_housekeeping_until_their_window_has_passed(app, clock, visitor, deliver):
    visitor.register()
    for _ in range(10):
        visitor.login(password="Not the password 1!")
    assert "locked" in visitor.login().text

    clock.advance(60)
    forget_stale(app)
    assert "locked" in visitor.login().text, "housekeeping must not lift a lock"
    assert rows(app, CodeSend) == 1

    clock.advance(DAY)
    forgotten = forget_stale(app)
    assert forgotten["try counters"] >= 1 and forgotten["code sends"] == 1
    assert rows(app, AddressCounter) == rows(app, CodeSend) == 0
    assert "locked" not in visitor.login(password="Not the password 1!").text


def test_spent_codes_are_kept_a_day_after_they_expire(app, clock, visitor):
    visitor.register()
    clock.advance(DAY)
    forget_stale(app)
    assert rows(app, OneTimeCode) == 1, "an expired code still says it expired for a while"
    clock.advance(3600)
    forget_stale(app)
    assert rows(app, OneTimeCode) == 0


def test_the_running_portal_does_its_housekeeping_by_itself(tmp_path, inbox, clock):
    from portal import create_app

    from conftest import Visitor, test_settings

    app = create_app(test_settings(tmp_path, inbox.port, MAIL_WORKER=True, MAIL_POLL_INTERVAL=0.1,
                                   HOUSEKEEPING_INTERVAL=0), instance_path=str(tmp_path / "instance"))
    app.extensions["clock"] = clock
    try:
        Visitor(app.test_client(), htmx=False).register()  # the first request starts the worker
        clock.advance(2 * DAY)

        deadline = time.monotonic() + 10
        while rows(app, CodeSend) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rows(app, CodeSend) == rows(app, OneTimeCode) == 0
    finally:
        app.extensions["mail_worker"].stop()

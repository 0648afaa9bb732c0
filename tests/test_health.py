"""/healthz: what a monitor polls, and the warning about per-process limit counts."""
import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.ops.health import check_workers


def test_healthz_says_the_database_answers_and_how_long_mail_waits(app, visitor, clock):
    visitor.register()  # one code mail waits in the outbox
    clock.advance(42)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"database": "ok", "mail_queue": {"waiting": 1, "oldest_seconds": 42}}
    assert "ada@example.org" not in response.text


def test_healthz_answers_503_when_the_database_does_not(app, monkeypatch):
    with app.app_context():
        db.session.execute(text("DROP TABLE outbox"))
        db.session.commit()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json == {"database": "unavailable"}


def test_healthz_is_never_rate_limited(app):
    app.config["FORM_RATE_LIMIT"] = app.config["LOGIN_RATE_LIMIT"] = "1 per hour"
    client = app.test_client()
    assert {client.get("/healthz").status_code for _ in range(30)} == {200}


@pytest.mark.parametrize("workers, storage, warned", [
    (1, "memory://", False), (2, "memory://", True), (4, "redis://127.0.0.1:6379", False)])
def test_several_workers_without_shared_limit_storage_are_warned_about_loudly(app, caplog, workers, storage,
                                                                               warned):
    app.config["RATELIMIT_STORAGE_URI"] = storage
    check_workers(app, workers)
    body = app.test_client().get("/healthz").json
    assert ("warnings" in body) is warned
    assert ("per-IP limit is multiplied by" in caplog.text) is warned

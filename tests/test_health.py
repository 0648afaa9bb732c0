"""/healthz: what a monitor polls, and the warning about per-process limit counts."""
import pytest
from sqlalchemy import select, text

from portal import create_app
from portal.extensions import db
from portal.ops.health import check_workers

from conftest import create_account, test_settings


def test_healthz_says_the_database_answers_and_how_long_mail_waits(app, visitor, clock):
    visitor.register()  # one code mail waits in the outbox
    clock.advance(42)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"database": "ok", "mail_queue": {"waiting": 1, "oldest_seconds": 42},
                             "public_url": "http://localhost", "approval_queue": 0}
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


def started_without_a_public_url(tmp_path, inbox, monkeypatch):
    monkeypatch.delenv("PORTAL_PUBLIC_URL", raising=False)
    return create_app(test_settings(tmp_path, inbox.port, PUBLIC_URL=None), instance_path=str(tmp_path / "instance"))


def test_without_a_public_url_the_start_says_in_one_line_which_address_mails_will_carry(tmp_path, inbox,
                                                                                      monkeypatch, caplog):
    started_without_a_public_url(tmp_path, inbox, monkeypatch)
    said = [record.getMessage() for record in caplog.records if "PORTAL_PUBLIC_URL" in record.getMessage()]
    assert said == ["PORTAL_PUBLIC_URL is not set: links in mails will point to http://127.0.0.1:8000"]


def test_without_a_public_url_healthz_says_which_address_mails_will_carry(tmp_path, inbox, monkeypatch):
    body = started_without_a_public_url(tmp_path, inbox, monkeypatch).test_client().get("/healthz").json
    assert body["public_url"] == "http://127.0.0.1:8000"
    assert "PORTAL_PUBLIC_URL is not set: links in mails will point to http://127.0.0.1:8000" in body["warnings"]


def test_a_set_public_url_is_said_on_healthz_without_a_warning(app, caplog):
    body = app.test_client().get("/healthz").json
    assert body["public_url"] == "http://localhost" and "warnings" not in body
    assert "PORTAL_PUBLIC_URL" not in caplog.text


def test_links_in_mails_never_take_the_host_a_request_names(tmp_path, inbox, monkeypatch):
    from portal.models import User
    from portal.newsletter import subscriptions

    app = started_without_a_public_url(tmp_path, inbox, monkeypatch)
    create_account(app)
    with app.test_request_context("/", base_url="http://attacker.example:8080"):
        link = subscriptions.unsubscribe_url(db.session.scalar(select(User)))
    assert link.startswith("http://127.0.0.1:8000/newsletter/unsubscribe/")


def test_without_a_mail_server_the_start_and_healthz_say_mails_are_printed_not_sent(tmp_path, inbox, caplog):
    app = create_app(test_settings(tmp_path, inbox.port, MAIL_SERVER=None), instance_path=str(tmp_path / "instance"))
    warning = "PORTAL_MAIL_SERVER is not set: mails, with their codes and links, are printed to the log instead of sent"
    assert warning in caplog.text
    assert warning in app.test_client().get("/healthz").json["warnings"]

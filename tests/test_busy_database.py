"""SQLite keeps one writer at a time: a write kept waiting too long is told to try again, and leaves nothing."""
import sqlite3

from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.mail.models import OutboxMail
from portal.models import CodeFlowRecord, CodeSend

from conftest import STRONG_PASSWORD, Visitor, test_settings

REGISTRATION = {"full_name": "Ada Lovelace", "email": "ada@example.org", "password": STRONG_PASSWORD,
                "confirm": STRONG_PASSWORD}


def test_a_registration_kept_waiting_by_a_lock_is_asked_to_try_again_and_nothing_is_half_written(tmp_path, inbox):
    app = create_app(test_settings(tmp_path, inbox.port, SQLITE_BUSY_TIMEOUT=0.2),
                     instance_path=str(tmp_path / "instance"))
    person = Visitor(app.test_client(), htmx=False)
    token = person.csrf_token("/register")
    other_writer = sqlite3.connect(tmp_path / "portal.sqlite3")
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        refused = person.client.post("/register", data={"csrf_token": token, **REGISTRATION})
    finally:
        other_writer.rollback()
        other_writer.close()

    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert "try again in a few seconds" in refused.text and "OperationalError" not in refused.text
    with app.app_context():
        assert [db.session.scalar(select(func.count()).select_from(table))
                for table in (CodeSend, CodeFlowRecord, OutboxMail)] == [0, 0, 0]
    assert person.client.post("/register", data={"csrf_token": token, **REGISTRATION}).headers["Location"] == "/verify"

"""Mail goes through the outbox: written with the change, sent later, once."""
import threading
import time

from sqlalchemy import select

from portal.extensions import db
from portal.mail import outbox
from portal.mail.delivery import deliver_due
from portal.mail.models import OutboxMail

from conftest import code_in, text_of


def queue_one(app, recipient="ada@example.org"):
    with app.test_request_context():
        outbox.enqueue(recipient, "registration_attempt", "Hello")
        db.session.commit()


def rows(app):
    with app.app_context():
        return db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def test_a_mail_is_written_only_if_its_change_is_committed(app, deliver):
    with app.test_request_context():
        outbox.enqueue("ada@example.org", "registration_attempt", "Hello")
        db.session.rollback()
    assert rows(app) == []
    assert deliver().messages == []


def test_nothing_is_sent_inside_the_request(app, visitor, inbox):
    visitor.register()
    assert inbox.messages == []
    assert [row.status for row in rows(app)] == ["queued"]


def test_each_mail_has_text_and_html_parts_a_message_id_and_a_date(app, visitor, deliver):
    visitor.register()
    [mail] = deliver().to("ada@example.org")
    code = code_in(mail)
    assert code in text_of(mail)
    assert code in mail.get_body(preferencelist=("html",)).get_content()
    assert mail["Message-ID"] == rows(app)[0].message_id
    assert mail["Date"]
    assert "<img" not in mail.get_body(preferencelist=("html",)).get_content()


def test_registering_while_smtp_is_down_still_answers_and_the_code_arrives_once_later(app, visitor, inbox, clock):
    inbox.go_down()
    response = visitor.register()
    assert "Check your inbox" in response.text

    with app.app_context():
        deliver_due()
    [row] = rows(app)
    assert row.status == "queued" and row.attempts == 1 and "refused" in row.last_error.lower()

    inbox.come_back()
    clock.advance(10)
    with app.app_context():
        while deliver_due():
            pass
        deliver_due()
    assert len(inbox.to("ada@example.org")) == 1
    assert rows(app)[0].status == "sent"


def test_a_retry_waits_with_growing_delays_capped_at_five_minutes(app, inbox, clock):
    inbox.go_down()
    queue_one(app)
    delays = []
    for _ in range(10):
        with app.app_context():
            deliver_due()
        row = rows(app)[0]
        delays.append((row.next_attempt_at - clock.moment).total_seconds())
        clock.moment = row.next_attempt_at
    assert delays[1] > delays[0]
    assert max(delays) <= 300
    assert delays[-1] >= 150


def test_a_temporary_refusal_is_retried(app, inbox, clock):
    inbox.answer = "451 try again later"
    queue_one(app)
    with app.app_context():
        deliver_due()
    assert rows(app)[0].status == "queued"
    inbox.answer = "250 OK"
    clock.advance(60)
    with app.app_context():
        deliver_due()
    assert rows(app)[0].status == "sent"
    assert len(inbox.messages) == 1


def test_a_permanent_refusal_is_marked_failed_and_not_retried(app, inbox, clock):
    inbox.answer = "550 no such mailbox"
    queue_one(app)
    with app.app_context():
        deliver_due()
    [row] = rows(app)
    assert row.status == "failed"
    assert "550 no such mailbox" in row.last_error
    clock.advance(3600)
    with app.app_context():
        assert deliver_due() == 0


def test_retries_end_after_a_day(app, inbox, clock):
    inbox.go_down()
    queue_one(app)
    clock.advance(24 * 3600 + 1)
    with app.app_context():
        deliver_due()
    [row] = rows(app)
    assert row.status == "failed" and "gave up" in row.last_error


def test_two_workers_draining_one_queue_send_each_mail_once(app, inbox):
    for number in range(40):
        queue_one(app, f"person{number}@example.org")

    def worker():
        with app.app_context():
            while deliver_due(batch_size=5):
                pass

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recipients = [message["To"] for message in inbox.messages]
    assert sorted(recipients) == sorted(f"person{number}@example.org" for number in range(40))


def test_a_crashed_workers_rows_are_taken_again_after_the_lease(app, inbox, clock):
    queue_one(app)
    with app.app_context():
        from portal.mail.delivery import claim

        claim(10)  # claimed, then the worker "dies" before sending
    with app.app_context():
        assert deliver_due() == 0
    clock.advance(app.config["MAIL_LEASE"] + 1)
    with app.app_context():
        assert deliver_due() == 1
    assert len(inbox.messages) == 1


def test_the_background_worker_delivers_without_being_asked(tmp_path, inbox):
    from portal import create_app

    from conftest import test_settings

    app = create_app(test_settings(tmp_path, inbox.port, MAIL_WORKER=True, MAIL_POLL_INTERVAL=0.2),
                     instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    client.get("/")
    queue_one(app)
    try:
        deadline = time.monotonic() + 10
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(inbox.messages) == 1
    finally:
        app.extensions["mail_worker"].stop()


def test_after_a_long_outage_waiting_mail_goes_within_a_minute_of_the_server_s_return(app, inbox, clock):
    inbox.go_down()
    for number in range(3):
        queue_one(app, f"person{number}@example.org")
    for _ in range(8):  # an outage long enough for backoffs of minutes
        with app.app_context():
            deliver_due()
        clock.advance(40)
    with app.app_context():
        assert max((row.next_attempt_at - clock.moment).total_seconds() for row in rows(app)) > 60
    inbox.come_back()
    for _ in range(3):  # the worker's polls during the next minute
        with app.app_context():
            while deliver_due():
                pass
        clock.advance(20)
    assert sorted(m["To"] for m in inbox.messages) == [f"person{n}@example.org" for n in range(3)]


def test_a_slow_smtp_server_does_not_slow_registering(tmp_path, inbox):
    from portal import create_app

    from conftest import Visitor, test_settings

    app = create_app(test_settings(tmp_path, inbox.port, MAIL_WORKER=True, MAIL_POLL_INTERVAL=0.1),
                     instance_path=str(tmp_path / "instance"))
    inbox.is_holding = True
    visitor = Visitor(app.test_client(), htmx=True)
    try:
        visitor.client.get("/")
        queue_one(app, "first@example.org")
        assert inbox.data_started.wait(timeout=10)  # the worker is now busy with a slow server
        started = time.monotonic()
        response = visitor.register()
        elapsed = time.monotonic() - started
        assert "Check your inbox" in response.text
        assert elapsed < 1.0
    finally:
        inbox.is_holding = False
        app.extensions["mail_worker"].stop()


def test_a_worker_killed_mid_batch_leaves_its_mail_to_be_sent_later_once(app, inbox, tmp_path, clock, deliver):
    import os
    import signal
    import subprocess
    import sys
    from datetime import timedelta

    for number in range(5):
        queue_one(app, f"person{number}@example.org")
    environment = {
        **os.environ,
        "PORTAL_INSTANCE_PATH": str(tmp_path / "worker"),
        "PORTAL_SECRET_KEY": app.config["SECRET_KEY"],
        "PORTAL_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_MAIL_SERVER": "127.0.0.1",
        "PORTAL_MAIL_PORT": str(inbox.port),
        "PORTAL_MAIL_WORKER": "false",
    }
    command = [sys.executable, "-m", "portal.cli", "mail", "deliver"]
    inbox.hold_recipients_after = 2  # the third mail waits on the server: the worker dies mid-batch
    worker = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert inbox.recipient_held.wait(timeout=120), "the worker never reached the third mail"
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    inbox.hold_recipients_after = None
    sent_by_the_dead_worker = len(inbox.messages)
    assert sent_by_the_dead_worker == 2

    # The worker claimed on the real clock; this process's clock goes to its lease's end.
    lease_until = max(row.lease_until for row in rows(app) if row.status == "sending")
    clock.moment = lease_until - timedelta(seconds=1)
    assert len(deliver().messages) == sent_by_the_dead_worker  # its lease still holds
    clock.moment = lease_until + timedelta(seconds=1)
    deliver()
    recipients = sorted(m["To"] for m in inbox.messages)
    assert recipients == [f"person{n}@example.org" for n in range(5)]


def test_mail_has_the_configured_sender_and_reply_to(app, deliver):
    app.config["MAIL_REPLY_TO"] = "press@example.org"
    queue_one(app)
    [mail] = deliver().messages
    assert mail["From"] == "Media portal <no-reply@localhost>"
    assert mail["Reply-To"] == "press@example.org"

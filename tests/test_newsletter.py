"""The newsletter: consent, mails with one-click unsubscribe, resumable sending, export."""
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.mail import outbox
from portal.models import User
from portal.newsletter import subscriptions

from conftest import text_of


@pytest.fixture
def subscriber(app, verified, deliver):
    verified.post("/newsletter/subscribe", form_url="/welcome")
    return deliver().to("ada@example.org")[-1]


def unsubscribe_path(message):
    url = re.search(r"<(http://localhost/newsletter/unsubscribe/[^>]+)>", message["List-Unsubscribe"]).group(1)
    return url.replace("http://localhost", "")


def is_subscribed(app):
    with app.app_context():
        return db.session.scalar(select(User)).is_subscribed


def test_subscribing_is_confirmed_by_a_mail_with_unsubscribe_headers_and_link(app, subscriber):
    assert subscriber["Subject"] == "You are subscribed to our newsletter"
    assert subscriber["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe_path(subscriber)
    assert path in text_of(subscriber)


def test_the_one_click_post_unsubscribes_without_login_or_csrf(app, subscriber):
    response = app.test_client().post(unsubscribe_path(subscriber), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not is_subscribed(app)


def test_the_link_shows_one_button_and_a_get_alone_changes_nothing(app, subscriber):
    client = app.test_client()
    page = client.get(unsubscribe_path(subscriber))
    assert "Unsubscribe" in page.text and is_subscribed(app)
    done = client.post(unsubscribe_path(subscriber))
    assert "You are unsubscribed" in done.text
    assert not is_subscribed(app)


def test_a_forged_unsubscribe_link_does_nothing(app, subscriber):
    response = app.test_client().post("/newsletter/unsubscribe/forged")
    assert response.status_code == 404
    assert is_subscribed(app)


def test_my_account_switches_the_newsletter_and_records_where(app, verified, clock):
    response = verified.post("/account/newsletter", {"subscribed": "yes"}, form_url="/account/")
    assert "You are subscribed to our newsletter" in response.text
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.newsletter_consent_source, user.newsletter_subscribed_at) == ("account", clock.moment)
    response = verified.post("/account/newsletter", {"subscribed": "no"}, form_url="/account/")
    assert "You are not subscribed" in response.text


def make_subscribers(app, count):
    from portal.clock import now

    with app.app_context():
        for number in range(count):
            db.session.add(User(email=f"reader{number}@example.org", full_name=f"Reader {number}", password_hash="x",
                                verified_at=now(), newsletter_subscribed_at=now(), newsletter_consent_source="offer"))
        db.session.add(User(email="not-subscribed@example.org", full_name="No", password_hash="x", verified_at=now()))
        db.session.commit()


def test_newsletter_send_queues_one_mail_per_subscriber(app, tmp_path, deliver):
    make_subscribers(app, 3)
    text = tmp_path / "issue.txt"
    text.write_text("Our latest videos are online.")
    result = app.test_cli_runner().invoke(args=["newsletter", "send", "--subject", "November", "--text", str(text)])
    assert "queued 3 mail(s)" in result.output, result.output
    inbox = deliver()
    assert sorted(m["To"] for m in inbox.messages) == [f"reader{n}@example.org" for n in range(3)]
    mail = inbox.messages[0]
    assert "Our latest videos are online." in text_of(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_path(mail) in text_of(mail)


def test_an_interrupted_send_resumed_sends_nobody_twice(app, tmp_path, deliver, monkeypatch):
    from portal.newsletter import mailout

    make_subscribers(app, 250)
    text = tmp_path / "issue.txt"
    text.write_text("News.")
    real = outbox.enqueue
    calls = {"n": 0}

    def dying_enqueue(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 150:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(mailout.outbox, "enqueue", dying_enqueue)
    runner = app.test_cli_runner()
    runner.invoke(args=["newsletter", "send", "--subject", "S", "--text", str(text)])
    monkeypatch.setattr(mailout.outbox, "enqueue", real)
    again = runner.invoke(args=["newsletter", "send", "--subject", "S", "--text", str(text)])
    assert "queued 150 mail(s)" in again.output, again.output
    assert "queued 0 mail(s)" in runner.invoke(
        args=["newsletter", "send", "--subject", "S", "--text", str(text)]).output
    recipients = [m["To"] for m in deliver().messages]
    assert len(recipients) == len(set(recipients)) == 250


def test_newsletter_export_lists_subscribers_with_consent_time(app):
    make_subscribers(app, 2)
    output = app.test_cli_runner().invoke(args=["newsletter", "export", "--csv"]).output.splitlines()
    assert output[0] == "email,name,subscribed_at,source"
    assert len(output) == 3 and output[1].startswith("reader0@example.org,Reader 0,2026-11-24T12:00:00")
    assert "not-subscribed" not in "\n".join(output)


def test_subscription_links_name_the_account_only(app, subscriber):
    with app.app_context():
        user = db.session.scalar(select(User))
        assert subscriptions.user_of(subscriptions.unsubscribe_url(user).rsplit("/", 1)[1]).id == user.id


def test_unsubscribing_stops_newsletter_mail_still_waiting(app, tmp_path, deliver, inbox):
    make_subscribers(app, 2)
    text = tmp_path / "issue.txt"
    text.write_text("News.")
    app.test_cli_runner().invoke(args=["newsletter", "send", "--subject", "S", "--text", str(text)])
    with app.app_context():
        subscriptions.unsubscribe(db.session.scalar(select(User).where(User.email == "reader0@example.org")))
    assert [m["To"] for m in deliver().messages] == ["reader1@example.org"]

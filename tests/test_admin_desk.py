"""`/admin`: counts, newest accounts, most downloaded, searches that found nothing, failed mail,
account lookup; every change a POST with CSRF, written to the audit log."""
import csv
import io
import re

import pytest
from sqlalchemy import select

from portal.admin.models import AuditEntry
from portal.media.models import UnfoundSearch
from portal.extensions import db
from portal.mail.models import OutboxMail
from portal.media import searches
from portal.models import User

BOSS = "boss@example.org"
ADA = "ada@example.org"


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def failed_mail(app, recipient="x@example.org") -> int:
    with app.app_context():
        mail = OutboxMail(recipient=recipient, subject="Your code", text_body="T", message_id="<m@x>",
                          status="failed", attempts=3, last_error="550 no such user")
        db.session.add(mail)
        db.session.commit()
        return mail.id


def audit_log(app):
    with app.app_context():
        return [(e.actor, e.action, e.target) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_desk_counts_in_words(app, desk, verified, add_video):
    _, [file_id] = add_video()
    verified.client.get(f"/files/{file_id}")
    verified.post("/account/newsletter", {"subscribed": "yes"}, form_url="/account/")
    failed_mail(app)
    page = text(desk.client.get("/admin"))
    assert "2 accounts" in page and "2 verified" in page and "1 newsletter subscriber " in page
    assert "1 download this week" in page
    assert re.search(r"Mail queue: \d+ waiting, 0 retrying, 1 failed", page)


def test_the_desk_lists_the_newest_accounts(app, desk, verified):
    page = text(desk.client.get("/admin"))
    assert page.index(ADA) < page.index(BOSS)


def test_most_downloaded_by_week_month_and_all_time_with_a_csv(app, desk, verified, add_video, clock):
    old, [old_file] = add_video(title="=Old speech")
    _, [new_file] = add_video(title="New briefing")
    verified.client.get(f"/files/{old_file}")
    clock.advance(20 * 24 * 3600)
    verified.client.get(f"/files/{new_file}")
    week = list(csv.reader(io.StringIO(desk.client.get("/admin/most-downloaded.csv?period=week").text)))
    month = list(csv.reader(io.StringIO(desk.client.get("/admin/most-downloaded.csv?period=month").text)))
    every = desk.client.get("/admin/most-downloaded.csv?period=all")
    assert every.mimetype == "text/csv" and "attachment" in every.headers["Content-Disposition"]
    assert [row[1] for row in week[1:]] == ["New briefing"]
    assert sorted(row[1] for row in month[1:]) == ["'=Old speech", "New briefing"]
    assert desk.client.get("/admin/most-downloaded.csv?period=year").status_code == 404
    assert "New briefing" in text(desk.client.get("/admin"))


def test_retry_queues_a_failed_mail_again_and_is_audited(app, desk):
    mail_id = failed_mail(app)
    assert "550 no such user" in text(desk.client.get("/admin"))
    desk.post(f"/admin/mails/{mail_id}/retry", form_url="/admin")
    with app.app_context():
        mail = db.session.get(OutboxMail, mail_id)
        assert (mail.status, mail.attempts) == ("queued", 0)
    assert audit_log(app)[-1] == (BOSS, "retry-mail", f"mail {mail_id} to x@example.org")


def test_drop_removes_a_failed_mail_and_is_audited(app, desk):
    mail_id = failed_mail(app)
    page = desk.post(f"/admin/mails/{mail_id}/drop", form_url="/admin")
    with app.app_context():
        assert db.session.get(OutboxMail, mail_id) is None
    assert "drop-mail" in text(page)  # the audit log on the desk shows it


def test_changes_need_the_csrf_token(app, desk):
    mail_id = failed_mail(app)
    assert desk.client.post(f"/admin/mails/{mail_id}/drop").status_code == 400
    with app.app_context():
        assert db.session.get(OutboxMail, mail_id) is not None


def test_lookup_then_disable_enable_and_unlock_an_account(app, desk, verified, new_visitor):
    page = desk.get(f"/admin/account?email={ADA.upper()}")
    assert "Ada Lovelace" in text(page)
    assert "No account has the address nobody@example.org" in text(desk.get("/admin/account?email=nobody@example.org"))
    with app.app_context():
        ada_id = db.session.scalar(select(User.id).where(User.email == ADA))
    desk.post(f"/admin/accounts/{ada_id}/disable", form_url="/admin")
    assert verified.client.get("/account/").status_code == 302
    assert new_visitor().login(ADA).status_code == 422
    page = desk.post(f"/admin/accounts/{ada_id}/enable", form_url="/admin")
    assert "Disable" in text(page)
    for _ in range(10):
        new_visitor().login(ADA, password="Wrong-Password-1")
    desk.post(f"/admin/accounts/{ada_id}/unlock", form_url="/admin")
    assert new_visitor().login(ADA).status_code < 400
    assert [action for actor, action, _ in audit_log(app) if actor == BOSS] == ["disable", "enable", "unlock"]
    assert "unlock" in text(desk.client.get("/admin"))


def test_searches_that_found_nothing_are_recorded_normalised_and_shown(app, desk, add_video, new_visitor):
    add_video(title="Opening remarks")
    visitor = new_visitor()
    visitor.get("/?q=  Maritime   SECURITY ")
    visitor.get("/?q=maritime security")
    visitor.get("/?q=opening")  # found something
    visitor.get("/?q=zzzz&year=2020")  # a filter may explain it
    with app.app_context():
        assert [(s.query, s.count) for s in searches.report()] == [("maritime security", 2)]
    page = text(desk.client.get("/admin"))
    assert "maritime security 2" in page


@pytest.mark.parametrize("settings", [{"UNFOUND_SEARCHES_KEPT": 3}])
def test_the_record_of_searches_keeps_only_the_most_recent(app, clock, settings):
    with app.test_request_context():
        for word in ("one", "two", "three", "four", "two"):
            clock.advance(1)
            searches.record_if_nothing_found(word, "", None, 0)
        searches.record_if_nothing_found("x" * 500, "", None, 0)
        kept = {s.query: s.count for s in db.session.scalars(select(UnfoundSearch))}
    assert kept == {"four": 1, "two": 2, "x" * 200: 1}

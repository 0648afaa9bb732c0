"""`/admin`: counts, newest accounts, most downloaded, searches that found nothing, failed mail,
account lookup; every change a POST with CSRF, written to the audit log."""
import csv
import io
import re

import pytest
from sqlalchemy import select

from portal.admin.models import AuditEntry
from portal.extensions import db
from portal.mail.models import OutboxMail
from portal.media import searches
from portal.media.models import UnfoundSearch
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


# --- The admin's own way in and second factor ---------------------------------------------------


def test_the_header_links_the_desk_for_an_admin_who_passed_the_second_factor_only(app, desk, admin, verified,
                                                                                   new_visitor):
    assert '<a href="/admin">Admin desk</a>' in desk.client.get("/").text
    half_way_admin = new_visitor()
    half_way_admin.login(BOSS)
    for person in (verified, half_way_admin, new_visitor()):
        assert "Admin desk" not in person.client.get("/").text


def unused_recovery_codes(app) -> int:
    from portal.auth import second_factor

    with app.app_context():
        return second_factor.recovery_codes_left(db.session.scalar(select(User).where(User.email == BOSS)))


def use_recovery_codes(app, leaving: int) -> None:
    """Mark all but `leaving` of the admin's recovery codes as used."""
    from portal.auth.models import RecoveryCode
    from portal.clock import now

    with app.app_context():
        unused = db.session.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_(None))).all()
        for code in unused[leaving:]:
            code.used_at = now()
        db.session.commit()


def fresh_code(app, clock) -> str:
    """The code the admin's app shows in the next 30-second step (the log-in spent the current one)."""
    from helpers import app_code

    clock.advance(30)
    return app_code(app, BOSS, clock())


def recovery_codes_in(html: str) -> list[str]:
    return re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", html)


def test_the_desk_warns_when_three_or_fewer_recovery_codes_are_left_and_offers_new_ones(app, desk):
    use_recovery_codes(app, leaving=4)
    assert "recovery codes left" not in text(desk.client.get("/admin")).replace("4 recovery codes left", "")
    use_recovery_codes(app, leaving=3)
    page = text(desk.client.get("/admin"))
    assert "Only 3 recovery codes are left. Make new ones before you run out." in page
    assert "Make new recovery codes" in page


def test_new_recovery_codes_after_a_fresh_code_from_the_app_replace_the_old_ones_and_are_audited(
        app, desk, clock, new_visitor):
    use_recovery_codes(app, leaving=2)
    page = desk.post("/admin/recovery-codes", {"code": fresh_code(app, clock)})
    assert page.status_code == 200
    codes = recovery_codes_in(page.text)
    assert len(set(codes)) == 10 and unused_recovery_codes(app) == 10
    assert audit_log(app)[-1] == (BOSS, "new-recovery-codes", BOSS)
    admin_again = new_visitor()
    admin_again.login(BOSS)
    assert admin_again.post("/login/second-factor", {"code": codes[0]}).status_code < 400
    assert admin_again.client.get("/admin").status_code == 200


def test_new_recovery_codes_need_a_code_the_app_shows_now_not_a_recovery_code_nor_a_spent_one(app, desk, clock):
    from portal.auth import second_factor

    with app.app_context():
        recovery_code = second_factor.new_recovery_codes(db.session.scalar(select(User).where(User.email == BOSS)))[0]
        db.session.commit()
    spent = fresh_code(app, clock)
    assert desk.post("/admin/recovery-codes", {"code": spent}).status_code == 200
    for refused_code in (recovery_code, spent):
        refused = desk.post("/admin/recovery-codes", {"code": refused_code})
        assert refused.status_code == 422 and 'class="recovery-codes"' not in refused.text
    assert unused_recovery_codes(app) == 10
    assert [action for _, action, _ in audit_log(app)].count("new-recovery-codes") == 1


def test_new_recovery_codes_come_as_a_text_file_too(app, desk, clock):
    from urllib.parse import unquote

    page = desk.post("/admin/recovery-codes", {"code": fresh_code(app, clock)}).text
    link = re.search(r'href="data:text/plain;charset=utf-8,([^"]+)" download="recovery-codes.txt"', page)
    codes_in_file = recovery_codes_in(unquote(link.group(1)))
    assert len(set(codes_in_file)) == 10 and set(codes_in_file) == set(recovery_codes_in(page))
    assert unquote(link.group(1)).startswith(f"Recovery codes for {BOSS} at Media portal.")


def test_disable_asks_for_confirmation_first(app, desk, verified):
    with app.app_context():
        ada_id = db.session.scalar(select(User.id).where(User.email == ADA))
    account_page = desk.client.get(f"/admin/account?email={ADA}").text
    assert f'<a href="/admin/accounts/{ada_id}/disable"' in account_page
    confirm = desk.client.get(f"/admin/accounts/{ada_id}/disable")
    assert confirm.status_code == 200 and f"Disable {ADA}?" in text(confirm)
    with app.app_context():
        assert db.session.scalar(select(User.disabled_at).where(User.id == ada_id)) is None
    desk.post(f"/admin/accounts/{ada_id}/disable")
    with app.app_context():
        assert db.session.scalar(select(User.disabled_at).where(User.id == ada_id)) is not None

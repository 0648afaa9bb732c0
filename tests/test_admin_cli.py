"""`portal users …`: every command, on the accounts people make through the dialogs."""
import csv
import io

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from portal.admin.models import AuditEntry
from portal.auth import totp_keys
from portal.auth.models import RecoveryCode, SecondFactor
from portal.clock import now
from portal.extensions import db
from portal.media.models import Download
from portal.models import AddressCounter, CodeFlowRecord, CodeSend, LoginSession, OneTimeCode, User

from conftest import OTHER_PASSWORD, STRONG_PASSWORD, Visitor, text_of

ADA = "ada@example.org"


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def account(app, email=ADA) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def audit_actions(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(e.actor, e.action, e.target) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_create_admin_reads_the_password_from_stdin_and_makes_a_verified_admin(app):
    result = run(app, "create-admin", "Boss@Example.org", "--password-stdin", input=STRONG_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    boss = account(app, "boss@example.org")
    assert boss.is_admin and boss.is_verified
    assert audit_actions(app) == [("command line", "create-admin", "boss@example.org")]


def test_create_admin_prompts_twice_and_repeats_until_the_password_meets_the_policy(app):
    result = run(app, "create-admin", "boss@example.org",
                 input="short\nshort\n" + f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Use at least 12 characters." in result.output
    assert account(app, "boss@example.org").is_admin


def test_create_admin_refuses_a_weak_password_on_stdin_and_a_bad_address(app):
    weak = run(app, "create-admin", "boss@example.org", "--password-stdin", input="password\n")
    assert weak.exit_code != 0 and "Include an uppercase letter." in weak.output
    bad = run(app, "create-admin", "not an address", "--password-stdin", input=STRONG_PASSWORD + "\n")
    assert bad.exit_code != 0
    assert count(app, User) == 0 and count(app, AuditEntry) == 0


def test_create_admin_on_an_existing_account_makes_it_admin_and_keeps_its_password(app, registered):
    result = run(app, "create-admin", ADA)
    assert result.exit_code == 0 and "now an admin" in result.output
    assert account(app).is_admin
    assert registered.login().status_code != 422  # its own password still works (then the second factor)


def test_list_shows_every_account_and_only_the_unverified_ones_when_asked(app, registered):
    with app.app_context():
        db.session.add(User(email="old@example.org", full_name="Old", password_hash="x"))
        db.session.commit()
    everyone = run(app, "list").output
    assert ADA in everyone and "old@example.org" in everyone and "2 account(s)" in everyone
    unverified = run(app, "list", "--unverified").output
    assert ADA not in unverified and "old@example.org" in unverified


def test_list_as_csv_has_a_header_and_keeps_formulas_as_text(app):
    with app.app_context():
        db.session.add(User(email="eve@example.org", full_name="=HYPERLINK(1)", password_hash="x", verified_at=now()))
        db.session.commit()
    rows = list(csv.reader(io.StringIO(run(app, "list", "--csv").output)))
    assert rows[0] == ["email", "name", "role", "created_at", "verified_at", "disabled_at"]
    assert rows[1][:3] == ["eve@example.org", "'=HYPERLINK(1)", "member"]


def test_show_tells_the_state_of_one_account(app, registered):
    output = run(app, "show", ADA).output
    assert "Ada Lovelace" in output and "member" in output and "Second factor:" in output
    missing = run(app, "show", "nobody@example.org")
    assert missing.exit_code != 0 and "no account" in missing.output


def test_disable_ends_the_sessions_and_answers_a_log_in_like_a_wrong_password(app, verified, new_visitor):
    assert verified.client.get("/account/").status_code == 200
    assert run(app, "disable", ADA).exit_code == 0
    assert verified.client.get("/account/").status_code == 302  # sent to log in
    assert count(app, LoginSession) == 0
    refused = new_visitor().login().get_data(as_text=True)
    wrong = new_visitor().login(password=OTHER_PASSWORD).get_data(as_text=True)
    assert "The email or password is not right." in refused
    assert refused.count("field-errors") == wrong.count("field-errors")


def test_enable_lets_the_account_log_in_again(app, verified, new_visitor):
    run(app, "disable", ADA)
    assert run(app, "enable", ADA).exit_code == 0
    assert new_visitor().login().status_code == 200
    assert [action for _, action, _ in audit_actions(app)] == ["disable", "enable"]


def test_unlock_clears_failed_log_ins_and_code_send_caps(app, registered, new_visitor):
    for _ in range(10):
        new_visitor().login(password=OTHER_PASSWORD)
    assert "locked" in new_visitor().login().get_data(as_text=True)
    new_visitor().post("/reset", {"email": ADA})  # a code sent: one of the address's sends of the day
    assert count(app, CodeSend, CodeSend.address == ADA) > 0
    assert run(app, "unlock", ADA.upper()).exit_code == 0
    assert count(app, AddressCounter, AddressCounter.address == ADA) == 0
    assert count(app, CodeSend, CodeSend.address == ADA) == 0
    assert new_visitor().login().status_code == 200


def test_delete_removes_the_account_and_its_data_keeps_downloads_and_tells_the_owner(
        app, verified, add_video, deliver):
    _, [file_id] = add_video()
    assert verified.client.get(f"/files/{file_id}").status_code == 200
    verified.client.post("/logout", data={"csrf_token": verified.csrf_token("/account/")})
    with app.app_context():  # something still queued for the address, and a code of an unfinished flow
        from portal.mail import outbox
        outbox.enqueue(ADA, "password_changed", "Queued before the delete")
        db.session.commit()
    Visitor(app.test_client(), htmx=False).post("/reset", {"email": ADA})
    result = run(app, "delete", ADA, "--yes")
    assert result.exit_code == 0, result.output
    assert account(app) is None
    assert count(app, OneTimeCode, OneTimeCode.address == ADA) == 0
    assert count(app, CodeFlowRecord, CodeFlowRecord.address == ADA) == 0
    assert count(app, Download) == 1 and count(app, Download, Download.user_id.is_(None)) == 1
    mails = deliver().to(ADA)
    assert [m["Subject"] for m in mails] == ["Your account was deleted"]
    assert "deleted" in text_of(mails[0])
    assert audit_actions(app)[-1] == ("command line", "delete", ADA)


def test_delete_asks_first(app, registered):
    result = run(app, "delete", ADA, input="n\n")
    assert result.exit_code != 0 and account(app) is not None


def test_purge_unverified_removes_old_unverified_accounts_and_stale_flows_only(app, registered, clock, deliver):
    with app.app_context():
        db.session.add(User(email="old@example.org", full_name="Old", password_hash="x"))
        db.session.commit()
    Visitor(app.test_client(), htmx=False).register(email="late@example.org")
    clock.advance(8 * 24 * 3600)
    with app.app_context():
        db.session.add(User(email="new@example.org", full_name="New", password_hash="x"))
        db.session.commit()
    deliver().clear()
    result = run(app, "purge-unverified", "--older-than", "7d")
    assert result.exit_code == 0 and "1 unverified account(s) and 1 unfinished code flow(s)" in result.output
    assert account(app, "old@example.org") is None
    assert account(app, "new@example.org") is not None and account(app) is not None
    assert deliver().messages == []  # addresses never proved are not mailed


def test_purge_unverified_refuses_an_age_it_cannot_read(app):
    result = run(app, "purge-unverified", "--older-than", "a week")
    assert result.exit_code != 0 and "7d" in result.output


def test_reset_2fa_removes_the_key_and_recovery_codes_and_ends_sessions(app):
    run(app, "create-admin", "boss@example.org", "--password-stdin", input=STRONG_PASSWORD + "\n")
    boss = account(app, "boss@example.org")
    with app.app_context():
        db.session.add(SecondFactor(user_id=boss.id, encrypted_secret=totp_keys.encrypted("JBSWY3DPEHPK3PXP"),
                                    confirmed_at=now()))
        db.session.add(RecoveryCode(user_id=boss.id, code_hash="x"))
        db.session.add(LoginSession(user_id=boss.id))
        db.session.commit()
    assert run(app, "reset-2fa", "boss@example.org").exit_code == 0
    assert count(app, SecondFactor) == count(app, RecoveryCode) == count(app, LoginSession) == 0
    assert account(app, "boss@example.org").session_token != boss.session_token


def test_reencrypting_stops_before_any_change_when_a_totp_key_opens_with_no_configured_key(app):
    run(app, "create-admin", "boss@example.org", "--password-stdin", input=STRONG_PASSWORD + "\n")
    with app.app_context():
        db.session.add(SecondFactor(user_id=account(app, "boss@example.org").id,
                                    encrypted_secret=Fernet(Fernet.generate_key()).encrypt(b"JBSWY3DPEHPK3PXP").decode()))
        db.session.commit()
    result = run(app, "reencrypt-2fa-keys")
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert count(app, AuditEntry) == 1  # the create-admin alone


@pytest.mark.parametrize("command", ["show", "disable", "enable", "delete", "reset-2fa"])
def test_commands_on_an_unknown_address_say_so_and_change_nothing(app, command):
    result = run(app, command, "nobody@example.org", *(["--yes"] if command == "delete" else []))
    assert result.exit_code != 0 and "no account has the address" in result.output
    assert count(app, AuditEntry) == 0

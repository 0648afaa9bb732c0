"""Admins log in with a second factor (TOTP, set up on the first log-in); people who only download never do.
Their TOTP keys are kept encrypted with a key outside the database."""
import re
import sqlite3

import pyotp
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, text

from portal.auth import second_factor, totp_keys
from portal.auth.models import RecoveryCode
from portal.extensions import db
from portal.models import User

from conftest import BOSS, Visitor, folder_of, running_portal
from helpers import app_code, plain_totp_key_through_the_migration, totp_key_of


def code_now(app, clock, offset_steps=0) -> str:
    return app_code(app, BOSS, clock().timestamp() + 30 * offset_steps)


def recovery_codes_in(html: str) -> list[str]:
    return re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", html)


def set_up(visitor, app, clock) -> list[str]:
    """Log in as the admin for the first time and set up the app; the recovery codes shown."""
    visitor.login(BOSS)
    page = visitor.post("/login/second-factor/set-up", {"code": code_now(app, clock)})
    assert page.status_code == 200, page.get_data(as_text=True)
    return recovery_codes_in(page.get_data(as_text=True))


def log_out(visitor):
    visitor.client.post("/logout", data={"csrf_token": visitor.csrf_token("/account/")})


def test_the_password_alone_does_not_log_an_admin_in(app, admin, visitor):
    page = visitor.login(BOSS).get_data(as_text=True)
    assert "Set up your second factor" in page
    assert visitor.client.get("/account/").status_code == 302
    assert visitor.client.get("/admin").status_code == 404


def test_the_set_up_shows_a_qr_code_and_the_key_as_text(app, admin, visitor):
    page = visitor.login(BOSS).get_data(as_text=True)
    assert re.search(r'<img [^>]*src="data:image/svg\+xml', page)
    secret = totp_key_of(app, BOSS)
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page
    assert "<script" not in page.split("<body")[-1].split("</body>")[0].replace('<script src=', '')


def test_a_code_from_the_app_confirms_the_set_up_and_logs_in_with_ten_recovery_codes(app, admin, visitor, clock):
    codes = set_up(visitor, app, clock)
    assert len(set(codes)) == 10
    assert visitor.client.get("/admin").status_code == 200
    with app.app_context():
        stored = [row.code_hash for row in db.session.scalars(select(RecoveryCode))]
    assert len(stored) == 10 and not set(code.replace("-", "") for code in codes) & set(stored)


def test_a_wrong_set_up_code_says_so_and_logs_nobody_in(app, admin, visitor, clock):
    visitor.login(BOSS)
    wrong = str((int(code_now(app, clock)) + 1) % 1_000_000).zfill(6)
    page = visitor.post("/login/second-factor/set-up", {"code": wrong})
    assert page.status_code == 422 and "That code is not right" in page.get_data(as_text=True)
    assert visitor.client.get("/admin").status_code == 404


def test_later_log_ins_ask_for_the_code_and_accept_it_once(app, admin, visitor, clock):
    set_up(visitor, app, clock)
    log_out(visitor)
    clock.advance(30)
    assert "Enter the code from your app" in visitor.login(BOSS).get_data(as_text=True)
    code = code_now(app, clock)
    assert visitor.post("/login/second-factor", {"code": code}).status_code < 400
    assert visitor.client.get("/admin").status_code == 200
    log_out(visitor)
    visitor.login(BOSS)
    replay = visitor.post("/login/second-factor", {"code": code})
    assert replay.status_code == 422
    assert visitor.client.get("/admin").status_code == 404


def test_a_recovery_code_works_once(app, admin, visitor, clock):
    codes = set_up(visitor, app, clock)
    log_out(visitor)
    visitor.login(BOSS)
    assert visitor.post("/login/second-factor", {"code": codes[3].upper()}).status_code < 400
    assert visitor.client.get("/admin").status_code == 200
    log_out(visitor)
    visitor.login(BOSS)
    assert visitor.post("/login/second-factor", {"code": codes[3]}).status_code == 422


def test_wrong_codes_lock_the_second_factor_like_passwords(app, admin, visitor, clock):
    set_up(visitor, app, clock)
    log_out(visitor)
    clock.advance(30)
    visitor.login(BOSS)
    for _ in range(app.config["SECOND_FACTOR_MAX_FAILURES"]):
        assert visitor.post("/login/second-factor", {"code": "000000"}).status_code == 422
    locked = visitor.post("/login/second-factor", {"code": code_now(app, clock)})
    assert locked.status_code == 422 and "locked" in locked.get_data(as_text=True)
    assert visitor.client.get("/admin").status_code == 404


def test_the_step_after_the_password_expires(app, admin, visitor, clock):
    visitor.login(BOSS)
    token = visitor.csrf_token("/login/second-factor/set-up")
    clock.advance(app.config["SECOND_FACTOR_STEP_LIFETIME"] + 1)
    page = visitor.client.post("/login/second-factor/set-up", data={"csrf_token": token, "code": code_now(app, clock)},
                               headers=visitor.headers())
    assert "Log in" in visitor._follow(page).get_data(as_text=True)
    assert visitor.client.get("/admin").status_code == 404


def test_a_browser_that_did_not_enter_the_password_gets_no_second_factor_step(app, admin, new_visitor):
    stranger = new_visitor()
    assert "Log in" in stranger.get("/login/second-factor/set-up").get_data(as_text=True)
    assert "Log in" in stranger.get("/login/second-factor").get_data(as_text=True)


def test_after_reset_2fa_the_next_log_in_sets_up_a_new_key(app, admin, visitor, clock):
    set_up(visitor, app, clock)
    old = totp_key_of(app, BOSS)
    assert app.test_cli_runner().invoke(args=["users", "reset-2fa", BOSS]).exit_code == 0
    assert visitor.client.get("/admin").status_code == 404  # its session ended
    assert "Set up your second factor" in visitor.login(BOSS).get_data(as_text=True)
    assert totp_key_of(app, BOSS) != old


def test_people_who_only_download_never_meet_a_second_factor(app, registered):
    page = registered.login()
    assert page.status_code < 400 and "second factor" not in page.get_data(as_text=True).lower()
    assert registered.client.get("/account/").status_code == 200


def test_every_admin_page_is_404_for_visitors_members_and_admins_without_the_second_factor(
        app, admin, verified, new_visitor, clock):
    half_way_admin = new_visitor()
    half_way_admin.login(BOSS)
    desk_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    assert desk_rules
    for person in (new_visitor(), verified, half_way_admin):
        for rule in desk_rules:
            path = re.sub(r"<[^>]+>", "1", rule.rule)
            method = "POST" if "POST" in rule.methods else "GET"
            assert person.client.open(path, method=method).status_code in (404, 400), (rule.rule, method)
            if method == "POST":  # with a valid CSRF token too
                token = person.csrf_token("/login")
                assert person.client.post(path, data={"csrf_token": token}).status_code == 404, rule.rule


def key_on_the_set_up_page(visitor) -> str:
    """Log in as the admin for the first time; the key the set-up shows as text."""
    page = visitor.login(BOSS).get_data(as_text=True)
    return re.search(r'class="secret-key"><code>([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def signs_in_with_a_code(app, key, clock) -> bool:
    """Whether the admin gets to the desk with the password and the app's code for `key` now."""
    admin = Visitor(app.test_client(), htmx=False)
    admin.login(BOSS)
    clock.advance(30)  # a code is good once: a new 30-second step
    admin.post("/login/second-factor", {"code": pyotp.TOTP(key).at(clock())})
    return admin.client.get("/admin").status_code == 200


def stored_second_factor(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(text("SELECT * FROM second_factors")).mappings().one())


def test_the_stored_totp_key_is_encrypted_with_the_key_outside_the_database(app, admin, new_visitor, clock):
    visitor = new_visitor()
    key = key_on_the_set_up_page(visitor)
    visitor.post("/login/second-factor/set-up", {"code": pyotp.TOTP(key).at(clock())})
    stored = stored_second_factor(app)
    assert key not in " ".join(str(value) for value in stored.values()).upper()
    encrypted = stored["encrypted_secret"].encode()
    assert Fernet(app.config["TOTP_ENCRYPTION_KEY"]).decrypt(encrypted).decode() == key
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(encrypted)
    assert signs_in_with_a_code(app, key, clock)


def test_a_copy_of_the_database_beside_another_key_file_gives_no_second_factor_and_no_error(
        app, admin, new_visitor, inbox, clock, tmp_path):
    visitor = new_visitor()
    key = key_on_the_set_up_page(visitor)
    visitor.post("/login/second-factor/set-up", {"code": pyotp.TOTP(key).at(clock())})
    copy = tmp_path / "copy"
    copy.mkdir()
    with (sqlite3.connect(folder_of(app) / "portal.sqlite3") as source,
          sqlite3.connect(copy / "portal.sqlite3") as target):
        source.backup(target)
    with running_portal(copy, inbox, clock) as elsewhere:
        assert elsewhere.config["TOTP_ENCRYPTION_KEY"] != app.config["TOTP_ENCRYPTION_KEY"]
        with elsewhere.app_context():
            user = db.session.scalar(select(User).where(User.email == BOSS))
            assert totp_keys.key_of(second_factor.factor_of(user)) is None
        assert not signs_in_with_a_code(elsewhere, key, clock)
    assert signs_in_with_a_code(app, key, clock)


def test_a_new_key_with_the_old_one_as_fallback_keeps_admins_in_and_the_command_moves_every_key_to_it(
        app, admin, new_visitor, inbox, clock, tmp_path):
    visitor = new_visitor()
    key = key_on_the_set_up_page(visitor)
    visitor.post("/login/second-factor/set-up", {"code": pyotp.TOTP(key).at(clock())})
    old, new = app.config["TOTP_ENCRYPTION_KEY"], Fernet.generate_key().decode()
    with running_portal(folder_of(app), inbox, clock,
                        TOTP_ENCRYPTION_KEY=new, TOTP_ENCRYPTION_KEY_FALLBACKS=[old]) as rotated:
        assert signs_in_with_a_code(rotated, key, clock)
        result = rotated.test_cli_runner().invoke(args=["users", "reencrypt-2fa-keys"])
        assert result.exit_code == 0 and "1 admin's TOTP key" in result.output
    with running_portal(folder_of(app), inbox, clock, TOTP_ENCRYPTION_KEY=new) as moved:
        assert signs_in_with_a_code(moved, key, clock)
    assert not signs_in_with_a_code(app, key, clock)  # the old key alone no longer opens it


def test_the_migration_encrypts_a_plain_stored_key_and_its_downgrade_decrypts_it(app, admin):
    plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    encrypted, decrypted = plain_totp_key_through_the_migration(app, BOSS, plain)
    assert plain not in encrypted
    assert Fernet(app.config["TOTP_ENCRYPTION_KEY"]).decrypt(encrypted.encode()).decode() == plain
    assert decrypted == plain

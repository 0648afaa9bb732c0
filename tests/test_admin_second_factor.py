"""Admins log in with a second factor (TOTP, set up on the first log-in); people who only download never do."""
import re

import pyotp
from conftest import BOSS
from sqlalchemy import select

from portal.admin.models import RecoveryCode, SecondFactor
from portal.extensions import db
from portal.models import User


def secret_of(app, email=BOSS) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return db.session.get(SecondFactor, user.id).secret


def code_now(app, clock, offset_steps=0) -> str:
    return pyotp.TOTP(secret_of(app)).at(clock().timestamp() + 30 * offset_steps)


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
    secret = secret_of(app)
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
    old = secret_of(app)
    assert app.test_cli_runner().invoke(args=["users", "reset-2fa", BOSS]).exit_code == 0
    assert visitor.client.get("/admin").status_code == 404  # its session ended
    assert "Set up your second factor" in visitor.login(BOSS).get_data(as_text=True)
    assert secret_of(app) != old


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

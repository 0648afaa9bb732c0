"""Attacks from the security review: each must fail, each with a test."""
import logging
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CodeSend, User

from conftest import STRONG_PASSWORD, Visitor, code_in, without_tokens
from helpers import parallel_posts

ROOT = Path(__file__).resolve().parent.parent


def test_a_stranger_registering_the_same_address_cannot_plant_a_password(app, new_visitor, deliver, clock):
    victim, attacker = new_visitor(), new_visitor()
    victim.register()
    clock.advance(61)
    attacker.register(password="Attacker-Pass-66")
    latest_code = code_in(deliver().to("ada@example.org")[-1])  # the stranger's registration sent it
    assert "successfully created" in victim.verify(latest_code).text

    assert attacker.login(password="Attacker-Pass-66").status_code == 422
    fresh = new_visitor()
    fresh.login(password=STRONG_PASSWORD)
    assert "Log out" in fresh.client.get("/_header").text


def test_the_code_mailed_for_a_stranger_s_registration_unlocks_nothing_in_the_stranger_s_browser(
        app, new_visitor, deliver, clock):
    victim, attacker = new_visitor(), new_visitor()
    victim.register()
    clock.advance(61)
    attacker.register(password="Attacker-Pass-66")
    code = code_in(deliver().to("ada@example.org")[-1])
    assert "successfully created" in victim.verify(code).text
    assert "successfully created" not in attacker.verify(code).text
    assert "Log out" not in attacker.client.get("/_header").text


def test_an_expired_reset_answers_alike_for_known_and_unknown_addresses(app, registered, new_visitor, clock):
    known, unknown = new_visitor(), new_visitor()
    clock.advance(61)
    known.post("/reset", {"email": "ada@example.org"})
    unknown.post("/reset", {"email": "nobody@example.org"})
    clock.advance(31 * 60)
    answers = [visitor.post("/reset/code", {"code": "123456"}) for visitor in (known, unknown)]
    assert answers[0].status_code == answers[1].status_code
    assert without_address(answers[0].text, "ada@example.org") == \
        without_address(answers[1].text, "nobody@example.org")
    assert "expired" in answers[0].text


def test_replaying_an_old_cookie_does_not_tell_a_known_address(app, registered, new_visitor, clock):
    clock.advance(61)
    texts = []
    for email in ("ada@example.org", "nobody@example.org"):
        visitor = new_visitor()
        visitor.post("/reset", {"email": email})
        saved = visitor.client.get_cookie("session").value
        for _ in range(5):
            visitor.post("/reset/code", {"code": "000000"})
        visitor.client.set_cookie("session", saved)
        texts.append(without_address(visitor.post("/reset/code", {"code": "000000"}).text, email))
    assert texts[0] == texts[1]
    assert "no longer works" in texts[0]


def without_address(html: str, address: str) -> str:
    """The page as it would be for any address (the code step names it)."""
    return without_tokens(html).replace(address, "someone@example.org")


def test_parallel_wrong_logins_all_count(app, registered):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per hour"
    parallel_posts(app, 12, "/login", {"email": "ada@example.org", "password": "Wrong-Horse-42"})
    assert "Too many failed log-ins" in registered.login().text


def test_parallel_reset_requests_cannot_exceed_the_cooldown(app, registered, deliver, clock):
    clock.advance(61)
    parallel_posts(app, 10, "/reset", {"email": "ada@example.org"})
    assert len(deliver().to("ada@example.org")) <= 1
    with app.app_context():  # the registration's send, and at most one reset
        assert db.session.scalar(select(func.count(CodeSend.id))) <= 2


def test_a_cookie_copied_before_logout_is_dead_after_it(app, verified):
    copied = verified.client.get_cookie("session").value
    assert verified.client.get("/account/").status_code == 200
    verified.post("/logout", form_url="/account/")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/account/").status_code == 302


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(app):
    client = app.test_client()
    client.get("/register")
    # The one exception: a mail client's RFC 8058 one-click POST carries no
    # CSRF token; the signed token in its URL is the authority (tested apart).
    one_click = "/newsletter/unsubscribe/<token>"
    posts = [re.sub(r"<[^>]+>", "1", rule.rule)  # a path parameter's value: any will do
             for rule in app.url_map.iter_rules() if "POST" in rule.methods and rule.rule != one_click]
    assert "/register" in posts and "/logout" in posts
    for rule in posts:
        path = rule.replace("<id:login_id>", "1")
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(path, data=data, headers={"HX-Request": "true"})
            assert response.status_code == 400, path


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_the_htmx_path_never_leaves_the_site(app, verified, target):
    verified.post("/logout", form_url="/account/")
    visitor = Visitor(verified.client, htmx=True, page="/somewhere")
    visitor.client.get("/login", query_string={"next": target})
    token = visitor.csrf_token("/login")
    response = visitor.client.post("/login", headers=visitor.headers(), data={
        "csrf_token": token, "email": "ada@example.org", "password": STRONG_PASSWORD})
    assert response.headers["HX-Redirect"] == "/"


def test_a_non_ascii_next_does_not_break_logging_in(app, verified):
    verified.post("/logout", form_url="/account/")
    visitor = Visitor(verified.client, htmx=True, page="/")
    visitor.client.get("/login", query_string={"next": "/videos/日本"})
    token = visitor.csrf_token("/login")
    response = visitor.client.post("/login", headers=visitor.headers(), data={
        "csrf_token": token, "email": "ada@example.org", "password": STRONG_PASSWORD})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/videos/%E6%97%A5%E6%9C%AC"


def test_names_are_escaped_on_the_page(app, new_visitor, deliver):
    person = new_visitor()
    person.register(name="<script>alert(1)</script>")
    person.verify(code_in(deliver().to("ada@example.org")[-1]))
    html = person.client.get("/account/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_password_fields_say_what_browsers_should_fill(app):
    client = app.test_client()
    assert 'autocomplete="current-password"' in client.get("/login").text
    assert client.get("/register").text.count('autocomplete="new-password"') == 2


@pytest.mark.parametrize("query", ["year=10000", "year=-1", "year=0", "page=-5", "page=abc", "year=abc"])
def test_odd_catalogue_parameters_never_break_the_page(app, query):
    assert app.test_client().get(f"/?{query}").status_code == 200


@pytest.mark.parametrize("path", ["/_header", "/account/", "/login"])
def test_a_malformed_current_url_header_is_harmless(app, path):
    response = app.test_client().get(path, headers={"HX-Request": "true", "HX-Current-URL": "http://["})
    assert response.status_code < 500


def test_a_missing_media_file_is_a_404_not_a_500(app, verified, add_video):
    _, [file_id] = add_video()
    for path in (Path(app.instance_path) / "media").rglob("*.mp4"):
        path.unlink()
    assert verified.client.get(f"/files/{file_id}").status_code == 404


def test_an_error_on_a_download_link_does_not_log_the_link(own_app, caplog):
    app = own_app
    @app.get("/d/<token>/boom")
    def boom(token):
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    caplog.set_level(logging.ERROR)
    app.test_client().get("/d/SECRET-LINK-TOKEN/boom")
    assert "Exception on" in caplog.text
    assert "SECRET-LINK-TOKEN" not in caplog.text


def test_failed_statements_do_not_log_their_parameters(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    with app.app_context():
        assert db.engine.hide_parameters


def test_smtp_debug_output_stays_off_in_debug_mode(tmp_path, inbox):
    from portal import create_app

    from conftest import test_settings

    app = create_app(test_settings(tmp_path, inbox.port, DEBUG=True), instance_path=str(tmp_path / "i"))
    assert not app.extensions["mail"].debug


def test_the_secret_key_file_is_never_committed():
    for name in ("secret_key", "totp_encryption_key"):
        assert subprocess.run(["git", "check-ignore", "-q", f"instance/{name}"], cwd=ROOT).returncode == 0
    tracked = subprocess.run(["git", "ls-files", "instance"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert tracked == ["instance/.gitkeep"]


def test_files_need_a_verified_account(app, add_video, new_visitor):
    from portal.models import LoginSession

    _, [file_id] = add_video()
    person = new_visitor()
    with app.app_context():  # an account from before addresses were proved first
        user = User(email="ada@example.org", full_name="Ada", password_hash="x")
        db.session.add(user)
        db.session.flush()
        login = LoginSession(user_id=user.id)
        db.session.add(login)
        db.session.commit()
        token, login_token = user.session_token, login.token
    with person.client.session_transaction() as session:
        session["_user_id"], session["login"], session["_fresh"] = token, login_token, True
    response = person.client.get(f"/files/{file_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_account_lockout_allows_at_most_100_failures_an_hour(app):
    config = app.config
    per_hour = config["LOGIN_MAX_FAILURES"] * -(-3600 // max(config["LOGIN_LOCKOUT"], 1))
    assert per_hour <= 100


def test_the_remember_cookie_follows_the_secure_setting(tmp_path, inbox):
    from portal import create_app

    from conftest import test_settings

    app = create_app(test_settings(tmp_path, inbox.port, SESSION_COOKIE_SECURE=True), instance_path=str(tmp_path / "i"))
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True


def test_control_characters_are_refused_in_passwords(app):
    from portal.auth import passwords

    assert passwords.unmet_rules("Correct-Horse-42\x00") == ["Do not use control characters."]
    assert passwords.unmet_rules("Correct\u202eHorse-42") == ["Do not use control characters."]

"""Log in and out: return to the page, throttles, sessions, rehashing."""
import re
import secrets

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from portal.auth import passwords
from portal.extensions import db
from portal.models import User

from conftest import STRONG_PASSWORD, Visitor, code_in, create_account, without_tokens

WRONG = "The email or password is not right."


def account(app):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == "ada@example.org"))


def test_logging_in_shows_the_new_state(registered):
    registered.login()
    header = registered.client.get("/_header").text
    assert "Log out" in header and "My account" in header


def test_after_logging_in_the_person_is_back_on_their_page(app, registered):
    registered.client.get("/login?next=/videos/7%3Ft%3D1")
    registered.page = "/videos/7?t=1"
    token = registered.csrf_token("/login")
    response = registered.client.post(
        "/login",
        data={"csrf_token": token, "email": "ada@example.org", "password": STRONG_PASSWORD},
        headers=registered.headers(),
    )
    if registered.htmx:
        assert response.status_code == 204
        assert "auth-changed" in response.headers["HX-Trigger"]
        assert "close-dialog" in response.headers["HX-Trigger"]
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == "/videos/7?t=1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/ok\r\nLocation: https://evil.example",
        "/\tevil",
        "evil.example",
        pytest.param("/" + "a" * 2000, id="longer-than-2000-characters"),
    ],
)
def test_next_is_only_ever_a_local_path(app, target):
    visitor = Visitor(app.test_client(), htmx=False)
    create_account(app)
    visitor.client.get("/login", query_string={"next": target})
    token = visitor.csrf_token("/login")
    response = visitor.client.post(
        "/login", data={"csrf_token": token, "email": "ada@example.org", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_next_too_long_for_a_cookie_is_ignored_and_the_log_in_still_works(app):
    """Browsers drop a cookie over 4 KiB; with such a `next` in the session every log-in said "form expired"."""
    create_account(app)
    visitor = Visitor(app.test_client(), htmx=False)
    token = visitor.csrf_token("/login?next=/" + secrets.token_urlsafe(4500))  # random: the cookie is compressed
    assert len(visitor.client.get_cookie("session").value) < 4000
    response = visitor.client.post(
        "/login", data={"csrf_token": token, "email": "ada@example.org", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_next_of_two_thousand_characters_is_kept(app):
    create_account(app)
    visitor = Visitor(app.test_client(), htmx=False)
    target = "/" + "a" * 1999
    token = visitor.csrf_token(f"/login?next={target}")
    response = visitor.client.post(
        "/login", data={"csrf_token": token, "email": "ada@example.org", "password": STRONG_PASSWORD}
    )
    assert response.headers["Location"] == target


def test_a_wrong_password_says_so_on_the_form(registered):
    response = registered.login(password="Wrong-Horse-42")
    assert response.status_code == 422
    assert WRONG in response.text
    assert "Wrong-Horse-42" not in response.text


def test_an_unknown_email_gets_the_same_answer(registered):
    wrong_password = registered.login(password="Wrong-Horse-42")
    unknown = registered.login(email="nobody@example.org", password="Wrong-Horse-42")
    assert unknown.status_code == wrong_password.status_code
    assert without_tokens(unknown.text.replace("nobody@example.org", "ada@example.org")) == without_tokens(
        wrong_password.text
    )


def test_an_unknown_email_still_costs_an_argon2_verification(registered, monkeypatch):
    calls = []
    real = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, h, p: calls.append(h) or real(self, h, p))
    registered.login(email="nobody@example.org", password="Wrong-Horse-42")
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_ten_failures_lock_the_account_for_fifteen_minutes(app, registered, clock):
    for _ in range(10):
        assert registered.login(password="Wrong-Horse-42").status_code == 422
    refused = registered.login()
    assert refused.status_code == 422
    assert "Too many failed log-ins for this address" in refused.text
    assert "You can log in again in 15 minutes" in refused.text
    assert "Log out" not in registered.client.get("/_header").text

    clock.advance(15 * 60 + 1)
    registered.login()
    assert "Log out" in registered.client.get("/_header").text


def test_failures_spread_beyond_the_window_do_not_lock(app, registered, clock):
    for _ in range(9):
        registered.login(password="Wrong-Horse-42")
    clock.advance(15 * 60 + 1)
    registered.login(password="Wrong-Horse-42")
    registered.login()
    assert "Log out" in registered.client.get("/_header").text


def test_the_lockout_is_kept_in_the_database(app, registered, new_visitor):
    for _ in range(10):
        registered.login(password="Wrong-Horse-42")
    # Another client (another worker, another host) sees the same lock.
    elsewhere = new_visitor()
    elsewhere.login()
    assert "Log out" not in elsewhere.client.get("/_header").text


def test_the_per_ip_limit_refuses_with_a_clear_message(app, registered):
    app.config["LOGIN_RATE_LIMIT"] = "3 per hour"
    for _ in range(3):
        registered.login(email="nobody@example.org", password="Wrong-Horse-42")
    response = registered.login(email="nobody@example.org", password="Wrong-Horse-42")
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    wait = int(response.headers["Retry-After"])
    assert 3500 < wait <= 3600
    # The real wait, from the limit that was hit (about an hour), in the words the header's seconds give.
    assert f"Please try again in {-(-wait // 60)} minutes." in response.text


def test_the_default_per_ip_limit_leaves_room_for_a_newsroom(app):
    amount, _, period = app.config["LOGIN_RATE_LIMIT"].split()
    assert period == "hour" and int(amount) >= 100


def test_an_unverified_registration_is_not_logged_in_and_is_pointed_back_to_its_code(app, visitor, deliver, clock):
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[-1])
    clock.advance(61)
    response = visitor.login()

    assert WRONG in response.text
    assert "Log out" not in visitor.client.get("/_header").text
    assert 'href="/verify"' in response.text  # "A code is waiting for ada@example.org: enter the code"
    assert "successfully created" in visitor.verify(code).text


def test_login_starts_a_new_session(app, registered):
    with registered.client.session_transaction() as session:
        session["planted"] = "by an attacker"
    registered.login()
    with registered.client.session_transaction() as session:
        assert "planted" not in session


def test_login_rehashes_a_password_whose_parameters_changed(app, registered):
    with app.app_context():
        user = db.session.scalar(select(User))
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(STRONG_PASSWORD)
        db.session.commit()
    registered.login()
    new_hash = account(app).password_hash
    with app.app_context():
        assert not passwords.needs_rehash(new_hash)
        assert passwords.verify_password(new_hash, STRONG_PASSWORD)


def test_logging_out_is_a_post_that_ends_the_session(registered):
    registered.login()
    assert registered.client.get("/logout").status_code == 405
    registered.post("/logout", form_url="/account/")
    assert "Log in" in registered.client.get("/_header").text
    assert registered.client.get("/account/").status_code == 302


def test_logging_out_needs_the_csrf_token(registered):
    registered.login()
    response = registered.client.post("/logout", headers=registered.headers())
    assert response.status_code == 400
    assert "Log out" in registered.client.get("/_header").text


def test_my_account_asks_a_visitor_to_log_in_and_comes_back(app):
    client = app.test_client()
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account/"


def test_a_next_never_nests_in_the_header_links(app):
    """A crawler following the header's links must not build ever longer addresses."""
    client = app.test_client()
    page = client.get("/register?next=/login%3Fnext%3D/videos&q=x").text
    links = re.findall(r'href="(/(?:login|register)[^"]*)"', page)
    assert links and all(link.count("next") <= 1 for link in links)
    assert 'href="/login?next=/register?q%3Dx"' in page
    htmx = client.get("/_header", headers={"HX-Request": "true",
                                            "HX-Current-URL": "http://localhost/login?next=/register?next=/"}).text
    assert 'href="/login?next=/login"' in htmx

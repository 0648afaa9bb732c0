"""Limits that hold whatever the concurrency: a try is reserved before it is checked."""
from sqlalchemy import select

from portal.extensions import db
from portal.models import User

from conftest import STRONG_PASSWORD, code_in
from helpers import count_verifications_of, parallel_posts

WRONG = {"email": "ada@example.org", "password": "Wrong-Horse-42"}


def password_hash(app):
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.email == "ada@example.org"))


def test_sixty_parallel_wrong_logins_check_the_password_at_most_ten_times(app, registered, monkeypatch):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per hour"
    checks = count_verifications_of(monkeypatch, password_hash(app))
    parallel_posts(app, 60, "/login", WRONG)

    assert 1 <= len(checks) <= 10
    assert "Too many failed log-ins" in registered.login().text
    assert "Log out" not in registered.client.get("/_header").text


def test_the_right_password_among_parallel_wrong_ones_does_not_get_past_the_limit(app, registered, monkeypatch):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per hour"
    checks = count_verifications_of(monkeypatch, password_hash(app))
    for _ in range(10):
        registered.login(password="Wrong-Horse-42")
    registered.login()
    assert len(checks) == 10
    assert "Log out" not in registered.client.get("/_header").text


def test_wrong_current_passwords_on_change_password_count_as_failed_logins(app, verified, monkeypatch):
    checks = count_verifications_of(monkeypatch, password_hash(app))
    for _ in range(12):
        verified.post("/account/password", {"current_password": "Wrong-Horse-42", "password": "Fresh-Pass-2026!",
                                            "confirm": "Fresh-Pass-2026!"})
    assert len(checks) == 10
    response = verified.post("/account/password", {"current_password": STRONG_PASSWORD,
                                                    "password": "Fresh-Pass-2026!", "confirm": "Fresh-Pass-2026!"})
    assert "Too many failed log-ins" in response.text
    assert len(checks) == 10


def test_wrong_codes_are_capped_per_address_per_day(app, visitor, deliver, clock):
    app.config["FORM_RATE_LIMIT"] = "1000 per hour"
    visitor.register()
    for _ in range(app.config["CODE_WRONG_TRIES_PER_ADDRESS_PER_DAY"] // 5):
        for _ in range(5):
            visitor.verify("000000")
        clock.advance(61)
        visitor.post("/verify/resend", form_url="/verify")
    right = code_in(deliver().to("ada@example.org")[-1])
    response = visitor.verify(right)

    assert "Too many wrong codes were entered for this address" in response.text
    assert "try again in" in response.text
    clock.advance(24 * 3600)
    visitor.post("/verify/resend", form_url="/verify")
    assert "successfully created" in visitor.verify(code_in(deliver().to("ada@example.org")[-1])).text


def test_sends_are_capped_per_address_per_day(app, visitor, deliver, clock):
    visitor.register()
    cap = app.config["CODE_SENDS_PER_ADDRESS_PER_DAY"]
    for _ in range(cap + 3):
        clock.advance(13 * 60)  # under the hourly cap, over the daily one
        visitor.post("/verify/resend", form_url="/verify")
    assert len(deliver().to("ada@example.org")) == cap


def test_the_account_form_budget_is_one_for_all_forms(app, new_visitor):
    app.config["FORM_RATE_LIMIT"] = "2 per hour"
    person = new_visitor()
    statuses = [person.post(path, data).status_code for path, data in [
        ("/register", {"email": "x"}), ("/reset", {"email": "x"}), ("/reset", {"email": "y"})]]
    assert statuses == [422, 422, 429]

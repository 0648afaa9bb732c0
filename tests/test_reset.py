"""Reset a forgotten password with a code sent by mail."""
from sqlalchemy import select

from portal.auth import codes
from portal.auth.flows import VERIFY_EMAIL
from portal.extensions import db
from portal.models import User

from conftest import OTHER_PASSWORD, STRONG_PASSWORD, code_in, text_of


def ask_for_reset(visitor, email="ada@example.org"):
    visitor.get("/reset")
    return visitor.post("/reset", {"email": email})


def reset_to(visitor, code, password=OTHER_PASSWORD):
    visitor.post("/reset/code", {"code": code})
    return visitor.post("/reset/password", {"password": password, "confirm": password})


def test_the_whole_reset(app, registered, deliver, clock):
    clock.advance(61)
    response = ask_for_reset(registered)
    assert "Check your inbox" in response.text
    assert "Reset password" in response.text

    code = code_in(deliver().to("ada@example.org")[0])
    response = registered.post("/reset/code", {"code": code})
    assert "Create a new password" in response.text
    assert "New password" in response.text and "Confirm new password" in response.text

    response = registered.post("/reset/password", {"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})
    assert "Your password has been updated" in response.text
    assert "Return and log in" in response.text

    assert registered.login(password=STRONG_PASSWORD).status_code == 422
    registered.login(password=OTHER_PASSWORD)
    assert "Log out" in registered.client.get("/_header").text


def test_return_and_log_in_leads_back_to_the_starting_page(app, registered, deliver, clock):
    clock.advance(61)
    registered.client.get("/reset?next=/videos/3")
    registered.post("/reset", {"email": "ada@example.org"})
    response = reset_to(registered, code_in(deliver().to("ada@example.org")[0]))
    assert 'href="/login?next=/videos/3"' in response.text


def test_an_unknown_address_looks_the_same_and_gets_no_mail(app, registered, deliver, clock):
    clock.advance(61)
    known = ask_for_reset(registered)
    unknown = ask_for_reset(registered, "nobody@example.org")
    assert unknown.status_code == known.status_code == 200
    assert "Check your inbox" in unknown.text
    assert deliver().to("nobody@example.org") == []
    wrong = [registered.post("/reset/code", {"code": "000000"}) for _ in range(6)]
    assert [r.status_code for r in wrong] == [422] * 6
    assert "Too many wrong tries" in wrong[4].text and "no longer works" in wrong[5].text


def test_the_reset_mails_the_owner_that_the_password_changed(app, registered, deliver, clock):
    clock.advance(61)
    ask_for_reset(registered)
    reset_to(registered, code_in(deliver().to("ada@example.org")[0]))
    notice = deliver().to("ada@example.org")[-1]
    assert notice["Subject"] == "Your password was changed"
    assert OTHER_PASSWORD not in text_of(notice)


def test_the_reset_ends_every_other_session(app, registered, new_visitor, deliver, clock):
    elsewhere = new_visitor()
    elsewhere.login()
    assert "Log out" in elsewhere.client.get("/_header").text

    clock.advance(61)
    ask_for_reset(registered)
    reset_to(registered, code_in(deliver().to("ada@example.org")[0]))
    assert "Log out" not in elsewhere.client.get("/_header").text


def test_the_reset_kills_outstanding_codes(app, registered, deliver, clock):
    clock.advance(61)
    ask_for_reset(registered)
    code = code_in(deliver().to("ada@example.org")[0])
    registered.post("/reset/code", {"code": code})
    with app.test_request_context():
        user = db.session.scalar(select(User))
        other_code = codes.issue(user.email, VERIFY_EMAIL.purpose, user=user)
        db.session.commit()
    registered.post("/reset/password", {"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})
    with app.test_request_context():
        outcome, _ = codes.check("ada@example.org", VERIFY_EMAIL.purpose, other_code)
        assert outcome is codes.Outcome.KILLED


def test_the_new_password_follows_the_policy(app, registered, deliver, clock):
    clock.advance(61)
    ask_for_reset(registered)
    response = reset_to(registered, code_in(deliver().to("ada@example.org")[0]), password="weak")
    assert response.status_code == 422
    assert "12" in response.text and "uppercase" in response.text
    registered.login()
    assert "Log out" in registered.client.get("/_header").text


def test_the_new_password_step_needs_an_accepted_code(registered):
    response = registered.get("/reset/password")
    assert "Reset password" in response.text
    assert "Create a new password" not in response.text


def test_the_new_password_step_expires(app, registered, deliver, clock):
    clock.advance(61)
    ask_for_reset(registered)
    registered.post("/reset/code", {"code": code_in(deliver().to("ada@example.org")[0])})
    clock.advance(31 * 60)
    assert "Create a new password" not in registered.get("/reset/password").text


def test_a_reset_before_the_registration_is_finished_mails_how_to_finish_it(app, visitor, deliver, clock):
    visitor.register()
    deliver().clear()
    clock.advance(61)
    response = ask_for_reset(visitor)

    assert "Check your inbox" in response.text  # as for any address
    [mail] = deliver().to("ada@example.org")
    assert mail["Subject"] == "Finish creating your account"
    assert "Create an account" in text_of(mail)

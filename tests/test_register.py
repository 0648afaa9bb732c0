"""Create an account: register, get a code by mail, verify, subscribe."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import User

from conftest import STRONG_PASSWORD, code_in, text_of


def user(app, email="ada@example.org"):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_registering_shows_the_verification_step_and_mails_a_code(visitor, deliver):
    response = visitor.register()

    assert response.status_code == 200
    assert "Check your inbox and enter verification code" in response.text
    assert "This code will expire in 30 minutes" in response.text
    assert ("<html" in response.text) is (not visitor.htmx)
    [mail] = deliver().to("ada@example.org")
    assert code_in(mail) in text_of(mail)


def test_the_right_code_creates_the_account_and_logs_in(app, visitor, deliver):
    visitor.register()
    response = visitor.verify(code_in(deliver().to("ada@example.org")[0]))

    assert "You have successfully created your account" in response.text
    assert "Subscribe to our newsletter" in response.text
    assert user(app).is_verified
    assert "Log out" in visitor.client.get("/_header").text


def test_verifying_tells_the_page_behind_the_dialog(visitor, deliver):
    visitor.register()
    token = visitor.csrf_token("/verify")
    code = code_in(deliver().to("ada@example.org")[0])
    response = visitor.client.post("/verify", data={"csrf_token": token, "code": code}, headers=visitor.headers())
    if visitor.htmx:
        assert response.headers["HX-Trigger"] == "auth-changed"
    else:
        assert response.status_code == 303


def test_subscribing_records_consent_and_its_time(app, visitor, deliver, clock):
    visitor.register()
    visitor.verify(code_in(deliver().to("ada@example.org")[0]))
    response = visitor.post("/newsletter/subscribe", form_url="/welcome")

    assert "subscribed" in response.text
    account = user(app)
    assert account.newsletter_subscribed_at == clock.moment
    assert account.newsletter_consent_source == "offer"


def test_a_wrong_code_says_so_and_lets_the_person_try_again(app, visitor, deliver):
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    response = visitor.verify(wrong)
    assert response.status_code == 422
    assert "That code is not right" in response.text
    assert 'aria-invalid="true"' in response.text

    assert "successfully created" in visitor.verify(code).text


def test_five_wrong_tries_kill_the_code(app, visitor, deliver):
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        assert "That code is not right" in visitor.verify(wrong).text
    assert "Too many wrong tries" in visitor.verify(wrong).text

    response = visitor.verify(code)
    assert "no longer works" in response.text
    assert user(app) is None  # no account until an address is proved


def test_an_expired_code_is_refused_with_what_to_do(app, visitor, deliver, clock):
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[0])
    clock.advance(30 * 60)

    response = visitor.verify(code)
    assert response.status_code == 422
    assert "This code has expired" in response.text
    assert "Send new code" in response.text
    assert user(app) is None


def test_a_code_just_before_expiry_still_works(app, visitor, deliver, clock):
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[0])
    clock.advance(30 * 60 - 1)
    assert "successfully created" in visitor.verify(code).text


def test_a_new_code_kills_the_older_one(app, visitor, deliver, clock):
    visitor.register()
    old = code_in(deliver().to("ada@example.org")[0])
    clock.advance(61)
    response = visitor.post("/verify/resend", form_url="/verify")
    assert "We have sent a new code" in response.text
    new = code_in(deliver().to("ada@example.org")[1])

    assert "A newer code was sent; use the latest one." in visitor.verify(old).text
    assert "successfully created" in visitor.verify(new).text


def test_resending_within_the_cooldown_sends_nothing_and_says_when(visitor, deliver, clock):
    visitor.register()
    clock.advance(30)
    response = visitor.post("/verify/resend", form_url="/verify")

    assert "You can ask for a new code in 30 seconds" in response.text
    assert len(deliver().to("ada@example.org")) == 1


def test_at_most_five_codes_an_hour_go_to_one_address(visitor, deliver, clock):
    visitor.register()
    for _ in range(4):
        clock.advance(61)
        assert "We have sent a new code" in visitor.post("/verify/resend", form_url="/verify").text
    clock.advance(61)
    response = visitor.post("/verify/resend", form_url="/verify")

    assert "Too many codes were sent to this address" in response.text
    assert len(deliver().to("ada@example.org")) == 5
    clock.advance(3600)
    assert "We have sent a new code" in visitor.post("/verify/resend", form_url="/verify").text


def test_one_network_cannot_flood_many_inboxes(app, new_visitor, deliver, clock):
    app.config["CODE_SENDS_PER_IP_PER_HOUR"] = 3
    for number in range(3):
        assert new_visitor().register(email=f"person{number}@example.org").status_code == 200
    response = new_visitor().register(email="person9@example.org")

    assert "Too many codes were sent from your network" in response.text
    assert user(app, "person9@example.org") is None
    assert deliver().to("person9@example.org") == []


def test_a_taken_address_looks_like_a_new_one_and_warns_its_owner(app, registered, deliver, clock):
    clock.advance(61)
    response = registered.register(password="Another-Pass-99")

    assert response.status_code == 200
    assert "Check your inbox and enter verification code" in response.text
    [notice] = deliver().to("ada@example.org")
    assert "Someone tried to create" in text_of(notice)
    assert not any(char.isdigit() for char in text_of(notice))
    assert registered.verify("123456").status_code == 422


def test_a_still_unverified_owner_gets_a_fresh_code(visitor, deliver, clock):
    visitor.register()
    first = code_in(deliver().to("ada@example.org")[0])
    clock.advance(61)
    visitor.register()
    second = code_in(deliver().to("ada@example.org")[1])

    assert "successfully created" not in visitor.verify(first).text
    assert "successfully created" in visitor.verify(second).text


def test_each_unmet_password_rule_gets_its_own_message(app, visitor):
    response = visitor.register(password="short pass")

    assert response.status_code == 422
    for word in ("12", "spaces", "uppercase", "number", "symbol"):
        assert word in response.text
    assert user(app) is None


def test_the_confirmation_must_match(app, visitor):
    data = {"full_name": "Ada", "email": "ada@example.org", "password": STRONG_PASSWORD, "confirm": "Other-Pass-123"}
    response = visitor.post("/register", data)

    assert response.status_code == 422
    assert "Passwords must match" in response.text
    assert STRONG_PASSWORD not in response.text
    assert user(app) is None


@pytest.mark.parametrize("organisation, message", [
    ("x" * 201, "Use at most 200 characters."),
    ("Royal\tSociety", "Remove the control characters from this field."),
])
def test_a_refused_organisation_is_answered_with_its_message(app, visitor, organisation, message):
    response = visitor.register(organisation=organisation)

    assert response.status_code == 422
    assert message in response.text
    assert user(app) is None


def test_the_password_hint_is_shown_under_the_field(visitor):
    response = visitor.get("/register")
    assert "at least 12 characters long, no spaces" in response.text
    assert 'aria-describedby="password-hint"' in response.text


def test_the_code_field_invites_one_time_codes(visitor, deliver):
    response = visitor.register()
    assert 'inputmode="numeric"' in response.text
    assert 'autocomplete="one-time-code"' in response.text

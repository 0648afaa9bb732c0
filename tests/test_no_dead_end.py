"""Every way back to the code step leads to a finished account: the code in the
inbox keeps working, or a new one can be asked for no later than the cooldown,
and the step says which."""
from sqlalchemy import select

from portal.extensions import db
from portal.models import User

from conftest import OTHER_PASSWORD, STRONG_PASSWORD, code_in


def account(app, email="ada@example.org"):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_the_code_step_names_the_address_and_offers_another(visitor):
    response = visitor.register()
    assert "We have sent a verification code to ada@example.org." in response.text
    assert "Use another address" in response.text
    assert 'href="/register"' in response.text


def test_reloading_the_step_keeps_the_code_in_the_inbox_working(visitor, deliver):
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[-1])
    assert "ada@example.org" in visitor.get("/verify").text
    assert "successfully created" in visitor.verify(code).text


def test_registering_again_within_the_cooldown_keeps_the_first_code_working(app, visitor, deliver, clock):
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[-1])
    clock.advance(20)
    response = visitor.register()

    assert response.status_code == 200
    assert "We have sent a verification code" not in response.text
    assert "We have not sent a new code to ada@example.org." in response.text
    assert "A code was sent to this address less than 60 seconds ago." in response.text
    assert "You can ask for a new code in 40 seconds" in response.text
    assert len(deliver().to("ada@example.org")) == 1
    assert "successfully created" in visitor.verify(code).text


def test_registering_again_from_another_browser_finishes_with_the_code_in_the_inbox(
        app, new_visitor, deliver, clock):
    first, second = new_visitor(), new_visitor(htmx=True)
    first.register()
    code = code_in(deliver().to("ada@example.org")[-1])
    clock.advance(10)
    second.register(password=OTHER_PASSWORD)

    assert "successfully created" in second.verify(code).text
    assert account(app).is_verified
    assert new_visitor().login(password=OTHER_PASSWORD).status_code == 200
    assert "Log out" in second.client.get("/_header").text


def test_a_log_in_before_verifying_points_back_to_registering(app, visitor, deliver, clock):
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[-1])
    clock.advance(30)
    response = visitor.login()

    assert response.status_code == 422
    assert "create the account again with the same address" in response.text
    response = visitor.register()
    assert "You can ask for a new code in 30 seconds" in response.text
    assert "successfully created" in visitor.verify(code).text


def test_after_the_cooldown_registering_again_sends_a_new_code_and_says_so(app, visitor, deliver, clock):
    visitor.register()
    clock.advance(61)
    response = visitor.register()

    assert "We have sent a verification code to ada@example.org." in response.text
    assert "You can ask for a new code in 60 seconds" in response.text  # the new code's cooldown
    codes = [code_in(mail) for mail in deliver().to("ada@example.org")]
    assert len(codes) == 2
    assert "successfully created" in visitor.verify(codes[-1]).text


def test_an_older_code_after_a_resend_asks_for_the_latest(visitor, deliver, clock):
    visitor.register()
    old = code_in(deliver().to("ada@example.org")[-1])
    clock.advance(61)
    visitor.post("/verify/resend", form_url="/verify")
    response = visitor.verify(old)

    assert response.status_code == 422
    assert "A newer code was sent; use the latest one." in response.text
    assert "successfully created" in visitor.verify(code_in(deliver().to("ada@example.org")[-1])).text


def test_send_new_code_within_the_cooldown_says_when_and_works_once_it_has_passed(visitor, deliver, clock):
    visitor.register()
    clock.advance(18)
    response = visitor.post("/verify/resend", form_url="/verify")

    assert "You can ask for a new code in 42 seconds" in response.text
    assert len(deliver().to("ada@example.org")) == 1
    clock.advance(42)
    response = visitor.post("/verify/resend", form_url="/verify")
    assert "We have sent a new code" in response.text
    assert len(deliver().to("ada@example.org")) == 2


def test_the_countdown_is_in_the_page_for_the_script(visitor, clock):
    visitor.register()
    clock.advance(18)
    page = visitor.get("/verify").text
    assert 'data-countdown="42"' in page


def test_without_javascript_send_new_code_redirects_back_to_the_step(app, deliver, clock, new_visitor):
    person = new_visitor(htmx=False)
    person.register()
    clock.advance(61)
    token = person.csrf_token("/verify")
    response = person.client.post("/verify/resend", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"] == "/verify"
    page = person.client.get("/verify").text
    assert "We have sent a new code" in page
    assert "We have sent a new code" not in person.client.get("/verify").text  # said once


def test_the_hourly_cap_says_when_a_new_code_can_be_asked_for(visitor, deliver, clock):
    visitor.register()
    for _ in range(4):
        clock.advance(61)
        visitor.post("/verify/resend", form_url="/verify")
    clock.advance(61)
    response = visitor.post("/verify/resend", form_url="/verify")

    assert "You can ask for a new code in 55 minutes" in response.text
    assert len(deliver().to("ada@example.org")) == 5
    latest = code_in(deliver().to("ada@example.org")[-1])
    assert "successfully created" in visitor.verify(latest).text


def test_a_stranger_s_registration_cannot_choose_the_owner_s_password(app, new_visitor, deliver, clock):
    stranger, owner = new_visitor(), new_visitor()
    stranger.register(password="Attacker-Pass-66")
    code = code_in(deliver().to("ada@example.org")[-1])  # lands in the owner's inbox
    owner.register(password=OTHER_PASSWORD)
    assert "successfully created" in owner.verify(code).text

    assert new_visitor().login(password="Attacker-Pass-66").status_code == 422
    assert new_visitor().login(password=OTHER_PASSWORD).status_code == 200
    assert STRONG_PASSWORD != OTHER_PASSWORD


def test_a_reset_right_after_registering_with_a_taken_address_gets_its_code(app, verified, new_visitor, deliver,
                                                                            clock):
    """The notice "someone tried to register" holds back no reset code: the owner it tells may want one now."""
    clock.advance(61)
    person = new_visitor()
    person.register()
    clock.advance(5)
    response = person.post("/reset", {"email": "ada@example.org"})

    assert "We have sent a verification code to ada@example.org." in response.text
    notice, reset = deliver().to("ada@example.org")[-2:]
    assert notice["Subject"] == "Someone tried to register with your address"
    assert reset["Subject"] == "Your password reset code"


def test_a_reset_right_after_a_password_change_notice_gets_its_code(app, verified, deliver, clock):
    clock.advance(61)
    verified.post("/account/password", {"current_password": STRONG_PASSWORD, "password": OTHER_PASSWORD,
                                         "confirm": OTHER_PASSWORD})
    assert deliver().to("ada@example.org")[-1]["Subject"] == "Your password was changed"
    response = verified.post("/reset", {"email": "ada@example.org"})

    assert "We have sent a verification code to ada@example.org." in response.text
    assert deliver().to("ada@example.org")[-1]["Subject"] == "Your password reset code"


def test_a_second_reset_within_the_cooldown_says_a_code_went_less_than_a_minute_ago(app, verified, new_visitor,
                                                                                     deliver, clock):
    clock.advance(61)
    new_visitor().post("/reset", {"email": "ada@example.org"})
    clock.advance(15)
    response = new_visitor().post("/reset", {"email": "ada@example.org"})

    assert "We have sent a verification code" not in response.text
    assert "A code was sent to this address less than 60 seconds ago." in response.text
    assert "You can ask for a new code in 45 seconds." in response.text
    assert [mail["Subject"] for mail in deliver().to("ada@example.org")][-1] == "Your password reset code"
    assert len([mail for mail in deliver().to("ada@example.org") if "reset code" in mail["Subject"]]) == 1

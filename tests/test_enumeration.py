"""Nothing the portal answers tells whether an address has an account."""
from flask import template_rendered
from sqlalchemy import event

from portal.extensions import db

from conftest import STRONG_PASSWORD, Visitor, code_in, without_tokens

LOCKED = "Too many failed log-ins for this address"
COOLDOWN = "A code was sent to this address less than 60 seconds ago."


def test_registering_then_logging_in_answers_alike_for_new_and_taken_addresses(app, registered, new_visitor, clock):
    """Register X with P, then log in with X and P: a new X and a verified X look the same."""
    answers = []
    for address in ("ada@example.org", "new@example.org"):
        clock.advance(61)
        person = new_visitor()
        person.register(email=address, password="Guessed-Pass-77")
        response = person.login(email=address, password="Guessed-Pass-77")
        answers.append((response.status_code, without_tokens(response.text).replace(address, "X")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422


def test_a_never_verified_account_answers_a_log_in_as_a_wrong_password_does(app, registered, new_visitor, deliver):
    new_visitor().register(email="new@example.org")
    unverified = new_visitor().login(email="new@example.org")
    wrong = new_visitor().login(password="Wrong-Horse-42")
    assert unverified.status_code == wrong.status_code == 422
    assert without_tokens(unverified.text).replace("new@example.org", "X") == \
        without_tokens(wrong.text).replace("ada@example.org", "X")


def test_a_locked_address_says_so_and_how_to_get_in_whether_or_not_it_has_an_account(app, registered, new_visitor):
    answers = []
    for address in ("ada@example.org", "nobody@example.org"):
        person = new_visitor()
        for _ in range(10):
            assert LOCKED not in person.login(email=address, password="Wrong-Horse-42").text
        response = person.login(email=address, password=STRONG_PASSWORD)
        assert LOCKED in response.text
        assert "reset your password" in response.text
        answers.append((response.status_code, without_tokens(response.text).replace(address, "X")))
    assert answers[0] == answers[1]
    assert "Log out" not in registered.client.get("/_header").text


def test_a_reset_works_while_the_address_is_locked(app, registered, deliver, clock):
    for _ in range(10):
        registered.login(password="Wrong-Horse-42")
    deliver().clear()
    clock.advance(61)
    registered.post("/reset", {"email": "ada@example.org"})
    registered.post("/reset/code", {"code": code_in(deliver().to("ada@example.org")[-1])})
    registered.post("/reset/password", {"password": "Fresh-Pass-2026!", "confirm": "Fresh-Pass-2026!"})
    registered.login(password="Fresh-Pass-2026!")
    assert "Log out" in registered.client.get("/_header").text


def work_of_a_reset(app, person, token, address) -> dict:
    """What the portal does to answer a reset for `address`: its SQL statements and the templates it renders."""
    statements, templates = [], []

    def record_statement(connection, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    def record_template(sender, template, context, **extra):
        templates.append(template.name)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record_statement)
    template_rendered.connect(record_template, app)
    try:
        response = person.client.post("/reset", data={"csrf_token": token, "email": address})
    finally:
        event.remove(engine, "before_cursor_execute", record_statement)
        template_rendered.disconnect(record_template, app)
    assert response.status_code == 303
    return {"statements": statements, "templates": templates}


def test_a_reset_does_the_same_work_for_an_unknown_address_as_for_a_known_one(app, verified):
    """Time follows work: the same statements in the same order, the same mail rendered; the one
    difference is that the unknown address's mail is taken back before the commit (a delete by its id)."""
    app.config.update(CODE_RESEND_COOLDOWN=0)
    person = Visitor(app.test_client(), htmx=False)
    token = person.csrf_token("/reset")
    known = work_of_a_reset(app, person, token, "ada@example.org")
    unknown = work_of_a_reset(app, person, token, "nobody@example.org")

    assert "mail/reset_code.txt" in known["templates"]
    assert unknown["templates"] == known["templates"]
    taken_back = [statement for statement in unknown["statements"] if statement.startswith("DELETE FROM outbox")]
    assert taken_back == ["DELETE FROM outbox WHERE outbox.id = ?"]
    assert [statement for statement in unknown["statements"] if statement not in taken_back] == known["statements"]


def test_asking_twice_within_the_cooldown_answers_alike_for_addresses_with_and_without_an_account(
        app, registered, new_visitor, clock):
    """Registering or resetting twice in a row: the first answer says a code went, the second that one went
    less than a minute ago and when to ask again, in the same words for a taken and a new address."""
    for form, fields in (("/register", {"full_name": "X", "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD}),
                         ("/reset", {})):
        answers = []
        for address in ("ada@example.org", "new@example.org"):
            clock.advance(61)
            first = new_visitor().post(form, {"email": address, **fields})
            clock.advance(20)
            second = new_visitor().post(form, {"email": address, **fields})
            assert "We have sent a verification code" in first.text and COOLDOWN not in first.text
            assert COOLDOWN in second.text and "We have sent a verification code" not in second.text
            answers.append([(response.status_code, without_tokens(response.text).replace(address, "X"))
                            for response in (first, second)])
        assert answers[0] == answers[1], form

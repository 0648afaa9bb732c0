"""The passkey rules that need no browser, with a WebAuthn authenticator written in Python
(`soft_authenticator`); the browser tests drive Chromium's virtual one."""
import json
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.auth.models import Passkey
from portal.extensions import db

from conftest import OTHER_PASSWORD, STRONG_PASSWORD, Visitor, code_in, create_account, text_of
from soft_authenticator import SoftAuthenticator

NOT_ACCEPTED = "That passkey was not accepted. Log in with your email and password, or try another passkey."
TOO_LATE = "That took too long, or the request was already used. Please try again."
LOCKED = "Too many failed log-ins for this address"


class PasskeyVisitor(Visitor):
    """A visitor whose script posts JSON with the page's CSRF token, as passkeys.js does."""

    def post_json(self, url, body):
        token = self.csrf_token("/login")
        return self.client.post(url, data=body if isinstance(body, str) else json.dumps(body),
                                headers={"X-CSRFToken": token, "Content-Type": "application/json"})

    def options(self, url):
        response = self.post_json(url, {})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def add_passkey(self, authenticator):
        answer = authenticator.create(self.options("/account/passkeys/options"))
        return self.post_json("/account/passkeys", answer)

    def sign_in(self, authenticator, **how):
        return self.post_json("/login/passkey", authenticator.get(self.options("/login/passkey/options"), **how))

    def log_out(self):
        return self.post("/logout", form_url="/")


@pytest.fixture
def ada(app):
    create_account(app)
    visitor = PasskeyVisitor(app.test_client(), htmx=False)
    visitor.login()
    return visitor


def with_passkey(ada, authenticator):
    assert ada.add_passkey(authenticator).get_json() == {"location": "/account/"}
    ada.log_out()
    return ada


def passkeys_in(app) -> list[Passkey]:
    with app.app_context():
        return list(db.session.scalars(select(Passkey)))


def test_a_passkey_added_on_my_account_signs_in_without_an_address(app, ada):
    with_passkey(ada, authenticator := SoftAuthenticator())

    signed_in = ada.sign_in(authenticator)

    assert signed_in.get_json() == {"location": "/"}
    assert "ada@example.org" in ada.client.get("/account/").get_data(as_text=True)
    [passkey] = passkeys_in(app)
    assert (passkey.name, passkey.transports, passkey.sign_count) == ("A browser", "internal", 1)
    assert passkey.last_used_at is not None


def test_my_account_lists_the_passkey_with_its_name_and_when_it_was_added(app, ada):
    ada.add_passkey(SoftAuthenticator())

    page = ada.get("/account/").get_data(as_text=True)

    for shown in ("Passkeys", "A browser", "added 24 November 2026, 12:00 UTC", "never used yet"):
        assert shown in page


def test_a_synced_passkey_whose_counter_stays_at_zero_keeps_signing_in(app, ada):
    with_passkey(ada, synced := SoftAuthenticator(counter=None))

    for _ in range(2):
        assert ada.sign_in(synced).status_code == 200
        ada.log_out()
    [passkey] = passkeys_in(app)
    assert (passkey.sign_count, passkey.is_backup_eligible, passkey.is_backed_up) == (0, True, True)


def test_a_counter_that_goes_back_is_refused_as_a_cloned_authenticator(app, ada):
    with_passkey(ada, authenticator := SoftAuthenticator(counter=5))
    assert ada.sign_in(authenticator).status_code == 200
    ada.log_out()
    authenticator.counter = 2

    refused = ada.sign_in(authenticator)

    assert (refused.status_code, refused.get_json()) == (422, {"error": NOT_ACCEPTED})


def test_an_answer_without_user_verification_is_refused(app, ada):
    with_passkey(ada, authenticator := SoftAuthenticator())

    refused = ada.sign_in(authenticator, verified=False)

    assert (refused.status_code, refused.get_json()) == (422, {"error": NOT_ACCEPTED})


def test_an_answer_made_for_another_origin_is_refused(app, ada):
    with_passkey(ada, authenticator := SoftAuthenticator())
    authenticator.origin = "http://localhost.evil.example"

    assert ada.sign_in(authenticator).get_json() == {"error": NOT_ACCEPTED}


def test_an_unknown_passkey_gets_the_same_answer_as_a_wrong_one(app, ada):
    with_passkey(ada, authenticator := SoftAuthenticator())
    stranger = SoftAuthenticator()

    unknown, wrong = ada.sign_in(stranger), ada.sign_in(authenticator, verified=False)

    assert (unknown.status_code, unknown.get_json()) == (wrong.status_code, wrong.get_json())


def test_an_answer_is_good_once(app, ada):
    with_passkey(ada, authenticator := SoftAuthenticator(counter=None))
    answer = authenticator.get(ada.options("/login/passkey/options"))
    assert ada.post_json("/login/passkey", answer).status_code == 200
    ada.log_out()

    again = ada.post_json("/login/passkey", answer)

    assert (again.status_code, again.get_json()) == (422, {"error": TOO_LATE})


def test_fifty_copies_of_one_answer_posted_at_once_sign_in_once(app, ada):
    """The challenge is spent by one guarded delete: however many copies of the answer (and of the browser's
    cookie) arrive together, one signs in and the others are told it was already used."""
    from helpers import parallel

    with_passkey(ada, authenticator := SoftAuthenticator(counter=None))
    answer = json.dumps(authenticator.get(ada.options("/login/passkey/options")))
    token = ada.csrf_token("/login")
    cookie = ada.client.get_cookie("session").value

    def post_the_answer() -> int:
        client = app.test_client()
        client.set_cookie("session", cookie)
        return client.post("/login/passkey", data=answer,
                           headers={"X-CSRFToken": token, "Content-Type": "application/json"}).status_code

    assert sorted(parallel(50, post_the_answer)) == [200] + [422] * 49


def test_a_challenge_dies_after_five_minutes(app, ada, clock):
    with_passkey(ada, authenticator := SoftAuthenticator())
    answer = authenticator.get(ada.options("/login/passkey/options"))
    clock.advance(5 * 60)

    assert ada.post_json("/login/passkey", answer).get_json() == {"error": TOO_LATE}


def test_a_sign_in_challenge_does_not_add_a_passkey(app, ada):
    authenticator = SoftAuthenticator()
    options = ada.options("/login/passkey/options")
    answer = authenticator.create({**ada.options("/account/passkeys/options"), "challenge": options["challenge"]})

    assert ada.post_json("/account/passkeys", answer).status_code == 422
    assert passkeys_in(app) == []


def test_adding_asks_for_a_discoverable_user_verified_passkey_not_already_added(app, ada):
    ada.add_passkey(first := SoftAuthenticator())

    options = ada.options("/account/passkeys/options")

    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert [credential["id"] for credential in options["excludeCredentials"]] == [first.id]
    assert "ada@example.org" not in options["user"]["id"]


def test_the_same_passkey_is_not_added_twice(app, ada):
    ada.add_passkey(authenticator := SoftAuthenticator())

    again = ada.add_passkey(authenticator)

    assert again.get_json() == {"error": "That passkey is already added."}
    assert len(passkeys_in(app)) == 1


def test_failed_passkey_answers_lock_the_address_like_wrong_passwords(app, ada):
    with_passkey(ada, authenticator := SoftAuthenticator())
    app.config["LOGIN_MAX_FAILURES"] = 2
    for _ in range(2):
        ada.sign_in(authenticator, verified=False)

    password = ada.login()
    passkey = ada.sign_in(authenticator)

    assert LOCKED in password.get_data(as_text=True)
    assert LOCKED in passkey.get_json()["error"]


def test_passkey_and_password_log_ins_share_the_per_client_limit(app, ada):
    with_passkey(ada, authenticator := SoftAuthenticator())
    app.config["LOGIN_RATE_LIMIT"] = "2 per hour"
    for _ in range(2):
        assert ada.sign_in(authenticator, verified=False).status_code == 422

    assert ada.post("/login", {"email": "ada@example.org", "password": STRONG_PASSWORD}).status_code == 429


def test_a_passkey_of_a_disabled_account_is_refused(app, ada):
    from portal.admin import users
    from portal.models import User

    with_passkey(ada, authenticator := SoftAuthenticator())
    with app.app_context():
        users.disable(db.session.scalar(select(User)), "admin@example.org")

    assert ada.sign_in(authenticator).get_json() == {"error": NOT_ACCEPTED}


def test_a_passkey_is_renamed_and_removed_by_its_owner_only(app, ada):
    ada.add_passkey(SoftAuthenticator())
    [passkey] = passkeys_in(app)
    create_account(app, "bob@example.org")
    bob = PasskeyVisitor(app.test_client(), htmx=False)
    bob.login("bob@example.org")

    assert bob.client.get(f"/account/passkeys/{passkey.id}/name").status_code == 404
    assert bob.post(f"/account/passkeys/{passkey.id}/remove", form_url="/account/").status_code == 404
    renamed = ada.post(f"/account/passkeys/{passkey.id}/name", {"name": "  Work laptop "})
    assert "The passkey was renamed." in renamed.get_data(as_text=True)
    assert passkeys_in(app)[0].name == "Work laptop"
    removed = ada.post(f"/account/passkeys/{passkey.id}/remove", form_url="/account/")
    assert "The passkey was removed." in removed.get_data(as_text=True)
    assert passkeys_in(app) == []


def test_a_name_too_long_or_empty_is_refused_with_a_reason(app, ada):
    ada.add_passkey(SoftAuthenticator())
    [passkey] = passkeys_in(app)

    too_long = ada.post(f"/account/passkeys/{passkey.id}/name", {"name": "x" * 101})
    empty = ada.post(f"/account/passkeys/{passkey.id}/name", {"name": " "})

    assert too_long.status_code == 422 and "Use at most 100 characters." in too_long.get_data(as_text=True)
    assert empty.status_code == 422 and "Enter a name for the passkey." in empty.get_data(as_text=True)


BAD_BODIES = ["not json", "[]", "5", "null", '{"id": 5}', '{"id": "KNOWN", "response": []}',
              '{"id": "KNOWN", "rawId": "!!", "type": "public-key", "response": {"clientDataJSON": 5}}',
              '{"id": "KNOWN", "rawId": "KNOWN", "type": 7, "response": {"clientDataJSON": "e30",'
              ' "authenticatorData": "", "signature": "", "attestationObject": "oA"}}']


@pytest.mark.parametrize("body", BAD_BODIES)
@pytest.mark.parametrize("url", ["/login/passkey", "/account/passkeys"])
def test_a_malformed_answer_gets_a_clear_4xx_never_a_500(app, ada, url, body):
    ada.add_passkey(authenticator := SoftAuthenticator())
    ada.options(url + "/options")

    answer = ada.post_json(url, body.replace("KNOWN", authenticator.id))

    assert answer.status_code in (400, 422)
    assert answer.get_json()["error"]


@pytest.mark.parametrize("public_url, offered", [
    ("http://localhost:8000", True), ("https://portal.example.org", True),
    ("http://portal.example.org", False), ("http://127.0.0.1:8000", False), ("https://192.0.2.1", False),
    ("https://[2001:db8::1]", False),
])
def test_passkeys_are_offered_only_where_browsers_allow_them(app, public_url, offered):
    app.config["PUBLIC_URL"] = public_url
    visitor = PasskeyVisitor(app.test_client(), htmx=False)

    page = visitor.get("/login").get_data(as_text=True)

    assert ("Sign in with a passkey" in page) is offered
    assert (visitor.post_json("/login/passkey/options", {}).status_code == 200) is offered


def test_the_export_lists_the_passkeys_and_deleting_the_account_removes_them(app, ada):
    ada.add_passkey(SoftAuthenticator())

    exported = ada.client.get("/account/export").get_json()
    ada.post("/account/delete", {"password": STRONG_PASSWORD})

    assert [(passkey["name"], passkey["last_used_at"]) for passkey in exported["passkeys"]] == [("A browser", None)]
    assert passkeys_in(app) == []


# --- asking again after five minutes -------------------------------------------------------

CONFIRM = "Confirm it&#39;s you"


def test_adding_a_passkey_five_minutes_after_signing_in_asks_for_the_password_then_carries_on(app, ada, clock):
    clock.advance(5 * 60 + 1)
    carry_on = "/account/?carry_on=add-passkey"

    asked = ada.post_json("/account/passkeys/options", {})
    confirm = f"/account/confirm?next={quote(carry_on, safe='/?')}"
    assert (asked.status_code, asked.get_json()) == (403, {"confirm": confirm})
    wrong = ada.post(asked.get_json()["confirm"], {"password": "Wrong-Horse-42"})
    assert wrong.status_code == 422 and "That is not your current password." in wrong.text
    confirmed = ada.post(asked.get_json()["confirm"], {"password": STRONG_PASSWORD})

    assert "data-passkey-start" in confirmed.text  # passkeys.js starts adding the passkey at once
    assert "data-passkey-start" not in ada.get("/account/").text
    assert ada.add_passkey(SoftAuthenticator()).status_code == 200


def test_removing_a_passkey_after_five_minutes_asks_then_carries_on_to_the_removal(app, ada, clock):
    ada.add_passkey(SoftAuthenticator())
    [passkey] = passkeys_in(app)
    clock.advance(5 * 60 + 1)
    step = f"/account/passkeys/{passkey.id}/remove"

    asked = ada.get(step)
    confirmed = ada.post(f"/account/confirm?next={step}", {"password": STRONG_PASSWORD})
    removed = ada.post(step)

    assert CONFIRM in asked.text
    assert "Remove the passkey" in confirmed.text
    assert "The passkey was removed." in removed.text and passkeys_in(app) == []


def test_the_export_after_five_minutes_asks_for_the_password_then_downloads(app, ada, clock):
    clock.advance(5 * 60 + 1)

    asked = ada.get("/account/export")
    confirmed = ada.post("/account/confirm?next=/account/export", {"password": STRONG_PASSWORD})

    assert CONFIRM in asked.text
    assert confirmed.get_json()["account"]["email"] == "ada@example.org"


def test_the_export_in_place_goes_back_to_my_account_and_has_the_browser_fetch_the_file(app, ada):
    in_place = Visitor(ada.client, htmx=True, page="/account/")

    answer = in_place.client.get("/account/export", headers=in_place.headers())

    assert json.loads(answer.headers["HX-Location"])["path"] == "/account/"
    assert json.loads(answer.headers["HX-Trigger"]) == {"download-file": "/account/export"}


def test_a_passkey_of_the_same_account_confirms_and_another_accounts_does_not(app, ada, clock):
    ada.add_passkey(own := SoftAuthenticator())
    create_account(app, "bob@example.org")
    bob = PasskeyVisitor(app.test_client(), htmx=False)
    bob.login("bob@example.org")
    bob.add_passkey(bobs := SoftAuthenticator())
    clock.advance(5 * 60 + 1)

    def confirm(authenticator):
        answer = authenticator.get(ada.options("/login/passkey/options"))
        return ada.post_json("/account/confirm/passkey?next=/account/", answer)

    assert confirm(bobs).get_json() == {"error": NOT_ACCEPTED}
    assert ada.post_json("/account/passkeys/options", {}).status_code == 403
    assert confirm(own).get_json() == {"location": "/account/"}
    assert ada.post_json("/account/passkeys/options", {}).status_code == 200


def test_a_reset_keeps_the_passkeys_and_its_notice_names_them_and_where_to_remove_them(app, ada, deliver, clock):
    with_passkey(ada, authenticator := SoftAuthenticator())
    clock.advance(61)
    ada.post("/reset", {"email": "ada@example.org"})
    ada.post("/reset/code", {"code": code_in(deliver().to("ada@example.org")[-1])})
    ada.post("/reset/password", {"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})

    notice = text_of(deliver().to("ada@example.org")[-1]).replace("\r\n", "\n")
    assert "These passkeys still sign in to your account:\n- A browser\n" in notice
    assert "remove them on My account: http://localhost/account/" in notice
    ada.log_out()
    assert ada.sign_in(authenticator).get_json() == {"location": "/"}


# --- an admin's passkey in place of the app's code --------------------------------------------


@pytest.fixture
def boss_with_passkey(app, desk):
    boss = PasskeyVisitor(desk.client, htmx=False)
    authenticator = SoftAuthenticator()
    assert boss.add_passkey(authenticator).status_code == 200
    boss.log_out()
    return boss, authenticator


def second_factor_by_passkey(boss, authenticator):
    return boss.post_json("/login/second-factor/passkey", authenticator.get(boss.options("/login/passkey/options")))


def test_after_the_password_an_admin_s_passkey_stands_in_for_the_app_s_code(app, boss_with_passkey):
    boss, authenticator = boss_with_passkey
    step = boss.login("boss@example.org")
    assert "Use a passkey instead" in step.text

    assert second_factor_by_passkey(boss, authenticator).get_json() == {"location": "/"}
    assert boss.client.get("/admin").status_code == 200


def test_after_a_passkey_the_second_factor_is_the_app_s_code_not_the_passkey_again(app, boss_with_passkey):
    boss, authenticator = boss_with_passkey
    first = boss.sign_in(authenticator)
    assert first.get_json() == {"location": "/login/second-factor"}
    assert "Use a passkey instead" not in boss.get("/login/second-factor").text

    assert second_factor_by_passkey(boss, authenticator).get_json() == {"error": TOO_LATE}
    assert boss.client.get("/admin").status_code == 404


def test_another_account_s_passkey_is_no_admin_s_second_factor(app, boss_with_passkey, ada):
    boss, _authenticator = boss_with_passkey
    ada.add_passkey(adas := SoftAuthenticator())
    boss.login("boss@example.org")

    assert second_factor_by_passkey(boss, adas).get_json() == {"error": NOT_ACCEPTED}
    assert boss.client.get("/admin").status_code == 404


def test_wrong_passkeys_at_the_second_factor_count_as_wrong_codes_and_lock_it_not_the_password(
        app, boss_with_passkey, ada, clock):
    from helpers import app_code

    boss, own = boss_with_passkey
    ada.add_passkey(adas := SoftAuthenticator())
    boss.login("boss@example.org")
    for _ in range(app.config["SECOND_FACTOR_MAX_FAILURES"]):
        assert second_factor_by_passkey(boss, adas).get_json() == {"error": NOT_ACCEPTED}

    locked = "Too many wrong codes for this account"
    assert locked in second_factor_by_passkey(boss, own).get_json()["error"]
    code = app_code(app, "boss@example.org", clock())
    assert locked in boss.post("/login/second-factor", {"code": code}).text
    assert boss.client.get("/admin").status_code == 404
    assert ada.sign_in(adas).get_json() == {"location": "/"}  # Ada's own sign-ins were never counted


def test_an_admin_confirms_with_the_password_and_the_app_s_code_before_adding_a_passkey(app, desk, clock):
    from helpers import app_code

    boss = PasskeyVisitor(desk.client, htmx=False)
    clock.advance(5 * 60 + 1)
    confirm = boss.post_json("/account/passkeys/options", {}).get_json()["confirm"]

    step = boss.get(confirm)
    assert "Code from your app" in step.text and "Confirm with a passkey" not in step.text
    password_only = boss.post(confirm, {"password": STRONG_PASSWORD})
    assert password_only.status_code == 422 and "Enter the code from your app" in password_only.text
    wrong_code = boss.post(confirm, {"password": STRONG_PASSWORD, "code": "000000"})
    assert wrong_code.status_code == 422 and "That code is not right" in wrong_code.text
    assert boss.post_json("/account/passkeys/options", {}).status_code == 403
    assert boss.post_json("/account/confirm/passkey?next=/account/", {}).get_json() == {"error": NOT_ACCEPTED}

    code = app_code(app, "boss@example.org", clock())
    boss.post(confirm, {"password": STRONG_PASSWORD, "code": code})

    assert boss.add_passkey(SoftAuthenticator()).status_code == 200


def test_the_desk_says_a_passkey_can_stand_in_for_the_app_s_code_and_links_to_where_it_is_added(app, desk):
    page = desk.get("/admin").text
    assert "a passkey can stand in for your app's code" in page
    assert '<a href="/account/#passkeys">Your passkeys</a>' in page

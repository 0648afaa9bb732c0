"""Passkeys in a real browser: Chromium with a virtual authenticator (WebAuthn through the DevTools protocol).

WebAuthn needs a secure context and a host name, so the portal is served,
and its public URL set, at http://localhost:PORT.
"""
import json

import pytest
from sqlalchemy import select

from portal.admin import users
from portal.extensions import db
from portal.models import User

from browser_support import LiveServer, assert_accessible, let_time_pass
from conftest import STRONG_PASSWORD, create_account
from test_browser import (  # noqa: F401  (fixtures)
    ADA,
    app,
    at,
    browse,
    click,
    expect,
    expect_logged_in,
    expect_logged_out,
    fill_log_in,
    header,
    open_from_header,
    page,
    page_and_watch,
    page_without_js,
    step,
    still_the_same_page,
    visit,
)

pytestmark = pytest.mark.browser
BOB = "bob@example.org"
ADDED = "Your passkey was added. You can now sign in with it."
NOT_ACCEPTED = "That passkey was not accepted. Log in with your email and password, or try another passkey."
REMOVED = "The passkey was removed. It can no longer sign in to your account."
TOO_LATE = "That took too long, or the request was already used. Please try again."


@pytest.fixture
def live_server(app):
    """The live server, named and publicly known as localhost: WebAuthn refuses IP addresses."""
    server = LiveServer(app)
    server.url = f"http://localhost:{server.server.server_port}"
    app.config["PUBLIC_URL"] = server.url
    with server:
        yield server


@pytest.fixture
def ada(app):
    return create_account(app, ADA)


def add_authenticator(page, autofill=False) -> tuple:
    """A platform authenticator that keeps passkeys and verifies its user (a fingerprint, say).

    Chromium's virtual authenticator answers an autofill (conditional) request at once, as if the
    person had picked the passkey among the address field's suggestions; unless `autofill`, the page
    is that of a browser without passkey autofill, so the test's own click is what asks.
    """
    if not autofill:
        page.add_init_script("delete PublicKeyCredential.isConditionalMediationAvailable")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, authenticator["authenticatorId"]


def credentials_in(authenticator) -> list[dict]:
    cdp, authenticator_id = authenticator
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def log_in_with_password(page, email=ADA):
    visit(page, "/")
    dialog = open_from_header(page, "Log in", "Log in")
    fill_log_in(dialog, email)
    click(dialog.get_by_role("button", name="Log in", exact=True))
    expect_logged_in(page)


def add_a_passkey(page, email=ADA):
    log_in_with_password(page, email)
    page.goto("/account/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("status")).to_have_text(ADDED)


def log_out(page):
    header(page).get_by_role("button", name="Log out").click()
    expect_logged_out(page)


def sign_in_with_a_passkey(page, path="/privacy"):
    """Open the log-in dialog on `path` and press the passkey button; the dialog stays open on a refusal."""
    visit(page, path)
    dialog = open_from_header(page, "Log in", "Log in")
    dialog.get_by_role("button", name="Sign in with a passkey").click()
    return dialog


def test_a_passkey_is_added_signs_in_back_to_the_page_and_once_removed_no_longer_works(page, ada):
    authenticator = add_authenticator(page)
    add_a_passkey(page)
    passkeys = page.get_by_role("listitem").filter(has_text="added")
    expect(passkeys).to_have_count(1)
    expect(passkeys).to_contain_text("Chrome on Linux")
    expect(passkeys).to_contain_text("never used yet")
    assert len(credentials_in(authenticator)) == 1
    log_out(page)

    sign_in_with_a_passkey(page, "/privacy")

    page.wait_for_url(at("/privacy"))
    expect_logged_in(page)
    page.goto("/account/")
    expect(passkeys).to_contain_text("last used")
    click(passkeys.get_by_role("link", name="Remove"))
    click(page.get_by_role("button", name="Remove passkey"))
    expect(page.get_by_role("status")).to_have_text(REMOVED)
    expect(passkeys).to_have_count(0)
    log_out(page)

    dialog = sign_in_with_a_passkey(page)  # the authenticator still holds it

    expect(dialog.get_by_role("alert").filter(has_text=NOT_ACCEPTED)).to_be_visible()
    expect_logged_out(page)


def test_a_passkey_can_be_renamed(page, ada):
    add_authenticator(page)
    add_a_passkey(page)

    click(page.get_by_role("link", name="Rename"))
    name = page.get_by_label("Name", exact=True)
    expect(name).to_have_value("Chrome on Linux")
    name.fill("My laptop")
    click(page.get_by_role("button", name="Save"))

    expect(page.get_by_role("status")).to_have_text("The passkey was renamed.")
    expect(page.get_by_role("listitem").filter(has_text="added")).to_contain_text("My laptop")


def test_another_accounts_passkey_answering_for_this_accounts_passkey_is_refused(page, browser, live_server, app, ada):
    """Bob's authenticator signs; the answer names Ada's passkey: the signature is checked with Ada's key."""
    ada_authenticator = add_authenticator(page)
    add_a_passkey(page)
    ada_credential = credentials_in(ada_authenticator)[0]["credentialId"]
    create_account(app, BOB, name="Bob Babbage")
    with browse(browser, live_server) as (bob, _watch):
        bob_signs_in_naming_adas_passkey(bob, ada_credential)


def bob_signs_in_naming_adas_passkey(bob, ada_credential):
    add_authenticator(bob)
    add_a_passkey(bob, BOB)
    log_out(bob)

    def name_adas_passkey(route):
        answer = json.loads(route.request.post_data)
        answer["id"] = answer["rawId"] = ada_credential.rstrip("=").replace("+", "-").replace("/", "_")
        route.continue_(post_data=json.dumps(answer))

    bob.route("**/login/passkey", name_adas_passkey)
    dialog = sign_in_with_a_passkey(bob)

    expect(dialog.get_by_role("alert").filter(has_text=NOT_ACCEPTED)).to_be_visible()
    expect_logged_out(bob)


def test_a_replayed_sign_in_is_refused_even_with_the_session_cookie_it_was_made_in(page, app, ada):
    add_authenticator(page)
    add_a_passkey(page)
    log_out(page)

    with page.expect_request("**/login/passkey") as captured:
        sign_in_with_a_passkey(page, "/privacy")
    expect_logged_in(page)
    sign_in = captured.value
    headers = sign_in.all_headers()

    replayer = app.test_client()
    for cookie in headers["cookie"].split("; "):
        replayer.set_cookie(*cookie.split("=", 1))
    replay = replayer.post("/login/passkey", data=sign_in.post_data,
                           headers={"Content-Type": "application/json", "X-CSRFToken": headers["x-csrftoken"]})

    assert replay.status_code == 422, replay.get_data(as_text=True)
    assert replay.get_json() == {"error": TOO_LATE}


def test_a_passkey_of_a_disabled_account_is_refused(page, app, ada):
    add_authenticator(page)
    add_a_passkey(page)
    log_out(page)
    with app.app_context():
        users.disable(db.session.scalar(select(User).where(User.email == ADA)), "admin@example.org")

    dialog = sign_in_with_a_passkey(page)

    expect(dialog.get_by_role("alert").filter(has_text=NOT_ACCEPTED)).to_be_visible()
    expect_logged_out(page)


def test_a_sign_in_challenge_dies_after_five_minutes_on_the_portals_clock(page, app, ada):
    add_authenticator(page)
    add_a_passkey(page)
    log_out(page)

    def five_minutes_later(route):
        let_time_pass(app, 5 * 60 + 1)
        route.continue_()

    page.route("**/login/passkey", five_minutes_later)
    dialog = sign_in_with_a_passkey(page)

    expect(dialog.get_by_role("alert").filter(has_text=TOO_LATE)).to_be_visible()
    expect_logged_out(page)


def test_without_javascript_no_passkey_shows_and_the_password_still_logs_in(page_without_js, ada):
    page = page_without_js
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    fill_log_in(page)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.goto("/account/")

    expect(page.get_by_role("heading", name="Passkeys")).to_be_hidden()
    expect(page.get_by_role("button", name="Add a passkey")).to_be_hidden()


def test_the_passkey_states_are_accessible(page, ada):
    add_authenticator(page)
    add_a_passkey(page)
    assert_accessible(page, "My account with a passkey")
    click(page.get_by_role("link", name="Rename"))
    expect(page.get_by_label("Name", exact=True)).to_be_visible()
    assert_accessible(page, "Rename passkey")
    log_out(page)

    visit(page, "/")
    dialog = open_from_header(page, "Log in", "Log in")
    expect(dialog.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    expect(dialog.get_by_label("Email", exact=True)).to_have_attribute("autocomplete", "username webauthn")
    assert_accessible(page, "Log-in dialog offering a passkey")


def test_the_address_field_offers_the_passkey_and_picking_it_signs_in_back_to_the_page(page, ada):
    add_authenticator(page, autofill=True)
    add_a_passkey(page)
    log_out(page)
    visit(page, "/privacy")

    with page.expect_navigation(url=at("/privacy")):
        click(header(page).get_by_role("link", name="Log in", exact=True))

    expect_logged_in(page)


def test_after_five_minutes_removing_a_passkey_asks_who_it_is_in_place_and_a_passkey_answers(page, app, ada):
    add_authenticator(page)
    add_a_passkey(page)
    page.evaluate("window.__marker = 1")
    let_time_pass(app, 5 * 60 + 1)

    click(page.get_by_role("link", name="Remove"))
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    assert still_the_same_page(page)
    page.get_by_role("button", name="Confirm with a passkey").click()
    click(page.get_by_role("button", name="Remove passkey"))

    expect(page.get_by_role("status")).to_have_text(REMOVED)


def test_after_five_minutes_adding_a_passkey_or_exporting_asks_in_place_then_carries_on(page, app, ada):
    add_authenticator(page)
    log_in_with_password(page)
    page.goto("/account/")
    page.evaluate("window.__marker = 1")
    let_time_pass(app, 5 * 60 + 1)

    page.get_by_role("button", name="Add a passkey").click()
    confirm_with_the_password(page)

    expect(page.get_by_role("status")).to_have_text(ADDED)  # no second click on "Add a passkey"
    expect(page.get_by_role("listitem").filter(has_text="added")).to_have_count(1)
    page.evaluate("window.__marker = 1")  # the page was loaded anew to list the passkey
    let_time_pass(app, 5 * 60 + 1)

    click(page.get_by_role("link", name="Export my data"))
    with page.expect_download() as download:
        confirm_with_the_password(page)

    assert json.loads(open(download.value.path()).read())["account"]["email"] == ADA
    expect(page.get_by_role("heading", name="My account")).to_be_visible()


def confirm_with_the_password(page):
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    assert still_the_same_page(page)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    click(page.get_by_role("button", name="Confirm", exact=True))

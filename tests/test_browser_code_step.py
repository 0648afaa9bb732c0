"""The code step in a real browser says what happened: a code went, or one went
less than a minute ago and when a new one can be asked for."""
import pytest

from browser_support import wait_for_code
from test_browser import ADA, ada, app, browse, expect, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

WITH_AND_WITHOUT_JS = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])


def ask_for_a_reset(page, address):
    page.goto("/reset")
    page.get_by_label("Email", exact=True).fill(address)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("heading", name="Check your inbox and enter verification code")).to_be_visible()
    return page.get_by_role("main")


@WITH_AND_WITHOUT_JS
def test_a_second_reset_within_the_cooldown_says_no_new_code_went_and_when_one_can_be_asked_for(
        browser, live_server, inbox, ada, javascript):
    with browse(browser, live_server, java_script_enabled=javascript) as (page, _watch):
        step = ask_for_a_reset(page, ADA)
        expect(step).to_contain_text(f"We have sent a verification code to {ADA}.")
        wait_for_code(inbox, ADA)

        page.context.clear_cookies()  # another browser, or the same person starting over
        step = ask_for_a_reset(page, ADA)
        expect(step).not_to_contain_text("We have sent a verification code")
        expect(step.get_by_role("status")).to_have_text("A code was sent to this address less than 60 seconds ago.")
        expect(step).to_contain_text(f"We have not sent a new code to {ADA}.")
        expect(step).to_contain_text("You can ask for a new code in")
        expect(step.get_by_role("button", name="Send new code")).to_be_visible()

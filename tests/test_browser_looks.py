"""What a person sees, measured in a real browser: how controls look in each
state, and how pages are laid out on a phone and on a desk."""
import pytest
from browser_support import install_clock, let_time_pass
from test_browser import (  # noqa: F401  (fixtures)
    ADA,
    CHECK_YOUR_INBOX,
    ada,
    app,
    click,
    expect,
    expect_logged_in,
    fill_log_in,
    fill_registration,
    live_server,
    open_from_header,
    page,
    page_and_watch,
    step,
    visit,
)

pytestmark = pytest.mark.browser

LOOKS = """element => {
    const style = getComputedStyle(element);
    return {background: style.backgroundColor, colour: style.color, border: style.borderTopColor,
            cursor: style.cursor, opacity: style.opacity};
}"""


def looks(locator) -> dict:
    return locator.evaluate(LOOKS)


def log_in(page, email=ADA):
    page.goto("/login")
    fill_log_in(page.get_by_role("main"), email)
    page.get_by_role("main").get_by_role("button", name="Log in", exact=True).click()
    expect_logged_in(page)


# --- buttons: main, secondary, waiting ------------------------------------------


def test_secondary_buttons_look_like_the_secondary_link_not_like_the_main_button(page, ada, new_visitor):
    new_visitor().login(ADA)  # another browser, so that "Log out everywhere else" is offered
    log_in(page)
    page.goto("/account/")
    subscribe = page.get_by_role("button", name="Subscribe to our newsletter")
    main_button = looks(subscribe)
    click(subscribe)
    unsubscribe = page.get_by_role("button", name="Unsubscribe from the newsletter")
    expect(unsubscribe).to_be_visible()
    page.mouse.move(0, 0)  # no button under the pointer: none is hovered

    secondary_link = looks(page.get_by_role("link", name="Export my data"))
    assert secondary_link["background"] != main_button["background"]
    for name in ("Unsubscribe from the newsletter", "Log out everywhere else"):
        secondary_button = looks(page.get_by_role("button", name=name))
        assert secondary_button == secondary_link, name


def test_send_new_code_looks_unavailable_while_it_waits_and_available_once_it_works(app, page):
    app.config["CODE_RESEND_COOLDOWN"] = 3
    install_clock(page)
    visit(page, "/")
    dialog = open_from_header(page, "Create an account", "Create an account")
    fill_registration(dialog)
    click(dialog.get_by_role("button", name="Create account"))
    dialog = step(page, CHECK_YOUR_INBOX)
    resend = dialog.get_by_role("button", name="Send new code")
    expect(resend).to_be_disabled()
    waiting = looks(resend)

    let_time_pass(app, 3, page)
    expect(resend).to_be_enabled()
    working = looks(resend)
    assert working["cursor"] == "pointer" and waiting["cursor"] != "pointer"
    assert waiting["colour"] != working["colour"]

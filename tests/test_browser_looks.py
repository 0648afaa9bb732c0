"""What a person sees, measured in a real browser: how controls look in each
state, and how pages are laid out on a phone and on a desk."""
import pyotp
import pytest
from browser_support import install_clock, let_time_pass
from conftest import BOSS
from test_browser import (  # noqa: F401  (fixtures)
    ADA,
    CHECK_YOUR_INBOX,
    ada,
    app,
    browse,
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


# --- the admin's desk on a phone -------------------------------------------------

# Each word of the desk's tables (caption, headers, cells) whose letters do not all sit on one line.
BROKEN_WORDS = """() => {
    const broken = [];
    for (const table of document.querySelectorAll(".desk table")) {
        const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
        for (let text = walker.nextNode(); text; text = walker.nextNode()) {
            for (const word of text.data.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(text, word.index);
                range.setEnd(text, word.index + word[0].length);
                const tops = new Set(Array.from(range.getClientRects(), rect => Math.round(rect.top)));
                if (tops.size > 1) broken.push(word[0]);
            }
        }
    }
    return broken;
}"""

# Each data cell: the label shown before its value, and its column's header.
CELL_LABELS = """() => Array.from(document.querySelectorAll(".desk tbody td[data-label]"), cell => {
    const headers = cell.closest("table").querySelectorAll("thead th");
    return {shown: getComputedStyle(cell, "::before").content,
            header: headers[cell.cellIndex].textContent.trim()};
})"""


def at_the_desk(page, app, admin):
    """The admin logs in and sets up the second factor (ordinary pages), and opens the desk."""
    page.goto("/login?next=/admin")
    main = page.get_by_role("main")
    fill_log_in(main, admin)
    main.get_by_role("button", name="Log in").click()
    key = main.locator(".secret-key code").inner_text().replace(" ", "")
    main.get_by_label("Code from your app", exact=True).fill(pyotp.TOTP(key).now())
    main.get_by_role("button", name="Confirm and log in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.goto("/?q=lisbon")  # a search that finds nothing, for its table
    page.goto("/admin")
    expect(page.get_by_role("heading", name="Admin desk", level=1)).to_be_visible()


def accessibility_tree(page) -> list[dict]:
    """Chromium's own accessibility tree of the page (what a screen reader is given)."""
    session = page.context.new_cdp_session(page)
    try:
        return [node for node in session.send("Accessibility.getFullAXTree")["nodes"] if not node.get("ignored")]
    finally:
        session.detach()


@pytest.mark.parametrize("width", [320, 390])
def test_on_a_phone_each_row_of_the_desk_is_a_block_of_labelled_values_with_no_word_broken(
        browser, live_server, app, ada, admin, width):
    with browse(browser, live_server, java_script_enabled=False, viewport={"width": width, "height": 800}) as (page, _):
        at_the_desk(page, app, admin)
        assert page.evaluate(BROKEN_WORDS) == []
        labels = page.evaluate(CELL_LABELS)
        assert len(labels) >= 8  # two accounts, a search, the audit log
        assert all(label["shown"] == '"%s" / ""' % label["header"] for label in labels), labels

        # Still a table to a screen reader: its cells and headers, each value read once (the label is
        # the column header's, already said).
        tree = accessibility_tree(page)
        roles = {node["role"]["value"] for node in tree}
        assert {"table", "columnheader", "cell"} <= roles
        cells = [node.get("name", {}).get("value", "") for node in tree if node["role"]["value"] == "cell"]
        assert ADA in cells and BOSS in cells

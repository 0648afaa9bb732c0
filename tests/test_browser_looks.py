"""What a person sees, measured in a real browser: how controls look in each
state, and how pages are laid out on a phone and on a desk."""
import re

import pyotp
import pytest

from portal.extensions import db
from portal.models import User

from browser_support import let_time_pass
from conftest import BOSS, STRONG_PASSWORD
from helpers import write_captions
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
    waiting_to_ask_for_a_new_code,
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
    dialog, resend = waiting_to_ask_for_a_new_code(app, page)
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
        assert all(label["shown"] == f'"{label["header"]}" / ""' for label in labels), labels

        # Still a table to a screen reader: its cells and headers, each value read once (the label is
        # the column header's, already said).
        tree = accessibility_tree(page)
        roles = {node["role"]["value"] for node in tree}
        assert {"table", "columnheader", "cell"} <= roles
        cells = [node.get("name", {}).get("value", "") for node in tree if node["role"]["value"] == "cell"]
        assert ADA in cells and BOSS in cells


# --- a video's page and the catalogue's cards ---------------------------------------

ONE_LINE = """element => {
    const style = getComputedStyle(element);
    const content = element.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return content <= parseFloat(style.lineHeight) * 1.2;
}"""


def bottom(locator) -> float:
    box = locator.bounding_box()
    return box["y"] + box["height"]


@pytest.mark.parametrize("width", [390, 1280])
def test_each_download_button_names_its_file_and_size_on_one_line_and_the_specs_follow_as_text(
        browser, live_server, add_sample_video, width):
    video_id = add_sample_video("hd.mp4", "silent.mkv", labels=["HD 360p MP4", "Proxy"])
    with browse(browser, live_server, viewport={"width": width, "height": 800}) as (page, _):
        page.goto(f"/videos/{video_id}")
        downloads = page.get_by_role("complementary", name="Download")
        buttons = downloads.get_by_role("link", name=re.compile("^Download "))
        expect(buttons).to_have_count(2)
        sound, silent = buttons.all()
        expect(sound).to_have_text(re.compile(r"^Download HD 360p MP4 \(\d+\.\d kB\)$"))
        expect(silent).to_have_text(re.compile(r"^Download Proxy \(\d+\.\d kB\)$"))
        assert sound.evaluate(ONE_LINE) and silent.evaluate(ONE_LINE)

        specs = re.compile(r"^H\.264 · 640 × 360 · 25 fps · \d+ kbit/s · AAC stereo$")
        expect(downloads.get_by_text(specs)).to_be_visible()
        expect(sound).to_have_accessible_description(specs)
        expect(silent).to_have_accessible_description(
            re.compile(r"^MPEG-4 · 322 × 180 · 50 fps · \d+ kbit/s · MKV · no sound$"))


def test_on_a_phone_a_video_s_page_offers_the_download_before_the_transcript(
        browser, live_server, add_sample_video, tmp_path):
    video_id = add_sample_video("hd.mp4", captions=write_captions(tmp_path))
    with browse(browser, live_server, viewport={"width": 390, "height": 800}) as (page, _):
        page.goto(f"/videos/{video_id}")
        transcript = page.get_by_role("heading", name="Transcript (the captions as text)")
        download = page.get_by_role("heading", name="Download", exact=True)
        assert bottom(download) < transcript.bounding_box()["y"]


def test_a_video_with_captions_and_a_transcript_as_delivered_shows_one_transcript(
        browser, live_server, add_sample_video, tmp_path):
    """As the first demo video: its captions are the first words of its transcript."""
    video_id = add_sample_video("hd.mp4", captions=write_captions(tmp_path),
                                transcript="As delivered. Good morning. We write as text.")
    with browse(browser, live_server) as (page, _):
        page.goto(f"/videos/{video_id}")
        transcript = page.get_by_role("heading", name=re.compile("^Transcript"))
        expect(transcript).to_have_count(1)
        expect(transcript).to_have_text("Transcript (as delivered)")


# The texts of an element that a person sees: in a box larger than a pixel (not visually hidden).
SEEN_TEXTS = """element => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const seen = [];
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
        const box = text.parentElement.getBoundingClientRect();
        if (text.data.trim() && box.width > 1 && box.height > 1) seen.push(text.data.trim());
    }
    return seen;
}"""


def test_a_catalogue_card_shows_the_duration_once_and_a_screen_reader_hears_it(browser, live_server, add_sample_video):
    add_sample_video("hd.mp4")  # 2 seconds
    with browse(browser, live_server) as (page, _):
        page.goto("/")
        card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Speech on maritime security"))
        assert card.evaluate(SEEN_TEXTS).count("0:02") == 1
        assert "Duration 0:02" in card.aria_snapshot()


# --- the header ----------------------------------------------------------------------


LOG_IN_WORDS = {
    "en-GB": {"log in": "Log in", "email": "Email", "password": "Password", "my account": "My account"},
    "fr-FR": {"log in": "Se connecter", "email": "Adresse électronique", "password": "Mot de passe",
              "my account": "Mon compte"},
}


@pytest.mark.parametrize(("width", "locale"), [(320, "en-GB"), (320, "fr-FR"), (390, "en-GB"), (1280, "en-GB")])
def test_the_header_keeps_its_height_when_it_changes_after_log_in(browser, live_server, app, ada, width, locale):
    words = LOG_IN_WORDS[locale]
    with app.app_context():  # the account's language, which a log-in brings
        db.session.execute(db.update(User).values(language=locale[:2]))
        db.session.commit()
    with browse(browser, live_server, viewport={"width": width, "height": 800}, locale=locale) as (page, _):
        visit(page, "/")
        banner = page.get_by_role("banner")
        logged_out = banner.bounding_box()["height"]
        dialog = open_from_header(page, words["log in"], words["log in"])
        dialog.get_by_label(words["email"], exact=True).fill(ADA)
        dialog.get_by_label(words["password"], exact=True).fill(STRONG_PASSWORD)
        click(dialog.get_by_role("button", name=words["log in"], exact=True))
        expect(banner.get_by_role("link", name=words["my account"])).to_be_visible()
        assert banner.bounding_box()["height"] == logged_out

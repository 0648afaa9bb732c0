"""The pages a public portal must have: privacy notice, terms, accessibility,
contact (the admin's own files, or accurate defaults), the footer that links
them."""
import os
import re

import pytest

from conftest import code_in
from helpers import title_of, write_instance_file

SITE = "Media portal"
PAGES = [
    ("/privacy", "Privacy notice"),
    ("/terms", "Terms of use"),
    ("/accessibility", "Accessibility"),
    ("/contact", "Contact"),
]


@pytest.mark.parametrize("path, title", PAGES)
def test_each_page_answers_with_its_own_title(app, path, title):
    response = app.test_client().get(path)
    assert response.status_code == 200
    assert title_of(response) == f"{title} · {SITE}"
    assert f'<h2 id="step-title">{title}</h2>' in response.text


@pytest.mark.parametrize("path, title", PAGES)
def test_each_page_is_a_fragment_for_htmx(app, path, title):
    response = app.test_client().get(path, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'<h2 id="step-title">{title}</h2>' in response.text


def test_the_default_privacy_notice_says_what_the_portal_stores_and_why(app):
    text = " ".join(app.test_client().get("/privacy").text.split())
    for stored in ("full name", "email address", "organisation", "argon2id", "newsletter",
                   "when and where", "which file", "kept without your name", "browser", "last used",
                   "HMAC", "outbox", "network"):
        assert stored in text, stored
    for purpose in ("download", "account safe", "newsletter"):
        assert purpose in text
    assert "Export my data" in text and "Delete account" in text
    assert 'href="/account/"' in text


def test_without_a_terms_setting_the_default_terms_are_in_the_page_s_language(app):
    assert "Free of charge for editorial and educational use." in app.test_client().get("/terms").text
    french = app.test_client().get("/terms", headers={"Accept-Language": "fr"}).text
    assert "Gratuit pour un usage éditorial et pédagogique." in french


@pytest.mark.parametrize("settings", [{"TERMS_OF_USE": "Only for the *archive*."}])
def test_the_terms_follow_a_changed_terms_of_use_setting(app):
    assert "Only for the <em>archive</em>." in app.test_client().get("/terms").text


def test_the_default_accessibility_statement_says_how_to_report_a_barrier(app):
    text = app.test_client().get("/accessibility").text
    assert "without JavaScript" in text and "keyboard" in text
    assert 'href="/contact"' in text


def test_the_default_accessibility_statement_says_how_it_is_checked_and_the_checks_it_names_exist(app):
    import test_accessibility
    import test_keyboard

    text = " ".join(app.test_client().get("/accessibility").text.split())
    assert "(WCAG) 2.2 at level AA" in text and "axe-core against WCAG 2.0, 2.1 and 2.2 A and AA" in text
    assert "320 and 640 pixels wide" in text and "with a keyboard alone" in text
    keyboard_flows = " ".join(name for name in dir(test_keyboard) if name.startswith("test_"))
    for flow in ("registers", "logs_in", "resets", "downloads"):
        assert flow in keyboard_flows
    assert "dark" in test_accessibility.__doc__ and "320 or 640 px" in test_accessibility.__doc__
    french = " ".join(app.test_client().get("/accessibility", headers={"Accept-Language": "fr"}).text.split())
    assert "Comment nous vérifions" in french and "au clavier seul" in french


def test_without_a_contact_address_the_contact_page_stays_neutral(app):
    text = app.test_client().get("/contact").text
    assert "mailto:" not in text
    assert "has not published a contact address" in text


@pytest.mark.parametrize("settings", [{"CONTACT_EMAIL": "press@example.org"}])
def test_the_contact_page_gives_the_contact_email(app):
    text = app.test_client().get("/contact").text
    assert '<a href="mailto:press@example.org">press@example.org</a>' in text
    assert "has not published" not in text


def test_a_markdown_file_in_the_instance_folder_replaces_the_default(app):
    write_instance_file(app, "pages/privacy.md", "## Who we are\n\nWe are **Example News**.\n")
    text = app.test_client().get("/privacy").text
    # The page's title is its <h2>: the file's sections sit below it.
    assert "<h3>Who we are</h3>" in text
    assert "<strong>Example News</strong>" in text
    assert "argon2id" not in text


def test_raw_html_in_a_markdown_file_is_shown_as_text(app):
    write_instance_file(app, "pages/terms.md", (
        "<script>alert(1)</script>\n\n"
        'Hello <img src=x onerror="alert(2)"> world\n\n'
        "[click](javascript:alert(3))\n"
    ))
    text = app.test_client().get("/terms").text
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'href="javascript:' not in text


def test_an_html_file_is_the_admins_own_html(app):
    write_instance_file(app, "pages/accessibility.html", '<p class="lead">We test with <em>real</em> people.</p>')
    text = app.test_client().get("/accessibility").text
    assert '<p class="lead">We test with <em>real</em> people.</p>' in text
    assert "without JavaScript" not in text


def test_an_admin_s_page_in_the_reader_s_language_is_shown_to_that_reader(app):
    write_instance_file(app, "pages/privacy.md", "We are **Example News**.\n")
    write_instance_file(app, "pages/privacy.fr.html", "<p>Nous sommes <em>Example News</em>.</p>")
    client = app.test_client()
    french = client.get("/privacy", headers={"Accept-Language": "fr"}).text
    assert "<p>Nous sommes <em>Example News</em>.</p>" in french and "We are" not in french
    english = client.get("/privacy", headers={"Accept-Language": "en"}).text
    assert "<strong>Example News</strong>" in english and "Nous sommes" not in english
    # A page written in English only: a French reader gets the portal's own text, in French.
    write_instance_file(app, "pages/contact.en.md", "Write to us.\n")
    assert "Write to us." in client.get("/contact").text
    french_contact = client.get("/contact", headers={"Accept-Language": "fr"}).text
    assert "Write to us." not in french_contact and "n’a pas encore publié d’adresse de contact" in french_contact


def test_a_changed_file_shows_at_once(app):
    path = write_instance_file(app, "pages/contact.md", "Call us.\n")
    client = app.test_client()
    assert "Call us." in client.get("/contact").text
    write_instance_file(app, "pages/contact.md", "Write to us.\n")
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    text = client.get("/contact").text
    assert "Write to us." in text and "Call us." not in text


def test_a_page_file_that_is_not_utf8_still_shows(app):
    write_instance_file(app, "pages/contact.md", b"Caf\xe9 du port\n")
    response = app.test_client().get("/contact")
    assert response.status_code == 200
    assert "Caf\N{REPLACEMENT CHARACTER} du port" in response.text


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/reset", "/privacy", "/no-such-page"])
def test_every_page_links_the_four_pages_in_its_footer(app, path):
    text = app.test_client().get(path).text
    footer = re.search(r"<footer.*?</footer>", text, re.DOTALL).group(0)
    for href, name in PAGES:
        assert f'<a href="{href}">{name}</a>' in footer


def test_the_video_page_has_the_footer_too(app, add_video):
    video_id, _ = add_video()
    footer = re.search(r"<footer.*?</footer>", app.test_client().get(f"/videos/{video_id}").text, re.DOTALL).group(0)
    assert 'href="/privacy"' in footer


@pytest.mark.parametrize("htmx", [False, True])
def test_the_register_form_links_the_privacy_notice_beside_its_button(app, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    text = app.test_client().get("/register", headers=headers).text
    form = re.search(r"<form[^>]*action=\"/register\".*?</form>", text, re.DOTALL).group(0)
    note = re.search(r"We use your details as the <a [^>]*>privacy notice.*?</a> says\.", form, re.DOTALL)
    assert note and 'href="/privacy"' in note.group(0)
    assert form.index(note.group(0)) < form.index("Create account</button>")


def test_the_newsletter_offer_says_how_to_unsubscribe(new_visitor, deliver):
    visitor = new_visitor()
    visitor.register()
    welcome = visitor.verify(code_in(deliver().to("ada@example.org")[-1]))
    assert "Subscribe to our newsletter" in welcome.text
    assert "You can unsubscribe at any time from My account or with the link in every newsletter." in welcome.text

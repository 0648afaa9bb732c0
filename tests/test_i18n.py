"""English and French: the language a page, a form's messages and a mail are in.

The language comes from the header's switch (a cookie, and the account of
a logged-in person), else from `Accept-Language`; a page's address never
carries it.
"""
from datetime import date

from portal.extensions import db
from portal.models import User

from conftest import Visitor, code_in, text_of

FRENCH = {"Accept-Language": "fr-CH,fr;q=0.9,en;q=0.5"}
POLICY_IN_FRENCH = ("Le mot de passe doit comporter au moins 12 caractères, sans espaces, avec des majuscules "
                    "et des minuscules, des chiffres et des symboles.")


def french_visitor(app) -> Visitor:
    visitor = Visitor(app.test_client(), htmx=False)
    visitor.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = FRENCH["Accept-Language"]
    return visitor


def switch(visitor, language, next_path="/"):
    """The header's switch, pressed on the home page, asking to go on to `next_path`."""
    token = visitor.csrf_token("/")
    return visitor.client.post("/language", data={"csrf_token": token, "language": language, "next": next_path})


def account(app, email="ada@example.org") -> User:
    with app.app_context():
        return db.session.scalar(db.select(User).where(User.email == email))


def test_a_browser_asking_for_french_gets_french_pages_with_html_lang_fr(app):
    client = app.test_client()
    register = client.get("/register", headers=FRENCH)
    assert '<html lang="fr">' in register.text
    assert "Créer un compte" in register.text and POLICY_IN_FRENCH in register.text
    assert "Protection des données" in client.get("/privacy", headers=FRENCH).text
    missing = client.get("/no-such-page", headers=FRENCH)
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    english = client.get("/register", headers={"Accept-Language": "de, en;q=0.5"})
    assert '<html lang="en">' in english.text and "Create an account" in english.text
    assert {"Accept-Language", "Cookie"} <= set(register.vary)


def test_the_switch_overrides_accept_language_for_the_same_address(app):
    visitor = french_visitor(app)
    assert "Français" not in visitor.client.get("/register").text  # a French page offers English

    answer = switch(visitor, "en", "/register?next=/videos")

    assert answer.status_code == 303 and answer.headers["Location"] == "/register?next=/videos"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("language=en;") and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    page = visitor.client.get("/register?next=/videos").text
    assert '<html lang="en">' in page and "Create an account" in page
    assert '<button type="submit" class="link-button" name="language" value="fr" lang="fr">Français</button>' in page


def test_the_switch_refuses_an_unknown_language_and_returns_only_to_local_pages(app):
    visitor = Visitor(app.test_client(), htmx=False)
    refused = switch(visitor, "xx")
    assert refused.status_code == 400 and "Choose a language in the header." in refused.text
    assert switch(visitor, "fr", "//evil.example/").headers["Location"] == "/"


def test_a_logged_in_persons_choice_is_kept_on_the_account_and_followed_in_another_browser(app, verified):
    switch(verified, "fr", "/account/")
    assert account(app).language == "fr"

    elsewhere = Visitor(app.test_client(), htmx=False)
    assert "Mon compte" not in elsewhere.client.get("/").text
    elsewhere.login()
    overview = elsewhere.client.get("/account/").text
    assert '<html lang="fr">' in overview and "Modifier le mot de passe" in overview


def test_a_registration_in_french_mails_in_french_now_and_later(app, deliver, clock):
    visitor = french_visitor(app)
    visitor.register()
    code_mail = deliver().to("ada@example.org")[-1]
    assert code_mail["Subject"] == "Votre code de vérification"
    assert text_of(code_mail).startswith("Bonjour,")
    assert '<html lang="fr">' in code_mail.get_body(preferencelist=("html",)).get_content()
    visitor.verify(code_in(code_mail))
    assert account(app).language == "fr"

    clock.advance(61)  # past the cooldown between two codes to one address
    english_browser = Visitor(app.test_client(), htmx=False)
    english_browser.post("/reset", {"email": "ada@example.org"})
    reset_mail = deliver().to("ada@example.org")[-1]
    assert reset_mail["Subject"] == "Votre code de réinitialisation du mot de passe"
    assert "Saisissez-le pour choisir un nouveau mot de passe." in text_of(reset_mail)


def test_a_weak_password_is_refused_with_the_rules_in_french(app):
    answer = french_visitor(app).register(password="court")
    assert answer.status_code == 422
    for rule in ("Utilisez au moins 12 caractères.", "Ajoutez une majuscule.", "Ajoutez un chiffre.",
                 "Ajoutez un symbole."):
        assert rule in answer.text


def test_a_newsletter_sent_by_the_command_reaches_each_subscriber_in_their_language(app, deliver, tmp_path):
    """Queued by a command, outside any request: each mail in its subscriber's stored language."""
    for email, language in (("ada@example.org", "fr"), ("grace@example.org", "en")):
        visitor = french_visitor(app) if language == "fr" else Visitor(app.test_client(), htmx=False)
        visitor.register(email=email)
        visitor.verify(code_in(deliver().to(email)[-1]))
        visitor.post("/account/newsletter", {"subscribed": "yes"}, form_url="/account/")
    text = tmp_path / "news.txt"
    text.write_text("News of the month.\n")

    result = app.test_cli_runner().invoke(args=["newsletter", "send", "--subject", "November", "--text", str(text)])

    assert result.exit_code == 0, result.output
    inbox = deliver()
    assert "Vous recevez cette lettre d’information" in text_of(inbox.to("ada@example.org")[-1])
    assert "You receive this newsletter because you subscribed" in text_of(inbox.to("grace@example.org")[-1])


def test_dates_and_file_sizes_are_written_the_way_each_language_writes_them(app, add_video):
    video_id, _ = add_video(sizes=(1_234_567,), recorded_on=date(2026, 11, 25))
    client = app.test_client()
    english = client.get(f"/videos/{video_id}").text
    french = client.get(f"/videos/{video_id}", headers=FRENCH).text
    assert "25 November 2026" in english and "1.2 MB" in english
    assert "25 novembre 2026" in french and "1,2 Mo" in french


def test_the_cached_catalogue_is_kept_per_language(app, add_video):
    add_video(title="Opening remarks")
    client = app.test_client()
    assert "1 video, newest first" in client.get("/").text
    assert "1 vidéo, la plus récente d’abord" in client.get("/", headers=FRENCH).text
    assert "1 video, newest first" in client.get("/").text


def test_waits_are_said_in_the_page_s_language(app):
    from portal.clock import duration_in_words

    for seconds, english, french in [(1, "1 second", "1 seconde"), (42, "42 seconds", "42 secondes"),
                                     (3000, "50 minutes", "50 minutes"), (7300, "3 hours", "3 heures")]:
        with app.test_request_context():
            assert duration_in_words(seconds) == english
        with app.test_request_context(headers=FRENCH):
            assert duration_in_words(seconds) == french


def test_the_language_cookie_is_secure_when_the_site_is_served_over_https(tmp_path, inbox):
    from portal import create_app

    from conftest import test_settings

    app = create_app(test_settings(tmp_path, inbox.port, PUBLIC_URL="https://media.example.org"),
                     instance_path=str(tmp_path / "instance"))
    visitor = Visitor(app.test_client(), htmx=False)
    assert "Secure" in switch(visitor, "fr").headers["Set-Cookie"]
    with app.app_context():
        db.engine.dispose()

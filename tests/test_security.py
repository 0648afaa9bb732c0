"""Rules of docs/security.md that hold for every request."""
import logging
import os
import re
import stat

import pytest

from portal import create_app
from portal.config import instance_secret

from conftest import STRONG_PASSWORD, code_in, test_settings


@pytest.mark.parametrize("url", ["/", "/register", "/login", "/nowhere"])
def test_every_response_carries_the_security_headers(client_app, url):
    response = client_app.get(url)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "base-uri 'self'" in policy and "form-action 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_static_files_carry_them_too(client_app):
    response = client_app.get("/static/app.js")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_templates_have_no_inline_script_or_style(client_app):
    for url in ("/", "/register", "/login", "/reset"):
        html = client_app.get(url).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert "<script src=" in html


def test_pages_vary_on_htmx_and_are_not_cached(client_app):
    response = client_app.get("/register")
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("htmx", [False, True])
def test_a_post_without_csrf_token_is_refused_with_a_message(app, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"full_name": "Ada", "email": "ada@example.org", "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD}
    response = app.test_client().post("/register", data=data, headers=headers)
    assert response.status_code == 400
    assert "Your form has expired" in response.text
    assert ("<html" in response.text) is (not htmx)


def test_a_csrf_token_in_the_htmx_header_is_accepted(app, visitor):
    token = visitor.csrf_token("/reset")
    response = visitor.client.post(
        "/reset", data={"email": "ada@example.org"}, headers={"X-CSRFToken": token, **visitor.headers()}
    )
    assert response.status_code in (200, 303)


def test_session_cookie_is_httponly_and_lax(app):
    client = app.test_client()
    client.get("/register")
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure


def test_session_cookie_is_secure_when_configured(tmp_path, inbox):
    app = create_app(test_settings(tmp_path, inbox.port, SESSION_COOKIE_SECURE=True),
                     instance_path=str(tmp_path / "i"))
    client = app.test_client()
    client.get("/register")
    assert client.get_cookie("session").secure


def test_session_cookie_secure_setting_comes_from_the_environment(tmp_path, inbox, monkeypatch):
    monkeypatch.setenv("PORTAL_SESSION_COOKIE_SECURE", "true")
    app = create_app(instance_path=str(tmp_path / "i"))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_generated_secret_key_file_is_private_and_stable(tmp_path):
    first = instance_secret(tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    assert len(first) >= 64
    assert instance_secret(tmp_path) == first


def test_the_totp_encryption_key_is_a_private_file_of_its_own_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_TOTP_ENCRYPTION_KEY", raising=False)
    app = create_app({"MAIL_WORKER": False}, instance_path=str(tmp_path / "instance"))
    key_file = tmp_path / "instance" / "totp_encryption_key"
    assert app.config["TOTP_ENCRYPTION_KEY"] == key_file.read_text().strip() != app.config["SECRET_KEY"]
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_an_app_without_a_configured_secret_uses_the_instance_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    app = create_app(instance_path=str(tmp_path / "instance"))
    assert app.config["SECRET_KEY"] == (tmp_path / "instance" / "secret_key").read_text().strip()


def test_no_password_or_code_reaches_the_log(app, visitor, deliver, caplog):
    caplog.set_level(logging.DEBUG)
    visitor.register()
    code = code_in(deliver().to("ada@example.org")[0])
    visitor.verify(code)
    # "mail.log" is the test's SMTP server (the mail's receiver), not the portal.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    assert logged, "the portal logged nothing: the check would prove nothing"
    assert code not in logged
    assert STRONG_PASSWORD not in logged


def test_without_a_mail_server_mails_are_printed_to_the_log(tmp_path, capsys):
    app = create_app({"SECRET_KEY": "x", "MAIL_WORKER": False, "TESTING": True},
                     instance_path=str(tmp_path / "instance"))
    assert app.config["MAIL_SERVER"] is None
    from portal.mail.delivery import deliver_due

    from conftest import Visitor

    Visitor(app.test_client(), htmx=False).register()
    capsys.readouterr()
    with app.app_context():
        deliver_due()
    printed = capsys.readouterr().err
    assert "Subject: Your verification code" in printed
    assert re.search(r"^    \d{6}$", printed, re.MULTILINE)


@pytest.fixture
def app_without_mail_server(tmp_path, inbox, clock):
    from conftest import running_portal

    with running_portal(tmp_path, inbox, clock, MAIL_SERVER=None) as app:
        yield app


def printed_welcome_mail(app, capsys, language="fr") -> str:
    """Subscribe a French account to the newsletter and let the worker "send" the welcome mail."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.mail.delivery import deliver_due
    from portal.models import User
    from portal.newsletter import subscriptions

    from conftest import create_account

    create_account(app)
    with app.test_request_context("/"):
        user = db.session.scalar(select(User))
        user.language = language
        subscriptions.subscribe(user, "account")
    capsys.readouterr()
    with app.app_context():
        deliver_due()
    return capsys.readouterr().err


def test_a_mail_printed_for_lack_of_a_mail_server_reads_as_a_mail_with_its_lines_and_letters(
        app_without_mail_server, capsys):
    printed = printed_welcome_mail(app_without_mail_server, capsys)
    lines = printed.splitlines()
    assert "To: ada@example.org" in lines
    assert "Subject: Vous êtes abonné à notre lettre d’information" in lines
    assert "Bonjour," in lines
    assert "\\u00e9" not in printed and "\\n" not in printed


def test_a_mail_printed_for_lack_of_a_mail_server_keeps_its_unsubscribe_link_and_the_link_works(
        app_without_mail_server, capsys, caplog):
    app = app_without_mail_server
    printed = printed_welcome_mail(app, capsys)
    assert "[redacted]" not in printed
    [link] = re.findall(r"^http://localhost(/newsletter/unsubscribe/\S+)$", printed, re.MULTILINE)
    response = app.test_client().get(link)
    assert response.status_code == 200 and "ada@example.org" in response.text
    # The request log still never names the link's token.
    [request_line] = [record for record in caplog.records if record.name == "portal.request"]
    assert request_line.fields["path"] == "/newsletter/unsubscribe/[redacted]"


def test_with_a_mail_server_no_mail_is_printed(app, inbox, capsys):
    printed = printed_welcome_mail(app, capsys)
    assert len(inbox.messages) == 1
    assert "unsubscribe" not in printed and "printed instead of sent" not in printed


def test_oversized_input_gets_a_clear_4xx(app, visitor):
    response = visitor.post("/register", {"full_name": "A" * 100_000, "email": "ada@example.org"})
    assert response.status_code == 413
    assert "too large" in response.text


def test_control_characters_are_refused_on_the_form(app, visitor):
    response = visitor.register(name="Ada\x00Lovelace")
    assert response.status_code == 422
    assert "control characters" in response.text


def test_a_too_long_name_is_refused_and_nothing_is_written(app, visitor):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import User

    response = visitor.register(name="A" * 201)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_bytes_that_are_not_utf8_get_a_4xx_not_a_500(app, visitor):
    token = visitor.csrf_token("/register")
    body = f"csrf_token={token}&full_name=%FF%FE&email=ada%40example.org".encode()
    response = visitor.client.post(
        "/register", data=body, content_type="application/x-www-form-urlencoded", headers=visitor.headers()
    )
    assert 400 <= response.status_code < 500


def test_a_wrong_type_of_request_body_gets_a_4xx(app, visitor):
    response = visitor.client.post("/login", json={"email": ["a"], "password": 5}, headers=visitor.headers())
    assert 400 <= response.status_code < 500


@pytest.fixture
def client_app(app):
    return app.test_client()


def test_a_server_error_gets_the_portal_s_own_page(own_app):
    app = own_app
    @app.get("/boom")
    def boom():
        raise RuntimeError("internal detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "<html" in response.text
    assert "internal detail" not in response.text

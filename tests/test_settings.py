"""Settings come from defaults, instance/config.py and PORTAL_ variables, in that order."""
import pytest

from portal import create_app
from portal.extensions import db
from portal.mail import outbox

from conftest import test_settings


def test_instance_config_file_is_read(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("CODE_LIFETIME = 600\nSITE_NAME = 'Newsroom'\n")
    monkeypatch.delenv("PORTAL_CODE_LIFETIME", raising=False)
    app = create_app({"MAIL_WORKER": False}, instance_path=str(instance))
    assert app.config["CODE_LIFETIME"] == 600
    assert app.config["SITE_NAME"] == "Newsroom"


def test_environment_wins_over_the_instance_file(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("CODE_LIFETIME = 600\n")
    monkeypatch.setenv("PORTAL_CODE_LIFETIME", "120")
    monkeypatch.setenv("PORTAL_MAIL_SERVER", "smtp.example.org")
    app = create_app({"MAIL_WORKER": False}, instance_path=str(instance))
    assert app.config["CODE_LIFETIME"] == 120
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_SUPPRESS_SEND"] is False


def test_the_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"MAIL_WORKER": False}, instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'portal.sqlite3'}"
    assert (tmp_path / "instance" / "portal.sqlite3").exists()


def test_portal_mail_commands_deliver_and_report(app, inbox):
    with app.test_request_context():
        outbox.enqueue("ada@example.org", "registration_attempt", "Hello")
        db.session.commit()
    runner = app.test_cli_runner()
    status = runner.invoke(args=["mail", "status"])
    assert "queued: 1" in status.output
    delivered = runner.invoke(args=["mail", "deliver"])
    assert "Handled 1 mail" in delivered.output
    assert len(inbox.messages) == 1
    assert "sent: 1" in runner.invoke(args=["mail", "status"]).output


def session_cookie_after_a_visit(app):
    client = app.test_client()
    client.get("/register")
    return client.get_cookie("session")


def test_an_https_public_url_makes_the_cookies_secure_by_itself(tmp_path, inbox):
    app = create_app(test_settings(tmp_path, inbox.port, PUBLIC_URL="https://media.example.org"),
                     instance_path=str(tmp_path / "instance"))
    assert session_cookie_after_a_visit(app).secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_an_explicit_secure_setting_wins_over_the_public_url(tmp_path, inbox, monkeypatch):
    monkeypatch.setenv("PORTAL_SESSION_COOKIE_SECURE", "false")
    app = create_app(test_settings(tmp_path, inbox.port, PUBLIC_URL="https://media.example.org"),
                     instance_path=str(tmp_path / "instance"))
    assert not session_cookie_after_a_visit(app).secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is False


def test_an_http_public_url_leaves_the_cookies_without_secure(tmp_path, inbox):
    app = create_app(test_settings(tmp_path, inbox.port, PUBLIC_URL="http://127.0.0.1:8000"),
                     instance_path=str(tmp_path / "instance"))
    assert not session_cookie_after_a_visit(app).secure


def test_a_totp_encryption_key_that_is_not_a_fernet_key_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_TOTP_ENCRYPTION_KEY_FALLBACKS", '["not a key"]')
    with pytest.raises(ValueError, match="Fernet key"):
        create_app({"MAIL_WORKER": False}, instance_path=str(tmp_path / "instance"))

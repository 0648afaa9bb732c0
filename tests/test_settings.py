"""Settings come from defaults, instance/config.py and PORTAL_ variables, in that order."""
from portal import create_app
from portal.mail import outbox
from portal.extensions import db


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

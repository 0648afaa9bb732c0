"""The media portal: `create_app()` builds the Flask application."""
import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import clock, config, schema, security, templating
from .extensions import csrf, db, limiter, login_manager, mail

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, schema, mail worker.

    `overrides` win over every other source of settings (tests use it).
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    config.load(app, overrides or {})
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.extensions["clock"] = clock.system_now
    _init_extensions(app)
    _register_blueprints(app)
    security.install(app)
    templating.install(app)
    _init_logging()
    schema.create_schema(app)
    if app.config["MAIL_WORKER"]:
        from .mail import worker

        worker.install(app)
    from .cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from .auth import sessions  # noqa: F401  (registers Flask-Login's loaders)

    db.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from .account.routes import blueprint as account
    from .auth.routes import blueprint as auth
    from .pages import blueprint as pages

    app.register_blueprint(pages)
    app.register_blueprint(auth)
    app.register_blueprint(account)


def _init_logging() -> None:
    """Mail printed in development must reach the terminal that runs the portal."""
    mail_log = logging.getLogger("portal.mail")
    if not mail_log.handlers:
        mail_log.addHandler(logging.StreamHandler())
        mail_log.setLevel(logging.INFO)

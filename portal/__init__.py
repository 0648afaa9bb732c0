"""The media portal: `create_app()` builds the Flask application."""
import logging
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import clock, config, extensions
from portal.ops import health, schema
from portal.web import i18n, request_log, request_text, security, templating, urls

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, schema, mail worker.

    `overrides` win over every other source of settings (tests use it). The
    instance folder is `instance/` beside the package unless `instance_path`
    or `PORTAL_INSTANCE_PATH` names another.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=instance_path or config.instance_path(ROOT / "instance"),
    )
    config.load(app, overrides or {})
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.extensions["clock"] = clock.system_now
    app.url_map.converters["id"] = urls.RowIdConverter
    app.url_map.converters["file_name"] = urls.FileNameConverter
    request_log.install(app)
    request_text.install(app)  # before the CSRF check reads the form
    _init_extensions(app)
    i18n.install(app)
    _register_blueprints(app)
    security.install(app)
    templating.install(app)
    _init_logging(app.config["LOG_FORMAT"])
    health.check_public_url(app)
    health.check_breach_file(app)
    health.check_mail_server(app)
    schema.create_schema(app)
    if app.config["MAIL_WORKER"]:
        from portal.ops import worker

        worker.install(app)
    from portal.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal.auth import sessions  # noqa: F401  (registers Flask-Login's loaders)

    # `extensions.mail`, not `mail`: that name is also the `portal.mail` package.
    for extension in (extensions.db, extensions.csrf, extensions.mail, extensions.limiter, extensions.login_manager,
                      extensions.compress):
        extension.init_app(app)
    from portal.media.search import belongs_to_models

    extensions.migrate.init_app(app, extensions.db, directory=str(ROOT / "migrations"),
                                include_object=belongs_to_models)
    app.teardown_appcontext(_end_session_even_if_the_database_went_away)


def _end_session_even_if_the_database_went_away(exception) -> None:
    """Close the request's session; a connection the database cut after the work was done costs nothing.

    Registered after Flask-SQLAlchemy's own teardown, so it runs first. Closing
    rolls back, and a rollback on a connection a database restart has cut
    fails; uncaught, that turns a finished request into a bare 500.
    """
    try:
        extensions.db.session.remove()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        extensions.db.session.remove()  # the connection is now marked dead: this close only tidies up


def _register_blueprints(app: Flask) -> None:
    from portal.account.routes import blueprint as account
    from portal.admin.routes import blueprint as admin
    from portal.auth.routes import blueprint as auth
    from portal.media.routes import blueprint as media
    from portal.newsletter.routes import blueprint as newsletter
    from portal.ops.health import blueprint as health
    from portal.pages.routes import blueprint as pages

    for blueprint in (pages, auth, account, media, newsletter, admin, health):
        app.register_blueprint(blueprint)


def _init_logging(log_format: str) -> None:
    """Security events, requests and mail printed in development reach the server's log, one line each."""
    from portal.web.access_log import RedactLinks

    portal_log = logging.getLogger("portal")  # app.logger, and parent of the portal's own loggers
    handler = next((h for h in portal_log.handlers if isinstance(h, request_log.PortalHandler)), None)
    if handler is None:
        portal_log.addHandler(request_log.make_handler(log_format=log_format))
        portal_log.setLevel(logging.INFO)
    else:
        handler.setFormatter(request_log.formatter(log_format))
    for name in ("portal", "werkzeug"):  # records logged on these loggers themselves, for any handler
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinks) for f in logger.filters):
            logger.addFilter(RedactLinks())

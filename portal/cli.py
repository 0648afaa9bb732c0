"""The `portal` command: Flask's CLI with the portal's own commands added."""
from flask import Flask
from flask.cli import FlaskGroup


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, help="Run and manage the media portal.")()


def register_commands(app: Flask) -> None:
    from .admin.commands import users_group
    from .catalogues import translations_group
    from .mail.commands import mail_group
    from .media.commands import demo_command, downloads_group, media_group
    from .newsletter.commands import newsletter_group

    for command in (mail_group, media_group, downloads_group, demo_command, newsletter_group, users_group,
                    translations_group):
        app.cli.add_command(command)


if __name__ == "__main__":
    main()

"""The `portal` command: Flask's CLI with the portal's own commands added."""
from flask import Flask
from flask.cli import FlaskGroup


def main() -> None:
    from portal import create_app

    FlaskGroup(create_app=create_app, help="Run and manage the media portal.")()


def register_commands(app: Flask) -> None:
    from portal.admin.commands import users_group
    from portal.mail.commands import mail_group
    from portal.media.commands import demo_command, downloads_group, media_group
    from portal.newsletter.commands import newsletter_group
    from portal.ops.translations import translations_group

    for command in (mail_group, media_group, downloads_group, demo_command, newsletter_group, users_group,
                    translations_group):
        app.cli.add_command(command)


if __name__ == "__main__":
    main()

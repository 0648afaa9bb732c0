"""`portal translations …`: pybabel's extract, init, update and compile, with the portal's paths.

A new language is three commands (README, "Languages"): `extract`, `init <code>`
(then translate `portal/translations/<code>/LC_MESSAGES/messages.po`) and
`compile`; the portal offers every language that has a compiled catalogue.
"""
from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "portal" / "translations"
TEMPLATE = FOLDER / "messages.pot"
# The names the portal marks texts with, besides pybabel's defaults (_, gettext, ngettext).
KEYWORDS = ("_l", "lazy_gettext")

translations_group = AppGroup("translations", help="The catalogues of the portal's languages.")


def pybabel(*arguments: str) -> None:
    """Run one pybabel command; a failure stops the CLI with pybabel's own message."""
    try:
        CommandLineInterface().run(["pybabel", "--quiet", *arguments])
    except Exception as error:  # babel raises its own option and catalogue errors
        raise click.ClickException(str(error)) from error


def extract() -> None:
    """Collect every marked text of `portal/` and `templates/` into TEMPLATE (a .pot)."""
    keywords = [argument for keyword in KEYWORDS for argument in ("-k", keyword)]
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), *keywords, "--no-location", "--sort-output",
            "--project", "portal", "-o", str(TEMPLATE), str(ROOT / "portal"), str(ROOT / "templates"))


@translations_group.command("extract", help="Collect the marked texts into portal/translations/messages.pot.")
def extract_command() -> None:
    extract()
    click.echo(f"Wrote {TEMPLATE}.")


@translations_group.command("init", help="Start the catalogue of a new language (e.g. de) from messages.pot.")
@click.argument("language")
def init_command(language: str) -> None:
    pybabel("init", "-i", str(TEMPLATE), "-d", str(FOLDER), "-l", language)
    click.echo(f"Translate {FOLDER / language / 'LC_MESSAGES' / 'messages.po'}, "
               "then run `portal translations compile`.")


@translations_group.command("update", help="Bring every catalogue up to date with messages.pot.")
def update_command() -> None:
    pybabel("update", "-i", str(TEMPLATE), "-d", str(FOLDER), "--no-fuzzy-matching", "--ignore-obsolete")
    click.echo("Catalogues updated: translate the new, empty entries.")


@translations_group.command("compile", help="Compile every catalogue (.po) into the .mo the portal reads.")
def compile_command() -> None:
    pybabel("compile", "-d", str(FOLDER))
    click.echo("Catalogues compiled.")

"""The catalogues: complete, compiled as committed, and every text meant for people marked."""
import io
import re
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from portal.ops import translations as catalogues
from portal.web.i18n import SUPPORTED

from translation_lint import ROOT, template_skeleton, untranslated_in_module, untranslated_in_template

FRENCH_PO = ROOT / "portal" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
TEMPLATES = ROOT / "templates"


def read_catalogue(path: Path):
    with path.open("rb") as file:
        return read_mo(file) if path.suffix == ".mo" else read_po(file)


def translations_of(catalogue) -> dict:
    """msgid → msgstr; plural entries as tuples (read_mo gives lists)."""
    as_key = lambda text: tuple(text) if isinstance(text, (list, tuple)) else text  # noqa: E731
    return {as_key(message.id): as_key(message.string) for message in catalogue if message.id}


def test_every_text_people_read_in_the_templates_goes_through_gettext(app):
    templates = [path for path in TEMPLATES.rglob("*") if path.suffix in (".html", ".txt")]
    assert [found for path in templates for found in untranslated_in_template(app.jinja_env, path)] == []


def test_every_text_people_read_in_the_python_code_goes_through_gettext():
    assert [found for path in (ROOT / "portal").rglob("*.py") for found in untranslated_in_module(path)] == []


def test_the_checks_find_text_that_is_not_marked(app, tmp_path):
    skeleton, strings = template_skeleton(
        app.jinja_env, '{% set x = 1 %}<p title="Hello there">{{ _("Marked") }} Unmarked</p>{{ link(url, "Log in") }}',
        "t.html")
    assert "Unmarked" in skeleton and "Marked" not in skeleton and strings == ["Log in"]
    module = ROOT / "portal" / "_unmarked_example.py"
    module.write_text('from flask_babel import gettext as _\n\nDONE = "Your details were saved."\nOK = _("Saved.")\n')
    try:
        assert untranslated_in_module(module) == ["portal/_unmarked_example.py:3: 'Your details were saved.'"]
    finally:
        module.unlink()


def test_each_default_page_has_a_text_in_every_language():
    for english in TEMPLATES.glob("pages/default_*.md"):
        if english.suffixes == [".md"]:
            for language in SUPPORTED[1:]:
                assert english.with_suffix(f".{language}.md").is_file(), f"{english.name} has no {language} text"


def test_the_french_catalogue_has_no_empty_or_fuzzy_entry():
    catalogue = read_catalogue(FRENCH_PO)
    assert not catalogue.fuzzy
    assert [message.id for message in catalogue if message.id and message.fuzzy] == []
    assert [message.id for message in catalogue
            if message.id and not all(message.string if isinstance(message.string, tuple)
                                      else [message.string])] == []


def test_the_committed_compiled_catalogue_is_the_po_compiled():
    compiled = io.BytesIO()
    write_mo(compiled, read_catalogue(FRENCH_PO))
    compiled.seek(0)
    assert translations_of(read_mo(compiled)) == translations_of(read_catalogue(FRENCH_PO.with_suffix(".mo")))


def test_a_new_language_is_extract_init_compile_and_french_is_complete(app, tmp_path, monkeypatch):
    """The README's three commands, into a scratch folder; what extract finds is exactly what fr.po holds."""
    monkeypatch.setattr(catalogues, "FOLDER", tmp_path)
    monkeypatch.setattr(catalogues, "TEMPLATE", tmp_path / "messages.pot")
    runner = app.test_cli_runner()
    for command in (["extract"], ["init", "de"], ["compile"]):
        result = runner.invoke(args=["translations", *command])
        assert result.exit_code == 0, result.output

    assert (tmp_path / "de" / "LC_MESSAGES" / "messages.mo").is_file()
    extracted = set(translations_of(read_catalogue(tmp_path / "messages.pot")))
    assert extracted == set(translations_of(read_catalogue(FRENCH_PO))), \
        "run `portal translations extract` and `update`, then translate the new entries"


def test_every_french_page_says_it_is_french(app):
    client = app.test_client()
    for path in ("/", "/register", "/login", "/reset", "/privacy", "/terms", "/accessibility", "/contact"):
        page = client.get(path, headers={"Accept-Language": "fr"}).text
        assert '<html lang="fr">' in page and "Se connecter" in page, path


def test_no_template_puts_punctuation_after_a_translated_text_or_a_link():
    """French writes a no-break space before : ; ? and !, so that punctuation belongs in the translated string."""
    found = []
    for path in (ROOT / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"(\}\}|</a>|endcall %\})[:;?!]", line):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == []


def test_a_sentence_around_a_link_reads_as_french_writes_it(app, registered):
    from conftest import Visitor

    person = Visitor(app.test_client(), htmx=False)
    person.client.set_cookie("language", "fr")
    page = person.login(password="Wrong-Horse-42").text
    assert re.search(r"la même adresse</a>\u00a0: un code déjà envoyé reste valable\.", page)

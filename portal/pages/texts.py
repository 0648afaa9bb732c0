"""The text of the pages every public portal has: the admin's own file, else a default.

`instance/pages/<name>.md` is Markdown with raw HTML turned off (any tag in it
shows as text); `instance/pages/<name>.html` is the admin's own HTML, used as
written (the CSP still stops any script in it). A file for one language,
`<name>.fr.md` or `<name>.fr.html`, is shown to readers in that language
before a file without one. With none, the default in
`templates/pages/default_<name>.md` (or its translation, `default_<name>.fr.md`)
is rendered with the portal's settings.
"""
from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup

from portal.web.i18n import current_language

# name (file and route) → title
PAGES = {
    "privacy": _l("Privacy notice"),
    "terms": _l("Terms of use"),
    "accessibility": _l("Accessibility"),
    "contact": _l("Contact"),
}
# When both exist, the Markdown file wins: it is the safer of the two.
SUFFIXES = (".md", ".html")


def _demote_headings(state) -> None:
    """The page's title is its <h2>, so a file's `## Section` becomes an <h3>."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


# CommonMark with tables; "html": False escapes raw HTML, and markdown-it
# refuses javascript:, vbscript: and file: links by itself.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_markdown.core.ruler.push("demote_headings", _demote_headings)


def markdown_to_html(source: str) -> Markup:
    return Markup(_markdown.render(source))


def page_body(name: str) -> Markup:
    """The HTML of page `name` (a key of PAGES), in the request's language where there is one."""
    folder = Path(current_app.instance_path) / "pages"
    language = current_language()
    for stem in (f"{name}.{language}", name):
        for suffix in SUFFIXES:
            path = folder / f"{stem}{suffix}"
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.is_file():
                return _render_file(str(path), stat.st_mtime_ns, stat.st_size)
    # The default in the request's language (`default_<name>.fr.md`), else the English one.
    return markdown_to_html(render_template([f"pages/default_{name}.{language}.md", f"pages/default_{name}.md"]))


@lru_cache(maxsize=32)
def _render_file(path: str, modified_ns: int, size: int) -> Markup:
    """Rendered once per version of the file: its time and size are part of the key."""
    text = Path(path).read_bytes().decode("utf-8", "replace")
    if path.endswith(".html"):
        admin_html = text  # the admin's own words, trusted as HTML (README: "Your pages")
        return Markup(admin_html)
    return markdown_to_html(text)

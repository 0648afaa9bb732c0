"""Absolute URLs for what leaves the site (mails, links, the admin's terminal).

They are built from `PUBLIC_URL`, never from the request's Host header, which
a client controls, and work outside a request too.
"""
from urllib.parse import quote, urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter, UnicodeConverter

from portal.web.navigation import LARGEST_NUMBER


class RowIdConverter(IntegerConverter):
    """`<id:…>`: a row id, 1 to `LARGEST_NUMBER`; anything larger is a 404, not a database error."""

    def __init__(self, map, **kwargs):
        super().__init__(map, min=1, max=LARGEST_NUMBER)


class FileNameConverter(UnicodeConverter):
    """`<file_name:…>`: a file's name as a link's last part, every character but letters, digits and `-._~` escaped.

    Werkzeug leaves `'`, `(`, `)`, `&`, `;`, `!` and `$` as they are in a path,
    and a shell takes them for its own when a link is pasted after `wget`.
    """

    def to_url(self, value: str) -> str:
        return quote(value, safe="")


def public_url(endpoint: str, **values) -> str:
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)

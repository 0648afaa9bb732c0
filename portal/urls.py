"""Absolute URLs for what leaves the site (mails, links, the admin's terminal).

They are built from `PUBLIC_URL`, never from the request's Host header, which
a client controls, and work outside a request too.
"""
from urllib.parse import urlsplit

from flask import current_app
import werkzeug.routing
from werkzeug.routing import IntegerConverter

from .navigation import LARGEST_NUMBER


class RowIdConverter(IntegerConverter):
    """`<id:…>`: a row id, 1 to `LARGEST_NUMBER`; anything larger is a 404, not a database error."""

    def __init__(self, map, **kwargs):
        super().__init__(map, min=1, max=LARGEST_NUMBER)


def public_url(endpoint: str, **values) -> str:
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


class Rule(werkzeug.routing.Rule):
    """A URL rule that writes the code of its URL builders when first asked to build.

    Werkzeug compiles two builder functions for every rule as it is added
    (most of the time `create_app` takes: about 60 rules); a process asks for
    few of them, and the test suite builds an app for every test.
    """

    def _compile_builder(self, append_unknown: bool = True):
        def build_once_compiled(rule, *args, **kwargs):
            builder = werkzeug.routing.Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, "_build_unknown" if append_unknown else "_build", builder)
            return builder(*args, **kwargs)

        return build_once_compiled

"""Scripts and styles go out compressed; pages, which carry CSRF tokens, do not (BREACH)."""
import gzip

import pytest


@pytest.mark.parametrize("path", ["/static/htmx-2.0.11.min.js", "/static/app.css", "/static/app.js"])
def test_scripts_and_styles_are_compressed_for_browsers_that_accept_it(app, path):
    client = app.test_client()
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2


def test_pages_are_not_compressed(app):
    response = app.test_client().get("/register?q=x", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in response.headers
    assert 'name="csrf_token"' in response.text

"""The site's name and logo: settings shown in the header, the titles and the
mails; a logo file is served only when its bytes are what its name says."""
import re

import pytest

from helpers import title_of, write_instance_file

SITE = "Media portal"
# A real 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
SVG = (b'<?xml version="1.0"?>\n'
       b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')


def header_of(response) -> str:
    return re.search(r'<header id="site-header".*?</header>', response.text, re.DOTALL).group(0)


def test_without_a_logo_the_header_shows_the_name_only(app):
    client = app.test_client()
    header = header_of(client.get("/"))
    assert "<img" not in header and SITE in header
    assert client.get("/logo").status_code == 404


@pytest.mark.parametrize("name, content, content_type", [
    ("logo.png", PNG, "image/png"),
    ("logo.svg", SVG, "image/svg+xml"),
])
def test_a_logo_shows_in_the_header_and_is_served_as_what_it_is(app, name, content, content_type):
    write_instance_file(app, name, content)
    client = app.test_client()
    header = header_of(client.get("/privacy"))
    image = re.search(r"<img [^>]*>", header).group(0)
    assert f'alt="{SITE}"' in image
    source = re.search(r'src="([^"]+)"', image).group(1).replace("&amp;", "&")
    logo = client.get(source)
    assert logo.status_code == 200
    assert logo.mimetype == content_type
    assert logo.data == content
    assert logo.headers["X-Content-Type-Options"] == "nosniff"


def test_an_svg_logo_carries_a_policy_that_runs_no_script(app):
    write_instance_file(app, "logo.svg", SVG)
    logo = app.test_client().get("/logo")
    assert logo.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"


@pytest.mark.parametrize("name, content", [
    ("logo.png", b"<html><script>alert(1)</script></html>"),
    ("logo.svg", b"<html><body><script>alert(1)</script></body></html>"),
    ("logo.svg", PNG),
    ("logo.png", SVG),
    ("logo.svg", b""),
])
def test_a_logo_file_that_is_not_what_its_name_says_is_not_served(app, name, content):
    write_instance_file(app, name, content)
    client = app.test_client()
    assert "<img" not in header_of(client.get("/"))
    assert client.get("/logo").status_code == 404


@pytest.mark.parametrize("settings", [{"SITE_NAME": "Harbour TV"}])
def test_the_site_name_is_in_the_header_the_titles_and_the_mails(new_visitor, deliver):
    visitor = new_visitor()
    page = visitor.client.get("/privacy")
    assert title_of(page) == "Privacy notice · Harbour TV"
    assert "Harbour TV" in header_of(page)
    assert SITE not in page.text
    visitor.register()
    mail = deliver().to("ada@example.org")[-1]
    assert "Harbour TV" in mail.get_body(preferencelist=("plain",)).get_content()
    assert mail["From"] == "Harbour TV <no-reply@localhost>"


@pytest.mark.parametrize("settings", [{"SITE_NAME": "Harbour, TV"}])
def test_a_site_name_with_a_comma_still_makes_a_valid_sender(new_visitor, deliver):
    visitor = new_visitor()
    visitor.register()
    mail = deliver().to("ada@example.org")[-1]
    assert mail["From"].addresses[0].display_name == "Harbour, TV"
    assert mail["From"].addresses[0].addr_spec == "no-reply@localhost"


@pytest.mark.parametrize("settings", [{"SITE_NAME": "Harbour TV", "MAIL_DEFAULT_SENDER": "Desk <desk@example.org>"}])
def test_a_sender_set_explicitly_is_kept(new_visitor, deliver):
    visitor = new_visitor()
    visitor.register()
    assert deliver().to("ada@example.org")[-1]["From"] == "Desk <desk@example.org>"

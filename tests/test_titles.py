"""Every page and step says what it is in its <title>: "Create an account · Media portal"."""
import pytest

from conftest import code_in
from helpers import title_of

SITE = "Media portal"


@pytest.mark.parametrize("path, title", [
    ("/", "Video library"),
    ("/?q=summit", "Search: summit"),
    ("/login", "Log in"),
    ("/register", "Create an account"),
    ("/reset", "Reset password"),
    ("/no-such-page", "Page not found"),
])
def test_a_page_has_its_own_title(app, path, title):
    assert title_of(app.test_client().get(path)) == f"{title} · {SITE}"


def test_each_step_of_registering_has_its_own_title(new_visitor, deliver):
    visitor = new_visitor(htmx=False)  # a fragment has no <title>: the page around the dialog keeps its own
    assert title_of(visitor.register()) == f"Check your inbox · {SITE}"
    welcome = visitor.verify(code_in(deliver().to("ada@example.org")[-1]))
    assert title_of(welcome) == f"Welcome · {SITE}"
    assert title_of(visitor.client.get("/account/")) == f"My account · {SITE}"
    assert title_of(visitor.client.get("/account/password")) == f"Change password · {SITE}"


def test_the_video_page_is_titled_by_its_video(app, add_video):
    video_id, _ = add_video(title="Opening remarks")
    assert title_of(app.test_client().get(f"/videos/{video_id}")) == f"Opening remarks · {SITE}"


def test_every_page_describes_itself_and_a_video_page_with_its_video(app, add_video):
    import re

    home = app.test_client().get("/").text
    assert re.search(r'<meta name="description" content="Broadcast-quality video from Media portal[^"]+">', home)
    video_id, _ = add_video(title="Opening remarks", description="The Secretary General opens the summit.")
    page = app.test_client().get(f"/videos/{video_id}").text
    assert '<meta name="description" content="The Secretary General opens the summit.">' in page

"""The public catalogue and video pages."""
import re
from datetime import date

import pytest

from helpers import PLACE_SEARCHES, add_demo_library, assert_the_upgrade_indexes_the_places_already_there
from helpers import card_titles as titles


@pytest.fixture
def library(add_video):
    ids = {}
    ids["old"], _ = add_video("Old speech on cables", recorded_on=date(2024, 5, 1), tags=["speech"],
                              transcript="We protect undersea infrastructure together.")
    ids["new"], _ = add_video("New press conference", recorded_on=date(2026, 10, 1), tags=["press conference"],
                              place="Brussels", duration_seconds=754, description="Remarks on priorities.")
    ids["mid"], _ = add_video("Maritime b-roll", recorded_on=date(2025, 6, 1), tags=["b-roll", "maritime"],
                              description="Ships at sea; infrastructure shots.")
    return ids


def test_the_catalogue_shows_the_newest_first(app, library):
    html = app.test_client().get("/").text
    assert titles(html) == ["New press conference", "Maritime b-roll", "Old speech on cables"]
    assert "Brussels" in html and "12:34" in html and "1 October 2026" in html


def test_search_covers_the_transcript(app, library):
    assert titles(app.test_client().get("/?q=undersea").text) == ["Old speech on cables"]


def test_search_ranks_a_title_match_above_a_description_match(app, library, add_video):
    add_video("Infrastructure briefing", recorded_on=date(2020, 1, 1))
    found = titles(app.test_client().get("/?q=infrastructure").text)
    assert found[0] == "Infrastructure briefing"
    assert set(found) == {"Infrastructure briefing", "Maritime b-roll", "Old speech on cables"}


def test_search_matches_words_as_they_are_typed(app, library):
    assert titles(app.test_client().get("/?q=mariti").text) == ["Maritime b-roll"]


@pytest.mark.parametrize("query, found", PLACE_SEARCHES)
def test_search_finds_the_place_with_or_without_its_accents(app, tmp_path, query, found):
    from portal.media import searches

    add_demo_library(app, tmp_path / "clip.mp4")
    assert titles(app.test_client().get("/", query_string={"q": query}).text) == found
    with app.app_context():
        assert searches.report() == []


def test_a_place_typed_with_accents_it_does_not_have_is_found_too(app, add_video):
    add_video("Press point", place="Tromsø")
    add_video("Arrivals", place="Lisbon")
    client = app.test_client()
    assert titles(client.get("/?q=Tromso").text) == ["Press point"]
    assert titles(client.get("/?q=Lísbön").text) == ["Arrivals"]


def test_the_upgrade_indexes_the_places_of_the_videos_already_there(app, tmp_path):
    assert_the_upgrade_indexes_the_places_already_there(app, tmp_path / "clip.mp4")


@pytest.mark.parametrize("query", ['"', "NEAR(a b)", "*", "a AND OR", "'; DROP TABLE videos; --", "ü" * 300])
def test_odd_queries_never_break_the_page(app, library, query):
    response = app.test_client().get("/", query_string={"q": query})
    assert response.status_code == 200


def test_filters_by_tag_and_year(app, library):
    client = app.test_client()
    assert titles(client.get("/?tag=maritime").text) == ["Maritime b-roll"]
    assert titles(client.get("/?year=2024").text) == ["Old speech on cables"]
    assert titles(client.get("/?tag=speech&year=2026").text) == []


def test_pagination(app, library):
    app.config["CATALOGUE_PAGE_SIZE"] = 2
    client = app.test_client()
    first = client.get("/").text
    assert titles(first) == ["New press conference", "Maritime b-roll"]
    assert "Page 1 of 2" in first and "Next page" in first
    assert titles(client.get("/?page=2").text) == ["Old speech on cables"]
    assert client.get("/?page=99").status_code == 200


def test_an_htmx_search_returns_only_the_results(app, library):
    response = app.test_client().get("/?q=maritime", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in response.text
    assert titles(response.text) == ["Maritime b-roll"]


def test_a_history_restore_gets_the_whole_page(app, library):
    response = app.test_client().get(
        "/?q=maritime", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.text


def test_the_search_form_works_without_javascript(app, library):
    html = app.test_client().get("/").text
    assert '<form class="search" role="search" method="get" action="/"' in html


def test_the_video_page_shows_everything_about_the_video(app, add_video):
    video_id, _ = add_video(
        "Speech in Lisbon", sizes=(1_200_000, 300_000), labels=("HD 1080p MP4", "SD 540p"),
        recorded_on=date(2025, 6, 3), place="Lisbon", duration_seconds=3723,
        description="A keynote.", tags=["speech", "maritime"], transcript="As delivered. The sea connects us.",
    )
    html = app.test_client().get(f"/videos/{video_id}").text
    for text in ("Speech in Lisbon", "3 June 2025", "Lisbon", "1:02:03", "A keynote.", "maritime",
                 "The sea connects us.", "Terms of use"):
        assert text in html, text
    assert re.search(r"Download</span> HD 1080p MP4 \(1\.2 MB\)</a>\s*"
                     r"<p [^>]*>H\.264 · 32 × 18 · 25 fps · \d+ kbit/s · no sound</p>", html)
    assert re.search(r"Download</span> SD 540p \(300\.0 kB\)</a>\s*"
                     r"<p [^>]*>H\.264 · 32 × 18 · 25 fps · \d+ kbit/s · MP4 · no sound</p>", html)


def test_a_visitor_s_download_control_opens_the_log_in_dialog(app, add_video):
    video_id, _ = add_video()
    html = app.test_client().get(f"/videos/{video_id}").text
    assert f'href="/login?next=/videos/{video_id}" hx-get="/login?next=/videos/{video_id}"' in html
    assert "/files/" not in html


def test_a_logged_in_person_sees_real_downloads_and_a_personal_link(app, verified, add_video):
    video_id, [file_id] = add_video()
    html = verified.client.get(f"/videos/{video_id}").text
    assert f'href="/files/{file_id}"' in html
    assert "http://localhost/d/" in html


def test_a_missing_video_is_a_404_page(app):
    response = app.test_client().get("/videos/12345")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_the_terms_of_use_are_a_setting(app, add_video):
    app.config["TERMS_OF_USE"] = "Credit: Example Org."
    video_id, _ = add_video()
    assert "Credit: Example Org." in app.test_client().get(f"/videos/{video_id}").text


def test_an_added_or_removed_video_shows_at_once(app, library, add_video):
    from portal.extensions import db
    from portal.media import library as media_library
    from portal.media.models import Video

    client = app.test_client()
    assert len(titles(client.get("/").text)) == 3
    add_video("Brand new briefing", recorded_on=date(2026, 11, 1))
    assert titles(client.get("/").text)[0] == "Brand new briefing"
    with app.app_context():
        media_library.remove_video(db.session.get(Video, library["new"]))
    assert "New press conference" not in titles(client.get("/").text)


def test_a_logged_in_person_never_gets_a_visitor_s_cached_page(app, library, verified):
    assert "Log in" in app.test_client().get("/").text  # cached for visitors
    html = verified.client.get("/").text
    assert "Log out" in html and "My account" in html


def test_another_process_s_change_shows_within_the_cache_seconds(app, library, clock):
    from portal.extensions import db
    from portal.media.models import Video

    client = app.test_client()
    client.get("/")
    with app.app_context():  # as `portal media remove` in another process would: no forget() here
        video = db.session.get(Video, library["new"])
        db.session.delete(video)
        db.session.commit()
    clock.advance(app.config["CATALOGUE_CACHE_SECONDS"] + 0.1)
    assert "New press conference" not in titles(client.get("/").text)


def test_each_browser_gets_its_own_csrf_token_in_the_cached_logged_in_page(app, library, verified):
    from conftest import Visitor

    other = Visitor(app.test_client(), htmx=False)
    other.login()
    token_pattern = r'name="csrf_token" value="([^"]+)"'
    mine = re.search(token_pattern, verified.client.get("/").text).group(1)
    theirs = re.search(token_pattern, other.client.get("/").text).group(1)
    assert mine != theirs
    assert other.client.post("/logout", data={"csrf_token": mine}).status_code == 400
    assert verified.client.post("/logout", data={"csrf_token": mine}).status_code == 303
    assert "Log in" in verified.client.get("/").text
    assert "Log out" in other.client.get("/").text


def test_who_is_logged_in_is_one_select_and_last_seen_is_written_every_few_minutes(app, library, verified, clock):
    """The account and its login session come in one SELECT; "last used" is written at most every few minutes."""
    from sqlalchemy import event

    from portal.auth.sessions import LAST_SEEN_PRECISION
    from portal.extensions import db

    statements = []
    with app.app_context():
        engine = db.engine
    verified.client.get("/")  # the library's version is read, and kept for CATALOGUE_CACHE_SECONDS
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2].split()[0]))
    assert "Log out" in verified.client.get("/").text
    assert statements == ["SELECT"]
    clock.advance(LAST_SEEN_PRECISION.total_seconds() + 1)
    assert "Log out" in verified.client.get("/").text
    assert "UPDATE" in statements[1:]


def test_a_cached_visitor_page_carries_each_visitor_s_own_csrf_token(app, library):
    """The header's language switch is a form: a page kept for all visitors must not hand one visitor's token
    to the next."""
    def token_in(page):
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    first, second = app.test_client(), app.test_client()
    first_token = token_in(first.get("/"))
    second_token = token_in(second.get("/"))  # the same page, from the cache

    assert second_token != first_token
    switched = second.post("/language", data={"csrf_token": second_token, "language": "fr", "next": "/"})
    assert switched.status_code == 303
    assert '<html lang="fr"' in second.get("/").text
    # A token works only with its own visitor's session.
    assert first.post("/language", data={"csrf_token": second_token, "language": "fr"}).status_code == 400


def test_fifty_visitors_at_once_each_get_a_token_of_their_own_session(app, library):
    """The cached page's token is filled in per request, while other requests fill in theirs."""
    from helpers import parallel

    app.test_client().get("/")  # the page is in the cache

    def visit():
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
        return token, client.post("/language", data={"csrf_token": token, "language": "fr"}).status_code

    answers = parallel(50, visit)
    assert [status for _, status in answers] == [303] * 50
    assert len({token for token, _ in answers}) == 50


def test_loading_who_is_logged_in_commits_nothing_a_view_has_waiting(app, verified, clock):
    """The user is loaded when first asked for, maybe mid-view: "last used" must not commit the view's work."""
    from flask_login import current_user
    from sqlalchemy import func, select

    from portal.auth.sessions import LAST_SEEN_PRECISION
    from portal.extensions import db
    from portal.media.models import UnfoundSearch

    clock.advance(LAST_SEEN_PRECISION.total_seconds() + 1)
    cookie = verified.client.get_cookie("session").value
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
        db.session.add(UnfoundSearch(query="half-done work"))
        assert current_user.is_authenticated
        db.session.rollback()  # the view fails
        assert db.session.scalar(select(func.count(UnfoundSearch.id))) == 0

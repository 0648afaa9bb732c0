"""Versioned terms of use: the first download after a new version asks to accept them."""
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.media.models import Download
from portal.models import User

pytestmark = pytest.mark.usefixtures("storage_mode")  # every test in each: local files, a bucket

ACCEPT = "Accept and download"


def accept(person, next_path, **fields):
    return person.post(f"/terms/accept?next={next_path}", fields)


def downloads(app):
    with app.app_context():
        return db.session.scalars(select(Download).order_by(Download.id)).all()


def test_the_first_download_asks_to_accept_the_terms_instead_of_sending_the_file(app, verified_before_terms, add_video):
    _, [file_id] = add_video()
    response = verified_before_terms.client.get(f"/files/{file_id}")
    assert response.status_code == 200
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert ACCEPT in response.text
    assert "Free of charge for editorial and educational use." in response.text
    assert downloads(app) == []


def test_accepting_continues_to_the_file(app, verified_before_terms, add_video):
    _, [file_id] = add_video()
    response = accept(verified_before_terms, f"/files/{file_id}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]


def test_accepting_is_remembered_on_the_account(app, verified_before_terms, add_video):
    _, [first, second] = add_video(sizes=(5000, 3000), labels=("HD", "SD"))
    accept(verified_before_terms, f"/files/{first}")
    response = verified_before_terms.client.get(f"/files/{second}")
    assert "attachment" in response.headers["Content-Disposition"]
    with app.app_context():
        ada = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        assert ada.terms_accepted_version == "1"


def test_a_new_terms_version_asks_again_on_the_next_download(app, verified_before_terms, add_video):
    _, [file_id] = add_video()
    accept(verified_before_terms, f"/files/{file_id}")
    app.config["TERMS_VERSION"] = "2026-12"
    response = verified_before_terms.client.get(f"/files/{file_id}")
    assert ACCEPT in response.text
    response = accept(verified_before_terms, f"/files/{file_id}")
    assert "attachment" in response.headers["Content-Disposition"]


def test_the_download_record_keeps_the_terms_version_and_the_stated_use(app, verified_before_terms, add_video, clock):
    app.config["ASK_STATED_USE"] = True
    _, [file_id] = add_video()
    accept(verified_before_terms, f"/files/{file_id}", stated_use="documentary")
    [record] = downloads(app)
    assert (record.terms_version, record.stated_use) == ("1", "documentary")


def test_without_ask_stated_use_no_choice_is_asked_and_none_is_recorded(app, verified_before_terms, add_video):
    _, [file_id] = add_video()
    page = verified_before_terms.client.get(f"/files/{file_id}").text
    assert "stated_use" not in page and "documentary" not in page
    accept(verified_before_terms, f"/files/{file_id}", stated_use="documentary")
    [record] = downloads(app)
    assert (record.terms_version, record.stated_use) == ("1", None)


def test_with_ask_stated_use_the_choice_is_offered_and_required(app, verified_before_terms, add_video):
    app.config["ASK_STATED_USE"] = True
    _, [file_id] = add_video()
    page = verified_before_terms.client.get(f"/files/{file_id}").text
    for choice in ("news report", "documentary", "education", "other"):
        assert choice in page.lower()
    response = accept(verified_before_terms, f"/files/{file_id}")
    assert response.status_code == 422
    # The error's summary links to the first choice, which is what takes focus.
    assert '<a href="#stated_use-0">Choose what you will use the files for.</a>' in response.text
    assert 'id="stated_use-0"' in response.text
    response = accept(verified_before_terms, f"/files/{file_id}", stated_use="propaganda")
    assert response.status_code == 422
    assert downloads(app) == []
    assert ACCEPT in verified_before_terms.client.get(f"/files/{file_id}").text


def test_turning_ask_stated_use_on_asks_those_who_accepted_without_one(app, verified_before_terms, add_video):
    _, [file_id] = add_video()
    accept(verified_before_terms, f"/files/{file_id}")
    app.config["ASK_STATED_USE"] = True
    step = verified_before_terms.client.get(f"/files/{file_id}").text
    assert ACCEPT in step
    assert "Before you download, please say what you will use the files for." in step
    assert "have changed" not in step and "first download" not in step


def test_accepting_without_the_csrf_token_is_refused(app, verified_before_terms, add_video):
    _, [file_id] = add_video()
    response = verified_before_terms.client.post(f"/terms/accept?next=/files/{file_id}", data={})
    assert response.status_code == 400
    assert ACCEPT in verified_before_terms.client.get(f"/files/{file_id}").text


def test_accepting_needs_a_verified_account(app, client_of, add_video):
    response = client_of().get("/terms/accept")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


@pytest.fixture
def client_of(app):
    return app.test_client


def test_accepting_goes_only_to_a_local_next(app, verified_before_terms):
    response = verified_before_terms.client.post("/terms/accept?next=//evil.example/x",
                                    data={"csrf_token": verified_before_terms.csrf_token("/terms/accept")})
    assert response.status_code == 303
    assert "evil" not in response.headers["Location"]


def test_a_personal_link_answers_403_until_the_terms_are_accepted_on_the_site(
        app, verified_before_terms, add_video, clock):
    _, [file_id] = add_video()
    accept(verified_before_terms, f"/files/{file_id}")
    with app.test_request_context():
        from portal.media import links
        ada = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        link = links.link_for(ada, file_id).replace("http://localhost", "")
    app.config["TERMS_VERSION"] = "2"
    download_manager = app.test_client()
    response = download_manager.get(link)
    assert response.status_code == 403
    assert "terms of use" in response.text.lower()
    clock.advance(app.config["DOWNLOAD_RECORD_WINDOW"] + 1)
    accept(verified_before_terms, "/")
    assert download_manager.get(link).status_code == 200
    assert [record.terms_version for record in downloads(app)] == ["1", "2"]


def test_personal_links_and_link_lists_are_offered_only_after_acceptance(app, verified_before_terms, add_video):
    video_id, [file_id] = add_video()
    page = verified_before_terms.client.get(f"/videos/{video_id}").text
    assert "/d/" not in page
    response = verified_before_terms.client.get(f"/videos/{video_id}/links.txt")
    assert response.status_code == 303
    assert "/terms/accept" in response.headers["Location"]
    accept(verified_before_terms, f"/videos/{video_id}/links.txt")
    assert "/d/" in verified_before_terms.client.get(f"/videos/{video_id}").text
    assert re.search(r"http://localhost/d/\S+", verified_before_terms.client.get(f"/videos/{video_id}/links.txt").text)

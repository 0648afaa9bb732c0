"""My account: details, a new address proved by a code, newsletter, downloads,
browsers, the export and deleting the account."""
import json

import jsonschema
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail.models import OutboxMail
from portal.media.models import Download
from portal.models import LoginSession, OneTimeCode, User

from conftest import STRONG_PASSWORD, code_in, text_of, without_tokens

ADA = "ada@example.org"


def account(app, email=ADA):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def ask_for_new_address(person, address="ada@new.example.org", password=STRONG_PASSWORD):
    return person.post("/account/email", {"email": address, "current_password": password})


def test_name_and_organisation_can_be_edited(app, verified):
    response = verified.post("/account/details", {"full_name": "Augusta Ada King", "organisation": "Royal Society"})
    assert "Your details were saved." in response.text
    assert "Augusta Ada King" in response.text and "Royal Society" in response.text


@pytest.mark.parametrize("organisation, message", [
    ("x" * 201, "Use at most 200 characters."),
    ("Royal\tSociety", "Remove the control characters from this field."),
])
def test_a_refused_organisation_is_answered_with_its_message_and_not_saved(app, verified, organisation, message):
    response = verified.post("/account/details", {"full_name": "Ada Lovelace", "organisation": organisation})

    assert response.status_code == 422
    assert message in response.text
    assert account(app).organisation is None


def test_a_new_address_is_used_only_once_its_code_is_entered(app, verified, deliver, clock):
    clock.advance(61)
    step = ask_for_new_address(verified)
    assert "We have sent a verification code to ada@new.example.org." in step.text
    assert account(app).email == ADA
    code = code_in(deliver().to("ada@new.example.org")[-1])

    response = verified.post("/account/email/code", {"code": code})
    assert "Your email address is now ada@new.example.org." in response.text
    assert account(app, "ada@new.example.org") is not None
    [notice] = [mail for mail in deliver().to(ADA) if mail["Subject"] == "Your email address was changed"]
    assert "Your address was changed to a•••@new.example.org." in text_of(notice)


def changed_address_notice(app, person, deliver, clock) -> str:
    """The mail the old address gets once the account has moved to a new one."""
    clock.advance(61)
    ask_for_new_address(person)
    person.post("/account/email/code", {"code": code_in(deliver().to("ada@new.example.org")[-1])})
    [notice] = [mail for mail in deliver().to(ADA) if mail["Subject"] == "Your email address was changed"]
    return text_of(notice)


def test_the_old_address_is_told_to_contact_the_admin_at_the_contact_page_not_to_reset(app, verified, deliver,
                                                                                        clock):
    app.config["CONTACT_EMAIL"] = "desk@example.org"
    text = changed_address_notice(app, verified, deliver, clock)
    assert "reset your password" not in text and "Forgot your password?" not in text
    assert "reply to this mail" not in text
    assert "contact the people who run Media portal" in text
    assert "http://localhost/contact" in text
    assert "desk@example.org" in text


def test_without_a_contact_address_the_old_address_is_sent_to_the_contact_page(app, verified, deliver, clock):
    text = changed_address_notice(app, verified, deliver, clock)
    assert "http://localhost/contact" in text
    assert "None" not in text


def test_a_new_address_that_has_an_account_gets_a_notice_and_the_answer_reveals_nothing(
        app, verified, new_visitor, deliver, clock):
    other = new_visitor()
    other.register(email="taken@example.org")
    other.verify(code_in(deliver().to("taken@example.org")[-1]))
    deliver().clear()
    clock.advance(61)

    taken = ask_for_new_address(verified, "taken@example.org")
    clock.advance(61)
    free = ask_for_new_address(verified, "free@example.org")
    assert taken.status_code == free.status_code == 200
    assert without_tokens(taken.text).replace("taken@", "x@") == without_tokens(free.text).replace("free@", "x@")
    [notice] = deliver().to("taken@example.org")
    assert notice["Subject"] == "Someone tried to use your address for another account"
    assert not any(char.isdigit() for char in text_of(notice).split("Hello")[1][:200])
    assert account(app).email == ADA


def test_changing_the_address_asks_for_the_password_through_the_log_in_limit(app, verified, clock):
    for _ in range(10):
        assert "not your current password" in ask_for_new_address(verified, password="Wrong-Horse-42").text
    response = ask_for_new_address(verified)
    assert "Too many failed log-ins" in response.text


def test_the_newsletter_switch_says_since_when_and_from_where(app, verified):
    verified.post("/account/newsletter", {"subscribed": "yes"})
    html = verified.client.get("/account/").text
    assert "since 24 November 2026" in html and "on this page" in html


def test_the_download_history_is_newest_first_and_paged(app, verified, add_video, clock):
    app.config["DOWNLOAD_RECORD_WINDOW"] = 1
    ids = [add_video(title=f"Video {number}")[1][0] for number in range(25)]
    for file_id in ids:
        clock.advance(60)
        assert verified.client.get(f"/files/{file_id}").status_code == 200
    first = verified.client.get("/account/downloads").text
    assert first.index("Video 24") < first.index("Video 5")
    assert "Video 4<" not in first and "Page 1 of 2" in first
    second = verified.client.get("/account/downloads?page=2").text
    assert "Video 0<" in second and "Video 24" not in second
    assert verified.client.get("/account/downloads?page=3").status_code == 404


def test_every_browser_is_listed_and_can_be_logged_out(app, verified, new_visitor):
    phone = new_visitor()
    phone.client.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36")
    phone.login()
    page = verified.client.get("/account/").text
    assert "Chrome on Android" in page and "(this browser)" in page
    with app.app_context():
        phone_login = db.session.scalar(select(LoginSession.id).order_by(LoginSession.id.desc()))

    verified.post(f"/account/sessions/{phone_login}/end", form_url="/account/")
    assert "Log out" not in phone.client.get("/_header").text
    assert "Log out" in verified.client.get("/_header").text


def test_log_out_everywhere_else_keeps_this_browser(app, verified, new_visitor):
    others = [new_visitor(), new_visitor()]
    for other in others:
        other.login()
    response = verified.post("/account/sessions/end-others", form_url="/account/")
    assert "Every other browser was logged out." in response.text
    assert all("Log out" not in other.client.get("/_header").text for other in others)
    assert "Log out" in verified.client.get("/_header").text


def test_one_cannot_log_out_someone_else_s_browser(app, verified, new_visitor, deliver):
    stranger = new_visitor()
    stranger.register(email="eve@example.org")
    stranger.verify(code_in(deliver().to("eve@example.org")[-1]))
    with app.app_context():
        ada_login = db.session.scalar(select(LoginSession.id).order_by(LoginSession.id))
    stranger.post(f"/account/sessions/{ada_login}/end", form_url="/account/")
    assert "Log out" in verified.client.get("/_header").text


EXPORT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["account", "newsletter", "downloads", "sessions", "passkeys"],
    "properties": {
        "account": {
            "type": "object", "additionalProperties": False,
            "required": ["email", "full_name", "organisation", "created_at", "verified_at"],
            "properties": {"email": {"type": "string"}, "full_name": {"type": "string"},
                           "organisation": {"type": ["string", "null"]},
                           "created_at": {"type": "string", "format": "date-time"},
                           "verified_at": {"type": ["string", "null"]}},
        },
        "newsletter": {
            "type": "object", "additionalProperties": False,
            "required": ["subscribed", "consent_given_at", "consent_source"],
            "properties": {"subscribed": {"type": "boolean"}, "consent_given_at": {"type": ["string", "null"]},
                           "consent_source": {"type": ["string", "null"]}},
        },
        "downloads": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["at", "video_id", "video_title", "file", "byte_range", "via_personal_link"],
            "properties": {"at": {"type": "string"}, "video_id": {"type": ["integer", "null"]},
                           "video_title": {"type": ["string", "null"]}, "file": {"type": ["string", "null"]},
                           "byte_range": {"type": ["string", "null"]}, "via_personal_link": {"type": "boolean"}},
        }},
        "sessions": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["browser", "user_agent", "logged_in_at", "last_used_at"],
            "properties": {"browser": {"type": "string"}, "user_agent": {"type": ["string", "null"]},
                           "logged_in_at": {"type": "string"}, "last_used_at": {"type": ["string", "null"]}},
        }},
        "passkeys": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "added_at", "last_used_at", "synced"],
            "properties": {"name": {"type": "string"}, "added_at": {"type": "string"},
                           "last_used_at": {"type": ["string", "null"]}, "synced": {"type": "boolean"}},
        }},
    },
}


def test_the_export_holds_everything_about_the_person_as_a_json_download(app, verified, add_video):
    _, [file_id] = add_video(title="Opening remarks")
    verified.client.get(f"/files/{file_id}")
    verified.post("/account/newsletter", {"subscribed": "yes"})
    response = verified.client.get("/account/export")

    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.text)
    jsonschema.validate(data, EXPORT_SCHEMA)
    assert data["account"]["email"] == ADA
    assert data["newsletter"]["subscribed"] is True
    assert [line["video_title"] for line in data["downloads"]] == ["Opening remarks"]
    assert len(data["sessions"]) == 1


def test_deleting_the_account_removes_the_person_and_keeps_the_download_counts(
        app, verified, add_video, deliver, clock):
    _, [file_id] = add_video()
    verified.client.get(f"/files/{file_id}")
    response = verified.post("/account/delete", {"password": STRONG_PASSWORD})

    assert "Log in" in verified.client.get("/_header").text
    assert response.request.path == "/"
    assert account(app) is None
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginSession.id))) == 0
        assert db.session.scalar(select(func.count(OneTimeCode.id)).where(OneTimeCode.user_id.is_not(None))) == 0
        [record] = db.session.scalars(select(Download)).all()
        assert record.user_id is None and record.rendition_id == file_id
        waiting = db.session.scalars(select(OutboxMail.subject).where(OutboxMail.status == "queued")).all()
    assert waiting == ["Your account was deleted"]
    assert deliver().to(ADA)[-1]["Subject"] == "Your account was deleted"

    clock.advance(61)
    again = verified.register()
    assert "We have sent a verification code to ada@example.org." in again.text
    assert "successfully created" in verified.verify(code_in(deliver().to(ADA)[-1])).text


def test_deleting_needs_the_password_through_the_log_in_limit(app, verified):
    for _ in range(10):
        response = verified.post("/account/delete", {"password": "Wrong-Horse-42"})
        assert response.status_code == 422 and "not your current password" in response.text
    assert "Too many failed log-ins" in verified.post("/account/delete", {"password": STRONG_PASSWORD}).text
    assert account(app) is not None


def test_details_saved_before_an_address_change_survive_it(app, verified, deliver, clock):
    verified.post("/account/details", {"full_name": "Ada", "organisation": "Royal Society"})
    clock.advance(61)
    ask_for_new_address(verified)
    verified.post("/account/email/code", {"code": code_in(deliver().to("ada@new.example.org")[-1])})
    data = json.loads(verified.client.get("/account/export").text)
    assert (data["account"]["email"], data["account"]["organisation"]) == ("ada@new.example.org", "Royal Society")

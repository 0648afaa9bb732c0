"""`PORTAL_REGISTRATION_APPROVAL=admin`: a verified account waits for an admin's "Approve" or "Refuse".

"Refuse" deletes the account and tells the person by mail; the address is free
to register again (see the README's "Who may sign up").
"""
import re
from html import unescape

import pytest
from sqlalchemy import select

from portal.admin.models import AuditEntry
from portal.extensions import db
from portal.models import User

from conftest import Visitor, code_in, create_account, text_of

ADA = "ada@example.org"
WAITING = "Your account is waiting for approval"


@pytest.fixture
def approval(app):
    app.config["REGISTRATION_APPROVAL"] = "admin"


def page_text(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def account(app, email=ADA) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def audit_actions(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(entry.action, entry.target) for entry in db.session.scalars(select(AuditEntry))]


def register_and_verify(person: Visitor, deliver, email=ADA):
    person.register(email=email)
    return person.verify(code_in(deliver().to(email)[-1]))


@pytest.fixture
def waiting(app, approval, deliver):
    """Ada registered (plain pages, in the page's language) and verified her address: her account waits."""
    person = Visitor(app.test_client(), htmx=False)
    register_and_verify(person, deliver)
    deliver().clear()
    return person


def test_after_verifying_the_person_is_told_the_account_waits(app, approval, visitor, deliver):
    response = register_and_verify(visitor, deliver)

    assert WAITING in page_text(response)
    assert "From now on you can download" not in page_text(response)
    assert account(app).is_waiting_for_approval


def test_without_approval_a_verified_account_does_not_wait(app, visitor, deliver):
    response = register_and_verify(visitor, deliver)

    assert WAITING not in page_text(response)
    assert not account(app).is_waiting_for_approval


def test_a_waiting_account_cannot_download_and_is_told_why(app, waiting, add_video):
    video_id, [file_id] = add_video()
    waiting.accept_terms()

    page = waiting.client.get(f"/videos/{video_id}")
    assert WAITING in page_text(page)
    assert "/d/" not in page.get_data(as_text=True)  # no personal link to copy
    download = waiting.client.get(f"/files/{file_id}")
    assert download.status_code == 403
    assert WAITING in page_text(download)
    link_list = waiting.client.get(f"/videos/{video_id}/links.txt")
    assert link_list.status_code == 403
    assert WAITING in page_text(link_list)


def test_a_personal_link_of_a_waiting_account_is_refused(app, add_video):
    from portal.media import links

    _, [file_id] = add_video()
    create_account(app)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == ADA))
        user.approval_requested_at = user.verified_at
        user.terms_accepted_version = app.config["TERMS_VERSION"]
        db.session.commit()
        link = links.link_for(user, file_id, "file.mp4")

    response = app.test_client().get(link.removeprefix("http://localhost"))
    assert response.status_code == 403
    assert WAITING in page_text(response)


def test_the_desk_shows_the_queue_and_its_size(app, waiting, desk):
    page = page_text(desk.client.get("/admin"))

    assert "1 waiting for approval" in page
    assert "Waiting for approval" in page
    assert ADA in page
    assert "Approve" in page and "Refuse" in page


def test_approving_lets_the_person_download_is_audited_and_mailed_in_their_language(
        app, approval, deliver, desk, add_video):
    person = Visitor(app.test_client(), htmx=False)
    person.client.set_cookie("language", "fr")
    register_and_verify(person, deliver)
    user_id = account(app).id

    desk.post(f"/admin/accounts/{user_id}/approve", form_url="/admin")

    assert not account(app).is_waiting_for_approval
    assert ("approve", ADA) in audit_actions(app)
    [mail] = deliver().to(ADA)[-1:]
    assert mail["Subject"] == "Votre compte est approuvé"
    assert "Vous pouvez maintenant télécharger" in text_of(mail)
    _, [file_id] = add_video()
    person.accept_terms()
    assert person.client.get(f"/files/{file_id}").status_code == 200
    assert "0 waiting for approval" in page_text(desk.client.get("/admin"))


def test_refusing_deletes_the_account_is_audited_mailed_and_frees_the_address(app, approval, deliver, desk, clock):
    person = Visitor(app.test_client(), htmx=False)
    person.client.set_cookie("language", "fr")
    register_and_verify(person, deliver)
    user_id = account(app).id

    desk.post(f"/admin/accounts/{user_id}/refuse", form_url="/admin")

    assert account(app) is None
    assert ("refuse", ADA) in audit_actions(app)
    [mail] = deliver().to(ADA)[-1:]
    assert mail["Subject"] == "Votre inscription n’a pas été acceptée"
    assert "Log out" not in person.client.get("/_header").text
    clock.advance(app.config["CODE_RESEND_COOLDOWN"])
    again = Visitor(app.test_client(), htmx=False)
    assert WAITING in page_text(register_and_verify(again, deliver))


def test_approve_and_refuse_need_the_csrf_token(app, waiting, desk):
    user_id = account(app).id
    for action in ("approve", "refuse"):
        assert desk.client.post(f"/admin/accounts/{user_id}/{action}").status_code == 400
    assert account(app).is_waiting_for_approval


def test_approving_an_account_that_does_not_wait_changes_nothing(app, desk):
    create_account(app)
    user_id = account(app).id
    for action in ("approve", "refuse"):
        response = desk.post(f"/admin/accounts/{user_id}/{action}", form_url="/admin")
        assert response.status_code == 200
    assert account(app) is not None
    assert audit_actions(app) == [("create-admin", "boss@example.org")]


def run(app, *args):
    return app.test_cli_runner().invoke(args=["users", *args])


def test_the_cli_approves_a_waiting_account(app, waiting, deliver):
    result = run(app, "approve", ADA)

    assert result.exit_code == 0, result.output
    assert f"{ADA} is approved" in result.output
    assert not account(app).is_waiting_for_approval
    assert ("approve", ADA) in audit_actions(app)
    assert deliver().to(ADA)[-1]["Subject"] == "Your account is approved"


def test_the_cli_refuses_a_waiting_account(app, waiting, deliver):
    result = run(app, "refuse", ADA)

    assert result.exit_code == 0, result.output
    assert f"{ADA} is refused" in result.output
    assert account(app) is None
    assert deliver().to(ADA)[-1]["Subject"] == "Your registration was not accepted"


@pytest.mark.parametrize("command", ["approve", "refuse"])
def test_the_cli_says_when_an_account_does_not_wait(app, command):
    create_account(app)
    result = run(app, command, ADA)
    assert result.exit_code != 0
    assert "is not waiting for approval" in result.output
    assert account(app) is not None


def test_the_cli_lists_waiting_accounts(app, waiting):
    result = run(app, "list")
    assert "waiting" in result.output


def test_healthz_counts_the_accounts_waiting_for_approval(app, waiting):
    assert app.test_client().get("/healthz").get_json()["approval_queue"] == 1


def test_an_unknown_approval_setting_stops_the_start(tmp_path, inbox, clock):
    from conftest import running_portal

    with pytest.raises(ValueError, match="REGISTRATION_APPROVAL"):
        with running_portal(tmp_path, inbox, clock, REGISTRATION_APPROVAL="manual"):
            pass


def test_an_account_never_verified_that_a_reset_verifies_waits_too(app, approval, deliver, clock):
    """An account made before its address was proved (an older portal's) is verified by a reset code: it waits."""
    from portal.auth import passwords

    with app.app_context():
        db.session.add(User(email=ADA, full_name="Ada", password_hash=passwords.hash_password("x"), language="en"))
        db.session.commit()
    person = Visitor(app.test_client(), htmx=False)
    person.post("/reset", {"email": ADA})
    person.post("/reset/code", {"code": code_in(deliver().to(ADA)[-1])})
    person.post("/reset/password", {"password": "Fresh-Pass-2026!", "confirm": "Fresh-Pass-2026!"})
    assert account(app).is_verified and account(app).is_waiting_for_approval


@pytest.mark.parametrize("action", ["approve", "refuse"])
def test_fifty_clicks_at_once_on_approve_or_refuse_act_once_audit_once_and_mail_once(
        app, waiting, desk, deliver, action):
    """The desk's own browser (its cookie and token) posting together, as an impatient admin might."""
    from helpers import parallel

    mails_before = len(deliver().to(ADA))
    user_id = account(app).id
    token = desk.csrf_token("/admin")
    cookie = desk.client.get_cookie("session").value

    def click() -> int:
        client = app.test_client()
        client.set_cookie("session", cookie)
        return client.post(f"/admin/accounts/{user_id}/{action}", data={"csrf_token": token}).status_code

    statuses = parallel(50, click)

    assert all(status < 500 for status in statuses), statuses
    assert audit_actions(app).count((action, ADA)) == 1
    assert len(deliver().to(ADA)) == mails_before + 1

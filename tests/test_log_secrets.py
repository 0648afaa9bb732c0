"""No password, code, session cookie, CSRF token or download link ever reaches a log line."""
import io
import logging
from urllib.parse import urlsplit

from portal.auth.accounts import find_user
from portal.media import links
from portal.web import request_log

from conftest import OTHER_PASSWORD, STRONG_PASSWORD, Visitor, code_in

THIRD_PASSWORD = "Lighthouse#Keeper-91"


class RecordingVisitor(Visitor):
    """A visitor that remembers every secret its browser held: tokens of forms and cookies."""

    def __init__(self, client, secrets):
        super().__init__(client, htmx=False)
        self.secrets = secrets

    def csrf_token(self, url):
        token = super().csrf_token(url)
        self.secrets.add(token)
        return token

    def _follow(self, response):
        response = super()._follow(response)
        for name in ("session", "remember_token"):
            cookie = self.client.get_cookie(name)
            if cookie and cookie.value:
                self.secrets.add(cookie.value)
        return response


def test_a_full_run_logs_no_secret(app, deliver, add_video, caplog, clock):
    everything = io.StringIO()
    portal_lines = request_log.make_handler(everything)
    root = logging.getLogger()
    root.addHandler(portal_lines)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="portal")
    secrets = {STRONG_PASSWORD, OTHER_PASSWORD, THIRD_PASSWORD, "Wrong-Password-1"}
    try:
        person = RecordingVisitor(app.test_client(), secrets)
        person.register(password=STRONG_PASSWORD)
        person.verify("000000")
        code = code_in(deliver().to("ada@example.org")[-1])
        secrets.add(code)
        person.verify(code)
        person.post("/logout", form_url="/account/")
        person.login(password="Wrong-Password-1")
        person.login(password=STRONG_PASSWORD)

        person.post("/account/password", {"current_password": STRONG_PASSWORD, "password": OTHER_PASSWORD,
                                          "confirm": OTHER_PASSWORD})
        person.post("/logout", form_url="/account/")

        clock.advance(61)
        person.post("/reset", {"email": "ada@example.org"})
        reset_code = code_in(deliver().to("ada@example.org")[-1])
        secrets.add(reset_code)
        person.post("/reset/code", {"code": reset_code})
        person.post("/reset/password", {"password": THIRD_PASSWORD, "confirm": THIRD_PASSWORD})
        person.login(password=THIRD_PASSWORD)
        assert "Log out" in person.client.get("/_header").text

        person.accept_terms()  # personal links work once the terms are accepted on the site
        _, [file_id] = add_video()
        with app.app_context():
            link = links.link_for(find_user("ada@example.org"), file_id)
        token = urlsplit(link).path.removeprefix("/d/")
        secrets.add(token)
        stranger = app.test_client()
        assert stranger.get(urlsplit(link).path).status_code == 200
        stranger.get(urlsplit(link).path + "/speech.mp4?from=" + token)
        stranger.get("/d/" + token[:-3] + "xyz")
    finally:
        root.removeHandler(portal_lines)

    assert all(len(secret) >= 6 for secret in secrets) and len(secrets) > 8
    logged = [everything.getvalue(), caplog.text] + [
        f"{record.getMessage()} {record.__dict__}" for record in caplog.records
    ]
    assert "event=request" in logged[0] and "login: account" in logged[0]
    for secret in secrets:
        assert not any(secret in text for text in logged), f"a secret reached the log: {secret[:3]}…"

"""One log line per request and per event, key=value or JSON, each with the request's id."""
import io
import json
import logging

import pytest

from portal.web import request_log


@pytest.fixture
def log_lines():
    """What the portal's own log handler would write, as a list of lines."""
    stream = io.StringIO()
    handlers = []

    def read(log_format="keyvalue"):
        if not handlers:
            handler = request_log.make_handler(stream, log_format)
            logging.getLogger("portal").addHandler(handler)
            handlers.append(handler)
        return lambda: stream.getvalue().splitlines()

    yield read
    for handler in handlers:
        logging.getLogger("portal").removeHandler(handler)


def request_lines(lines):
    return [line for line in lines() if "event=request" in line]


def test_every_answer_carries_a_fresh_request_id(app):
    client = app.test_client()
    first, second = client.get("/"), client.get("/")
    assert request_log.is_safe_id(first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_short_safe_incoming_request_id_is_kept(app):
    response = app.test_client().get("/", headers={"X-Request-ID": "lb-7f3a9c01"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c01"


@pytest.mark.parametrize("incoming", ["a b", "x" * 200, "id\tforged", "<script>", "ok=1", ""])
def test_an_unsafe_incoming_request_id_is_replaced(app, incoming):
    response = app.test_client().get("/", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] != incoming
    assert request_log.is_safe_id(response.headers["X-Request-ID"])


def test_one_key_value_line_per_request(app, log_lines):
    lines = log_lines()
    response = app.test_client().get("/?q=harbour", headers={"X-Request-ID": "req-1"})
    [line] = request_lines(lines)
    assert "event=request method=GET path=/ status=200 " in line
    assert "request_id=req-1" in line and "user=-" in line
    assert " ms=" in line and "harbour" not in line
    assert response.status_code == 200


def test_the_request_line_names_the_account_not_the_address(app, verified, log_lines):
    lines = log_lines()
    verified.client.get("/account/")
    [line] = request_lines(lines)
    assert "user=1" in line and "ada@example.org" not in line


def test_a_download_link_is_logged_without_its_token(app, log_lines):
    lines = log_lines()
    app.test_client().get("/d/SECRET-TOKEN.abc/speech.mp4?x=SECRET-QUERY")
    [line] = request_lines(lines)
    assert "path=/d/[redacted]" in line
    assert "SECRET" not in line


def test_events_of_a_request_carry_its_id(app, registered, log_lines):
    lines = log_lines()
    registered.client.get("/login")
    registered.client.post("/login", data={"email": "ada@example.org", "password": "Wrong-Password-1",
                                           "csrf_token": registered.csrf_token("/login")},
                           headers={"X-Request-ID": "try-42"})
    events = [line for line in lines() if "password check failed" in line]
    assert events and all("request_id=try-42" in line for line in events)


def test_a_message_with_a_line_break_stays_one_line(app, log_lines):
    lines = log_lines()
    logging.getLogger("portal.test").warning("first\nevent=forged")
    [line] = lines()
    assert 'msg="first\\nevent=forged"' in line


def test_json_lines_by_setting(app, log_lines):
    lines = log_lines("json")
    app.test_client().get("/videos?q=x", headers={"X-Request-ID": "j-1"})
    records = [json.loads(line) for line in lines()]
    request = next(record for record in records if record.get("event") == "request")
    assert request["request_id"] == "j-1" and request["path"] == "/videos" and request["method"] == "GET"
    assert isinstance(request["status"], int) and isinstance(request["ms"], float)


@pytest.mark.parametrize("settings", [{"LOG_FORMAT": "json"}])
def test_the_log_format_setting_chooses_the_portal_handlers_format(app, settings):
    [handler] = [h for h in logging.getLogger("portal").handlers if isinstance(h, request_log.PortalHandler)]
    assert isinstance(handler.formatter, request_log.JsonFormatter)


@pytest.mark.parametrize("settings", [{"LOG_FORMAT": "xml"}])
def test_an_unknown_log_format_is_refused(tmp_path, inbox, settings):
    from portal import create_app

    from conftest import test_settings

    with pytest.raises(ValueError, match="LOG_FORMAT"):
        create_app(test_settings(tmp_path, inbox.port, **settings), instance_path=str(tmp_path / "instance"))

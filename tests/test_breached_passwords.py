"""Passwords known from data breaches are refused: by the Pwned Passwords range API
(k-anonymity, padded), or a local file of hashes, with a bundled list when the API is down."""
import hashlib
import http.server
import logging
import threading
import time

import pytest

from portal.auth import breaches

from conftest import STRONG_PASSWORD, Visitor, code_in, create_account, running_portal

BREACHED = "Summer-Breach-2024!"
# In the bundled list of common passwords (as `p030710p$e4o`), and it meets every other rule.
COMMON = "P030710p$e4o"
MESSAGE = "This password appears in known data breaches. Choose another."


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest().upper()


class RangeServer(http.server.ThreadingHTTPServer):
    """A Pwned Passwords range API on loopback: padded answers, or slow ones when `delay` is set."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), RangeHandler)
        self.counts = {sha1(BREACHED): 52_000}
        self.requests = []
        self.delay = 0.0
        self.status = 200

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/range/"

    def handle_error(self, request, client_address):
        """A client that gave up before a slow answer is expected here, not an error to print."""

    def answer(self, prefix: str) -> str:
        lines = [f"{digest[5:]}:{count}" for digest, count in self.counts.items() if digest.startswith(prefix)]
        padding = [f"{index:035X}:0" for index in range(800)]
        return "\r\n".join(sorted(lines + padding))


class RangeHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        time.sleep(self.server.delay)
        body = self.server.answer(self.path.rsplit("/", 1)[1]).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def range_server():
    server = RangeServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(range_server):
    return {"PASSWORD_BREACH_CHECK": "range", "PASSWORD_BREACH_RANGE_URL": range_server.url,
            "PASSWORD_BREACH_TIMEOUT": 0.3}


def register(app, password, htmx=False):
    return Visitor(app.test_client(), htmx=htmx).register(password=password)


@pytest.mark.parametrize("htmx", [False, True])
def test_registering_with_a_breached_password_is_refused_with_the_message(app, htmx):
    response = register(app, BREACHED, htmx)
    assert response.status_code == 422
    assert MESSAGE in response.text
    assert BREACHED not in response.text


def test_only_the_first_five_hex_digits_leave_the_server_and_padding_is_asked_for(app, range_server):
    register(app, BREACHED)
    [(path, headers)] = range_server.requests
    assert path == "/range/" + sha1(BREACHED)[:5]
    assert headers["Add-Padding"] == "true"
    assert sha1(BREACHED)[5:] not in str(headers) and BREACHED not in str(headers)


def test_a_password_the_range_does_not_hold_is_accepted(app, range_server):
    response = register(app, STRONG_PASSWORD)
    assert "Check your inbox and enter verification code" in response.text
    assert len(range_server.requests) == 1


def test_a_padding_line_never_matches(app, range_server):
    range_server.counts = {sha1(BREACHED): 0}
    assert "Check your inbox and enter verification code" in register(app, BREACHED).text


def test_a_password_that_breaks_a_rule_is_not_sent_to_the_range_server(app, range_server):
    response = register(app, "short")
    assert "Use at least 12 characters." in response.text and MESSAGE not in response.text
    assert range_server.requests == []


def test_a_slow_range_server_falls_back_to_the_common_passwords_and_logs_it(app, range_server, caplog):
    range_server.delay = 1.0
    caplog.set_level(logging.WARNING, logger="portal.auth.breaches")
    started = time.monotonic()
    common = register(app, COMMON)
    assert time.monotonic() - started < 1.0
    assert common.status_code == 422 and MESSAGE in common.text
    [record] = caplog.records
    assert "common passwords" in record.getMessage()
    assert COMMON not in caplog.text and sha1(COMMON)[:5] not in caplog.text
    assert "Check your inbox and enter verification code" in register(app, STRONG_PASSWORD).text


def test_a_stopped_range_server_never_blocks_a_person(app, range_server, caplog):
    range_server.shutdown()
    range_server.server_close()
    caplog.set_level(logging.WARNING, logger="portal.auth.breaches")
    assert "Check your inbox and enter verification code" in register(app, STRONG_PASSWORD).text
    assert MESSAGE in register(app, COMMON).text
    assert "did not answer" in caplog.text


def test_a_range_server_answering_an_error_falls_back_to_the_common_passwords(app, range_server, caplog):
    range_server.status = 503
    caplog.set_level(logging.WARNING, logger="portal.auth.breaches")
    assert MESSAGE in register(app, COMMON).text
    assert "Check your inbox and enter verification code" in register(app, BREACHED).text
    assert "HTTPError" in caplog.text


def reset_to(app, deliver, clock, password):
    person = Visitor(app.test_client(), htmx=False)
    clock.advance(61)
    person.post("/reset", {"email": "ada@example.org"})
    person.post("/reset/code", {"code": code_in(deliver().to("ada@example.org")[-1])})
    return person.post("/reset/password", {"password": password, "confirm": password})


def test_a_reset_refuses_a_breached_password(app, deliver, clock):
    create_account(app)
    response = reset_to(app, deliver, clock, BREACHED)
    assert response.status_code == 422 and MESSAGE in response.text


def test_changing_the_password_refuses_a_breached_one(app):
    person = Visitor(app.test_client(), htmx=False)
    person.login(create_account(app))
    response = person.post("/account/password", {"current_password": STRONG_PASSWORD, "password": BREACHED,
                                                 "confirm": BREACHED})
    assert response.status_code == 422 and MESSAGE in response.text


def test_create_admin_refuses_a_breached_password(app):
    runner = app.test_cli_runner()
    on_stdin = runner.invoke(args=["users", "create-admin", "boss@example.org", "--password-stdin"],
                             input=BREACHED + "\n")
    assert on_stdin.exit_code != 0 and MESSAGE in on_stdin.output
    prompted = runner.invoke(args=["users", "create-admin", "boss@example.org"],
                             input=f"{BREACHED}\n{BREACHED}\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    assert prompted.exit_code == 0 and MESSAGE in prompted.output


def test_the_message_is_in_french_for_a_french_reader(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = Visitor(client, htmx=False).register(password=BREACHED)
    assert "Ce mot de passe figure dans des fuites de données connues. Choisissez-en un autre." in response.text


def test_off_checks_nothing(app, range_server):
    app.config["PASSWORD_BREACH_CHECK"] = "off"
    assert "Check your inbox and enter verification code" in register(app, BREACHED).text
    assert "Check your inbox and enter verification code" in register(app, COMMON).text
    assert range_server.requests == []


def test_an_unknown_mode_stops_the_start(tmp_path, inbox):
    from portal import create_app

    from conftest import test_settings

    with pytest.raises(ValueError, match="PASSWORD_BREACH_CHECK"):
        create_app(test_settings(tmp_path, inbox.port, PASSWORD_BREACH_CHECK="online"),
                   instance_path=str(tmp_path / "instance"))


HASHES_IN_FILE = 1_000_000


@pytest.fixture(scope="session")
def hash_file(tmp_path_factory):
    """A sorted file of a million SHA-1 hashes in the Pwned Passwords format, made once per run."""
    lines = sorted(f"{sha1(f'Leaked-{number}!')}:{number + 1}\r\n" for number in range(HASHES_IN_FILE))
    path = tmp_path_factory.mktemp("breaches") / "pwned-passwords.txt"
    path.write_text("".join(lines), newline="")
    return path


def test_local_mode_refuses_a_password_of_the_file(app, hash_file, range_server):
    app.config.update(PASSWORD_BREACH_CHECK="local", PASSWORD_BREACH_FILE=str(hash_file))
    response = register(app, "Leaked-4711!A")
    assert "Check your inbox and enter verification code" in response.text
    response = register(app, "Leaked-4711!")
    assert response.status_code == 422 and MESSAGE in response.text
    assert range_server.requests == []


@pytest.mark.parametrize("number", [0, 1, 4711, 500_000, HASHES_IN_FILE - 1])
def test_each_line_of_the_file_is_found_with_its_count(hash_file, number):
    with hash_file.open("rb") as handle:
        assert breaches.count_in_sorted_file(handle, sha1(f"Leaked-{number}!")) == number + 1


def test_hashes_before_between_and_after_the_lines_are_not_found(hash_file):
    with hash_file.open("rb") as handle:
        for digest in ["0" * 40, "F" * 40, sha1("Not-Leaked-1!"), sha1(STRONG_PASSWORD)]:
            assert breaches.count_in_sorted_file(handle, digest) == 0


def test_a_check_in_a_million_hashes_takes_under_fifty_milliseconds(app, hash_file):
    """Each check is timed on its own; the best of three keeps a busy machine's pauses out of it."""
    app.config.update(PASSWORD_BREACH_CHECK="local", PASSWORD_BREACH_FILE=str(hash_file))
    with app.app_context():
        for password in [f"Leaked-{number}!" for number in range(0, HASHES_IN_FILE, 99_991)] + [STRONG_PASSWORD]:
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                breaches.is_breached(password)
                timings.append(time.perf_counter() - started)
            assert min(timings) < 0.05, password


def test_a_missing_file_falls_back_to_the_common_passwords_and_logs_it(app, tmp_path, caplog):
    app.config.update(PASSWORD_BREACH_CHECK="local", PASSWORD_BREACH_FILE=str(tmp_path / "none.txt"))
    caplog.set_level(logging.WARNING, logger="portal.auth.breaches")
    assert MESSAGE in register(app, COMMON).text
    assert "Check your inbox and enter verification code" in register(app, STRONG_PASSWORD).text
    assert "common passwords" in caplog.text and COMMON not in caplog.text


def test_local_mode_without_its_file_is_said_at_start_and_on_healthz(tmp_path, inbox, clock, caplog):
    missing = tmp_path / "pwned-passwords.txt"
    local = {"PASSWORD_BREACH_CHECK": "local", "PASSWORD_BREACH_FILE": str(missing)}
    with running_portal(tmp_path, inbox, clock, **local) as app:
        warnings = app.test_client().get("/healthz").json["warnings"]
    [warning] = [text for text in warnings if "PASSWORD_BREACH" in text]
    assert str(missing) in warning and "common passwords" in warning
    assert warning in caplog.text


def test_local_mode_with_its_file_starts_without_a_warning(tmp_path, inbox, clock, hash_file):
    local = {"PASSWORD_BREACH_CHECK": "local", "PASSWORD_BREACH_FILE": str(hash_file)}
    with running_portal(tmp_path, inbox, clock, **local) as app:
        assert "PASSWORD_BREACH" not in str(app.test_client().get("/healthz").json.get("warnings"))

"""Helpers for the browser tests: the chromium to drive, a live server, mail,
htmx readiness and a watch for Content-Security-Policy violations."""
import os
import threading
import time
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from conftest import code_in, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Long enough for a slow CI machine, short enough that a broken step fails fast.
STEP_TIMEOUT_MS = 5_000
MAIL_TIMEOUT = 10.0


def unavailable(reason: str) -> None:
    """Skip a browser test that cannot run here; on CI (CI=true) fail it instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(reason)


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        unavailable(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")


class LiveServer:
    """The app served by werkzeug on a free local port, in a thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        worker = self.app.extensions.get("mail_worker")
        if worker is not None:
            worker.stop()


def wait_for_code(inbox, address: str, count: int = 1, timeout: float = MAIL_TIMEOUT) -> str:
    """The code in the `count`-th mail to `address`, once the mail worker has sent it."""
    deadline = time.monotonic() + timeout
    while True:
        messages = inbox.to(address)
        if len(messages) >= count:
            return code_in(messages[count - 1])
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail number {count} to {address} within {timeout} s (got {len(messages)})")
        time.sleep(0.05)


# Runs before any page script (Playwright injects it outside the page's CSP).
# htmx fires `htmx:load` on every piece of content once it has processed it.
WATCH_HTMX = """
window.__htmxLoaded = [];
document.addEventListener("htmx:load", function (event) {
  window.__htmxLoaded.push(event.target);
}, true);
"""


def htmx_ready(locator):
    """Wait until htmx has processed the element, so a click cannot fall through
    to the plain link or form; return the locator for chaining."""
    locator.wait_for(state="visible")
    locator.page.wait_for_function(
        """element => window.htmx !== undefined && window.__htmxLoaded.some(root => root.contains(element))""",
        arg=locator.element_handle(),
        timeout=STEP_TIMEOUT_MS,
    )
    return locator


class ConsoleWatch:
    """What the browser reports about a page: console messages, uncaught
    errors, and answers of the server that it could not give (5xx)."""

    def __init__(self, page):
        self.messages = []
        self.errors = []
        self.server_errors = []
        self.expected_server_errors = set()
        page.on("console", lambda message: self.messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", self._note_server_error)

    def expect_server_error(self, method: str, path: str) -> None:
        """A test that makes the server fail on purpose says where."""
        self.expected_server_errors.add((method, path))

    def _note_server_error(self, response):
        expected = (response.request.method, urlsplit(response.url).path) in self.expected_server_errors
        if response.status >= 500 and not expected:
            self.server_errors.append(f"{response.request.method} {response.url} answered {response.status}")

    def csp_violations(self) -> list[str]:
        return [text for text in self.messages if "Content Security Policy" in text]

    def problems(self) -> list[str]:
        return self.csp_violations() + [f"uncaught: {error}" for error in self.errors] + self.server_errors

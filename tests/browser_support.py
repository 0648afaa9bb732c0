"""Helpers for the browser tests: the chromium to drive, a live server, mail,
htmx readiness and a watch for Content-Security-Policy violations."""
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from conftest import code_in, free_port
from helpers import SHUTDOWN_POLL

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


# Every live server of this test process listens here (while the port is free), so
# that a browser context made for one test's server serves the next (`ReusedContexts`).
LIVE_PORT = free_port()


class _ClosingServer(ThreadedWSGIServer):
    """Werkzeug's threaded server, which also ends the connections it accepted when it closes:
    a browser's kept-alive connection must not reach this app from the next test."""

    def __init__(self, port: int, app):
        self.connections = set()
        super().__init__("127.0.0.1", port, app, WSGIRequestHandler)

    def get_request(self):
        connection, address = super().get_request()
        self.connections.add(connection)
        return connection, address

    def server_close(self):
        super().server_close()
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by its handler
                pass


class LiveServer:
    """The app served by werkzeug on LIVE_PORT (another if taken), in a thread, and axe-core beside it
    (see `axe_violations`)."""

    def __init__(self, app):
        self.app = app
        try:
            self.server = _ClosingServer(LIVE_PORT, with_axe(app))
        except OSError:  # another process took the port between two tests
            self.server = _ClosingServer(free_port(), with_axe(app))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL},
                                       name="live-server", daemon=True)

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


class ReusedContexts:
    """Browser contexts handed from one test to the next, one per live server address and options.

    Chromium builds a profile's services for the first page of a new
    context, which costs CPU; handing contexts on saves it. Each test still gets a page of its own, and no
    cookie of an earlier test; its live server has the same address
    (LIVE_PORT), so `base_url` holds. Every context watches htmx from the
    start (`WATCH_HTMX`, see `htmx_ready`). A context whose clock a test installed
    (`install_clock`) is closed instead: the clock cannot be taken back.
    """

    def __init__(self):
        self.idle = {}
        self.spent = set()

    def take(self, browser, base_url: str, **options):
        key = (id(browser), base_url, repr(sorted(options.items())))
        context = self.idle.pop(key, None)
        if context is None:
            context = browser.new_context(base_url=base_url, **options)
            context.set_default_timeout(STEP_TIMEOUT_MS)
            context.add_init_script(WATCH_HTMX)
        return context, key

    def give_back(self, context, key) -> None:
        if context in self.spent:
            self.spent.discard(context)
            context.close()
            return
        for page in context.pages:
            page.close()
        context.clear_cookies()
        self.idle[key] = context


CONTEXTS = ReusedContexts()


def install_clock(page) -> None:
    """`page.clock.install()`; the page's context then ends with the test (see `ReusedContexts`)."""
    page.clock.install()
    CONTEXTS.spent.add(page.context)


class RunningClock:
    """Real time, which a test can move on: the browser tests' server runs on it
    (a live mail worker, real requests), and a wait such as a resend cooldown
    passes with `let_time_pass` instead of being slept through."""

    def __init__(self):
        self.ahead = timedelta()

    def __call__(self):
        return datetime.now(UTC) + self.ahead

    def advance(self, seconds: float) -> None:
        self.ahead += timedelta(seconds=seconds)


def let_time_pass(app, seconds: float, page=None) -> None:
    """`seconds` pass for the server and, when given, for a page whose clock the test installed
    (`page.clock.install()` before its first visit): timers due by then fire, as if the person waited."""
    app.extensions["clock"].advance(seconds)
    if page is not None:
        page.clock.fast_forward(int(seconds * 1000))


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


LIVE_REGION = "[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log], [role=timer], [role=marquee]"


def is_announced(locator) -> bool:
    """Whether a change to this element is read out by screen readers: it sits in a live region."""
    return locator.evaluate("(element, selector) => element.closest(selector) !== null", LIVE_REGION)


# --- accessibility: axe-core, vendored under tests/vendor ------------------------

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_bytes()
# Where the live server serves it: same origin, so the portal's strict CSP admits it.
AXE_PATH = "/__tests__/axe.min.js"


def with_axe(app):
    """The app, and axe-core at AXE_PATH for the browser to cache.

    Handed over with `page.evaluate`, axe's half a megabyte would be parsed
    and compiled afresh on every page checked; fetched as a script, the
    browser keeps it, compiled.
    """
    def serve(environ, start_response):
        if environ["PATH_INFO"] != AXE_PATH:
            return app(environ, start_response)
        start_response("200 OK", [("Content-Type", "text/javascript"), ("Cache-Control", "max-age=3600"),
                                  ("Content-Length", str(len(AXE_SOURCE)))])
        return [AXE_SOURCE]

    return serve
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe tags 2.2's new A criteria with the AA ones it checks).
WCAG_A_AND_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


# What a colour scheme changes: colours only, so these are the rules that can judge it differently.
COLOUR_RULES = ("color-contrast", "link-in-text-block")


def axe_violations(page, rules: tuple[str, ...] | None = None) -> list[dict]:
    """What axe-core finds against WCAG A and AA (or only `rules`) on the page as it is now.

    `page.evaluate` runs outside the page's Content-Security-Policy, so the
    strict CSP stays on. axe needs scripts to run: for a page as a browser
    without JavaScript shows it, see `without_page_scripts`.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_PATH)
    run_only = {"type": "rule", "values": list(rules)} if rules else {"type": "tag", "values": WCAG_A_AND_AA}
    return page.evaluate(
        """runOnly => axe.run(document, {runOnly, resultTypes: ["violations"]})
                   .then(results => results.violations.map(violation => ({
                       id: violation.id, impact: violation.impact, help: violation.help,
                       nodes: violation.nodes.map(node => node.target.join(" ") + ": " + node.failureSummary),
                   })))""",
        run_only,
    )


def without_page_scripts(page) -> None:
    """Load none of the portal's scripts on this page: it is then what a browser
    without JavaScript shows (the portal has no inline script and no <noscript>),
    while axe, run by Playwright, can still run; with scripts disabled it never finishes."""
    page.route("**/static/*.js", lambda route: route.abort())


# WCAG 1.4.10 reflow: 400 % zoom of a 1280 px window is a 320 CSS px viewport, 200 % is 640 px.
REFLOW_WIDTHS = (320, 640)


def assert_accessible(page, state_name: str) -> None:
    """Fail with a readable list if axe-core finds any WCAG A or AA violation in
    this state, in the light and in the dark colour scheme, or if the page
    scrolls sideways at 320 or 640 px wide (400 % and 200 % zoom).

    Each check reuses the state as it is: no page load, so the suite stays fast.
    The dark scheme changes only colours, so it is judged by the colour rules.
    """
    # A step answered as a page may show its fields before the stylesheet has loaded;
    # unstyled, every link and field is smaller than the 24 px WCAG 2.2 asks for.
    page.wait_for_load_state("load")
    # Likewise while htmx is still fetching or swapping (the header refreshes after a log-in),
    # its buttons are dimmed on purpose: audit the state once it has settled.
    wait_until_settled(page)
    _assert_no_violations(page, f"{state_name} (light)")
    try:
        page.emulate_media(color_scheme="dark")
        _assert_no_violations(page, f"{state_name} (dark)", rules=COLOUR_RULES)
    finally:
        page.emulate_media(color_scheme="light")
    assert_no_sideways_scrolling(page, state_name)


def wait_until_settled(page) -> None:
    """Until htmx has no request in flight and no swap unfinished: what the page shows is the answer's."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')",
        timeout=STEP_TIMEOUT_MS,
    )


def assert_no_sideways_scrolling(page, state_name: str) -> None:
    """The state fits at each of the REFLOW_WIDTHS, and so does an open dialog's
    content in the dialog; the viewport is put back afterwards."""
    viewport = page.viewport_size
    try:
        for width in REFLOW_WIDTHS:
            page.set_viewport_size({"width": width, "height": viewport["height"]})
            overflowing = page.evaluate(
                """() => [document.documentElement, document.querySelector("dialog[open]")]
                         .filter(box => box && box.scrollWidth > box.clientWidth)
                         .map(box => `${box.localName} content ${box.scrollWidth} px in ${box.clientWidth} px`)""")
            assert not overflowing, f"{state_name} at {page.url} scrolls sideways at {width} px: {overflowing}"
    finally:
        page.set_viewport_size(viewport)


def _assert_no_violations(page, state_name: str, rules: tuple[str, ...] | None = None) -> None:
    violations = axe_violations(page, rules)
    report = "\n".join(
        f"  {violation['id']} ({violation['impact']}): {violation['help']}\n"
        + "\n".join(f"    {node}" for node in violation["nodes"][:5])
        for violation in violations
    )
    assert not violations, f"{state_name} at {page.url}: {len(violations)} axe violation(s)\n{report}"

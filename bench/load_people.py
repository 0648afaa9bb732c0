"""The simulated people of the load run (Locust users) and the ledger the checks read.

A person is a browser without JavaScript: it reads each form's CSRF token
from the page, posts the form, and follows the 303 itself (redirects are not
followed automatically, so each step is timed under its own name). Searches
are also sent as htmx partial requests, as the search box sends them. Each
person has an address of its own and its own client address, sent as
`X-Forwarded-For` the way a proxy in front would (the portal runs with
PORTAL_PROXY_COUNT=1), so per-network limits count each person apart. Like
nginx in front (deploy/nginx.conf), every request comes on a new connection:
with gunicorn's keep-alive, a post sent just as gunicorn closed the idle
connection got no answer (a browser would send it again; Locust does not).

About two in five are members coming back (accounts made before the run);
the others register. Every mail a step causes is written in the ledger when
the portal's answer confirms it, or as uncertain when no answer came (a
connection error, or the run stopping the person mid-request).
"""
import html
import itertools
import math
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from common import median
from locust import FastHttpUser, between, task
from locust.exception import RescheduleTask

from portal.auth.flows import RESET_PASSWORD, VERIFY_EMAIL

PASSWORD = "Load-Test-Pass-1"
PASSWORD_CHANGED = "Your password was changed"
NEWSLETTER_WELCOME = "You are subscribed to our newsletter"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TERMS_FORM = re.compile(r'action="(/terms/accept[^"]*)"')
CODE_WAIT_SECONDS = 60
# The portal's cooldown between two codes to one address, with a margin.
CODE_COOLDOWN_SECONDS = 65


@dataclass
class Ledger:
    """What the people did, for the checks after the run."""

    expected_mail: Counter = field(default_factory=Counter)  # (address, subject): answered with a 303
    uncertain_mail: Counter = field(default_factory=Counter)  # (address, subject): sent, no answer seen
    created: set = field(default_factory=set)  # addresses whose verification code was accepted
    uncertain_created: set = field(default_factory=set)
    members: set = field(default_factory=set)
    code_waits: dict = field(default_factory=lambda: {VERIFY_EMAIL.purpose: [], RESET_PASSWORD.purpose: []})
    codes_missing: int = 0
    server_errors: Counter = field(default_factory=Counter)  # request name: answers of 500 and up
    connection_errors: Counter = field(default_factory=Counter)  # request name: no answer at all
    requests_sent: int = 0  # the ones the run stopped mid-way included

    def code_wait_line(self, purpose: str) -> str:
        waits = self.code_waits[purpose]
        if not waits:
            return f"code mail ({purpose}): none waited for"
        return (f"code mail ({purpose}) in the sink after the answer: {len(waits)} mails, "
                f"median {median(waits) * 1000:.0f} ms, p99 {percentile(waits, 0.99) * 1000:.0f} ms")


def percentile(values: list, fraction: float):
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Library:
    """What there is to browse: ids from the database, words and filters from the demo videos."""

    videos: list
    renditions: list
    tags: list
    years: list
    words: list


class StepFailed(RescheduleTask):
    """A step did not answer as a browser expects: the person stops doing account steps."""


class Person(FastHttpUser):
    wait_time = between(1, 4)
    # Set by load.py before each run.
    ledger: Ledger = None
    inbox = None
    library: Library = None
    members: list = []
    numbers = itertools.count(1)

    def on_start(self):
        number = next(Person.numbers)
        self.as_proxied = {
            "X-Forwarded-For": f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}",
            # deploy/nginx.conf opens a new connection to gunicorn for each request.
            "Connection": "close",
        }
        self.has_account = number % 5 < 2 and bool(self.members)
        self.address = self.members.pop() if self.has_account else f"person{number}@load.example.org"
        self.password = PASSWORD
        self.logged_in = False
        self.gave_up = False
        self.codes_asked = 0
        self.last_code_at = self.code_asked_at = -math.inf

    # --- Browsing (anyone) ---

    @task(8)
    def browse_catalogue(self):
        choice = random.random()
        if choice < 0.5:
            self.call("GET", "/", "catalogue")
        elif choice < 0.75:
            self.call("GET", f"/?tag={quote(random.choice(self.library.tags))}", "catalogue by tag")
        else:
            self.call("GET", f"/?year={random.choice(self.library.years)}", "catalogue by year")

    @task(5)
    def search(self):
        word = random.choice(self.library.words)
        query = word[:random.randint(3, len(word))]  # as typed so far: search-as-you-type asks on the way
        if random.random() < 0.5:
            self.call("GET", f"/?q={query}", "search (htmx)", headers={"HX-Request": "true"})
        else:
            self.call("GET", f"/?q={query}", "search page")

    @task(5)
    def open_video(self):
        video = random.choice(self.library.videos)
        self.call("GET", f"/videos/{video}", "video page")
        self.call("GET", f"/videos/{video}/poster", "poster")

    @task(3)
    def play_preview(self):
        start = random.randrange(0, 32 * 1024)
        self.call("GET", f"/videos/{random.choice(self.library.videos)}/preview", "preview (range)", expect=206,
                  headers={"Range": f"bytes={start}-{start + 65535}"})

    # --- Account steps ---

    @task(4)
    def account(self):
        if self.gave_up:
            return
        if not self.has_account:
            self.register()
        elif not self.logged_in:
            self.log_in()
        else:
            self.download(ranged=random.random() < 0.5)

    @task(1)
    def forgot_password(self):
        may_ask = time.monotonic() - self.last_code_at > CODE_COOLDOWN_SECONDS and self.codes_asked < 4
        if self.has_account and not self.gave_up and may_ask:
            self.reset_password()

    def register(self):
        token = self.form_token("/register", "register (form)")
        self.post_causing_mail("/register", "register", VERIFY_EMAIL, data={
            "csrf_token": token, "full_name": f"Person {self.address.split('@')[0]}", "email": self.address,
            "organisation": "Load test", "password": self.password, "confirm": self.password})
        code = self.code_from_mail(VERIFY_EMAIL)
        token = self.form_token("/verify", "verify (form)")
        self.ledger.uncertain_created.add(self.address)
        answer = self.call("POST", "/verify", "verify", expect=303, data={"csrf_token": token, "code": code})
        self.ledger.uncertain_created.discard(self.address)
        self.ledger.created.add(self.address)
        self.has_account = self.logged_in = True
        if not answer.headers.get("Location", "").endswith("/welcome"):
            raise self.give_up()
        if random.random() < 0.5:
            token = self.form_token("/welcome", "welcome")
            self.post_expecting_mail("/newsletter/subscribe", "subscribe", NEWSLETTER_WELCOME,
                                     data={"csrf_token": token})

    def log_in(self):
        token = self.form_token("/login", "log in (form)")
        self.call("POST", "/login", "log in", expect=303,
                  data={"csrf_token": token, "email": self.address, "password": self.password})
        self.logged_in = True

    def download(self, ranged: bool):
        rendition = random.choice(self.library.renditions)
        headers = {"Range": "bytes=1000-50999"} if ranged else {}
        name, expect = ("download (range)", 206) if ranged else ("download (whole)", 200)
        answer = self.call("GET", f"/files/{rendition}", name, expect=expect, headers=headers,
                           accept=lambda response: "text/html" in response.headers.get("Content-Type", ""))
        if "text/html" in answer.headers.get("Content-Type", ""):
            self.accept_terms(answer.text)
            self.call("GET", f"/files/{rendition}", name, expect=expect, headers=headers)

    def accept_terms(self, page: str):
        action, token = TERMS_FORM.search(page), CSRF.search(page)
        if not (action and token):
            raise self.give_up()
        self.call("POST", html.unescape(action.group(1)), "accept terms", expect=303,
                  data={"csrf_token": token.group(1)})

    def reset_password(self):
        token = self.form_token("/reset", "reset (form)")
        self.post_causing_mail("/reset", "reset", RESET_PASSWORD, data={"csrf_token": token, "email": self.address})
        code = self.code_from_mail(RESET_PASSWORD)
        token = self.form_token("/reset/code", "reset code (form)")
        self.call("POST", "/reset/code", "reset code", expect=303, data={"csrf_token": token, "code": code})
        token = self.form_token("/reset/password", "new password (form)")
        new_password = f"Load-Reset-{random.randrange(10 ** 6)}-Pass"
        self.post_expecting_mail("/reset/password", "new password", PASSWORD_CHANGED, data={
            "csrf_token": token, "password": new_password, "confirm": new_password})
        # A reset ends every session of the account.
        self.password, self.logged_in = new_password, False

    # --- Steps' parts ---

    def form_token(self, path: str, name: str) -> str:
        found = CSRF.search(self.call("GET", path, name).text)
        if not found:
            raise self.give_up()
        return found.group(1)

    def post_causing_mail(self, path: str, name: str, flow, data: dict):
        """A post that mails a code: remembered so the person can wait for its mail."""
        self.codes_asked += 1
        self.last_code_at = time.monotonic()
        self.post_expecting_mail(path, name, flow.mail_subject, data)
        self.code_asked_at = time.monotonic()

    def post_expecting_mail(self, path: str, name: str, subject: str, data: dict):
        key = (self.address, subject)
        self.ledger.uncertain_mail[key] += 1
        # A 4xx answer sent nothing; a 5xx or no answer may have.
        self.call("POST", path, name, expect=303, data=data, when_failed=lambda response: (
            self.ledger.uncertain_mail.subtract([key]) if 400 <= response.status_code < 500 else None))
        self.ledger.uncertain_mail.subtract([key])
        self.ledger.expected_mail[key] += 1

    def code_from_mail(self, flow) -> str:
        number = self.ledger.expected_mail[self.address, flow.mail_subject]
        code = self.inbox.wait_for_code(self.address, flow.mail_subject, number, CODE_WAIT_SECONDS)
        if code is None:
            self.ledger.codes_missing += 1
            raise self.give_up()
        self.ledger.code_waits[flow.purpose].append(time.monotonic() - self.code_asked_at)
        return code

    def give_up(self) -> StepFailed:
        self.gave_up = True
        return StepFailed()

    def call(self, method: str, path: str, name: str, expect: int = 200, headers: dict | None = None,
             accept=lambda response: False, when_failed=lambda response: None, **options):
        """One request, timed under `name`; any other status than `expect` (or what `accept` takes) fails the step."""
        self.ledger.requests_sent += 1
        with self.client.request(method, path, name=name, headers={**self.as_proxied, **(headers or {})},
                                 allow_redirects=False, catch_response=True, **options) as response:
            if response.status_code >= 500:
                self.ledger.server_errors[name] += 1
            elif response.status_code == 0:
                self.ledger.connection_errors[name] += 1
            if response.status_code == expect or accept(response):
                response.success()
                return response
            response.failure(f"answered {response.status_code}, expected {expect}" if response.status_code
                             else f"no answer: {getattr(response, 'error', None)!r}")
        when_failed(response)
        raise self.give_up()

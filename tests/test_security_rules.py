"""Rules of docs/security.md that had no test of their own before.

Each test names the promise it proves; docs/security.md names the test.
"""
import logging
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import inspect, select, text

from portal import create_app
from portal.auth import codes, passwords
from portal.extensions import db
from portal.mail import outbox
from portal.models import User

from conftest import OTHER_PASSWORD, STRONG_PASSWORD, code_in, without_tokens

ROOT = Path(__file__).resolve().parent.parent
ADA = "ada@example.org"
WRONG = "Wrong-Horse-42"
LOCKED = "Too many failed log-ins for this address"


def account(app, email=ADA) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def accept_a_reset_code(person, deliver, clock):
    """Bring `person` to the "Create a new password" step of a reset for ada@example.org."""
    clock.advance(61)  # past the cooldown of the mail before
    person.post("/reset", {"email": ADA})
    return person.post("/reset/code", {"code": code_in(deliver().to(ADA)[-1])})


# --- The repository stands alone ------------------------------------------------

# Spelled in pieces, so that this file does not match its own search.
OUTSIDE_POINTERS = ("../" + "shared", "shared/" + "SECURITY")


def test_no_tracked_file_points_outside_the_repository():
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listing.returncode != 0:
        pytest.skip("not a git checkout")
    paths = [name for name in listing.stdout.decode().split("\0") if name]
    offenders = []
    for name in paths:
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree
        content = path.read_bytes().decode("utf-8", "replace")
        offenders += [f"{name}: {pointer}" for pointer in OUTSIDE_POINTERS if pointer in content]
    assert offenders == []


# --- Passwords -------------------------------------------------------------------


@pytest.fixture
def verifications(monkeypatch):
    """The hash of every argon2 verification, in order."""
    checked = []
    real = PasswordHasher.verify

    def counting(self, stored, password):
        checked.append(stored)
        return real(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return checked


def test_every_log_in_answer_costs_one_argon2_verification_of_the_same_cost(app, verified, new_visitor,
                                                                            verifications):
    """Unknown, never verified and locked addresses cost what a wrong password costs."""
    with app.app_context():
        db.session.add(User(email="unverified@example.org", full_name="U",
                            password_hash=passwords.hash_password(STRONG_PASSWORD)))
        db.session.commit()
    real_parameters = extract_parameters(account(app).password_hash)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        new_visitor().login(email="locked@example.org", password=WRONG)
    cases = {
        "wrong password": (ADA, WRONG),
        "unknown address": ("nobody@example.org", WRONG),
        "never verified": ("unverified@example.org", STRONG_PASSWORD),
        "locked address": ("locked@example.org", STRONG_PASSWORD),
    }
    for case, (email, password) in cases.items():
        verifications.clear()
        response = new_visitor().login(email=email, password=password)
        assert response.status_code == 422, case
        assert len(verifications) == 1, case
        assert extract_parameters(verifications[0]) == real_parameters, case


def password_inputs(html: str) -> dict[str, str | None]:
    """name -> autocomplete of every password input on the page."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="password"' in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            autocomplete = re.search(r'autocomplete="([^"]+)"', tag)
            fields[name] = autocomplete.group(1) if autocomplete else None
    return fields


def test_every_password_field_says_what_browsers_should_fill(app, verified, deliver, clock):
    pages = {
        "/account/password": verified.client.get("/account/password").text,
        "/reset/password": accept_a_reset_code(verified, deliver, clock).text,
        "/login": verified.client.get("/login").text,
        "/register": verified.client.get("/register").text,
    }
    expected = {"current_password": "current-password", "password": "new-password", "confirm": "new-password"}
    for url, html in pages.items():
        fields = password_inputs(html)
        assert fields, url
        for name, autocomplete in fields.items():
            wanted = "current-password" if url == "/login" else expected[name]
            assert autocomplete == wanted, (url, name)


SECRET_LOOKING = "Echo-Check-Secret-77"


@pytest.mark.parametrize("case", ["register: weak", "register: other field wrong", "register: confirm differs",
                                  "login: wrong", "change: wrong current", "change: weak new", "reset: weak new"])
def test_a_password_is_never_echoed_back_after_an_error(app, verified, new_visitor, deliver, clock, case):
    weak = SECRET_LOOKING.lower()  # no upper-case letter
    person = new_visitor()
    if case == "register: weak":
        response = person.register(email="new@example.org", password=weak)
    elif case == "register: other field wrong":
        response = person.register(email="new@example.org", password=SECRET_LOOKING, name="A" * 201)
    elif case == "register: confirm differs":
        response = person.post("/register", {"full_name": "Ada", "email": "new@example.org",
                                             "password": SECRET_LOOKING, "confirm": weak})
    elif case == "login: wrong":
        response = person.login(password=SECRET_LOOKING)
    elif case == "change: wrong current":
        response = verified.post("/account/password", {"current_password": weak, "password": SECRET_LOOKING,
                                                       "confirm": SECRET_LOOKING})
    elif case == "change: weak new":
        response = verified.post("/account/password", {"current_password": STRONG_PASSWORD, "password": weak,
                                                       "confirm": weak})
    else:
        accept_a_reset_code(verified, deliver, clock)
        response = verified.post("/reset/password", {"password": weak, "confirm": weak})
    assert response.status_code == 422
    assert SECRET_LOOKING not in response.text and weak not in response.text
    for tag in re.findall(r'<input[^>]*type="password"[^>]*>', response.text):
        assert not re.search(r'value="[^"]', tag), tag


# --- One-time codes --------------------------------------------------------------


def every_stored_text(app) -> list[str]:
    """Every text value in every table of the database."""
    values = []
    with app.app_context():
        for table in inspect(db.engine).get_table_names():
            for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
                values += [value for value in row if isinstance(value, str)]
    return values


def test_once_mailed_a_code_is_stored_nowhere_but_as_its_hmac(app, new_visitor, deliver, monkeypatch):
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: 424242)
    new_visitor().register()
    assert code_in(deliver().to(ADA)[-1]) == "424242"
    stored = every_stored_text(app)
    assert [value for value in stored if "424242" in value] == []


def test_the_per_network_cap_says_when_a_new_code_can_be_asked_for(app, new_visitor):
    app.config["CODE_SENDS_PER_IP_PER_HOUR"] = 2
    for number in range(2):
        new_visitor().register(email=f"person{number}@example.org")
    response = new_visitor().register(email="person9@example.org")
    assert "Too many codes were sent from your network." in response.text
    assert "You can ask for a new code in 60 minutes" in response.text


def test_the_daily_cap_says_when_a_new_code_can_be_asked_for(app, new_visitor, deliver, clock):
    person = new_visitor()
    person.register()
    for _ in range(app.config["CODE_SENDS_PER_ADDRESS_PER_DAY"]):
        clock.advance(13 * 60)  # under the hourly cap, over the daily one
        response = person.post("/verify/resend", form_url="/verify")
    assert "Too many codes were sent to this address today." in response.text
    assert re.search(r"You can ask for a new code in \d+ hours", response.text)
    # No dead end: the latest code in the inbox still works.
    assert "successfully created" in person.verify(code_in(deliver().to(ADA)[-1])).text


# --- Accounts and enumeration ----------------------------------------------------


def same_page(response, address):
    return response.status_code, without_tokens(response.text).replace(address, "X")


@pytest.mark.parametrize("htmx", [False, True])
def test_registering_a_taken_address_shows_exactly_the_page_a_new_one_does(app, verified, new_visitor, clock, htmx):
    clock.advance(61)
    taken = new_visitor(htmx).register(email=ADA, password=OTHER_PASSWORD)
    new = new_visitor(htmx).register(email="new@example.org", password=OTHER_PASSWORD)
    assert taken.status_code == 200
    assert same_page(taken, ADA) == same_page(new, "new@example.org")


@pytest.mark.parametrize("htmx", [False, True])
def test_a_reset_for_an_unknown_address_shows_exactly_the_page_a_known_one_does(app, verified, new_visitor, clock,
                                                                                htmx):
    clock.advance(61)
    known = new_visitor(htmx).post("/reset", {"email": ADA})
    unknown = new_visitor(htmx).post("/reset", {"email": "nobody@example.org"})
    assert known.status_code == 200
    assert same_page(known, ADA) == same_page(unknown, "nobody@example.org")


@pytest.fixture
def work(monkeypatch):
    """How many argon2 hashes and mails (real or decoy) a request causes."""
    counts = {"hashes": 0, "mails": 0}
    real_hash, real_enqueue = PasswordHasher.hash, outbox.enqueue

    def hashing(self, password, **kwargs):
        counts["hashes"] += 1
        return real_hash(self, password, **kwargs)

    def enqueueing(*args, **kwargs):
        counts["mails"] += 1
        return real_enqueue(*args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", hashing)
    monkeypatch.setattr(outbox, "enqueue", enqueueing)

    def measure(action):
        counts.update(hashes=0, mails=0)
        action()
        return dict(counts)

    return measure


def test_register_and_reset_do_the_same_work_for_taken_and_unknown_addresses(app, verified, new_visitor, clock,
                                                                             work):
    clock.advance(61)
    new_visitor().register(email="pending@example.org")  # a registration not yet verified
    clock.advance(61)
    register = {address: work(lambda address=address: new_visitor().register(email=address, password=OTHER_PASSWORD))
                for address in (ADA, "pending@example.org", "new@example.org")}
    assert all(counts == {"hashes": 1, "mails": 1} for counts in register.values()), register
    clock.advance(61)
    reset = {address: work(lambda address=address: new_visitor().post("/reset", {"email": address}))
             for address in (ADA, "nobody@example.org")}
    assert reset[ADA] == reset["nobody@example.org"] == {"hashes": 0, "mails": 1}


def test_a_persistent_guesser_gets_at_most_100_password_checks_in_any_hour(app, verified, new_visitor, clock,
                                                                          monkeypatch):
    """NIST SP 800-63B 5.2.2, with the default limits, run on the clock for two hours."""
    app.config["LOGIN_RATE_LIMIT"] = "100000 per hour"  # the per-network limit is not what is measured
    target = account(app).password_hash
    checks = []
    real = PasswordHasher.verify

    def counting(self, stored, password):
        if stored == target:
            checks.append(clock.moment)
        return real(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    guesser = new_visitor()
    token = guesser.csrf_token("/login")
    for _minute in range(120):
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
            response = guesser.client.post("/login", data={"csrf_token": token, "email": ADA, "password": WRONG})
            assert response.status_code == 422
            if LOCKED in response.text:
                break
        clock.advance(60)
    hour = timedelta(hours=1)
    most_in_an_hour = max(sum(start <= moment < start + hour for moment in checks) for start in checks)
    assert most_in_an_hour > app.config["LOGIN_MAX_FAILURES"]  # the guesser got past the first lock
    assert most_in_an_hour <= 100


# --- Sessions --------------------------------------------------------------------


def test_flask_login_s_id_is_the_session_token_and_a_password_change_replaces_it(app, verified):
    with verified.client.session_transaction() as session:
        before = session["_user_id"]
    user = account(app)
    assert before == user.session_token and before != str(user.id)
    verified.post("/account/password", {"current_password": STRONG_PASSWORD, "password": OTHER_PASSWORD,
                                        "confirm": OTHER_PASSWORD})
    with verified.client.session_transaction() as session:
        after = session["_user_id"]
    assert after != before and after == account(app).session_token


def test_logging_out_removes_a_remember_cookie(app, verified):
    assert verified.client.get_cookie("remember_token") is None  # logging in never sets one
    verified.client.set_cookie("remember_token", "planted")
    token = verified.csrf_token("/account/")
    response = verified.client.post("/logout", data={"csrf_token": token})
    assert any(header.startswith("remember_token=;") for header in response.headers.getlist("Set-Cookie"))
    assert verified.client.get_cookie("remember_token") is None


# --- Requests --------------------------------------------------------------------


def test_post_is_the_only_method_that_can_change_state(app):
    """So the CSRF check on every POST (tests/test_security_review.py) covers every change."""
    for rule in app.url_map.iter_rules():
        assert rule.methods <= {"GET", "HEAD", "OPTIONS", "POST"}, rule.rule


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "/ok\r\nLocation: https://evil.example", "javascript:alert(1)"])
def test_logging_out_never_sends_the_browser_off_the_site(app, verified, target):
    token = verified.csrf_token("/account/")
    response = verified.client.post("/logout", data={"csrf_token": token, "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_access_to_a_file_is_decided_again_on_every_request(app, verified, add_video):
    video_id, [file_id] = add_video()
    assert verified.client.get(f"/files/{file_id}").status_code == 200
    verified.post("/logout", form_url="/account/")
    response = verified.client.get(f"/files/{file_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/videos/{video_id}"


PAGE_TEMPLATES = sorted(path for path in (ROOT / "templates").rglob("*.html") if "mail" not in path.parts)


def test_autoescaping_is_on_for_every_page_template(app):
    assert PAGE_TEMPLATES
    for path in PAGE_TEMPLATES:
        name = path.relative_to(ROOT / "templates").as_posix()
        assert app.jinja_env.autoescape(name), name
        assert "autoescape false" not in path.read_text(), name


def test_no_template_marks_data_safe_but_the_admin_s_own_newsletter_html():
    marked = {(path.relative_to(ROOT / "templates").as_posix(), match)
              for path in (ROOT / "templates").rglob("*")
              if path.is_file()
              for match in re.findall(r"[\w.]+\s*\|\s*safe\b", path.read_text())}
    # The newsletter's HTML is a file the admin passes to `portal newsletter send`; it goes to mail, not a page.
    assert marked <= {("mail/newsletter.html", "html_body | safe")}
    wrapped = [(path.name, line.strip()) for path in (ROOT / "portal").rglob("*.py")
               for line in path.read_text().splitlines() if "Markup(" in line]
    # Besides rendered templates: Markdown rendered with raw HTML off, and the
    # admin's own page files in instance/pages/ (portal/pages/texts.py).
    trusted = ("Markup(render_template(", "Markup(_markdown.render(", "Markup(admin_html)")
    assert all(any(form in line for form in trusted) for _, line in wrapped), wrapped


def test_page_templates_have_no_inline_script_style_or_event_handler():
    for path in PAGE_TEMPLATES:
        html = path.read_text()
        name = path.name
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), name
        assert "<style" not in html and not re.search(r"\sstyle\s*=", html), name
        assert not re.search(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", html, re.IGNORECASE), name
        assert "javascript:" not in html, name


# --- Secrets and logs ------------------------------------------------------------


def test_a_secret_key_from_the_environment_is_used_and_no_key_file_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "from the environment")
    app = create_app({"MAIL_WORKER": False}, instance_path=str(tmp_path / "instance"))
    assert app.config["SECRET_KEY"] == "from the environment"
    assert not (tmp_path / "instance" / "secret_key").exists()
    with app.app_context():
        db.engine.dispose()


def test_no_password_code_session_token_or_link_reaches_the_log(app, verified, new_visitor, deliver, clock,
                                                                 add_video, caplog):
    """Log in (wrong, then right), reset, change the password, copy a link, log out: nothing secret is logged."""
    caplog.set_level(logging.DEBUG)
    secret = {WRONG, STRONG_PASSWORD, OTHER_PASSWORD, "Third-Pass-2026!"}

    def remember_tokens(person):
        user = account(app)
        secret.add(user.session_token)
        secret.add(person.client.get_cookie("session").value)
        with person.client.session_transaction() as session:
            secret.add(session.get("login") or user.session_token)

    person = new_visitor()
    person.login(password=WRONG)
    person.login()
    remember_tokens(person)
    accept_a_reset_code(person, deliver, clock)
    secret.add(code_in(deliver().to(ADA)[-1]))
    person.post("/reset/password", {"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})
    person.login(password=OTHER_PASSWORD)
    remember_tokens(person)
    person.post("/account/password", {"current_password": OTHER_PASSWORD, "password": "Third-Pass-2026!",
                                      "confirm": "Third-Pass-2026!"})
    remember_tokens(person)
    video_id, _ = add_video()
    link = re.search(r'value="http://localhost(/d/[^"]+)"', person.client.get(f"/videos/{video_id}").text).group(1)
    secret.add(link.removeprefix("/d/").split("/")[0])  # the token, not the file name after it
    person.client.get(link)
    person.post("/logout", form_url="/account/")
    deliver()

    # "mail.log" is the test's SMTP server (the mail's receiver), not the portal.
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("mail.log"))
    assert "password replaced" in logged, "the portal logged nothing: the check would prove nothing"
    assert [value for value in secret if value in logged] == []


# --- docs/security.md stays true to the code -------------------------------------

SECURITY_DOC = ROOT / "docs" / "security.md"


def test_every_test_named_in_the_security_document_exists():
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", SECURITY_DOC.read_text()))
    assert len(named) > 50
    missing = [f"{path}::{name}" for path, name in sorted(named)
               if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.MULTILINE)]
    assert missing == []


def test_the_limits_table_of_the_security_document_is_portal_limits():
    from portal.limits import LIMITS

    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \| ([^|]+) \|$", SECURITY_DOC.read_text(), re.MULTILINE)
    assert rows == [(limit.setting, str(limit.default), limit.meaning) for limit in LIMITS]

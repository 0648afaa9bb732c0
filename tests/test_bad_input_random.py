"""Random input to every form and every parameter: never a 5xx, never a half-written row.

Hypothesis generates the input: text with control characters, surrogates
encoded as bytes, raw bytes that are not UTF-8, sizes around MAX_CONTENT_LENGTH,
numbers, lists, files in multipart bodies and JSON of any shape. The runs are
seeded, so CI sees the same cases on every run; each test asserts how many
cases ran and prints the count per route (`pytest -s` shows it).
"""
import json
import zlib
from collections import Counter
from urllib.parse import quote_from_bytes, urlsplit

import pytest
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User
from portal.newsletter import subscriptions

from conftest import STRONG_PASSWORD, code_in

POSTS_PER_ROUTE = 20
GETS_PER_ROUTE = 12
EXPIRED = "Your form has expired"
# Each route's run has a seed of its own (see `run_cases`): the same cases on every run.
RUNS = dict(
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)

FIELD_NAMES = ["csrf_token", "full_name", "email", "organisation", "password", "confirm", "code",
               "current_password", "subscribed", "stated_use"]
PARAMETER_NAMES = ["q", "tag", "year", "page", "next", "changed"]
PLAUSIBLE = ["ada@example.org", "bob@example.org", STRONG_PASSWORD, "123456", "yes", "/account/", ""]


@pytest.fixture
def settings():
    """Limits far above what the runs need, so 429s do not hide the validators; the terms' stated-use choice on."""
    return {"FORM_RATE_LIMIT": "100000 per hour", "LOGIN_RATE_LIMIT": "100000 per hour",
            "CODE_SENDS_PER_IP_PER_HOUR": 100000, "ASK_STATED_USE": True}


# -- what gets sent ---------------------------------------------------------------

def text_bytes():
    """Text as a browser or an attacker might encode it, control characters included."""
    surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=4)
    return st.one_of(
        st.text(max_size=40).map(str.encode),
        st.sampled_from(PLAUSIBLE).map(str.encode),
        st.text(st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\u2028\u202e\ufffd"), max_size=10)
        .map(str.encode),
        surrogates.map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.binary(max_size=20),
        st.integers().map(lambda number: str(number).encode()),
        st.integers(60_000, 70_000).map(lambda size: b"A" * size),
    )


def names():
    return st.sampled_from(FIELD_NAMES) | st.text(max_size=8)


def url_encoded(pairs, raw: bool) -> bytes:
    """`name=value&…`, percent-encoded, or with the bytes left as they are."""
    if raw:
        return b"&".join(name + b"=" + value for name, value in pairs)
    return b"&".join(f"{quote_from_bytes(name)}={quote_from_bytes(value)}".encode() for name, value in pairs)


BOUNDARY = "portal-random-boundary"


def multipart(parts) -> bytes:
    body = b""
    for name, value, filename in parts:
        disposition = b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            disposition += b'; filename="' + filename + b'"\r\nContent-Type: application/octet-stream'
        body += f"--{BOUNDARY}\r\n".encode() + disposition + b"\r\n\r\n" + value + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names(), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def bodies(draw):
    """(content type, body bytes, whether the token goes in the X-CSRFToken header)."""
    kind = draw(st.sampled_from(["urlencoded", "multipart", "json", "raw"]))
    if kind == "urlencoded":
        pairs = draw(st.lists(st.tuples(names().map(str.encode), text_bytes()), max_size=6))
        return kind, pairs, draw(st.booleans())
    if kind == "multipart":
        filenames = st.none() | st.just(b"notes.txt") | st.binary(max_size=8)
        parts = draw(st.lists(st.tuples(names().map(str.encode), text_bytes(), filenames), max_size=5))
        return kind, parts, None
    if kind == "json":
        shape = st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES, max_size=6) | JSON_VALUES
        return kind, draw(shape), None
    content_type = draw(st.sampled_from(["text/plain", "application/xml", "multipart/form-data", "",
                                         "application/x-www-form-urlencoded; charset=latin-1"]))
    return content_type, draw(st.binary(max_size=200) | text_bytes()), None


def query_strings():
    """As a WSGI server hands it over: latin-1, one character per byte."""
    pairs = st.lists(st.tuples((st.sampled_from(PARAMETER_NAMES) | st.text(max_size=6)).map(str.encode),
                               text_bytes()), max_size=4)
    return st.tuples(pairs, st.booleans()).map(lambda drawn: url_encoded(*drawn).decode("latin-1"))


def request_of(kind, content, raw, token):
    """Keyword arguments for the test client: a body of `kind` carrying a valid CSRF token."""
    token_pair = (b"csrf_token", token.encode())
    if kind == "urlencoded":
        return {"data": url_encoded([token_pair, *content], raw), "content_type": "application/x-www-form-urlencoded"}
    if kind == "multipart":
        return {"data": multipart([(*token_pair, None), *content]),
                "content_type": f"multipart/form-data; boundary={BOUNDARY}"}
    if kind == "json":
        return {"data": json.dumps(content), "content_type": "application/json", "headers": {"X-CSRFToken": token}}
    return {"data": content, "content_type": kind, "headers": {"X-CSRFToken": token}}


# -- who sends it -----------------------------------------------------------------

@pytest.fixture
def people(app, new_visitor, deliver, clock):
    """A browser at each step a form belongs to, so every post reaches its validators."""
    logged_in = new_visitor()
    logged_in.register()
    logged_in.verify(code_in(deliver().to("ada@example.org")[-1]))
    waiting_for_code = new_visitor()
    waiting_for_code.register(email="bob@example.org")
    resetting = new_visitor()
    clock.advance(61)
    resetting.post("/reset", {"email": "ada@example.org"})
    resetting.post("/reset/code", {"code": code_in(deliver().to("ada@example.org")[-1])})
    waiting_for_reset_code = new_visitor()
    clock.advance(61)
    waiting_for_reset_code.post("/reset", {"email": "ada@example.org"})
    leaving = new_visitor()  # logs browsers out and deletes its account: an account of its own
    leaving.register(email="dora@example.org")
    leaving.verify(code_in(deliver().to("dora@example.org")[-1]))
    changing_email = new_visitor()
    changing_email.login()
    changing_email.post("/account/email", {"email": "ada@new.example.org", "current_password": STRONG_PASSWORD})
    stranger = new_visitor()
    with app.app_context():
        ada = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        unsubscribe = urlsplit(subscriptions.unsubscribe_url(ada)).path
    at_desk, setting_up, entering_code, mail_id, carol_id = admins_at_their_steps(app, new_visitor, clock)
    # Asks for passkey challenges: were they in the session of whoever posts answers, a refused answer
    # would use one up (a row deleted), which is right, but not the "nothing written" this test checks.
    asking_for_challenges = new_visitor()
    asking_for_challenges.login()
    passkey = f"/account/passkeys/{passkey_of(app, ada.id)}"
    return {
        # route: (who posts, the page whose CSRF token goes with the post)
        "/register": (stranger, "/register"),
        "/login": (stranger, "/login"),
        "/reset": (stranger, "/reset"),
        "/logout": (stranger, "/login"),
        "/language": (logged_in, "/"),
        "/verify": (waiting_for_code, "/verify"),
        "/verify/resend": (waiting_for_code, "/verify"),
        "/reset/code": (waiting_for_reset_code, "/reset/code"),
        "/reset/resend": (waiting_for_reset_code, "/reset/code"),
        "/reset/password": (resetting, "/reset/password"),
        "/newsletter/subscribe": (logged_in, "/welcome"),
        "/terms/accept": (logged_in, "/terms/accept"),
        "/account/newsletter": (logged_in, "/account/"),
        "/account/password": (logged_in, "/account/password"),
        "/account/details": (logged_in, "/account/details"),
        "/account/email": (logged_in, "/account/email"),
        "/account/email/code": (changing_email, "/account/email/code"),
        "/account/email/resend": (changing_email, "/account/email/code"),
        unsubscribe: (stranger, None),
        "/account/sessions/1/end": (leaving, "/account/"),
        "/account/sessions/end-others": (leaving, "/account/"),
        "/account/delete": (leaving, "/account/delete"),
        "/login/second-factor/set-up": (setting_up, "/login/second-factor/set-up"),
        "/login/second-factor": (entering_code, "/login/second-factor"),
        f"/admin/mails/{mail_id}/retry": (at_desk, "/admin"),
        f"/admin/mails/{mail_id}/drop": (at_desk, "/admin"),
        f"/admin/accounts/{carol_id}/disable": (at_desk, f"/admin/accounts/{carol_id}/disable"),
        "/admin/recovery-codes": (at_desk, "/admin/recovery-codes"),
        f"/admin/accounts/{carol_id}/approve": (at_desk, "/admin"),
        f"/admin/accounts/{carol_id}/refuse": (at_desk, "/admin"),
        f"/admin/accounts/{carol_id}/enable": (at_desk, "/admin"),
        f"/admin/accounts/{carol_id}/unlock": (at_desk, "/admin"),
        "/login/second-factor/passkey": (entering_code, "/login/second-factor"),
        "/login/passkey/options": (asking_for_challenges, "/login"),
        "/login/passkey": (stranger, "/login"),
        "/account/passkeys/options": (asking_for_challenges, "/account/"),
        "/account/passkeys": (logged_in, "/account/"),
        "/account/confirm": (logged_in, "/account/confirm"),
        "/account/confirm/passkey": (logged_in, "/account/confirm"),
        f"{passkey}/name": (logged_in, f"{passkey}/name"),
        f"{passkey}/remove": (logged_in, f"{passkey}/remove"),
    }


def passkey_of(app, user_id: int) -> int:
    """A passkey row for the account (its key is never checked here), to rename and remove."""
    from portal.auth.models import Passkey

    with app.app_context():
        passkey = Passkey(user_id=user_id, credential_id="random-input-passkey", public_key=b"key", name="Laptop")
        db.session.add(passkey)
        db.session.commit()
        return passkey.id


def admins_at_their_steps(app, new_visitor, clock):
    """An admin at the desk, one setting up the second factor, one asked for its code; a failed mail; an account."""
    from portal.mail.models import OutboxMail

    from helpers import app_code

    for address in ("boss@example.org", "chief@example.org"):
        app.test_cli_runner().invoke(args=["users", "create-admin", address, "--password-stdin"],
                                     input=STRONG_PASSWORD + "\n")
    at_desk, setting_up, entering_code = new_visitor(), new_visitor(), new_visitor()
    at_desk.login("boss@example.org")
    at_desk.post("/login/second-factor/set-up", {"code": app_code(app, "boss@example.org", clock())})
    setting_up.login("chief@example.org")
    entering_code.login("boss@example.org")
    with app.app_context():
        mail = OutboxMail(recipient="x@example.org", subject="S", text_body="T", message_id="<m@x>", status="failed")
        carol = User(email="carol@example.org", full_name="Carol", password_hash="x")
        db.session.add_all([mail, carol])
        db.session.commit()
        return at_desk, setting_up, entering_code, mail.id, carol.id


def run_cases(check, path: str, number: int, **strategies) -> None:
    """Hypothesis calls `check(path, …)` `number` times with values drawn from `strategies`.

    Each path has a seed of its own: the same cases on every run, but not
    the same cases for every path (as one derandomized test would give).
    """

    @seed(zlib.crc32(path.encode()))
    @hypothesis_settings(max_examples=number, **RUNS)
    @given(**strategies)
    def run(**drawn):
        check(path, **drawn)

    run()


def row_counts(app) -> dict:
    """Every table's row count, read in one statement (it runs around each of the ~900 cases)."""
    tables = db.metadata.sorted_tables
    with app.app_context():
        counts = db.session.execute(select(*[select(func.count()).select_from(table).scalar_subquery()
                                             for table in tables])).one()
    return {table.name: count for table, count in zip(tables, counts, strict=True)}


class Tokens:
    """Each person's CSRF token, fetched from the form page again only when their session's token changed.

    A token is the session's secret, signed: while the secret in the session
    stays the same, the token fetched last is as valid as a new one, and a
    post that changes the session (a log-in, a log-out) makes it fetch again.
    """

    def __init__(self):
        self.fetched = {}

    def for_post(self, person, form_page: str) -> str:
        key = (id(person), form_page)
        secret = self.secret_of(person)
        if secret is None or self.fetched.get(key, (None, None))[0] != secret:
            token = person.csrf_token(form_page)
            self.fetched[key] = (self.secret_of(person), token)
        return self.fetched[key][1]

    @staticmethod
    def secret_of(person):
        with person.client.session_transaction() as session:
            return session.get("csrf_token")


def rule_of(app, path: str, method: str) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(path, method=method, return_rule=True)[0].rule


def test_every_post_route_is_posted_to_by_a_person_at_its_step(app, people):
    posts = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert {rule_of(app, path, "POST") for path in people} == posts
    for person, form_page in people.values():
        if form_page:
            assert person.client.get(form_page).status_code == 200, form_page


def test_random_posts_to_every_form_never_get_a_5xx_nor_write_a_row_when_refused(app, people):
    """20 seeded cases per POST route (400 in all); the count is asserted and printed.

    Every post carries a valid CSRF token, so none may be taken for an expired form.
    """
    cases = Counter()
    statuses = Counter()
    tokens = Tokens()

    def post_anything(path, body, query, htmx):
        person, form_page = people[path]
        token = tokens.for_post(person, form_page) if form_page else "no token on this form"
        kind, content, raw = body
        sent = request_of(kind, content, raw, token)
        headers = {**sent.pop("headers", {}), **({"HX-Request": "true"} if htmx else {})}
        before = row_counts(app)
        response = person.client.post(path, headers=headers, environ_overrides={"QUERY_STRING": query}, **sent)
        assert response.status_code < 500
        assert EXPIRED not in response.text
        if 400 <= response.status_code < 500:
            assert row_counts(app) == before, response.status_code
        cases[rule_of(app, path, "POST")] += 1
        statuses[response.status_code] += 1

    for path in people:
        run_cases(post_anything, path, POSTS_PER_ROUTE,
                  body=bodies(), query=st.just("") | query_strings(), htmx=st.booleans())
    print(f"\n{cases.total()} random posts; per route {dict(cases)}; statuses {dict(statuses)}")
    assert cases.total() >= POSTS_PER_ROUTE * len(people), f"only {cases.total()} cases ran"
    assert {400, 413, 422} <= set(statuses), f"the cases missed a kind of refusal: {dict(statuses)}"


@pytest.fixture
def get_paths(app, people, add_video, tmp_path):
    from portal.extensions import db
    from portal.media.models import Video

    from helpers import write_captions

    video_id, [file_id] = add_video(captions=write_captions(tmp_path))
    with app.app_context():
        still_id = db.session.get(Video, video_id).stills[0].id
    unsubscribe = next(path for path in people if path.startswith("/newsletter/unsubscribe/"))
    disable = next(path for path in people if path.endswith("/disable"))
    passkey_steps = [path for path in people if path.startswith("/account/passkeys/") and "options" not in path]
    return [disable, "/admin/recovery-codes", "/", "/_header", "/register", "/login", "/reset", "/verify",
            "/reset/code", "/reset/password",
            "/reset/done", "/welcome", "/account/", "/account/password", "/account/details", "/account/email",
            "/account/email/code", "/account/downloads", "/account/export", "/account/delete", f"/videos/{video_id}",
            f"/videos/{video_id}/poster", f"/files/{file_id}", "/d/not-a-link", unsubscribe, "/static/app.js",
            "/healthz", f"/stills/{still_id}", f"/videos/{video_id}/preview", f"/videos/{video_id}/captions.vtt",
            f"/videos/{video_id}/links.txt", f"/videos/{video_id}/SHA256SUMS", "/links.txt", "/SHA256SUMS",
            "/d/not-a-link/file.mp4",
            "/login/second-factor", "/login/second-factor/set-up", "/admin", "/admin/most-downloaded.csv",
            "/admin/account", "/terms/accept",
            "/privacy", "/terms", "/accessibility", "/contact", "/logo", "/account/confirm",
            *passkey_steps]


def test_every_get_route_is_visited(app, get_paths):
    gets = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert {rule_of(app, path, "GET") for path in get_paths} == gets


def test_random_query_parameters_on_every_page_never_get_a_5xx_nor_write_a_row_when_refused(app, people, get_paths):
    """12 seeded cases per GET route (456 in all), logged in and not; the count is asserted and printed.

    A download writes a row of its own, so only refused requests must write nothing.
    """
    cases = Counter()
    statuses = Counter()
    visitors = [people["/login"][0], people["/account/password"][0]]

    def get_anything(path, query, logged_in, htmx):
        before = row_counts(app)
        response = visitors[logged_in].client.get(
            path, headers={"HX-Request": "true"} if htmx else {}, environ_overrides={"QUERY_STRING": query}
        )
        assert response.status_code < 500
        if 400 <= response.status_code < 500:
            assert row_counts(app) == before, response.status_code
        cases[rule_of(app, path, "GET")] += 1
        statuses[response.status_code] += 1

    for path in get_paths:
        run_cases(get_anything, path, GETS_PER_ROUTE, query=query_strings(), logged_in=st.booleans(),
                  htmx=st.booleans())
    print(f"\n{cases.total()} random queries; per page {dict(cases)}; statuses {dict(statuses)}")
    assert cases.total() >= GETS_PER_ROUTE * len(get_paths), f"only {cases.total()} cases ran"
    assert 400 in statuses, "no query was refused"

"""Where a catalogue request's time goes, in the process: profiles around the WSGI app.

    .venv/bin/python bench/profile_pages.py                  # BENCH_VIDEOS=500 BENCH_REQUESTS=300
    BENCH_TOP=40 .venv/bin/python bench/profile_pages.py     # a longer list of functions

The same library as bench/pages.py (500 videos), SQLite, no server: the app
is called as gunicorn calls it (`app(environ, start_response)`, the body
read to the end), with the cookie a browser holds, for a visitor (after two
pages) and for a logged-in person. `GET /` is asked BENCH_REQUESTS times
without the profiler (the CPU time per request, and a bare Flask route's
beside it), then as many times under a profile hook that times Flask's
phases and the areas below, and as many again under cProfile. CPU time
(this thread's), not wall time: other work on the machine slows a run
down but is not counted. Printed per page:

- the CPU time per request, without and with cProfile, and without a
  profiler the part spent rendering the page (Flask's template signals)
  and in the user_loader;
- Flask's phases of a request, which do not overlap;
- areas, each counted once from its first function's entry to its exit (areas
  overlap: gettext lookups and url_for run inside template rendering,
  and the logged-in account is loaded by whichever asks first, often the
  language selector inside the view);
- self time by package (each function's own time, by the package it is in);
- the top functions by cumulative time and by own time.

cProfile inflates code that makes many small calls (Jinja, SQLAlchemy,
Werkzeug's context-local proxies) more than code that makes few: read the
shares, not the microseconds.
"""
import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import ROOT, portal_app, verified_user
from pages import USER_AGENT, fill_library

# (label, [(file path part, function name or "" for any)]); a function matching any pair belongs to the label.
PHASES = [
    ("request context push (the session cookie opened, the URL matched)", [("flask/ctx.py", "push")]),
    ("before-request hooks (limiter, request id, language reset)", [("flask/app.py", "preprocess_request")]),
    ("the view (catalogue_page: listing, template)", [("flask/app.py", "dispatch_request")]),
    ("after-request hooks and saving the session", [("flask/app.py", "process_response")]),
    ("context pop and teardown (database session removed)", [("flask/ctx.py", "pop")]),
    ("the response handed to WSGI and read", [("werkzeug/wrappers/response.py", "__call__"),
                                              ("werkzeug/wsgi.py", "__next__"),
                                              ("werkzeug/wrappers/response.py", "iter_encoded")]),
]
AREAS = [
    ("template rendering (all of it: gettext, url_for, csrf_token inside)", [("flask/templating.py", "_render")]),
    ("Flask-Babel gettext lookups", [("jinja2/ext.py", "_gettext_alias"), ("jinja2/ext.py", "gettext"),
                                     ("jinja2/ext.py", "ngettext"), ("flask_babel/__init__.py", "<lambda>"),
                                     ("flask_babel/__init__.py", "gettext"), ("flask_babel/__init__.py", "ngettext")]),
    ("Flask-Babel get_locale (the language selector on first use)", [("flask_babel/__init__.py", "get_locale")]),
    ("url_for", [("flask/helpers.py", "url_for"), ("flask/app.py", "url_for")]),
    ("Flask-Login: loading the user (user_loader's SELECT included)", [("flask_login/utils.py", "_get_user")]),
    ("session: opening and saving the signed cookie", [("flask/sessions.py", "open_session"),
                                                       ("flask/sessions.py", "save_session")]),
    ("CSRF token (Flask-WTF generate_csrf)", [("flask_wtf/csrf.py", "generate_csrf")]),
    ("request log line (portal.web.request_log)", [("portal/web/request_log.py", "_log_request"),
                                                   ("portal/web/request_log.py", "_start")]),
    ("security headers", [("portal/web/security.py", "add_security_headers")]),
    ("the listing (cached) and the unfound-search record", [("portal/media/listing_cache.py", "cached"),
                                                            ("portal/media/searches.py", "record_if_nothing_found")]),
    ("Flask-Limiter", [("flask_limiter/", "")]),
    ("SQLAlchemy (all of it)", [("sqlalchemy/", "")]),
]
PACKAGES = ["jinja2", "markupsafe", "flask_babel", "babel", "flask_login", "flask_wtf", "wtforms", "itsdangerous",
            "flask_limiter", "limits", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "flask", "logging", "portal"]


def package_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    if path.endswith(".html") or "/templates/" in path:
        return "templates (compiled Jinja code)"
    if path.endswith("werkzeug/local.py"):
        return "werkzeug's context-local proxies (request, g, session, current_user)"
    for name in PACKAGES:
        if f"/{name}/" in path:
            return name if name != "portal" else "portal (its own code)"
    if path.startswith(("~", "<")):
        return "built-ins (C functions)"
    return "Python's standard library and the rest"


def matches(function: tuple, pattern: tuple) -> bool:
    filename, _, name = function
    part, wanted = pattern
    return part in filename.replace("\\", "/") and (not wanted or name == wanted)


class AreaClock:
    """CPU time spent inside each area, each counted once however deeply its functions call each other.

    A profile hook (sys.setprofile) keeps, per area, how many of its functions
    are on the stack, and adds up the time from the first one's entry to the
    last one's exit; a generator counts from each resumption to each yield.
    """

    def __init__(self, areas: list):
        self.labels = [label for label, _ in areas]
        self.areas = areas
        self.seconds = [0.0] * len(areas)
        self.depth = [0] * len(areas)
        self.entered = [0.0] * len(areas)
        self.known: dict = {}

    def _areas_of(self, code) -> tuple:
        found = self.known.get(code)
        if found is None:
            function = (code.co_filename, code.co_firstlineno, code.co_name)
            found = tuple(index for index, (_, patterns) in enumerate(self.areas)
                          if any(matches(function, pattern) for pattern in patterns))
            self.known[code] = found
        return found

    def __call__(self, frame, event, _arg):
        if event == "call":
            for index in self._areas_of(frame.f_code):
                if not self.depth[index]:
                    self.entered[index] = time.thread_time()
                self.depth[index] += 1
        elif event == "return":
            for index in self._areas_of(frame.f_code):
                if self.depth[index]:
                    self.depth[index] -= 1
                    if not self.depth[index]:
                        self.seconds[index] += time.thread_time() - self.entered[index]

    def times(self) -> dict:
        return dict(zip(self.labels, self.seconds, strict=True))


def clocked(app, environ: dict, requests: int, areas: list) -> dict:
    clock = AreaClock(areas)
    sys.setprofile(clock)
    try:
        timed(app, environ, requests)
    finally:
        sys.setprofile(None)
    return clock.times()


def self_times(stats: pstats.Stats) -> dict:
    totals = defaultdict(float)
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():
        totals[package_of(filename)] += own
    return totals


def cookie_header(client) -> str:
    return "; ".join(f"{cookie.key}={cookie.value}" for cookie in client._cookies.values())


def environ_for(cookies: str) -> dict:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path="/", headers={"User-Agent": USER_AGENT, "Cookie": cookies,
                                                         "Accept-Language": "en"},
                             environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return builder.get_environ()
    finally:
        builder.close()


def timed(app, environ: dict, requests: int) -> float:
    """CPU seconds per request of the WSGI app, called as a server calls it (CPU time: other work on
    the machine slows a run down but is not counted)."""
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    started = time.thread_time()
    for _ in range(requests):
        body = app(dict(environ), start_response)
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
    seconds = (time.thread_time() - started) / requests
    assert set(statuses) == {"200 OK"}, set(statuses)
    return seconds


def parts_without_profiler(app, environ: dict, requests: int) -> tuple[float, float, float]:
    """CPU seconds per request: the whole, rendering the page, and the user_loader; no profiler.

    Rendering is timed by Flask's own signals (before_render_template to
    template_rendered); the loader by registering a timed wrapper of the
    portal's user_loader for this measurement (Flask-Login's user_loader).
    """
    from flask import before_render_template, template_rendered

    from portal.auth.sessions import load_user
    from portal.extensions import login_manager

    spent = {"render": 0.0, "loader": 0.0}
    started = {}

    def render_starts(sender, **extra):
        started["render"] = time.thread_time()

    def render_ends(sender, **extra):
        spent["render"] += time.thread_time() - started.pop("render", time.thread_time())

    def timed_loader(token):
        begun = time.thread_time()
        try:
            return load_user(token)
        finally:
            spent["loader"] += time.thread_time() - begun

    login_manager.user_loader(timed_loader)
    before_render_template.connect(render_starts, app)
    template_rendered.connect(render_ends, app)
    try:
        whole = timed(app, environ, requests)
    finally:
        before_render_template.disconnect(render_starts, app)
        template_rendered.disconnect(render_ends, app)
        login_manager.user_loader(load_user)
    return whole, spent["render"] / requests, spent["loader"] / requests


def show(phases: dict, areas: dict, stats: pstats.Stats, requests: int, top: int) -> None:
    whole = sum(phases.values()) or 1e-9
    print("Flask's phases of a request (not overlapping), share of their sum:")
    for label, seconds in phases.items():
        print(f"  {seconds / whole * 100:5.1f} %  {label}")
    print("areas, each counted once (areas overlap), share of the phases' sum:")
    for label, seconds in areas.items():
        print(f"  {seconds / whole * 100:5.1f} %  {label}")
    print("self time by package (exclusive, cProfile):")
    own = self_times(stats)
    own_total = sum(own.values())
    for package, seconds in sorted(own.items(), key=lambda item: -item[1]):
        if seconds / own_total >= 0.005:
            print(f"  {seconds / own_total * 100:5.1f} %  {package}")
    calls = sum(entry[1] for entry in stats.stats.values())
    print(f"function calls per request: {calls / requests:.0f}")
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        stats.stream = text
        stats.sort_stats(order).print_stats(top)
        listing = text.getvalue()
        listing = listing.replace(str(Path(pstats.__file__).parent) + "/", "")  # the standard library's folder
        listing = re.sub(r"/\S*?/site-packages/", "", listing).replace(str(ROOT) + "/", "")
        print(f"top {top} functions by {order} time:")
        print(listing[listing.index("   ncalls"):].rstrip())


def main() -> None:
    videos = int(os.environ.get("BENCH_VIDEOS", "500"))
    requests = int(os.environ.get("BENCH_REQUESTS", "300"))
    top = int(os.environ.get("BENCH_TOP", "25"))
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        fill_library(instance, videos)
        # The request log writes to standard error, as under gunicorn (where it goes to a file or journald).
        app = portal_app(instance)
        verified_user(app)
        sys.path.insert(0, str(ROOT / "bench"))
        from bare_app import app as bare

        bare_environ = environ_for("")
        timed(bare, bare_environ, requests)
        bare_seconds = timed(bare, bare_environ, requests)

        visitor = app.test_client()
        for _ in range(2):
            visitor.get("/", headers={"User-Agent": USER_AGENT})
        member = app.test_client()
        page = member.get("/login", headers={"User-Agent": USER_AGENT}).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = member.post("/login", headers={"User-Agent": USER_AGENT}, data={
            "csrf_token": token, "email": "bench@example.org", "password": "Bench-Password-1"})
        assert answer.status_code == 303, answer.status_code

        print(f"{videos} videos, {requests} requests of GET / per page, the WSGI app called in the process, "
              f"SQLite; a bare Flask route: {bare_seconds * 1e6:.0f} µs of CPU a request")
        for name, client in (("catalogue, visitor", visitor), ("catalogue, logged in", member)):
            environ = environ_for(cookie_header(client))
            timed(app, environ, requests)  # warm: templates compiled, listing cached
            plain = timed(app, environ, requests)
            whole, rendering, loading = parts_without_profiler(app, environ, requests)
            both = clocked(app, environ, requests, PHASES + AREAS)
            phases = {label: both[label] for label, _ in PHASES}
            areas = {label: both[label] for label, _ in AREAS}
            profiler = cProfile.Profile()
            profiler.enable()
            profiled = timed(app, environ, requests)
            profiler.disable()
            print(f"\n== {name}: {plain * 1e6:.0f} µs of CPU a request (bare Flask / page: "
                  f"{bare_seconds / plain:.2f}), {profiled * 1e6:.0f} µs under cProfile ==")
            print(f"without a profiler: {whole * 1e6:.0f} µs a request, of which rendering the page "
                  f"{rendering * 1e6:.0f} µs and the user_loader {loading * 1e6:.0f} µs")
            show(phases, areas, pstats.Stats(profiler), requests, top)


if __name__ == "__main__":
    sys.exit(main())

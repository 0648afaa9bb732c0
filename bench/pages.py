"""Requests per second of the catalogue and search pages against a bare Flask route.

    .venv/bin/python bench/pages.py
    BENCH_SECONDS=3 BENCH_ROUNDS=7 BENCH_VIDEOS=500 .venv/bin/python bench/pages.py
    BENCH_PAGES="catalogue, logged in;catalogue" .venv/bin/python bench/pages.py   # only these, in this order

Needs wrk (Debian's package). Both apps run under the same gunicorn settings
(this repository's gunicorn.conf.py, 2 workers); runs alternate, portal then
bare, and each pair gives a ratio; the median ratio is printed. Many short
pairs rather than a few long ones, and each round measures every page once:
on a shared machine the rate of the same server swings from one minute to
the next.

Beside requests per second, the CPU time the workers used per request is
read from /proc, and printed as the same kind of ratio (bare Flask's CPU per
request / the page's): time stolen by other work on the machine slows a run
down but is not counted as the workers' CPU time. When a floor is missed,
bench/profile_pages.py shows where a catalogue request's time goes.
"""
import os
import re
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from common import ROOT, cpu_seconds, free_port, gunicorn, median, portal_app, verified_user, worker_pids

# Sent on every request, the log-in's included, as a browser does: Flask-Login
# keeps a hash of the address and User-Agent in the session, and a request
# whose differ (wrk sends none, urllib its own) marks the session not fresh,
# which rewrites the cookie on every request that sends the old one again.
USER_AGENT = "bench/pages.py"
# The floors the portal keeps without overriding anything of the framework to reach them.
VISITOR_FLOOR = 0.25
LOGGED_IN_FLOOR = 0.15
WORDS = "alliance security speech press conference maritime cables energy defence ministers summit".split()


def fill_library(instance: Path, count: int) -> None:
    from portal.media import engine, library

    app = portal_app(instance)
    source = instance.parent / "clip.mp4"
    # The library probes what it adds: a real video, one tiny picture.
    engine.generate_video(source, "", width=32, height=18, seconds=0.04, audio=False)
    with app.app_context():
        for number in range(count):
            words = [WORDS[(number * 7 + k) % len(WORDS)] for k in range(4)]
            library.add_video(library.NewVideo(
                title=f"{words[0].title()} {words[1]} {number}",
                files=[source],
                labels=["HD 1080p MP4"],
                description=" ".join(words * 5),
                recorded_on=date(2026, 1, 1) - timedelta(days=number),
                place="Brussels",
                tags=words[2:],
                transcript=" ".join(WORDS * 20),
                duration_seconds=300 + number,
            ))


def log_in(base: str) -> str:
    """The session cookie of a logged-in person (the account `verified_user` made)."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "email": "bench@example.org", "password": "Bench-Password-1"}
    opener.open(base + "/login", urllib.parse.urlencode(form).encode()).read()
    return next(cookie.value for cookie in jar if cookie.name == "session")


def visitor_cookie(base: str) -> str:
    """The session cookie a visitor's browser holds after two pages (the header's form has a CSRF token;
    Flask-Login's session protection marks a session without a log-in "not fresh" once, on the second)."""
    import http.cookiejar
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    for _ in range(2):
        opener.open(base + "/").read()
    return next(cookie.value for cookie in jar if cookie.name == "session")


def run_wrk(server: subprocess.Popen, url: str, seconds: int, cookie: str | None = None) -> tuple[float, float]:
    """Requests per second, and the workers' CPU microseconds per request."""
    headers = ["-H", f"User-Agent: {USER_AGENT}", *(["-H", f"Cookie: session={cookie}"] if cookie else [])]
    workers = worker_pids(server)
    cpu_before = cpu_seconds(workers)
    output = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", *headers, url], check=True, capture_output=True, text=True
    ).stdout
    cpu = cpu_seconds(workers) - cpu_before
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), cpu / requests * 1e6


def main() -> None:
    seconds = int(os.environ.get("BENCH_SECONDS", "3"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "7"))
    videos = int(os.environ.get("BENCH_VIDEOS", "500"))
    portal_port, bare_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        fill_library(instance, videos)
        verified_user(portal_app(instance))
        os.environ["PYTHONPATH"] = str(ROOT / "bench")
        with gunicorn(instance, portal_port) as portal, gunicorn(instance, bare_port, app="bare_app:app") as bare:
            print(f"{videos} videos, {rounds} rounds of {seconds} s "
                  "(requests/s and CPU µs per request: portal, bare Flask)")
            visitor = visitor_cookie(f"http://127.0.0.1:{portal_port}")
            member = log_in(f"http://127.0.0.1:{portal_port}")
            # Browsers send their cookie back; a first visit (or a crawler) has none, and is given one.
            pages = {"catalogue": ("/", visitor), "search": ("/?q=maritime+secu", visitor),
                     "catalogue, first visit": ("/", None), "catalogue, logged in": ("/", member)}
            chosen = os.environ.get("BENCH_PAGES")
            names = chosen.split(";") if chosen else list(pages)
            ratios = {name: [] for name in names}
            cpu_ratios = {name: [] for name in names}
            # Round by round, every page once: each page's pairs spread over the whole run,
            # so a slow minute of the machine weighs on every page alike.
            for _ in range(rounds):
                for name in names:
                    path, session = pages[name]
                    rate, cpu = run_wrk(portal, f"http://127.0.0.1:{portal_port}{path}", seconds, session)
                    bare_rate, bare_cpu = run_wrk(bare, f"http://127.0.0.1:{bare_port}/", seconds)
                    ratios[name].append(rate / bare_rate)
                    cpu_ratios[name].append(bare_cpu / cpu)
                    print(f"  {name}: {rate:.0f} {bare_rate:.0f} requests/s, {cpu:.0f} {bare_cpu:.0f} µs")
            for name in names:
                floor = LOGGED_IN_FLOOR if "logged in" in name else VISITOR_FLOOR
                print(f"{name} page / bare Flask route: {median(ratios[name]):.3f}  (floor >= {floor}); "
                      f"by CPU per request: {median(cpu_ratios[name]):.3f}")


if __name__ == "__main__":
    sys.exit(main())

"""Requests per second of the catalogue and search pages against a bare Flask route.

    .venv/bin/python bench/pages.py
    BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_VIDEOS=500 .venv/bin/python bench/pages.py

Needs wrk (Debian's package). Both apps run under the same gunicorn settings
(this repository's gunicorn.conf.py, 2 workers); runs alternate, portal then
bare, and each pair gives a ratio; the median ratio is printed.
"""
import os
import re
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from common import ROOT, free_port, gunicorn, median, portal_app, verified_user

# Sent on every request, the log-in's included, as a browser does: Flask-Login
# keeps a hash of the address and User-Agent in the session, and a request
# whose differ (wrk sends none, urllib its own) marks the session not fresh,
# which rewrites the cookie on every request that sends the old one again.
USER_AGENT = "bench/pages.py"
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


def requests_per_second(url: str, seconds: int, cookie: str | None = None) -> float:
    headers = ["-H", f"User-Agent: {USER_AGENT}", *(["-H", f"Cookie: session={cookie}"] if cookie else [])]
    output = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", *headers, url], check=True, capture_output=True, text=True
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    seconds = int(os.environ.get("BENCH_SECONDS", "5"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    videos = int(os.environ.get("BENCH_VIDEOS", "500"))
    portal_port, bare_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        fill_library(instance, videos)
        verified_user(portal_app(instance))
        os.environ["PYTHONPATH"] = str(ROOT / "bench")
        with gunicorn(instance, portal_port), gunicorn(instance, bare_port, app="bare_app:app"):
            bare = f"http://127.0.0.1:{bare_port}/"
            print(f"{videos} videos, {rounds} rounds of {seconds} s (requests/s: portal, bare Flask)")
            cookie = log_in(f"http://127.0.0.1:{portal_port}")
            pages = (("catalogue", "/", None), ("search", "/?q=maritime+secu", None),
                     ("catalogue, logged in", "/", cookie))
            for name, path, session in pages:
                ratios = []
                for _ in range(rounds):
                    portal = requests_per_second(f"http://127.0.0.1:{portal_port}{path}", seconds, session)
                    baseline = requests_per_second(bare, seconds)
                    ratios.append(portal / baseline)
                    print(f"  {name}: {portal:.0f} {baseline:.0f}")
                print(f"{name} page / bare Flask route: {median(ratios):.3f}  (target >= 0.4)")


if __name__ == "__main__":
    sys.exit(main())

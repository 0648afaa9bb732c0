"""200 simulated people for 60 s against `gunicorn wsgi:app`, on SQLite and on PostgreSQL + Redis.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/load.py                      # both modes, 200 people, 60 s each
    .venv/bin/python bench/load.py --mode sqlite --seconds 20 --users 50

Locust runs as a library in this process (gevent); the people are in
`load_people.py`. Each mode gets a fresh instance folder with the demo
videos (and their previews) and `--members` accounts made beforehand, an
aiosmtpd sink on loopback (`load_sink.py`) as the portal's SMTP server, and
gunicorn with this repository's gunicorn.conf.py and the delivery thread in
each worker, as in production:

- sqlite: the default instance (SQLite in the instance folder), one worker,
  per-network limits in memory, as `gunicorn wsgi:app` starts;
- postgres: a database made for the run (dropped after), two workers, the
  per-network limits in Redis (a database number of its own, emptied before
  and after).

Per-network limits would stop 200 people coming from 127.0.0.1, so the portal
runs as behind one proxy (PORTAL_PROXY_COUNT=1) and each person sends its own
`X-Forwarded-For` address. Every limit keeps its default.

After the run the people stop, the outbox is given up to a minute to drain,
and the checks are printed; the exit status is 1 when one fails.
"""
import argparse
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import gevent
from common import free_port, gunicorn, median, portal_app
from load_people import PASSWORD, Ledger, Library, Person, percentile
from load_sink import smtp_sink
from locust.env import Environment
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from portal.auth.flows import VERIFY_EMAIL

SEARCH_WORDS = ["maritime", "press", "speech", "ministers", "exercise", "brussels", "security", "zzzzz"]
DRAIN_SECONDS = 60
REQUEST_LINE = re.compile(r"event=request method=(?P<method>\w+) .* ms=(?P<ms>[\d.]+)")
# A logged traceback's line naming the exception, e.g. "sqlalchemy.exc.IntegrityError: (...) duplicate key".
EXCEPTION_LINE = re.compile(r"[\w.]+(?:Error|Exception|Violation|Timeout)\b")


def main() -> int:
    options = arguments()
    modes = ("sqlite", "postgres") if options.mode == "both" else (options.mode,)
    print(f"{options.users} people, spawned {options.spawn_rate}/s, for {options.seconds} s per mode")
    passed = [run_mode(mode, options) for mode in modes]
    return 0 if all(passed) else 1


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("both", "sqlite", "postgres"), default="both")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--members", type=int, default=100, help="accounts made before the run")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="a database to connect to for creating the run's own")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="emptied before and after")
    parser.add_argument("--log-dir", type=Path, help="keep each mode's server log here (MODE.log)")
    return parser.parse_args()


def run_mode(mode: str, options) -> bool:
    with tempfile.TemporaryDirectory() as folder, database(mode, options) as (settings, workers):
        scratch = Path(folder)
        instance = scratch / "instance"
        library, members = prepare(instance, settings, options.members)
        port, smtp_port = free_port(), free_port()
        server_log = scratch / "server.log"
        with smtp_sink(scratch / "mail", smtp_port) as inbox, gunicorn(
                instance, port, workers=workers, log=server_log, MAIL_WORKER="true", MAIL_SERVER="127.0.0.1",
                MAIL_PORT=smtp_port, PROXY_COUNT=1, PUBLIC_URL=f"http://127.0.0.1:{port}", **settings):
            ledger = Ledger(members=set(members))
            stats = drive(f"http://127.0.0.1:{port}", library, members, inbox, ledger, options)
            wait_for_answers(server_log, ledger.requests_sent - sum(ledger.connection_errors.values()))
            engine = create_engine(settings.get("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance}/portal.sqlite3"))
            drain_seconds = wait_for_outbox(engine)
            results = checks(engine, inbox, ledger, stats, drain_seconds)
            delivery = delivery_times(engine)
            engine.dispose()
        passed = show(f"{mode}: {workers} gunicorn worker(s)", stats, ledger, server_log, delivery, results)
        if options.log_dir:
            options.log_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy(server_log, options.log_dir / f"{mode}.log")
        return passed


def show(title: str, stats, ledger: Ledger, server_log: Path, delivery: str, results) -> bool:
    """Print the figures and the checks; whether every check passed."""
    print(f"\n== {title}; machine load average (1 min) at the end {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs ==")
    report(stats, ledger)
    print(f"the portal's own time (its log): {server_times(server_log)}")
    print(f"mail from the outbox to the sink (the outbox's times): {delivery}")
    for error in stats.errors.values():
        print(f"failed: {error.name}: {error.error} × {error.occurrences}")
    for name, passed, detail in results:
        print(f"{'ok  ' if passed else 'FAIL'} {name}: {detail}")
    passed = all(passed for _, passed, _ in results)
    if not passed:
        print_server_errors(server_log)
    return passed


@contextmanager
def database(mode: str, options):
    """The portal's settings for the mode, and how many workers serve it."""
    if mode == "sqlite":
        yield {}, 1
        return
    import redis

    name = f"portal_load_{secrets.token_hex(4)}"
    admin = create_engine(options.postgres, isolation_level="AUTOCOMMIT")
    limits = redis.Redis.from_url(options.redis)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    limits.flushdb()
    try:
        uri = options.postgres.rsplit("/", 1)[0] + f"/{name}"
        yield {"SQLALCHEMY_DATABASE_URI": uri, "RATELIMIT_STORAGE_URI": options.redis}, 2
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()
        limits.flushdb()
        limits.close()


def prepare(instance: Path, settings: dict, member_count: int) -> tuple[Library, list[str]]:
    """The demo videos with previews, and accounts for the members (one password hash for all)."""
    from portal.auth import passwords
    from portal.clock import now
    from portal.extensions import db
    from portal.media import demo
    from portal.media import library as media
    from portal.models import User

    app = portal_app(instance, **settings)
    with app.app_context():
        demo.add_demo_videos()
        for video in media.videos():
            media.make_preview(video)
        password_hash = passwords.hash_password(PASSWORD)
        members = [f"member{number}@load.example.org" for number in range(member_count)]
        db.session.add_all(User(email=address, full_name=f"Member {number}", password_hash=password_hash,
                                verified_at=now()) for number, address in enumerate(members))
        db.session.commit()
        videos = media.videos()
        library = Library(
            videos=[video.id for video in videos],
            renditions=[rendition.id for video in videos for rendition in video.renditions],
            tags=sorted({tag for entry in demo.DEMO_VIDEOS for tag in entry["tags"]}),
            years=sorted({entry["recorded"].year for entry in demo.DEMO_VIDEOS}),
            words=SEARCH_WORDS,
        )
        db.session.remove()
        db.engine.dispose()
    return library, members


def drive(host: str, library: Library, members: list[str], inbox, ledger: Ledger, options):
    """Run the people for `options.seconds`, then stop them; Locust's statistics."""
    Person.ledger, Person.inbox, Person.library, Person.members = ledger, inbox, library, list(members)
    environment = Environment(user_classes=[Person], host=host)
    runner = environment.create_local_runner()
    runner.start(options.users, spawn_rate=options.spawn_rate)
    gevent.sleep(options.seconds)
    runner.stop()
    runner.quit()
    return environment.stats


def wait_for_answers(log: Path, sent: int, seconds: float = DRAIN_SECONDS) -> None:
    """Until the portal has finished every request sent, those of people stopped mid-way too.

    A request keeps running after its person is stopped, and may still queue
    mail or make an account; the checks must come after it.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and log.read_text(errors="replace").count("event=request ") < sent:
        time.sleep(0.5)


def wait_for_outbox(engine, seconds: float = DRAIN_SECONDS) -> float | None:
    """Seconds until no mail is queued or being sent, or None if it did not drain in time."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not (outbox_counts(engine).keys() & {"queued", "sending"}):
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def outbox_counts(engine) -> Counter:
    from portal.mail.models import OutboxMail

    with Session(engine) as session:
        rows = session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status))
        return Counter(dict(rows.all()))


def delivery_times(engine) -> str:
    """From the outbox: seconds from a mail's writing to the SMTP server's acceptance."""
    from portal.mail.models import OutboxMail

    with Session(engine) as session:
        rows = session.execute(select(OutboxMail.created_at, OutboxMail.sent_at).where(OutboxMail.sent_at.is_not(None)))
        spent = [(sent - created).total_seconds() for created, sent in rows]
    if not spent:
        return "no mail sent"
    return f"{len(spent)} mails, median {median(spent):.1f} s, p99 {percentile(spent, 0.99):.1f} s"


def checks(engine, inbox, ledger: Ledger, stats, drain_seconds) -> list[tuple[str, bool, str]]:
    """(what is checked, whether it holds, the figures)."""
    received = inbox.counts()
    outbox = outbox_counts(engine)
    failures = sum(entry.num_failures for entry in stats.entries.values())
    return [
        ("no answer of 500 or more", not ledger.server_errors, _named(ledger.server_errors) or "none"),
        ("no request left without an answer", not ledger.connection_errors,
         _named(ledger.connection_errors) or "none"),
        ("every step answered as a browser expects", failures == 0,
         f"{failures} failed requests, {ledger.codes_missing} codes not received in time"),
        registration_mail(received, ledger),
        mail_as_caused(received, ledger),
        ("no message delivered twice", max(inbox.message_ids.values(), default=1) == 1,
         f"{len(inbox.message_ids)} messages, {sum(inbox.message_ids.values())} deliveries"),
        ("the outbox drained, nothing failed",
         drain_seconds is not None and not outbox["failed"] and not outbox["queued"],
         (f"drained in {drain_seconds:.1f} s; " if drain_seconds is not None else "did not drain; ")
         + ", ".join(f"{status} {count}" for status, count in sorted(outbox.items()))),
        accounts_whole(engine, ledger),
    ]


def registration_mail(received: Counter, ledger: Ledger):
    """Every registration the portal answered got exactly one verification code mail."""
    subject = VERIFY_EMAIL.mail_subject
    confirmed = [address for address, mail_subject in ledger.expected_mail if mail_subject == subject]
    wrong = [address for address in confirmed if received[address, subject] != 1]
    return ("every registration got exactly one code mail", not wrong and bool(confirmed),
            f"{len(confirmed)} registrations, {len(wrong)} without exactly one: {wrong[:3]}")


def mail_as_caused(received: Counter, ledger: Ledger):
    """Each address got the mails its answered steps caused, and no more than its unanswered ones could add."""
    keys = received.keys() | ledger.expected_mail.keys()
    wrong = [key for key in keys
             if not (ledger.expected_mail[key] <= received[key]
                     <= ledger.expected_mail[key] + ledger.uncertain_mail[key])]
    detail = (f"{sum(received.values())} mails to {len({address for address, _ in received})} addresses; "
              f"{sum(ledger.uncertain_mail.values())} steps unanswered when the run stopped")
    if wrong:
        detail += "; wrong: " + ", ".join(f"{key}: {received[key]} (expected {ledger.expected_mail[key]})"
                                          for key in wrong[:3])
    return "every address got the mail its steps caused, no more", not wrong, detail


def accounts_whole(engine, ledger: Ledger):
    """Accounts are those made before the run and those whose code was accepted; each verified, none half-made."""
    from portal.models import CodeFlowRecord, User

    with Session(engine) as session:
        users = session.execute(select(User.email, User.verified_at, User.password_hash, User.full_name)).all()
        leftover_flows = session.scalar(select(func.count()).select_from(CodeFlowRecord).where(
            CodeFlowRecord.purpose == VERIFY_EMAIL.purpose, CodeFlowRecord.address.in_(select(User.email))))
    addresses = {user.email for user in users}
    half = [user.email for user in users if not (user.verified_at and user.password_hash and user.full_name)]
    unexpected = addresses - ledger.members - ledger.created - ledger.uncertain_created
    missing = (ledger.members | ledger.created) - addresses
    passed = not (half or unexpected or missing or leftover_flows)
    return ("no account half-made", passed,
            f"{len(addresses)} accounts ({len(ledger.created)} registered in the run); unverified or incomplete "
            f"{len(half)}, unexpected {len(unexpected)}, missing {len(missing)}, "
            f"registration flows left beside an account {leftover_flows}")


def _named(counts: Counter) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.most_common())


def report(stats, ledger: Ledger) -> None:
    total = stats.total
    print(f"{total.num_requests} requests answered, {total.total_rps:.1f} requests/s overall; "
          f"{ledger.requests_sent - total.num_requests} more were under way when the people stopped")
    print(f"{'request':24} {'count':>7} {'fail':>5} {'median ms':>10} {'p99 ms':>8}")
    for entry in sorted(stats.entries.values(), key=lambda entry: -entry.num_requests):
        print(f"{entry.name:24} {entry.num_requests:7d} {entry.num_failures:5d} "
              f"{entry.median_response_time:10.0f} {entry.get_response_time_percentile(0.99):8.0f}")
    for purpose in ledger.code_waits:
        print(ledger.code_wait_line(purpose))


def server_times(log: Path) -> str:
    """The portal's own time per request (its log's `ms`), which leaves out waiting for a thread."""
    lines = [REQUEST_LINE.search(line) for line in log.read_text(errors="replace").splitlines()]
    times = {"GET": [], "POST": []}
    for found in filter(None, lines):
        times.setdefault(found["method"], []).append(float(found["ms"]))
    return "; ".join(f"{method} median {median(spent):.0f} ms, p99 {percentile(spent, 0.99):.0f} ms"
                     for method, spent in times.items() if spent)


def print_server_errors(log: Path) -> None:
    """What the server's errors were (the portal's and gunicorn's), one line per kind with how often."""
    errors = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if "level=ERROR" in line or "[ERROR]" in line or "[CRITICAL]" in line:
            named = [part for part in line.split("\\n") if EXCEPTION_LINE.match(part)]
            errors[(named[-1] if named else line)[:160]] += 1
    print("-- server log: " + ("; ".join(f"{count} × {error}" for error, count in errors.most_common()) or "no errors"))


if __name__ == "__main__":
    sys.exit(main())

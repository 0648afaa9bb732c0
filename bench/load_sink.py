"""The load run's mail sink: aiosmtpd on loopback, every message kept in a Maildir.

The sink is aiosmtpd's own command with its `Mailbox` handler, in a process
of its own (the load generator's gevent would otherwise share a loop with
it). Maildir delivers each message whole (written aside, then moved into
`new/`), so `Inbox` reads what is there at any moment without locks.
"""
import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
# Many people wait for mail at once; the folder is read at most this often.
RESCAN_SECONDS = 0.1


class Inbox:
    """What the sink received: each message's text by (recipient, subject), in arrival order."""

    def __init__(self, folder: Path):
        self.new = folder / "new"
        self.seen: set[str] = set()
        self.texts: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.message_ids: Counter = Counter()
        self.scanned_at = 0.0

    def refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self.scanned_at < RESCAN_SECONDS:
            return
        self.scanned_at = time.monotonic()
        names = sorted(set(os.listdir(self.new)) - self.seen) if self.new.is_dir() else []
        for name in names:
            self.seen.add(name)
            message = email.message_from_bytes((self.new / name).read_bytes(), policy=email.policy.default)
            recipient = message["X-RcptTo"].strip().lower()
            self.texts[recipient, str(message["Subject"])].append(
                message.get_body(preferencelist=("plain",)).get_content())
            self.message_ids[message["Message-ID"]] += 1

    def counts(self) -> Counter:
        self.refresh(force=True)
        return Counter({key: len(texts) for key, texts in self.texts.items()})

    def wait_for_code(self, address: str, subject: str, number: int, seconds: float) -> str | None:
        """The code in the `number`th mail (1 is the first) of `subject` to `address`, polling up to `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.refresh()
            texts = self.texts.get((address, subject), [])
            if len(texts) >= number:
                found = CODE.search(texts[number - 1])
                return found.group(1) if found else None
            time.sleep(0.2)
        return None


@contextmanager
def smtp_sink(folder: Path, port: int):
    """aiosmtpd on 127.0.0.1:`port` writing into the Maildir `folder`; yields its `Inbox`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Mailbox", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield Inbox(folder)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_port(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the SMTP sink did not listen on port {port}")

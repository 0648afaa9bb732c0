"""The background worker: a daemon thread in each app process that delivers mail and keeps house.

It drains the outbox every `MAIL_POLL_INTERVAL` seconds, and at once when a
commit in this process has queued mail. Several processes share the queue
safely (see `delivery`), so gunicorn's workers each run one. Every
`HOUSEKEEPING_INTERVAL` seconds it also forgets stale records (`housekeeping`).
"""
import logging
import os
import threading
import time

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.mail.delivery import deliver_due
from portal.mail.outbox import ENQUEUED_FLAG
from portal.ops import housekeeping

log = logging.getLogger("portal.mail")


class DeliveryWorker:
    def __init__(self, app):
        self.app = app
        self.wake_up = threading.Event()
        self.stopping = threading.Event()
        self.thread = None
        self.pid = None
        self.housekept_at = None

    def ensure_running(self) -> None:
        """Start the thread in this process (threads do not survive a fork)."""
        if self.pid == os.getpid() and self.thread.is_alive():
            return
        self.pid = os.getpid()
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, name="mail-delivery", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        self.wake_up.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wake_up.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _run(self) -> None:
        interval = self.app.config["MAIL_POLL_INTERVAL"]
        while not self.stopping.is_set():
            self.wake_up.clear()
            self._drain()
            self._keep_house()
            self.wake_up.wait(interval)

    def _drain(self) -> None:
        with self.app.app_context():
            try:
                while deliver_due() and not self.stopping.is_set():
                    pass
            except Exception:
                # A database or network hiccup must not end the thread.
                log.exception("mail delivery failed; trying again later")

    def _keep_house(self) -> None:
        interval = self.app.config["HOUSEKEEPING_INTERVAL"]
        if self.housekept_at is not None and time.monotonic() - self.housekept_at < interval:
            return
        self.housekept_at = time.monotonic()
        with self.app.app_context():
            try:
                forgotten = housekeeping.forget_stale()
            except Exception:
                log.exception("housekeeping failed; trying again later")
                return
        if any(forgotten.values()):
            log.info("forgot stale records", extra={"fields": {
                "event": "housekeeping", **{kind.replace(" ", "_"): count for kind, count in forgotten.items()}}})


def install(app) -> None:
    """Give `app` a worker, started on its first request, woken by commits."""
    worker = DeliveryWorker(app)
    app.extensions["mail_worker"] = worker
    app.before_request(worker.ensure_running)


@event.listens_for(Session, "after_commit")
def _wake_on_mail(session) -> None:
    if session.info.pop(ENQUEUED_FLAG, False) and has_app_context():
        worker = current_app.extensions.get("mail_worker")
        if worker is not None:
            worker.wake()

"""Logs without signed links: gunicorn's access log and the app's own.

A link in `/d/<token>` lets anyone download as its owner for a day, and an
unsubscribe link acts for its owner too, so neither may reach a log line.
"""
import logging
import re

LINK = re.compile(r"/(d|newsletter/unsubscribe)/[^/\s?\"]+")


def redact(text: str) -> str:
    return LINK.sub(r"/\1/[redacted]", text)


class RedactLinks(logging.Filter):
    """For the app's log handlers: an error "on /d/<token>" must not name the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True


def _gunicorn_logger():
    from gunicorn.glogging import Logger

    class RedactingLogger(Logger):
        """Every atom of an access-log line, redacted (see gunicorn.conf.py)."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}

    return RedactingLogger


RedactingLogger = _gunicorn_logger()

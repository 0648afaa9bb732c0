"""Gunicorn's access log without personal download links (see gunicorn.conf.py).

A link in `/d/<token>` lets anyone download as its owner for a day, so it
must never reach a log line; every atom of the line is redacted.
"""
import re

from gunicorn.glogging import Logger

LINK = re.compile(r"/d/[^/\s?\"]+")


def redact(text: str) -> str:
    return LINK.sub("/d/[redacted]", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}

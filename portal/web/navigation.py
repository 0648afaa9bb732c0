"""Where a person goes back to after a dialog: a local path, nothing else."""
from urllib.parse import urlsplit

from flask import session

NEXT_KEY = "next"


def safe_next(target: str | None) -> str | None:
    """`target` if it is a local path; None for hosts, schemes and tricks.

    Browsers read `//host` and `/\\host` as another host, and drop control
    characters and tabs before parsing, so all of them are refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def remember_next(target: str | None) -> None:
    """Keep a valid `next` for the end of the flow; ignore anything else."""
    target = safe_next(target)
    if target:
        session[NEXT_KEY] = target


def next_page() -> str:
    return session.get(NEXT_KEY) or "/"


def pop_next_page() -> str:
    return session.pop(NEXT_KEY, None) or "/"

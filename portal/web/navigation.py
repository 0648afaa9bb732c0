"""Where a request asks to go: the local path a person goes back to after a
dialog, and the numbers and words of its query string."""
import re
from urllib.parse import urlsplit

from flask import request, session

NEXT_KEY = "next"
# The session cookie carries `next`; browsers drop a cookie over 4 KiB, and with it the form's CSRF token.
LONGEST_NEXT = 2000
# PostgreSQL's `integer`, the type of every id: a larger number fails in the database, not in the view.
LARGEST_NUMBER = 2**31 - 1


def safe_next(target: str | None) -> str | None:
    """`target` if it is a local path of at most `LONGEST_NEXT` characters; None for hosts, schemes and tricks.

    Browsers read `//host` and `/\\host` as another host, and drop control
    characters and tabs before parsing, so all of them are refused.
    """
    if not target or len(target) > LONGEST_NEXT or not target.startswith("/") or target.startswith("//"):
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


def number_in_query(name: str, default: int | None = None) -> int | None:
    """The query parameter `name` as a whole number from 1 to `LARGEST_NUMBER`.

    `default` when the parameter is absent or empty; None for anything else,
    which the view answers as it answers a page or filter that does not
    exist, so a huge number never reaches the database.
    """
    text = request.args.get(name, "")
    if not text:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    number = int(text)
    return number if 1 <= number <= LARGEST_NUMBER else None


def text_in_query(name: str, longest: int) -> str:
    """The query parameter `name` without control characters or outer spaces, cut to `longest` characters.

    A search or lookup never means a control character, and PostgreSQL's text
    cannot hold a NUL: one would fail in the database instead of finding nothing.
    """
    text = "".join(c for c in request.args.get(name, "") if c.isprintable())
    return text.strip()[:longest]

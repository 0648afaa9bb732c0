"""Is a new password known from data breaches? (`PASSWORD_BREACH_CHECK`)

`range` asks the Pwned Passwords range API with k-anonymity: only the first
5 hex digits of the password's SHA-1 leave the server, and the answer is padded
(`Add-Padding: true`) so its size does not tell which prefix was asked either.
`local` searches a sorted file of hashes the admin downloaded. When either
can't answer, the bundled list of common passwords decides instead: a person is
never stuck because a third party is down, and the event is logged.
"""
import functools
import hashlib
import http.client
import logging
import os
import time
import urllib.request

from flask import current_app

log = logging.getLogger("portal.auth.breaches")

PREFIX_LENGTH = 5
# A padded answer holds about a thousand lines of 40 bytes; a server sending far more is not a range API.
MAX_RANGE_ANSWER = 1024 * 1024


def is_breached(password: str) -> bool:
    """True when the password is known from breaches, by the configured check or its fallback."""
    mode = current_app.config["PASSWORD_BREACH_CHECK"]
    if mode == "off":
        return False
    digest = hashlib.sha1(password.encode()).hexdigest().upper()
    try:
        count = range_count(digest) if mode == "range" else file_count(digest)
    except (OSError, ValueError, http.client.HTTPException) as error:
        source = current_app.config["PASSWORD_BREACH_RANGE_URL" if mode == "range" else "PASSWORD_BREACH_FILE"]
        log.warning("breached-password check: %s did not answer (%s); the password was checked against "
                    "the bundled common passwords instead", source, type(error).__name__)
        return is_common(password)
    return count > 0


def range_count(digest: str) -> int:
    """The count the range API gives the hash; padding lines (count 0) and absent hashes give 0."""
    config = current_app.config
    request = urllib.request.Request(config["PASSWORD_BREACH_RANGE_URL"] + digest[:PREFIX_LENGTH],
                                     headers={"Add-Padding": "true"})
    timeout = config["PASSWORD_BREACH_TIMEOUT"]
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = _read_before(response, time.monotonic() + timeout).decode("ascii")
    for line in answer.splitlines():
        suffix, _, count = line.partition(":")
        if suffix.strip().upper() == digest[PREFIX_LENGTH:]:
            return int(count)
    return 0


def _read_before(response, deadline: float) -> bytes:
    """The whole answer, or TimeoutError: the socket's timeout bounds each read, this the sum of them,
    so a server trickling bytes can't hold a person's form longer than the setting."""
    chunks, size = [], 0
    while chunk := response.read(64 * 1024):
        size += len(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError("the range answer took too long")
        if size > MAX_RANGE_ANSWER:
            raise ValueError("the range answer is too long")
        chunks.append(chunk)
    return b"".join(chunks)


def file_count(digest: str) -> int:
    with open(current_app.config["PASSWORD_BREACH_FILE"], "rb") as handle:
        return count_in_sorted_file(handle, digest)


def count_in_sorted_file(handle, digest: str) -> int:
    """The count of `digest` in a file of `HASH:COUNT` lines sorted by hash (Pwned Passwords' format), or 0.

    A binary search over byte offsets: each step seeks and reads the first whole
    line from there, so a check reads a few dozen lines whatever the file's size
    and never loads it.
    """
    key = digest.upper().encode("ascii")
    low, high = 0, handle.seek(0, os.SEEK_END)
    while low < high:
        middle = (low + high) // 2
        line = _line_from(handle, middle)
        if line and _hash_of(line) < key:
            low = middle + 1
        else:
            high = middle
    line = _line_from(handle, low)
    if line and _hash_of(line) == key:
        return int(line.partition(b":")[2])
    return 0


def _line_from(handle, offset: int) -> bytes:
    """The first line that starts at `offset` or after it (b"" past the end)."""
    if offset == 0:
        handle.seek(0)
    else:
        handle.seek(offset - 1)
        handle.readline()
    return handle.readline()


def _hash_of(line: bytes) -> bytes:
    return line.partition(b":")[0].strip().upper()


def is_common(password: str) -> bool:
    """In the bundled list of common passwords. The list is in lower case, as zxcvbn matches it,
    so `Dragon` counts as `dragon`."""
    return password.lower() in _common_passwords()


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's frequency lists are large: loaded only the first time the fallback is needed.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])

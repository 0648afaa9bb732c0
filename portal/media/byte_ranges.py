"""The answer to a GET or HEAD for bytes the portal streams from elsewhere (a bucket), read range by range.

Werkzeug's `make_conditional` decides the answer as `send_file` does (200,
206 with `Content-Range`, 304, 412, 416, If-Range) from the headers alone;
only then are the bytes asked for, and only those of the range, so a
resumed download of a big file neither reads nor skips what came before.
"""
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import request
from werkzeug.wrappers import Response

# (start, stop) → the bytes start..stop-1, in chunks.
ReadRange = Callable[[int, int], Iterable[bytes]]


def answer(read_range: ReadRange, *, size: int, mimetype: str, download_name: str | None, etag: str,
           last_modified: datetime | None, max_age: int | None) -> Response:
    response = Response(mimetype=mimetype, direct_passthrough=True)
    response.content_length = size
    if download_name:
        response.headers.set("Content-Disposition", "attachment", filename=download_name)
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.cache_control.no_cache = True
    if max_age:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
    if request.method == "GET" and response.status_code in (200, 206):
        start, stop = ((response.content_range.start, response.content_range.stop)
                       if response.status_code == 206 else (0, size))
        response.response = read_range(start, stop) if stop > start else []
    return response

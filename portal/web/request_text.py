"""Text in a request must be UTF-8; anything else gets a 400 that says so.

Werkzeug is lenient, and each leniency misled: it keeps bytes that are not
UTF-8 percent-encoded in a query string or url-encoded field (the byte `%FF`
and a typed "%FF" then look alike), replaces them in multipart fields, and
drops a whole url-encoded body it cannot decode, which the CSRF check then
reported as an expired form. (Control characters are the forms' own
validators' to refuse, with a message on the field.)
"""
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

from portal.web.htmx import render

# What Werkzeug puts in a multipart field in place of bytes that are not UTF-8.
REPLACEMENT_CHARACTER = "\ufffd"
FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class UnreadableForm(BadRequest):
    """A body that says it is a form but cannot be parsed as one."""

    title = _l("Your form could not be read")
    message = _l("What you sent is not a form this page can read. Reload the page and try again.")


class NotUTF8(UnreadableForm):
    message = _l("Some of what you sent is not valid text (UTF-8). Check what you typed or pasted and try again.")


def is_utf8(encoded: bytes) -> bool:
    """Whether a query string or url-encoded body is UTF-8 once its %-escapes are undone.

    Checking the whole at once is checking every name and value: the
    separators are ASCII, which never completes a multi-byte character.
    """
    try:
        unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def refuse_text_that_is_not_utf8() -> None:
    """Registered before Flask-WTF's CSRF check, which would read a dropped body as an expired form."""
    if not is_utf8(request.query_string):
        raise NotUTF8()
    if request.method != "POST" or request.mimetype not in FORMS:
        return
    if request.mimetype == "application/x-www-form-urlencoded" and not is_utf8(request.get_data(cache=True)):
        raise NotUTF8()
    names = [*request.form.keys(), *request.files.keys()]
    # Werkzeug answers a body it can't parse with an empty form; a part without a name is no field.
    if (request.content_length and not names) or None in names:
        raise UnreadableForm()
    if any(REPLACEMENT_CHARACTER in text for text in [*names, *request.form.values()]):
        raise NotUTF8()


def unreadable(error: UnreadableForm):
    return render("_message.html", 400, title=error.title, message=error.message)


def install(app: Flask) -> None:
    app.before_request(refuse_text_that_is_not_utf8)
    app.register_error_handler(UnreadableForm, unreadable)

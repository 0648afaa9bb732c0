"""Text in a request must be UTF-8; anything else gets a 400 that says so.

Werkzeug is lenient, and each leniency misled: it keeps bytes that are not
UTF-8 percent-encoded in a query string or url-encoded field (the byte `%FF`
and a typed "%FF" then look alike), replaces them in multipart fields, and
drops a whole url-encoded body it cannot decode, which the CSRF check then
reported as an expired form.
"""
import io
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, request
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser
from flask_babel import lazy_gettext as _l

from .htmx import render

# What Werkzeug puts in a multipart field in place of bytes that are not UTF-8.
REPLACEMENT_CHARACTER = "\ufffd"


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


class StrictFormDataParser(FormDataParser):
    """Werkzeug's parser, raising `UnreadableForm` where it would drop or mangle text.

    A multipart field holding the replacement character is refused too: it
    stands for bytes that were not UTF-8 (and a person who typed or pasted
    one gets the same clear message).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "silent": False})

    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype == "application/x-www-form-urlencoded":
            body = stream.read()
            if not is_utf8(body):
                raise NotUTF8()
            stream = io.BytesIO(body)
        try:
            stream, form, files = super().parse(stream, mimetype, content_length, options)
        except UnicodeDecodeError as error:
            raise NotUTF8() from error
        except ValueError as error:
            raise UnreadableForm() from error
        if mimetype == "multipart/form-data":
            names = [*form.keys(), *files.keys()]
            if None in names:  # a part without a name is no form field
                raise UnreadableForm()
            if any(REPLACEMENT_CHARACTER in text for text in [*names, *form.values()]):
                raise NotUTF8()
        return stream, form, files


class PortalRequest(Request):
    form_data_parser_class = StrictFormDataParser


def refuse_a_query_that_is_not_utf8() -> None:
    if not is_utf8(request.query_string):
        raise NotUTF8()


def unreadable(error: UnreadableForm):
    return render("_message.html", 400, title=error.title, message=error.message)


def install(app: Flask) -> None:
    app.request_class = PortalRequest
    app.before_request(refuse_a_query_that_is_not_utf8)
    app.register_error_handler(UnreadableForm, unreadable)

"""Steps a script drives with JSON (passkeys): what they read and how they answer.

A browser's WebAuthn call needs options as JSON and answers with JSON, so
these steps are not forms; they keep the forms' rules all the same (CSRF
header, 4xx with a sentence for the person, never a 500 on bad input).
"""
from flask import Response, abort, jsonify, make_response, request
from flask_babel import gettext as _


def posted_object() -> dict:
    """The request's JSON object; anything else (no JSON, a list, a number) is a 400 that says so."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(make_response(jsonify(error=_("The request could not be read. Please try again.")), 400))
    return body


def options(text: str) -> Response:
    """Options py_webauthn wrote as JSON, sent as they are."""
    return Response(text, mimetype="application/json")


def refused(message: str, status: int = 422) -> Response:
    return make_response(jsonify(error=str(message)), status)


def go_to(location: str) -> Response:
    """Done: the script takes the browser to `location`."""
    return jsonify(location=location)


def ask_to_confirm(location: str) -> Response:
    """Not yet: the person must prove who they are first, at `location` (a step the script loads)."""
    return make_response(jsonify(confirm=location), 403)

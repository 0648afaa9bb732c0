"""Flask's signed session cookie, with its signer made once.

Flask builds the cookie's serializer afresh on every request (and its
constructor serialises a test value to learn its type): about 4 % of a
visitor's cached catalogue page, in a profile. The same serializer serves every request
until the secret key or its fallbacks change.
"""
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionCookies(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = app.extensions.get("session_serializer")
        if made is None or made[0] != keys:
            made = (keys, super().get_signing_serializer(app))
            app.extensions["session_serializer"] = made
        return made[1]


def install(app: Flask) -> None:
    app.session_interface = SessionCookies()

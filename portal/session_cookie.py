"""Flask's signed session cookie, with its signer made once and each cookie opened once.

Flask builds the cookie's serializer afresh on every request (and its
constructor serialises a test value to learn its type): about 4 % of a
visitor's cached catalogue page, in a profile. The same serializer serves every request
until the secret key or its fallbacks change.

Opening the cookie (base64, HMAC, zlib, tagged JSON) was then a tenth of a
cached page's time, for the same few hundred bytes a browser sends again and
again. So the serializer keeps what each cookie string held once its
signature was checked; a string it kept is the same string it verified
(the key is the whole cookie, signature included), and its age is checked
again on every use. A new secret key makes a new serializer, which starts empty.
"""
import copy
import time

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

# Cookies kept per process; when full, all are forgotten (each is opened again on its next use).
SIZE = 4096


class RememberingSerializer(URLSafeTimedSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opened: dict[str, tuple[float, object]] = {}

    def loads(self, s, max_age=None, return_timestamp=False, salt=None):
        if return_timestamp or salt is not None or not isinstance(s, str):
            return super().loads(s, max_age, return_timestamp, salt)
        opened = self.opened.get(s)
        if opened is None or (max_age is not None and time.time() - opened[0] > max_age):
            value, signed_at = super().loads(s, max_age, return_timestamp=True)  # raises as it always did
            if len(self.opened) >= SIZE:
                self.opened.clear()
            opened = self.opened[s] = (signed_at.timestamp(), value)
        return _copy(opened[1])  # the session is changed in place; what was kept must not be


# Values that cannot be changed in place: a session holding only these is copied shallowly.
_IMMUTABLE = frozenset({str, bool, int, float, type(None)})


def _copy(value):
    if type(value) is dict and all(type(item) in _IMMUTABLE for item in value.values()):
        return dict(value)
    return copy.deepcopy(value)


class SessionCookies(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # the current key last, as Flask
        made = app.extensions.get("session_serializer")
        if made is None or made[0] != keys:
            made = (keys, RememberingSerializer(
                list(keys), salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method}))
            app.extensions["session_serializer"] = made
        return made[1]


def install(app: Flask) -> None:
    app.session_interface = SessionCookies()

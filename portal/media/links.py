"""Personal download links for download managers: signed, expiring, revocable.

A link names the file and the account, and carries a fingerprint of the
account's session token: a password change or reset replaces that token, and
with it every link; a removed account has none.
"""
import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from portal.clock import now
from portal.extensions import db
from portal.models import User
from portal.web.urls import public_url

SALT = "portal.download-link"


class _ClockSigner(TimestampSigner):
    """Timestamps from the portal's clock, so expiry can be tested."""

    def get_timestamp(self) -> int:
        return int(now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_ClockSigner)


def _fingerprint(user: User) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.session_token.encode(), hashlib.sha256).hexdigest()[:16]


def link_for(user: User, rendition_id: int, name: str | None = None) -> str:
    """The personal link; with `name`, it ends in that file name (for `wget -i`)."""
    token = _serializer().dumps([user.id, rendition_id, _fingerprint(user)])
    if name:
        return public_url("media.named_linked_download", token=token, name=name)
    return public_url("media.linked_download", token=token)


def resolve(token: str) -> tuple[User, int] | None:
    """The account and file a valid, unexpired link stands for; None otherwise."""
    try:
        user_id, rendition_id, fingerprint = _serializer().loads(
            token, max_age=current_app.config["DOWNLOAD_LINK_LIFETIME"]
        )
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_verified or not hmac.compare_digest(_fingerprint(user), fingerprint):
        return None
    return user, rendition_id

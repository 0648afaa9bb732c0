"""Passkeys (WebAuthn, py_webauthn): adding one to an account, signing in with one, and the rules both keep.

The relying party is the public URL's host, and the only origin accepted is
the public URL's own, never the request's Host header, which a client
controls. Browsers offer WebAuthn only in a secure context and never for an
IP address, so passkeys are offered only on https or on localhost, with a
host name (`are_offered`).

Each challenge is single-use, bound to the browser's session and dead after
`CHALLENGE_LIFETIME`: the session names it, and the database holds it until
it is used (one guarded DELETE), so a copied session cookie sent again with
a captured answer finds it gone. User verification (PIN, fingerprint, face)
is always required. A passkey is only ever a second way in: the password
stays, and removing the last passkey is always allowed.
"""
import functools
import hashlib
import hmac
import ipaddress
import logging
import secrets
from urllib.parse import urlsplit

from flask import abort, current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal.auth import accounts, address_limits
from portal.auth.models import Passkey, PasskeyChallenge
from portal.clock import now, seconds_ahead
from portal.extensions import db
from portal.models import User

log = logging.getLogger("portal.accounts")

CHALLENGE_LIFETIME = 5 * 60
SESSION_KEY = "passkey_challenge"
ADD, SIGN_IN = "add", "sign-in"
LONGEST_NAME = 100
# What py_webauthn raises on an answer it cannot read, besides its own exceptions.
UNREADABLE = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError)
KNOWN_TRANSPORTS = frozenset(transport.value for transport in AuthenticatorTransport)

# An unknown, removed or wrong passkey, or one of a disabled account: one answer for all, like a wrong password.
NOT_ACCEPTED = _l("That passkey was not accepted. Log in with your email and password, or try another passkey.")
TOO_LATE = _l("That took too long, or the request was already used. Please try again.")
NOT_ADDED = _l("The passkey could not be added. Please try again.")
ALREADY_ADDED = _l("That passkey is already added.")


class Refused(Exception):
    """A passkey step that did not succeed, with what to tell the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = str(message)


def relying_party() -> tuple[str, str]:
    """The relying-party ID (the public host name) and the one origin answers must come from."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"


def host() -> str:
    """The relying-party ID: pages opened under any other name can't use the passkeys."""
    return relying_party()[0]


def are_offered() -> bool:
    """Whether a browser can use passkeys here: https or localhost, and a host name, not an IP address."""
    public_url = urlsplit(current_app.config["PUBLIC_URL"])
    try:
        ipaddress.ip_address(public_url.hostname or "")
        return False
    except ValueError:
        pass
    return bool(public_url.hostname) and (public_url.scheme == "https" or public_url.hostname == "localhost")


def where_offered(view):
    """A passkey view answers 404 where browsers can't use passkeys (`are_offered`)."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not are_offered():
            abort(404)
        return view(*args, **kwargs)
    return guarded


def user_handle(user: User) -> bytes:
    """The account's WebAuthn user handle: stable, so an authenticator keeps one passkey per account,
    and derived with the secret key, so it says nothing about the account (no address, no row id)."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), f"passkey user {user.id}".encode(),
                    hashlib.sha256).digest()


# --- challenges ---------------------------------------------------------------------------


def _issue_challenge(purpose: str, user: User | None = None) -> bytes:
    challenge = secrets.token_bytes(32)
    text = bytes_to_base64url(challenge)
    db.session.add(PasskeyChallenge(challenge=text, purpose=purpose, user_id=user.id if user else None,
                                    expires_at=seconds_ahead(CHALLENGE_LIFETIME)))
    db.session.commit()
    session[SESSION_KEY] = {"purpose": purpose, "challenge": text}
    return challenge


def _spend_challenge(purpose: str, user: User | None = None) -> bytes:
    """This browser's challenge for `purpose`, used up as it is read; refused when missing, used or dead."""
    kept = session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose:
        raise Refused(TOO_LATE)
    text = kept.get("challenge")
    owner = PasskeyChallenge.user_id == user.id if user else PasskeyChallenge.user_id.is_(None)
    spent = db.session.execute(delete(PasskeyChallenge).where(
        PasskeyChallenge.challenge == text, PasskeyChallenge.purpose == purpose, owner,
        PasskeyChallenge.expires_at > now())).rowcount
    db.session.commit()
    if spent != 1:
        raise Refused(TOO_LATE)
    return base64url_to_bytes(text)


def forget_stale() -> int:
    """Drop challenges nobody used before they died."""
    return db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now())).rowcount


# --- adding one ---------------------------------------------------------------------------


def of_account(user: User) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)
                                   .order_by(Passkey.created_at, Passkey.id)))


def registration_options(user: User) -> str:
    """The JSON the browser's `navigator.credentials.create` needs, with a fresh challenge.

    A discoverable credential (signing in then needs no address), user
    verification required, and the account's passkeys excluded so one
    authenticator does not add the same account twice.
    """
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id, rp_name=current_app.config["SITE_NAME"], user_id=user_handle(user),
        user_name=user.email, user_display_name=user.full_name,
        challenge=_issue_challenge(ADD, user), timeout=CHALLENGE_LIFETIME * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id))
                             for passkey in of_account(user)],
    )
    return options_to_json(options)


def add(user: User, credential: dict, name: str) -> Passkey:
    """Keep the passkey the browser made for `user`, once its answer checks out; else `Refused`."""
    challenge = _spend_challenge(ADD, user)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=rp_id, expected_origin=origin,
                                                require_user_verification=True)
    except UNREADABLE as error:
        log.info("passkey not added to account %s: %s", user.id, error)
        raise Refused(NOT_ADDED) from error
    passkey = Passkey(user_id=user.id, credential_id=bytes_to_base64url(verified.credential_id),
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      transports=",".join(_transports(credential)), name=name[:LONGEST_NAME],
                      is_backup_eligible=verified.credential_device_type == "multi_device",
                      is_backed_up=verified.credential_backed_up)
    db.session.add(passkey)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Refused(ALREADY_ADDED) from error
    log.info("passkey %s added to account %s", passkey.id, user.id)
    return passkey


def _transports(credential: dict) -> list[str]:
    """The transports the browser named that WebAuthn knows; anything else is dropped."""
    named = credential.get("response", {}).get("transports")
    return [transport for transport in named if transport in KNOWN_TRANSPORTS] if isinstance(named, list) else []


def find(user: User, passkey_id: int) -> Passkey | None:
    return db.session.scalar(select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id))


def rename(passkey: Passkey, name: str) -> None:
    passkey.name = name
    db.session.commit()


def remove(passkey: Passkey) -> None:
    """Gone at once: its next sign-in answers like a wrong password. The last one may go too."""
    log.info("passkey %s removed from account %s", passkey.id, passkey.user_id)
    db.session.delete(passkey)
    db.session.commit()


# --- signing in ---------------------------------------------------------------------------


def sign_in_options() -> str:
    """The JSON for `navigator.credentials.get`: no credentials listed, so the browser offers every passkey
    it holds for this site, and no address is asked for."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(rp_id=rp_id, challenge=_issue_challenge(SIGN_IN),
                                              timeout=CHALLENGE_LIFETIME * 1000,
                                              user_verification=UserVerificationRequirement.REQUIRED)
    return options_to_json(options)


def proves(user: User, credential: dict) -> None:
    """The answer is one of `user`'s own passkeys (a fresh proof it is them), or `Refused` as any other is."""
    if authenticate(credential).id != user.id:
        raise Refused(NOT_ACCEPTED)


def answers_for(user: User, credential: dict, challenge: bytes) -> bool:
    """Whether the answer is one of `user`'s own passkeys, signed for `challenge` (`spend_sign_in_challenge`).

    Uncounted: the caller counts the try (the admin's second factor counts it as a code's).
    """
    passkey = _passkey_named_in(credential)
    return passkey is not None and passkey.user_id == user.id and _proves(passkey, credential, challenge)


def spend_sign_in_challenge() -> bytes:
    return _spend_challenge(SIGN_IN)


def authenticate(credential: dict) -> User:
    """The account this passkey answer proves, or `Refused`.

    The account's failed log-ins are counted as a password's are (the same
    reservation, the same lock). Sign counters are compared only when the
    authenticator keeps one: synced passkeys always say 0.
    """
    challenge = _spend_challenge(SIGN_IN)
    passkey = _passkey_named_in(credential)
    if passkey is None:
        log.info("passkey sign-in refused: unknown passkey")
        raise Refused(NOT_ACCEPTED)
    user = db.session.get(User, passkey.user_id)
    reservation = address_limits.reserve(user.email, address_limits.LOGIN)
    if not reservation.is_granted:
        log.info("passkey sign-in refused: address locked")
        raise Refused(accounts.locked_message(reservation.open_again_at))
    if not user.is_verified or user.is_disabled or not _proves(passkey, credential, challenge):
        log.info("passkey sign-in refused for account %s", user.id)
        address_limits.failed(reservation)
        raise Refused(NOT_ACCEPTED)
    address_limits.succeeded(reservation)
    log.info("login with a passkey: account %s", user.id)
    return user


def _passkey_named_in(credential: dict) -> Passkey | None:
    credential_id = credential.get("id")
    return db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id)) \
        if isinstance(credential_id, str) else None


def _proves(passkey: Passkey, credential: dict, challenge: bytes) -> bool:
    """Whether the answer is this passkey's, signed for this challenge, with the person verified."""
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=passkey.public_key, credential_current_sign_count=passkey.sign_count,
            require_user_verification=True)
    except UNREADABLE as error:
        log.info("passkey %s: answer refused: %s", passkey.id, error)
        return False
    passkey.sign_count = verified.new_sign_count
    passkey.is_backed_up = verified.credential_backed_up
    passkey.last_used_at = now()
    db.session.commit()
    return True

"""Admins' TOTP keys at rest: encrypted with a key that is not in the database.

Whoever holds a TOTP key makes the admin's codes, so a copy of the database
alone (a dump, a stolen backup) must not hold it readable. The key that
encrypts them is `TOTP_ENCRYPTION_KEY`, by default the file
`instance/totp_encryption_key`. To bring in a new one, the old one goes to
`TOTP_ENCRYPTION_KEY_FALLBACKS`, which still decrypt, and `reencrypt_all`
(`portal users reencrypt-2fa-keys`) moves every stored key to the new one.
"""
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import select

from portal.auth.models import SecondFactor
from portal.extensions import db

log = logging.getLogger(__name__)


def _ciphers() -> MultiFernet:
    """The current key first (it encrypts), then the fallbacks (they only decrypt)."""
    config = current_app.config
    keys = [config["TOTP_ENCRYPTION_KEY"], *config["TOTP_ENCRYPTION_KEY_FALLBACKS"]]
    return MultiFernet([Fernet(key) for key in keys])


def encrypted(totp_key: str) -> str:
    return _ciphers().encrypt(totp_key.encode()).decode("ascii")


def key_of(factor: SecondFactor) -> str | None:
    """The factor's TOTP key; None when no configured key decrypts it (the database was moved without its key)."""
    try:
        return _ciphers().decrypt(factor.encrypted_secret.encode()).decode()
    except InvalidToken:
        log.error("the TOTP key of account %s opens with none of TOTP_ENCRYPTION_KEY and its fallbacks; "
                  "`portal users reset-2fa` lets the admin set up a new one", factor.user_id)
        return None


def reencrypt_all() -> int:
    """Encrypt every stored TOTP key with the current key (the caller commits); how many there are.

    Raises `InvalidToken` when a key opens with none of the configured keys, before anything is changed.
    """
    ciphers = _ciphers()
    factors = list(db.session.scalars(select(SecondFactor)))
    renewed = [ciphers.rotate(factor.encrypted_secret.encode()).decode("ascii") for factor in factors]
    for factor, secret in zip(factors, renewed, strict=True):
        factor.encrypted_secret = secret
    return len(factors)

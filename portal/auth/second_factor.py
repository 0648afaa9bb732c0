"""The second factor of admins: a TOTP app, set up on the first log-in, and ten recovery codes.

After the password (or a passkey), an admin is not logged in yet: this browser keeps only
which account is half-way (its session token, for `SECOND_FACTOR_STEP_LIFETIME`
seconds, in the signed session), and the session starts when a code from the
app, or a recovery code, is accepted. The session then records that the
second factor was passed for that very login; `/admin` asks for it. A
passkey the admin added on My account (itself behind the password, the app's
code and a recent proof) may stand in for the app's code after the password.

Tries are counted per address like passwords (`address_limits`), and a TOTP
code is accepted once: the newest accepted 30-second step is kept.
"""
import hashlib
import hmac
import secrets

import pyotp
import segno
from flask import current_app, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, func, select, update

from portal.auth import address_limits, passkeys, sessions, totp_keys
from portal.auth.models import RecoveryCode, SecondFactor
from portal.clock import now, wait_in_words
from portal.extensions import db
from portal.models import User

PENDING_KEY = "second_factor_pending"
PASSED_KEY = "second_factor_passed"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a code copied from paper is read back right.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
WRONG_CODE = _l("That code is not right. Enter the 6 digits your app shows now, or a recovery code.")
WRONG_SET_UP_CODE = _l("That code is not right. Enter the 6 digits your app shows now.")


def is_required(user: User) -> bool:
    """Admins need a second factor; people who only download never do."""
    return user.is_admin


def begin(user: User, by_passkey: bool = False) -> str:
    """The first factor was right: remember the half-way account; the URL of the next step.

    After a passkey, the second factor must be the app's code: one passkey can't count twice.
    """
    session[PENDING_KEY] = {
        "token": user.session_token,
        "until": now().timestamp() + current_app.config["SECOND_FACTOR_STEP_LIFETIME"],
        "by_passkey": by_passkey,
    }
    return url_for("admin.enter_second_factor" if is_set_up(user) else "admin.set_up_second_factor")


def pending_user() -> User | None:
    """The account whose password this browser entered, while that holds."""
    state = session.get(PENDING_KEY)
    if not state or now().timestamp() > state["until"]:
        return None
    return db.session.scalar(select(User).where(User.session_token == state["token"], User.disabled_at.is_(None)))


def passkey_may_follow() -> bool:
    """Whether a passkey may be the second factor now: the first was the password, not a passkey."""
    state = session.get(PENDING_KEY)
    return bool(state) and not state.get("by_passkey", True)


def factor_of(user: User) -> SecondFactor | None:
    return db.session.get(SecondFactor, user.id)


def is_set_up(user: User) -> bool:
    factor = factor_of(user)
    return factor is not None and factor.confirmed_at is not None


def key_for_set_up(user: User) -> str:
    """The TOTP key being set up: the same until confirmed, so a reload shows the same QR code.

    A new one replaces a key the configured keys cannot decrypt: nobody has confirmed it yet.
    """
    factor = factor_of(user)
    key = totp_keys.key_of(factor) if factor else None
    if key is None:
        key = pyotp.random_base32()
        factor = factor or SecondFactor(user_id=user.id)
        factor.encrypted_secret = totp_keys.encrypted(key)
        db.session.add(factor)
        db.session.commit()
    return key


def provisioning_uri(user: User, key: str) -> str:
    return pyotp.TOTP(key).provisioning_uri(name=user.email, issuer_name=current_app.config["SITE_NAME"])


def qr_code_data_uri(user: User, key: str) -> str:
    """The key as a QR code, an SVG in a data: URI (the CSP allows data: images; no script, no extra request)."""
    return segno.make(provisioning_uri(user, key), error="m").svg_data_uri(scale=5, border=2)


def spaced(secret: str) -> str:
    """The key in groups of four, as people type it into an app."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def confirm_set_up(user: User, code: str) -> list[str] | str:
    """A code from the app confirms the key: the ten recovery codes (shown once), or what is wrong."""
    factor = factor_of(user)
    refusal = _counted(user, lambda: factor is not None and factor.confirmed_at is None
                       and _accept_totp(factor, code), WRONG_SET_UP_CODE)
    if refusal:
        return refusal
    factor.confirmed_at = now()
    recovery_codes = new_recovery_codes(user)
    db.session.commit()
    return recovery_codes


def renew_recovery_codes(user: User, code: str) -> list[str] | str:
    """Ten new recovery codes in place of the old ones, or what is wrong (the caller commits the codes).

    Only a code from the app will do, and one not used yet: whoever has this
    browser's session, or one of the recovery codes, must not be able to
    swap the codes for their own.
    """
    factor = factor_of(user)
    refusal = _counted(user, lambda: factor is not None and factor.confirmed_at is not None
                       and _accept_totp(factor, code), WRONG_SET_UP_CODE)
    return refusal or new_recovery_codes(user)


def check(user: User, code: str) -> str | None:
    """None when `code` is the admin's TOTP code now, or an unused recovery code; else what to say."""
    factor = factor_of(user)
    return _counted(user, lambda: factor is not None and factor.confirmed_at is not None
                    and (_accept_totp(factor, code) or _use_recovery_code(user, code)), WRONG_CODE)


def check_passkey(user: User, credential: dict) -> str | None:
    """None when the answer is one of the admin's own passkeys; else what to say. A wrong passkey
    is a wrong second factor: it counts toward the same lock as a wrong code."""
    challenge = passkeys.spend_sign_in_challenge()
    return _counted(user, lambda: passkeys.answers_for(user, credential, challenge), passkeys.NOT_ACCEPTED)


def complete(user: User) -> None:
    """Log the admin in, and mark this login as having passed the second factor."""
    sessions.start(user)
    session[PASSED_KEY] = session[sessions.LOGIN_KEY]


def passed() -> bool:
    """This browser is logged in to an admin account and passed the second factor for this login."""
    login = session.get(sessions.LOGIN_KEY)
    return (current_user.is_authenticated and current_user.is_admin and login is not None
            and session.get(PASSED_KEY) == login and is_set_up(current_user))


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes replace any older ones; only their keyed hashes are kept (the caller commits)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    fresh = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user, code)) for code in fresh)
    return [f"{code[:5]}-{code[5:]}" for code in fresh]


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).where(RecoveryCode.user_id == user.id,
                                                        RecoveryCode.used_at.is_(None)))


def forget(user: User) -> None:
    """The key and recovery codes go (the caller commits)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))


def _counted(user: User, accepts, wrong_message: str) -> str | None:
    """Run the check `accepts` on a try reserved for the address; a refusal's text, or None."""
    reservation = address_limits.reserve(user.email, address_limits.SECOND_FACTOR)
    if not reservation.is_granted:
        return _("Too many wrong codes for this account: it is locked for now. "
                 "You can try again in %(wait)s.", wait=wait_in_words(reservation.open_again_at))
    if accepts():
        db.session.commit()
        address_limits.succeeded(reservation)
        return None
    db.session.rollback()
    address_limits.failed(reservation)
    return wrong_message


def _accept_totp(factor: SecondFactor, code: str) -> bool:
    """The code of the current 30-second step (or one either side, for clock drift), once."""
    code = code.replace(" ", "")
    key = totp_keys.key_of(factor)
    if not (len(code) == 6 and code.isdigit()) or key is None:
        return False
    totp = pyotp.TOTP(key)
    current = totp.timecode(now())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            won = db.session.execute(update(SecondFactor)
                                     .where(SecondFactor.user_id == factor.user_id, SecondFactor.last_step < step)
                                     .values(last_step=step))
            return won.rowcount == 1
    return False


def _use_recovery_code(user: User, code: str) -> bool:
    normalised = "".join(c for c in code.lower() if c.isalnum())
    if len(normalised) != RECOVERY_LENGTH:
        return False
    used = db.session.execute(update(RecoveryCode)
                              .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                     RecoveryCode.code_hash == _recovery_hash(user, normalised))
                              .values(used_at=now()))
    return used.rowcount == 1


def _recovery_hash(user: User, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"recovery:{user.id}:{code}".encode(), hashlib.sha256).hexdigest()

"""What the account dialogs do, as plain functions the views and tests call.

None of these commit a half-done change: each does its whole job and commits,
mails included (they go to the outbox in the same transaction).
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import codes, passwords, sending
from ..clock import now
from ..extensions import db
from ..mail import outbox
from ..models import User

# Security events, for the admin; never a password, code or token.
log = logging.getLogger("portal.accounts")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register(full_name: str, email: str, password: str, organisation: str | None) -> None:
    """Create the account, or treat a taken address so it looks the same from outside.

    A new or still-unverified address gets a code; a verified owner gets a
    notice instead. The caller has checked `sending.refusal` first.
    """
    email = normalise_email(email)
    # Hashed on every path: its cost must not tell a taken address from a new one.
    password_hash = passwords.hash_password(password)
    user = find_user(email)
    if user is None:
        user = User(email=email)
        db.session.add(user)
    if user.is_verified:
        log.info("registration attempt for existing account %s; owner notified", user.id)
        outbox.enqueue(email, "registration_attempt", "Someone tried to register with your address")
    else:
        # The latest registrant wins: a stranger's earlier details are replaced.
        user.full_name = full_name
        user.organisation = organisation or None
        user.password_hash = password_hash
        db.session.flush()
        _mail_code(user, codes.VERIFY_EMAIL)
    sending.record(email)
    db.session.commit()


def send_code(email: str, purpose: str) -> None:
    """Send a fresh code for `purpose` to `email` if an account there needs one.

    Counts as a send either way, so the throttle answers alike for every address.
    """
    user = find_user(email)
    if user is not None and (purpose == codes.RESET_PASSWORD or not user.is_verified):
        _mail_code(user, purpose)
    sending.record(normalise_email(email))
    db.session.commit()


def check_code(email: str, purpose: str, submitted: str, wrong_tries: int) -> codes.Outcome:
    """Check a code typed for `email`; accepting it verifies the address.

    `wrong_tries` (counted in the session) answers only where no account has a
    code to check, so that those answers match a real code's.
    """
    user = find_user(email)
    if user is None or (purpose == codes.VERIFY_EMAIL and user.is_verified):
        return codes.decoy_check(wrong_tries + 1)
    outcome = codes.check(user, purpose, submitted)
    log.info("%s code for account %s: %s", purpose, user.id, outcome.value)
    if outcome is codes.Outcome.ACCEPTED and not user.is_verified:
        user.verified_at = now()
    db.session.commit()
    return outcome


def authenticate(email: str, password: str) -> User | None:
    """The account whose password this is, or None; throttled per account.

    Every path verifies one argon2 hash, so timing does not tell whether the
    address has an account or is locked.
    """
    user = find_user(email)
    if user is None or _is_locked(user):
        passwords.spend_verification_time(password)
        log.info("login refused: %s", "unknown address" if user is None else f"account {user.id} locked")
        return None
    if not passwords.verify_password(user.password_hash, password):
        log.info("login failed: wrong password for account %s", user.id)
        _count_failure(user)
        db.session.commit()
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.failed_logins_since = None
    db.session.commit()
    log.info("login: account %s", user.id)
    return user


def set_new_password(user: User, password: str) -> None:
    """Replace the password, end every session, kill every code, tell the owner."""
    user.password_hash = passwords.hash_password(password)
    user.end_other_sessions()
    user.failed_logins = 0
    user.locked_until = None
    codes.kill(user)
    log.info("password replaced for account %s; its sessions and codes ended", user.id)
    outbox.enqueue(user.email, "password_changed", "Your password was changed", user=user)
    db.session.commit()


def subscribe(user: User, source: str) -> None:
    """Record newsletter consent: when, and from where (`offer`, `account`)."""
    if not user.is_subscribed:
        user.newsletter_subscribed_at = now()
        user.newsletter_consent_source = source
        db.session.commit()


def unsubscribe(user: User) -> None:
    user.newsletter_subscribed_at = None
    user.newsletter_consent_source = None
    db.session.commit()


def _mail_code(user: User, purpose: str) -> None:
    code = codes.issue(user, purpose)
    log.info("%s code issued for account %s", purpose, user.id)
    template = "verify_code" if purpose == codes.VERIFY_EMAIL else "reset_code"
    subject = "Your verification code" if purpose == codes.VERIFY_EMAIL else "Your password reset code"
    minutes = current_app.config["CODE_LIFETIME"] // 60
    outbox.enqueue(user.email, template, subject, code=code, minutes=minutes, user=user)


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and now() < user.locked_until


def _count_failure(user: User) -> None:
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_FAILURE_WINDOW"])
    if user.failed_logins_since is None or now() - user.failed_logins_since > window:
        user.failed_logins = 0
        user.failed_logins_since = now()
    user.failed_logins += 1
    if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
        log.warning("account %s locked after %s failed logins", user.id, user.failed_logins)
        user.locked_until = now() + timedelta(seconds=config["LOGIN_LOCKOUT"])
        user.failed_logins = 0
        user.failed_logins_since = None

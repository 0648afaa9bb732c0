"""What the account dialogs do, as plain functions the views and tests call.

Each does its whole job and commits, mails included (they go to the outbox
in the same transaction). `binding` names the browser flow a code belongs to
(see `codes`).
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from .. import codes, passwords
from ..clock import now
from ..extensions import db
from ..mail import outbox
from ..models import User
from . import sessions

# Security events, for the admin; never a password, code or token.
log = logging.getLogger("portal.accounts")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register(full_name: str, email: str, password: str, organisation: str | None, binding: str) -> None:
    """Start an account, or treat a taken address so it looks the same from outside.

    A new or still-unverified address gets a code that carries these details;
    they reach the account only when this flow's code is accepted. A
    verified owner gets a notice instead (and the flow a decoy code).
    """
    email = normalise_email(email)
    details = {
        "pending_full_name": full_name,
        "pending_organisation": organisation or None,
        # Hashed on every path: its cost must not tell a taken address from a new one.
        "pending_password_hash": passwords.hash_password(password),
    }
    user = find_user(email) or _new_user(email, details)
    if user.is_verified:
        log.info("registration attempt for existing account %s; owner notified", user.id)
        outbox.enqueue(email, "registration_attempt", "Someone tried to register with your address")
        codes.issue(email, codes.VERIFY_EMAIL, binding, decoy=True)
    else:
        _mail_code(user, codes.VERIFY_EMAIL, binding, **details)
    db.session.commit()


def send_code(email: str, purpose: str, binding: str) -> None:
    """A fresh code for the flow: mailed if an account there needs one, else a decoy."""
    email = normalise_email(email)
    user = find_user(email)
    if user is not None and (purpose == codes.RESET_PASSWORD or not user.is_verified):
        previous = codes.latest(email, purpose, binding)
        _mail_code(user, purpose, binding, **_pending_details(previous))
    else:
        codes.issue(email, purpose, binding, decoy=True)
    db.session.commit()


def check_code(email: str, purpose: str, binding: str, submitted: str) -> tuple[codes.Outcome, User | None]:
    """Check a code typed in a flow; an accepted verification code verifies the account."""
    email = normalise_email(email)
    outcome, code = codes.check(email, purpose, binding, submitted)
    log.info("%s code for %s: %s", purpose, f"account {code.user_id}" if code else "a flow", outcome.value)
    user = code.user if code is not None and outcome is codes.Outcome.ACCEPTED else None
    if user is not None and purpose == codes.VERIFY_EMAIL:
        _apply_registration(user, code)
        codes.kill(email, codes.VERIFY_EMAIL)
    db.session.commit()
    return outcome, user


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
    """Replace the password, end every session, kill every code, tell the owner.

    The reset code proved the address, so an unverified account is verified now.
    """
    user.password_hash = passwords.hash_password(password)
    user.verified_at = user.verified_at or now()
    user.end_other_sessions()
    sessions.end_all(user)
    user.failed_logins = 0
    user.locked_until = None
    codes.kill(user.email)
    log.info("password replaced for account %s; its sessions and codes ended", user.id)
    outbox.enqueue(user.email, "password_changed", "Your password was changed")
    db.session.commit()


def _new_user(email: str, details: dict) -> User:
    """A new, unverified account; if a parallel request made it first, that one."""
    user = User(
        email=email,
        full_name=details["pending_full_name"],
        organisation=details["pending_organisation"],
        password_hash=details["pending_password_hash"],
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return find_user(email)
    return user


def _apply_registration(user: User, code) -> None:
    if code.pending_password_hash:
        user.password_hash = code.pending_password_hash
        user.full_name = code.pending_full_name
        user.organisation = code.pending_organisation
    user.verified_at = user.verified_at or now()


def _pending_details(code) -> dict:
    if code is None:
        return {}
    return {
        "pending_full_name": code.pending_full_name,
        "pending_organisation": code.pending_organisation,
        "pending_password_hash": code.pending_password_hash,
    }


def _mail_code(user: User, purpose: str, binding: str, **pending) -> None:
    code = codes.issue(user.email, purpose, binding, user=user, **pending)
    log.info("%s code issued for account %s", purpose, user.id)
    template = "verify_code" if purpose == codes.VERIFY_EMAIL else "reset_code"
    subject = "Your verification code" if purpose == codes.VERIFY_EMAIL else "Your password reset code"
    minutes = current_app.config["CODE_LIFETIME"] // 60
    outbox.enqueue(user.email, template, subject, code=code, minutes=minutes)


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and now() < user.locked_until


def _count_failure(user: User) -> None:
    """One failed login, counted in one statement so parallel failures all count."""
    config = current_app.config
    window_start = now() - timedelta(seconds=config["LOGIN_FAILURE_WINDOW"])
    window_open = User.failed_logins_since.is_not(None) & (User.failed_logins_since > window_start)
    failures = db.session.scalar(
        update(User)
        .where(User.id == user.id)
        .values(
            failed_logins=case((window_open, User.failed_logins + 1), else_=1),
            failed_logins_since=case((window_open, User.failed_logins_since), else_=now()),
        )
        .returning(User.failed_logins)
    )
    if failures >= config["LOGIN_MAX_FAILURES"]:
        log.warning("account %s locked after %s failed logins", user.id, failures)
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(locked_until=now() + timedelta(seconds=config["LOGIN_LOCKOUT"]), failed_logins=0,
                    failed_logins_since=None)
        )

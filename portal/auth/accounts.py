"""What the account dialogs do to accounts, as plain functions the views and tests call.

Each does its whole job and commits, mails included (they go to the outbox
in the same transaction).
"""
import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.auth import address_limits, approval, codes, passwords, sessions
from portal.auth.models import Passkey
from portal.clock import now, wait_in_words
from portal.extensions import db
from portal.mail import outbox
from portal.mail.models import OutboxMail
from portal.models import CodeFlowRecord, OneTimeCode, User
from portal.web.i18n import language_of
from portal.web.urls import public_url

# Security events, for the admin; never a password, code or token.
log = logging.getLogger("portal.accounts")

WRONG_LOGIN = _l("The email or password is not right.")
WRONG_CURRENT_PASSWORD = _l("That is not your current password.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def registration(full_name: str, password: str, organisation: str | None) -> dict:
    """What a registration asks for, as its flow keeps it until a code is entered.

    No account exists before then: the flow that enters a valid code creates
    it with the details and password chosen in that browser, so a stranger's
    registration of the same address can't plant anything.
    """
    return {
        "pending_full_name": full_name,
        "pending_organisation": organisation or None,
        # Hashed on every path: its cost must not tell a taken address from a new one.
        "pending_password_hash": passwords.hash_password(password),
    }


def complete_registration(address: str, user: User | None, record: CodeFlowRecord) -> User:
    """The flow that proved the address creates the account (or completes an older unverified one)."""
    if user is None:
        user = User(email=address)
        db.session.add(user)
    user.password_hash = record.pending_password_hash
    user.full_name = record.pending_full_name
    user.organisation = record.pending_organisation
    approval.on_verified(user, was_verified=user.is_verified)
    user.verified_at = user.verified_at or now()
    user.language = record.language or user.language
    db.session.flush()
    log.info("account %s created with a verified address", user.id)
    return user


def check_password(address: str, password: str, user: User | None,
                   wrong_message: str = WRONG_LOGIN) -> str | None:
    """None when `password` is the verified `user`'s; else what to tell the person.

    A try is reserved for the address before anything is checked, so
    parallel requests can't check more than the limit allows. Unknown and
    never-verified addresses are counted and answered like a wrong password,
    and every path verifies one argon2 hash, so nothing tells them apart.
    """
    address = normalise_email(address)
    reservation = address_limits.reserve(address, address_limits.LOGIN)
    if not reservation.is_granted:
        passwords.spend_verification_time(password)
        log.info("log-in refused: address locked")
        return locked_message(reservation.open_again_at)
    if user is None or not user.is_verified or user.is_disabled:
        passwords.spend_verification_time(password)
    elif passwords.verify_password(user.password_hash, password):
        address_limits.succeeded(reservation)
        return None
    log.info("password check failed for %s", f"account {user.id}" if user else "an address without an account")
    address_limits.failed(reservation)
    return wrong_message


def locked_message(until) -> str:
    return _("Too many failed log-ins for this address: it is locked for now. "
             "You can log in again in %(wait)s, or reset your password "
             "with a code sent by mail to get in now.", wait=wait_in_words(until))


def authenticate(email: str, password: str) -> tuple[User | None, str | None]:
    """The account whose password this is, or why not."""
    user = find_user(email)
    refusal = check_password(email, password, user)
    if refusal:
        return None, refusal
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        db.session.commit()
    log.info("login: account %s", user.id)
    return user, None


def set_new_password(user: User, password: str) -> None:
    """Replace the password, end every session, kill every code, tell the owner.

    A reset code proved the address, so an unverified account is verified
    now, and the address's failed log-ins are forgotten.
    """
    user.password_hash = passwords.hash_password(password)
    approval.on_verified(user, was_verified=user.is_verified)
    user.verified_at = user.verified_at or now()
    sessions.end_all(user)
    codes.kill(user.email)
    log.info("password replaced for account %s; its sessions and codes ended", user.id)
    # A new password leaves the passkeys as they are: the mail names them, so an owner who did not
    # change it knows what else still opens the account, and where to remove it.
    outbox.enqueue(user.email, "password_changed", _l("Your password was changed"), language=language_of(user),
                   passkeys=passkey_names(user), account_url=public_url("account.overview"))
    db.session.commit()
    address_limits.clear(user.email, address_limits.LOGIN)


def passkey_names(user: User) -> list[str]:
    return list(db.session.scalars(select(Passkey.name).where(Passkey.user_id == user.id).order_by(Passkey.id)))


# --- Delete an account (the person's own "Delete account" and `portal users delete`) ---


def delete_account(user: User, mail_template: str = "account_deleted",
                   mail_subject: str = _l("Your account was deleted")) -> None:
    """The account goes with its sessions, codes, unfinished flows and unsent mail.

    The record of its downloads stays, without the person (their `user_id`
    becomes NULL). A verified address is told by mail (`mail_template`); one
    never proved is not mailed, as it may not be the registrant's.
    """
    address, user_id, was_verified, language = user.email, user.id, user.is_verified, language_of(user)
    sessions.end_all(user)
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.address == address))
    db.session.execute(delete(CodeFlowRecord).where(CodeFlowRecord.address == address))
    db.session.execute(delete(OutboxMail).where(OutboxMail.recipient == address, OutboxMail.status == "queued"))
    db.session.delete(user)
    db.session.flush()
    if was_verified:
        outbox.enqueue(address, mail_template, mail_subject, language=language)
    log.info("account %s deleted", user_id)
    db.session.commit()

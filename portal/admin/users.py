"""What an admin does to accounts, from the command line or the desk: plain functions that commit.

Every change is written to the audit log in the same transaction.
"""
import re
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from portal.admin import audit
from portal.auth import accounts, address_limits, passwords, second_factor, sessions, totp_keys
from portal.clock import now
from portal.extensions import db
from portal.media.models import Download
from portal.models import ADMIN, AddressCounter, CodeFlowRecord, CodeSend, LoginSession, User

AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """"7d", "12h", "30m", "2w" as a duration; ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", text or "")
    if not match:
        raise ValueError("an age is a number and a unit: 30m, 12h, 7d or 2w")
    return timedelta(seconds=int(match.group(1)) * AGE_UNITS[match.group(2)])


def accounts_listing(unverified_only: bool = False) -> list[User]:
    query = select(User).order_by(User.created_at, User.id)
    if unverified_only:
        query = query.where(User.verified_at.is_(None))
    return list(db.session.scalars(query))


def state_word(user: User) -> str:
    if user.is_disabled:
        return "disabled"
    if user.is_waiting_for_approval:
        return "waiting"
    return "verified" if user.is_verified else "unverified"


def _date(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _is_locked(counter: AddressCounter) -> bool:
    return counter.locked_until is not None and counter.locked_until > now()


def state_of(user: User) -> list[tuple[str, str]]:
    """One account at a glance, as (label, value) lines: details, state, second factor, sessions, locks."""
    def count(statement) -> int:
        return db.session.scalar(select(func.count()).select_from(statement.subquery()))

    factor = second_factor.factor_of(user)
    locks = db.session.scalars(select(AddressCounter).where(AddressCounter.address == user.email)).all()
    return [
        (_("Email"), user.email), (_("Name"), user.full_name), (_("Organisation"), user.organisation or "-"),
        (_("Role"), user.role), (_("Created"), _date(user.created_at)), (_("Verified"), _date(user.verified_at)),
        (_("Waiting for approval since"), _date(user.approval_requested_at)),
        (_("Disabled"), _date(user.disabled_at)),
        (_("Newsletter"),
         _("since %(date)s", date=_date(user.newsletter_subscribed_at)) if user.is_subscribed else _("no")),
        (_("Second factor"),
         _("set up") if factor and factor.confirmed_at else (_("being set up") if factor else _("none"))),
        (_("Recovery codes left"), str(second_factor.recovery_codes_left(user)) if factor else "-"),
        (_("Sessions"), str(count(select(LoginSession.id).where(LoginSession.user_id == user.id)))),
        (_("Downloads"), str(count(select(Download.id).where(Download.user_id == user.id)))),
        (_("Code sends counted"), str(count(select(CodeSend.id).where(CodeSend.address == user.email)))),
        (_("Failed tries counted"), ", ".join(
            f"{lock.kind} {lock.count}"
            + (_(" (locked until %(date)s)", date=_date(lock.locked_until)) if _is_locked(lock) else "")
            for lock in locks) or _("none")),
    ]


def create_admin(email: str, password: str | None) -> tuple[User, bool]:
    """A new verified admin account, or an existing account made an admin (its password kept).

    Returns the account and whether it was created.
    """
    address = accounts.normalise_email(email)
    user = accounts.find_user(address)
    created = user is None
    if created:
        user = User(email=address, full_name=address.split("@")[0], password_hash=passwords.hash_password(password),
                    verified_at=now())
        db.session.add(user)
    user.role = ADMIN
    audit.record(audit.COMMAND_LINE, "create-admin" if created else "make-admin", address)
    db.session.commit()
    return user, created


def disable(user: User, actor: str) -> None:
    """The account can't log in any more, and every session of it ends now."""
    user.disabled_at = user.disabled_at or now()
    sessions.end_all(user)
    audit.record(actor, "disable", user.email)
    db.session.commit()


def enable(user: User, actor: str) -> None:
    user.disabled_at = None
    audit.record(actor, "enable", user.email)
    db.session.commit()


def unlock(address: str, actor: str) -> None:
    """Forget the address's failed log-ins, wrong codes and code sends: every lock and cap opens."""
    address = accounts.normalise_email(address)
    db.session.execute(delete(CodeSend).where(CodeSend.address == address))
    audit.record(actor, "unlock", address)
    db.session.commit()
    address_limits.clear(address)


def delete_account(user: User, actor: str) -> None:
    audit.record(actor, "delete", user.email)
    accounts.delete_account(user)


def purge_unverified(older_than: timedelta, actor: str) -> tuple[int, int]:
    """Remove accounts never verified and code flows never finished, older than `older_than`.

    Returns how many of each went. Nobody is mailed: those addresses were never proved.
    """
    cutoff = now() - older_than
    stale = list(db.session.scalars(select(User).where(User.verified_at.is_(None), User.created_at < cutoff)))
    for user in stale:
        audit.record(actor, "purge-unverified", user.email)
        accounts.delete_account(user)
    flows = db.session.execute(delete(CodeFlowRecord).where(CodeFlowRecord.created_at < cutoff)).rowcount
    db.session.commit()
    return len(stale), flows


def reset_second_factor(user: User, actor: str) -> None:
    """A lost phone: the key and recovery codes go, sessions end; the next log-in sets up anew."""
    second_factor.forget(user)
    sessions.end_all(user)
    audit.record(actor, "reset-2fa", user.email)
    db.session.commit()


def reencrypt_totp_keys(actor: str) -> int:
    """Every admin's TOTP key encrypted with the current key, so older keys can be retired; how many."""
    count = totp_keys.reencrypt_all()
    audit.record(actor, "reencrypt-2fa-keys", "every admin", f"{count} key(s)")
    db.session.commit()
    return count

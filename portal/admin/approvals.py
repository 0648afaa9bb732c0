"""The admin's answer to an account waiting for approval: plain functions that commit, audited.

"Refuse" deletes the account and tells the person: nothing is kept of
someone who was given no access, and a refusal made by mistake is undone by
registering again (disabling would keep the person's details for good and
the address taken).
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.admin import audit
from portal.auth import accounts
from portal.extensions import db
from portal.mail import outbox
from portal.models import User
from portal.web.i18n import language_of
from portal.web.urls import public_url


def waiting_accounts() -> list[User]:
    """The queue, the longest waiting first."""
    return list(db.session.scalars(select(User).where(User.approval_requested_at.is_not(None))
                                   .order_by(User.approval_requested_at, User.id)))


def approve(user: User, actor: str) -> bool:
    """The account may download from now on, and its owner is told; False if it was not waiting."""
    if not _stop_waiting(user):
        return False
    audit.record(actor, "approve", user.email)
    outbox.enqueue(user.email, "account_approved", _l("Your account is approved"), language=language_of(user),
                   site_url=public_url("pages.home"))
    db.session.commit()
    return True


def refuse(user: User, actor: str) -> bool:
    """The account is deleted and its owner told so; False if it was not waiting."""
    if not _stop_waiting(user):
        return False
    audit.record(actor, "refuse", user.email)
    accounts.delete_account(user, "registration_refused", _l("Your registration was not accepted"))
    return True


def _stop_waiting(user: User) -> bool:
    """Take the account out of the queue, if it is still in it: one guarded UPDATE, so of clicks arriving
    together (two admins, a double click) one acts, and the others wait for it and find nothing to do."""
    taken = db.session.execute(update(User).where(User.id == user.id, User.approval_requested_at.is_not(None))
                               .values(approval_requested_at=None)).rowcount
    if taken != 1:
        db.session.rollback()
    return taken == 1

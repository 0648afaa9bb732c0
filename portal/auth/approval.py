"""Accounts that wait for an admin (`REGISTRATION_APPROVAL = "admin"`): when they start waiting, what they are told.

The admin's side (the queue, "Approve", "Refuse") is in `portal.admin.approvals`.
"""
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.clock import now
from portal.extensions import db
from portal.models import User

WAITING_TITLE = _l("Your account is waiting for approval")
WAITING_MESSAGE = _l("An administrator looks at each new account before it can download. "
                     "We will tell you by mail as soon as yours is approved.")


class Notice(NamedTuple):
    title: str
    message: str


def waiting_notice() -> Notice:
    """What a waiting person reads after verifying, on a video's page and when a download is refused."""
    return Notice(str(WAITING_TITLE), str(WAITING_MESSAGE))


def on_verified(user: User, was_verified: bool) -> None:
    """An address just proved starts the wait, when the admin approves accounts; a known one never waits again."""
    if not was_verified and current_app.config["REGISTRATION_APPROVAL"] == "admin":
        user.approval_requested_at = now()


def queue_size() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.approval_requested_at.is_not(None)))

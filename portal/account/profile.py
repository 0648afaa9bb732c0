"""What My account changes and shows: details, address, downloads, browsers, the export.

Plain functions the views and tests call; each change commits.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.auth import codes, passkeys
from portal.extensions import db
from portal.mail import outbox
from portal.media.models import Download, Rendition, Video
from portal.media.serving import name_for_file
from portal.models import LoginSession, User
from portal.web.i18n import language_of
from portal.web.urls import public_url

log = logging.getLogger("portal.accounts")

DOWNLOADS_PER_PAGE = 20


def update_details(user: User, full_name: str, organisation: str | None) -> None:
    user.full_name = full_name
    user.organisation = organisation or None
    db.session.commit()


def masked(address: str) -> str:
    """a•••@example.org: enough for the owner to recognise, little for anyone else."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def change_email(user: User, new_address: str) -> bool:
    """Move the account to a proved new address and tell the old one; False if it was taken meanwhile.

    Reset codes now go to the new address, so the old one can no longer
    take the account back by itself: its mail points to the admin's contact page.
    """
    old_address = user.email
    user.email = new_address
    codes.kill(old_address)
    outbox.enqueue(old_address, "email_changed", _l("Your email address was changed"), language=language_of(user),
                   new_address=masked(new_address), contact_url=public_url("pages.contact"))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    log.info("account %s moved to a new, proved address", user.id)
    return True


@dataclass(frozen=True)
class DownloadLine:
    video_id: int | None
    video_title: str
    file_name: str  # as the download named it, "—" once the file is gone
    at: datetime


def download_history(user: User, page: int = 1) -> tuple[list[DownloadLine], int]:
    """A page of the account's downloads, newest first, and how many pages there are."""
    total = db.session.scalar(select(func.count(Download.id)).where(Download.user_id == user.id))
    rows = db.session.execute(
        select(Download.video_id, Video.title, Rendition.id, Rendition.label, Rendition.filename, Download.at)
        .outerjoin(Video, Video.id == Download.video_id)
        .outerjoin(Rendition, Rendition.id == Download.rendition_id)
        .where(Download.user_id == user.id)
        .order_by(Download.at.desc(), Download.id.desc())
        .limit(DOWNLOADS_PER_PAGE).offset((page - 1) * DOWNLOADS_PER_PAGE)
    ).all()
    lines = [DownloadLine(video_id, title or _("A video no longer in the library"),
                          name_for_file(file_id, title, label, original_name) if file_id else "—", at)
             for video_id, title, file_id, label, original_name, at in rows]
    return lines, max(1, -(-total // DOWNLOADS_PER_PAGE))


def login_sessions(user: User) -> list[LoginSession]:
    return list(db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)
                                   .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())))


def browser_name(user_agent: str | None) -> str:
    """"Firefox on Windows": what a person recognises of a User-Agent string."""
    agent = user_agent or ""
    browser = next((name for token, name in BROWSERS if token in agent), None) or _("A browser")
    system = next((name for token, name in SYSTEMS if token in agent), None)
    return _("%(browser)s on %(system)s", browser=browser, system=system) if system else browser


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def export(user: User) -> dict:
    """Everything the portal holds about the person, for "Export my data"."""
    downloads = db.session.execute(
        select(Download.at, Download.video_id, Video.title, Rendition.label, Download.byte_range, Download.via_link)
        .outerjoin(Video, Video.id == Download.video_id)
        .outerjoin(Rendition, Rendition.id == Download.rendition_id)
        .where(Download.user_id == user.id).order_by(Download.at)
    ).all()
    return {
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "organisation": user.organisation,
            "created_at": _moment(user.created_at),
            "verified_at": _moment(user.verified_at),
        },
        "newsletter": {
            "subscribed": user.is_subscribed,
            "consent_given_at": _moment(user.newsletter_subscribed_at),
            "consent_source": user.newsletter_consent_source,
        },
        "downloads": [
            {"at": _moment(at), "video_id": video_id, "video_title": title, "file": label,
             "byte_range": byte_range, "via_personal_link": via_link}
            for at, video_id, title, label, byte_range, via_link in downloads
        ],
        "sessions": [
            {"browser": browser_name(login.user_agent), "user_agent": login.user_agent,
             "logged_in_at": _moment(login.created_at), "last_used_at": _moment(login.last_seen_at)}
            for login in login_sessions(user)
        ],
        # What a passkey is called and when it was used; its key is no part of the person's data.
        "passkeys": [
            {"name": passkey.name, "added_at": _moment(passkey.created_at),
             "last_used_at": _moment(passkey.last_used_at), "synced": passkey.is_backed_up}
            for passkey in passkeys.of_account(user)
        ],
    }


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

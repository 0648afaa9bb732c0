"""Versioned terms of use: a download needs the current version accepted.

Acceptance is remembered on the account, with the use the person stated when
`ASK_STATED_USE` is on; every download records both (see `serving.record`).
A personal link cannot ask (a download manager has no button to click), so
it is refused until its account accepts on the site.
"""
from flask import current_app, session
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.media.models import Rendition, Video
from portal.models import User

HELD_DOWNLOAD_KEY = "held_download"

# What a person may state as the use of the files: (stored value, label).
STATED_USES = [
    ("news report", _l("News report")),
    ("documentary", _l("Documentary")),
    ("education", _l("Education")),
    ("other", _l("Other")),
]


DEFAULT_NOTICE = _l("Free of charge for editorial and educational use. Please credit the source in every use.")


def notice() -> str:
    """The terms of use in a sentence or two: the admin's `TERMS_OF_USE`, else the default in the page's language."""
    return current_app.config["TERMS_OF_USE"] or str(DEFAULT_NOTICE)


def current_version() -> str:
    return str(current_app.config["TERMS_VERSION"])


def asks_stated_use() -> bool:
    return bool(current_app.config["ASK_STATED_USE"])


def needs_acceptance(user: User) -> bool:
    """True until the account accepts the current version (with a stated use, when one is asked)."""
    if user.terms_accepted_version != current_version():
        return True
    return asks_stated_use() and user.stated_use is None


def accept(user: User, stated_use: str | None) -> None:
    user.terms_accepted_version = current_version()
    if asks_stated_use():
        user.stated_use = stated_use
    db.session.commit()


def changes() -> str | None:
    """What the admin wrote about the current version's changes (`TERMS_CHANGES`), if anything."""
    return current_app.config["TERMS_CHANGES"] or None


def download_on_return(rendition_id: int) -> None:
    """The file the terms step held back starts once the person is back on its video's page."""
    session[HELD_DOWNLOAD_KEY] = rendition_id


def held_download(video: Video) -> Rendition | None:
    """The file of `video` whose download should start now (once): the one the terms step held back."""
    rendition_id = session.pop(HELD_DOWNLOAD_KEY, None)
    return next((rendition for rendition in video.renditions if rendition.id == rendition_id), None)


def stated_use_of(user: User) -> str | None:
    """The use a download records: the account's stated use, while it is asked."""
    return user.stated_use if asks_stated_use() else None

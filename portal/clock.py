"""The portal's one source of the current time, so tests can set it."""
import math
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import ngettext


def system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """Aware UTC now, from the app's clock (`app.extensions["clock"]`)."""
    return current_app.extensions["clock"]()


def seconds_ago(seconds: float) -> datetime:
    return now() - timedelta(seconds=seconds)


def seconds_ahead(seconds: float) -> datetime:
    return now() + timedelta(seconds=seconds)


def wait_in_words(moment: datetime) -> str:
    """"42 seconds", "55 minutes", "23 hours" until `moment`: rounded up, so it has passed when it says."""
    return duration_in_words((moment - now()).total_seconds())


def duration_in_words(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 120:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    if seconds < 120 * 60:
        return ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60))
    return ngettext("%(num)d hour", "%(num)d hours", math.ceil(seconds / 3600))

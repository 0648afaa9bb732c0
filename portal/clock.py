"""The portal's one source of the current time, so tests can set it."""
from datetime import UTC, datetime, timedelta

from flask import current_app


def system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """Aware UTC now, from the app's clock (`app.extensions["clock"]`)."""
    return current_app.extensions["clock"]()


def seconds_ago(seconds: float) -> datetime:
    return now() - timedelta(seconds=seconds)


def seconds_ahead(seconds: float) -> datetime:
    return now() + timedelta(seconds=seconds)

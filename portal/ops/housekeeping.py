"""Forgetting what no rule needs any more: the portal's own retention.

Throttle records, try counters, spent codes, dead login sessions and download
windows only matter for a while; kept forever they would grow without end
and keep addresses and network numbers longer than any purpose needs. Each
process's background worker runs `forget_stale` every
`HOUSEKEEPING_INTERVAL` seconds; deleting twice is harmless, so several
workers need no coordination.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func

from portal.auth import address_limits, send_throttle
from portal.clock import seconds_ago
from portal.extensions import db
from portal.media.models import DownloadWindow
from portal.models import LoginSession, OneTimeCode

# A spent or expired code still tells "a newer code was sent" for this long.
SPENT_CODE_KEPT = timedelta(days=1)


def forget_stale() -> dict[str, int]:
    """Delete what has outlived its use; how many rows of each kind went."""
    forgotten = {
        "code sends": send_throttle.forget_stale(),
        "try counters": address_limits.forget_stale(),
        "codes": _delete(delete(OneTimeCode).where(
            OneTimeCode.expires_at <= seconds_ago(SPENT_CODE_KEPT.total_seconds()))),
        # Their cookie can no longer be presented: Flask refuses it after this lifetime.
        "login sessions": _delete(delete(LoginSession).where(
            func.coalesce(LoginSession.last_seen_at, LoginSession.created_at)
            <= seconds_ago(current_app.permanent_session_lifetime.total_seconds()))),
        "download windows": _delete(delete(DownloadWindow).where(
            DownloadWindow.counted_at <= seconds_ago(current_app.config["DOWNLOAD_RECORD_WINDOW"]))),
    }
    db.session.commit()
    return forgotten


def _delete(statement) -> int:
    return db.session.execute(statement).rowcount

"""Forgetting what no rule needs any more: the portal's own retention.

Throttle records, try counters, spent codes, dead login sessions and download
windows only matter for a while; kept forever they would grow without end
and keep addresses and network numbers longer than any purpose needs. Each
process's background worker runs `forget_stale` every
`HOUSEKEEPING_INTERVAL` seconds; deleting twice is harmless, so several
workers need no coordination.
"""
from portal.auth import address_limits, codes, passkeys, sessions
from portal.extensions import db
from portal.media import serving

# Each area says what of its own has outlived its use.
STALE_RECORDS = {
    "code sends": address_limits.forget_stale_sends,
    "try counters": address_limits.forget_stale_tries,
    "codes": codes.forget_stale,
    "login sessions": sessions.forget_stale,
    "passkey challenges": passkeys.forget_stale,
    "download windows": serving.forget_stale,
}


def forget_stale() -> dict[str, int]:
    """Delete what has outlived its use; how many rows of each kind went."""
    forgotten = {kind: forget() for kind, forget in STALE_RECORDS.items()}
    db.session.commit()
    return forgotten

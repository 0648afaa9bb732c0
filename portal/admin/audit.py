"""The admin audit log: every change made from the desk or with `portal users`."""
from sqlalchemy import select

from portal.admin.models import AuditEntry
from portal.extensions import db

# The actor of changes made with `portal users` (whoever runs it has the server).
COMMAND_LINE = "command line"


def record(actor: str, action: str, target: str, detail: str | None = None) -> None:
    """Add an entry to the caller's transaction: it is kept if, and only if, the change is."""
    db.session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))


def latest(limit: int = 30) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))

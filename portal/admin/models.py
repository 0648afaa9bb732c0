"""The desk's own tables: admins' second factors, the audit log, searches that found nothing."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db
from ..models import UTCDateTime


class SecondFactor(db.Model):
    """An admin's TOTP key; usable once a code from the app has confirmed it."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # The base32 key authenticator apps take, encrypted by `totp_keys` with a key kept outside the database.
    encrypted_secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The newest 30-second step whose code was accepted: a code is good once.
    last_step: Mapped[int] = mapped_column(default=0)


class RecoveryCode(db.Model):
    """One of an admin's ten one-time recovery codes, kept only as a keyed hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """Who changed what, when: every change made from the desk or `portal users`.

    Names are kept as text, so the entry outlives the accounts it names.
    """

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)


class UnfoundSearch(db.Model):
    """A catalogue search that found nothing: the normalised query, how often, when last.

    No account or address is kept with it.
    """

    __tablename__ = "unfound_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200), unique=True)
    count: Mapped[int] = mapped_column(default=1)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

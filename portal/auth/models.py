"""The admins' second factor: TOTP keys and recovery codes."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now
from portal.extensions import db
from portal.models import UTCDateTime


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

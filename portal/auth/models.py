"""The admins' second factor (TOTP keys and recovery codes), and everyone's passkeys."""
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
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


class Passkey(db.Model):
    """A WebAuthn credential an account signs in with, beside its password (never in its place)."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Base64url, as the browser names it in every assertion; WebAuthn allows up to 1,023 bytes.
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    # COSE-encoded, as the authenticator gave it.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # 0 for authenticators that keep no counter (synced passkeys): then it is never checked.
    sign_count: Mapped[int] = mapped_column(default=0)
    # What the browser said it can reach the authenticator by ("internal,hybrid"), for the next request.
    transports: Mapped[str] = mapped_column(String(200), default="")
    is_backup_eligible: Mapped[bool] = mapped_column(default=False)
    is_backed_up: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasskeyChallenge(db.Model):
    """A challenge handed to one browser: deleted when used, so an assertion is good once.

    The browser's signed session names it too; a session cookie copied and
    sent again still finds it gone.
    """

    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), unique=True)
    # "add" (My account) or "sign-in".
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

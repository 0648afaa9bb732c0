"""Tables and their small invariants."""
import secrets
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, Index, String, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now
from portal.extensions import db


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in every database alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # Ids are never reused: links and records made for a removed account must
    # not come to name a new one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Flask-Login's id: replacing it ends every session of the account.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=new_session_token
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    newsletter_subscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    newsletter_consent_source: Mapped[str | None] = mapped_column(String(20))
    # "member" downloads; "admin" also has the admin's desk (behind a second factor).
    role: Mapped[str] = mapped_column(String(20), default="member", server_default="member")
    # A disabled account can't log in; its address stays taken.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The `TERMS_VERSION` the person last accepted, and the use they stated then (see media/terms.py).
    terms_accepted_version: Mapped[str | None] = mapped_column(String(40))
    stated_use: Mapped[str | None] = mapped_column(String(20))
    # "en" or "fr" (portal.web.i18n): the pages after log-in and every mail to the account are in it.
    language: Mapped[str | None] = mapped_column(String(8))
    # With `REGISTRATION_APPROVAL = "admin"`: since when the verified account waits for an admin;
    # None once approved, and for every account made before approval existed.
    approval_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    codes: Mapped[list["OneTimeCode"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def replace_session_token(self) -> None:
        """Every session of the account ends: their cookies name the old token."""
        self.session_token = new_session_token()

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def is_waiting_for_approval(self) -> bool:
        return self.approval_requested_at is not None

    @property
    def is_subscribed(self) -> bool:
        return self.newsletter_subscribed_at is not None


class LoginSession(db.Model):
    """One logged-in browser. Logging out deletes it, so a copied cookie dies too."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # What "Where you're logged in" shows: the browser, and about when it was last used.
    user_agent: Mapped[str | None] = mapped_column(String(300))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OneTimeCode(db.Model):
    """A 6-digit code mailed to an address, kept only as a keyed hash.

    A code belongs to one address and one purpose; any browser may enter it,
    but what it unlocks comes from that browser's own flow (`CodeFlowRecord`),
    so a stranger who started a flow for the same address gains nothing from
    the owner's code. An address that must not get a code (no account to
    reset, a verified account registering again) gets a decoy that is never
    mailed and never accepted, so every answer is the same as for a real one.
    """

    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_address", "address", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    is_decoy: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wrong_tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    killed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Killed because a newer code went to the same address for the same purpose.
    is_replaced: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User | None] = relationship(back_populates="codes")

    @property
    def is_live(self) -> bool:
        return self.used_at is None and self.killed_at is None and now() < self.expires_at


class CodeFlowRecord(db.Model):
    """One browser's start of a code flow, and what its code will unlock.

    The browser keeps only `binding` (in its signed session). A registration
    keeps here the details and password chosen in that browser: they reach
    the account only when this flow enters a valid code.
    """

    __tablename__ = "code_flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    binding: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(254), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    # The account a new address is for (confirming a new address).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    pending_full_name: Mapped[str | None] = mapped_column(String(200))
    pending_organisation: Mapped[str | None] = mapped_column(String(200))
    pending_password_hash: Mapped[str | None] = mapped_column(String(255))
    # The language the flow was started in: a registration's account is created with it.
    language: Mapped[str | None] = mapped_column(String(8))


class AddressCounter(db.Model):
    """Tries counted per address (failed log-ins, wrong codes), existing account or not.

    A try is reserved by one guarded UPDATE before it is checked, so parallel
    requests on any number of workers cannot run more checks than the limit.
    """

    __tablename__ = "address_counters"
    __table_args__ = (UniqueConstraint("address", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CodeSend(db.Model):
    """One mail that the code forms caused (a code, or a notice in its place).

    Counted per address and per client IP to throttle sending, and per
    address and flow (`purpose`) for the cooldown; kept in the database so
    the limits hold across workers and hosts.
    """

    __tablename__ = "code_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254), index=True)
    client_ip: Mapped[str] = mapped_column(String(45), index=True)
    # The code flow that sent it; None on sends recorded before flows were told apart.
    purpose: Mapped[str | None] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

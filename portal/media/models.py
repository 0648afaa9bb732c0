"""Videos, their files (renditions), tags, and the record of downloads."""
from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from ..models import UTCDateTime

video_tags = Table(
    "video_tags",
    db.metadata,
    Column("video_id", ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Video(db.Model):
    __tablename__ = "videos"
    # Ids are never reused (the catalogue cache and old links count on it).
    __table_args__ = (Index("ix_videos_newest", "recorded_on", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(200))
    duration_seconds: Mapped[int | None]
    transcript: Mapped[str | None] = mapped_column(Text)
    poster: Mapped[str | None] = mapped_column(String(300))
    # The tag names as one text, for PostgreSQL's full-text index (kept by `library`).
    tag_text: Mapped[str] = mapped_column(Text, default="")
    # Where an import found it (its folder name), so a re-run adds nothing twice.
    source_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    tags: Mapped[list[Tag]] = relationship(secondary=video_tags, order_by=Tag.name, lazy="selectin")
    renditions: Mapped[list["Rendition"]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="Rendition.size.desc()", lazy="selectin"
    )

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]


class Rendition(db.Model):
    """One file of a video (e.g. "HD 1080p MP4"), stored under the media root."""

    __tablename__ = "renditions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(300), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    video: Mapped[Video] = relationship(back_populates="renditions")

    @property
    def format(self) -> str:
        return self.filename.rsplit(".", 1)[-1].upper() if "." in self.filename else ""


class Download(db.Model):
    """A download: who, which file, when, and the first request's part and status.

    The requests of one account for one file within `DOWNLOAD_RECORD_WINDOW`
    seconds (a resumed download, a player's or download manager's ranges)
    are one download; `DownloadWindow` tells them apart.
    """

    __tablename__ = "downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    rendition_id: Mapped[int | None] = mapped_column(ForeignKey("renditions.id", ondelete="SET NULL"), index=True)
    video_id: Mapped[int | None] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    byte_range: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[int]
    via_link: Mapped[bool] = mapped_column(default=False)


class DownloadWindow(db.Model):
    """When an account's download of a file last counted.

    One row per account and file, so an upsert decides race-free, on SQLite
    and PostgreSQL alike, whether a request starts a new download.
    """

    __tablename__ = "download_windows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    rendition_id: Mapped[int] = mapped_column(ForeignKey("renditions.id", ondelete="CASCADE"), primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)

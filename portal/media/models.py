"""Videos, their files (renditions), tags, and the record of downloads."""
import hashlib
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import BigInteger, Column, Date, Double, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now
from portal.extensions import db
from portal.models import UTCDateTime

# Sizes and bit rates pass 2**31; SQLite's INTEGER already holds 64 bits.
BigInt = BigInteger().with_variant(Integer(), "sqlite")

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
    # A poster the admin gave; without one, `stills` holds frames taken from the video.
    poster: Mapped[str | None] = mapped_column(String(300))
    # The small H.264/AAC MP4 anyone may play on the page, once made.
    preview: Mapped[str | None] = mapped_column(String(300))
    # A WebVTT file for the preview's captions, and its language (a BCP 47 tag such as "en").
    captions: Mapped[str | None] = mapped_column(String(300))
    captions_lang: Mapped[str | None] = mapped_column(String(35))
    # The tag names as one text, for PostgreSQL's full-text index (kept by `library`).
    tag_text: Mapped[str] = mapped_column(Text, default="")
    # Where an import found it (its folder name), so a re-run adds nothing twice.
    source_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    tags: Mapped[list[Tag]] = relationship(secondary=video_tags, order_by=Tag.name, lazy="selectin")
    renditions: Mapped[list["Rendition"]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="Rendition.size.desc()", lazy="selectin"
    )

    stills: Mapped[list["Still"]] = relationship(
        cascade="all, delete-orphan", order_by="(Still.width, Still.kind)", lazy="selectin"
    )

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]

    @property
    def has_poster(self) -> bool:
        return bool(self.poster or self.stills)

    @property
    def captions_version(self) -> str:
        """Changes with each new captions file: the page's link carries it, so caches fetch the new one."""
        return hashlib.sha256((self.captions or "").encode()).hexdigest()[:12]

    def stills_for(self, width: int) -> dict[str, "Still"]:
        """Per kind, the smallest still at least `width` wide (or the largest there is)."""
        chosen = {}
        for still in self.stills:  # narrowest first
            if still.kind not in chosen or chosen[still.kind].width < width:
                chosen[still.kind] = still
        return chosen

    def best_rendition(self) -> "Rendition | None":
        """The file a preview and posters are made from: the most pixels, then the highest bit rate."""
        return max(self.renditions, key=lambda r: ((r.width or 0) * (r.height or 0), r.bit_rate or 0, r.size),
                   default=None)


class Still(db.Model):
    """A frame of the video as a poster: one format ("webp", "jpeg") at one width."""

    __tablename__ = "video_stills"

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    width: Mapped[int]
    height: Mapped[int]
    stored_path: Mapped[str] = mapped_column(String(300), unique=True)

    @property
    def content_type(self) -> str:
        return f"image/{self.kind}"


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
    size: Mapped[int] = mapped_column(BigInt)  # broadcast masters pass 2 GiB
    sha256: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # What the probe found (None where the file does not say).
    container: Mapped[str | None] = mapped_column(String(40))
    video_codec: Mapped[str | None] = mapped_column(String(40))
    video_profile: Mapped[str | None] = mapped_column(String(60))
    width: Mapped[int | None]
    height: Mapped[int | None]
    frame_rate_text: Mapped[str | None] = mapped_column("frame_rate", String(20))  # "25", "30000/1001"
    scan_type: Mapped[str | None] = mapped_column(String(20))
    bit_rate: Mapped[int | None] = mapped_column(BigInt)
    duration: Mapped[float | None] = mapped_column(Double)  # seconds
    audio_codec: Mapped[str | None] = mapped_column(String(40))
    audio_channels: Mapped[int | None]
    audio_sample_rate: Mapped[int | None]

    video: Mapped[Video] = relationship(back_populates="renditions")

    @property
    def frame_rate(self) -> Fraction | None:
        return Fraction(self.frame_rate_text) if self.frame_rate_text else None

    @frame_rate.setter
    def frame_rate(self, value) -> None:
        self.frame_rate_text = str(Fraction(value).limit_denominator(1001)) if value else None

    @property
    def format(self) -> str:
        return self.filename.rsplit(".", 1)[-1].upper() if "." in self.filename else ""


class Download(db.Model):
    """A download: who, which file, when, under which terms, and the first request's part and status.

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
    # The terms the account had accepted, and the use it stated (when `ASK_STATED_USE` is on).
    terms_version: Mapped[str | None] = mapped_column(String(40))
    stated_use: Mapped[str | None] = mapped_column(String(20))


class DownloadWindow(db.Model):
    """When an account's download of a file last counted.

    One row per account and file, so an upsert decides race-free, on SQLite
    and PostgreSQL alike, whether a request starts a new download.
    """

    __tablename__ = "download_windows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    rendition_id: Mapped[int] = mapped_column(ForeignKey("renditions.id", ondelete="CASCADE"), primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UnfoundSearch(db.Model):
    """A catalogue search that found nothing: the normalised query, how often, when last.

    No account or address is kept with it.
    """

    __tablename__ = "unfound_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200), unique=True)
    count: Mapped[int] = mapped_column(default=1)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

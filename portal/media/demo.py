"""Demo videos with small generated files, so a new portal shows a catalogue at once.

The files are placeholders of a few hundred kilobytes (not playable video):
enough to try downloads, ranges and links without shipping media.
"""
import random
import struct
import tempfile
import zlib
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from . import library
from .models import Video

DEMO_VIDEOS = [
    {
        "title": "Opening remarks at the Brussels press conference",
        "place": "Brussels",
        "recorded": date(2026, 10, 14),
        "duration": 754,
        "tags": ["press conference", "speech"],
        "description": "The Secretary General opens the autumn press conference with remarks on the alliance's priorities.",
        "transcript": "As delivered. Good morning. Today we meet at a moment of great change. "
        "Our priorities are clear: deterrence, resilience and partnership.",
        "colour": "#0b4f8a",
    },
    {
        "title": "B-roll: ministers arrive at headquarters",
        "place": "Brussels",
        "recorded": date(2026, 10, 13),
        "duration": 312,
        "tags": ["b-roll", "ministers"],
        "description": "Arrivals of defence ministers at headquarters, wide and close shots, natural sound.",
        "transcript": None,
        "colour": "#2d6a4f",
    },
    {
        "title": "Speech on maritime security",
        "place": "Lisbon",
        "recorded": date(2025, 6, 3),
        "duration": 1325,
        "tags": ["speech", "maritime"],
        "description": "A keynote on the security of sea lanes and undersea infrastructure.",
        "transcript": "As delivered. Ladies and gentlemen, the sea connects us. Cables on the seabed carry our data, "
        "pipelines our energy. Protecting them is a shared task.",
        "colour": "#1d3557",
    },
    {
        "title": "Joint press point with the Prime Minister of Iceland",
        "place": "Reykjavík",
        "recorded": date(2025, 3, 21),
        "duration": 988,
        "tags": ["press conference"],
        "description": "Statements and questions from the press after the bilateral meeting.",
        "transcript": "As delivered. Thank you, Prime Minister. Iceland is a valued ally in the High North.",
        "colour": "#6a4c93",
    },
    {
        "title": "B-roll: exercise in the Baltic Sea",
        "place": "Baltic Sea",
        "recorded": date(2024, 9, 9),
        "duration": 421,
        "tags": ["b-roll", "maritime", "exercise"],
        "description": "Ships and helicopters during a multinational exercise; no narration.",
        "transcript": None,
        "colour": "#8a5a0b",
    },
]

RENDITIONS = [("HD 1080p MP4", 512 * 1024), ("SD 540p MP4", 160 * 1024)]


def add_demo_videos() -> int:
    """Add the demo videos that are not there yet; return how many were added."""
    added = 0
    with tempfile.TemporaryDirectory() as scratch:
        for number, entry in enumerate(DEMO_VIDEOS, start=1):
            key = f"demo-{number}"
            if db.session.scalar(select(Video.id).where(Video.source_key == key)):
                continue
            library.add_video(_new_video(Path(scratch), key, entry))
            added += 1
    return added


def _new_video(scratch: Path, key: str, entry: dict) -> library.NewVideo:
    files = []
    for label, size in RENDITIONS:
        path = scratch / f"{key}-{label.split()[1]}.mp4"
        path.write_bytes(random.Random(f"{key}{label}").randbytes(size))
        files.append(path)
    poster = scratch / f"{key}.png"
    poster.write_bytes(_poster_png(entry["colour"]))
    return library.NewVideo(
        title=entry["title"],
        files=files,
        labels=[label for label, _ in RENDITIONS],
        description=entry["description"],
        recorded_on=entry["recorded"],
        place=entry["place"],
        tags=entry["tags"],
        transcript=entry["transcript"],
        poster=poster,
        duration_seconds=entry["duration"],
        source_key=key,
    )


def _poster_png(colour: str, width: int = 320, height: int = 180) -> bytes:
    """A flat poster in the video's colour with a light "play" triangle, as a PNG."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    background, mark = bytes((red, green, blue)), b"\xee\xee\xee"
    rows = []
    for y in range(height):
        # The triangle: x from 145 to 145 + 40 * (1 - |y - 90| / 20), for |y - 90| < 20.
        reach = 40 * (1 - abs(y - 90) / 20) if abs(y - 90) < 20 else -1
        row = b"".join(mark if 0 <= x - 145 <= reach else background for x in range(width))
        rows.append(b"\x00" + row)
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")

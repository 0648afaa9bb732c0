"""Demo videos, generated on the spot, so a new portal shows a catalogue at once.

Each is a few seconds of a moving test pattern with its title burned in and
a tone, in two H.264/AAC MP4 renditions: real files that play anywhere,
with posters and previews made the way an admin's files get theirs; the
first has captions.
"""
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.media import engine, library
from portal.media.models import Video

SECONDS = 3
RENDITIONS = [("HD 720p MP4", 1280, 720), ("SD 360p MP4", 640, 360)]

DEMO_VIDEOS = [
    {
        "title": "Opening remarks at the Brussels press conference",
        "place": "Brussels",
        "recorded": date(2026, 10, 14),
        "tags": ["press conference", "speech"],
        "description": "The Secretary General opens the autumn press conference "
        "with remarks on the alliance's priorities.",
        "transcript": "As delivered. Good morning. Today we meet at a moment of great change. "
        "Our priorities are clear: deterrence, resilience and partnership.",
        "captions": "WEBVTT\n\n00:00.000 --> 00:01.500\n<v Secretary General>Good morning.\n\n"
        "00:01.500 --> 00:03.000\nToday we meet at a moment of great change.\n",
        "colour": "#0b4f8a",
    },
    {
        "title": "B-roll: ministers arrive at headquarters",
        "place": "Brussels",
        "recorded": date(2026, 10, 13),
        "tags": ["b-roll", "ministers"],
        "description": "Arrivals of defence ministers at headquarters, wide and close shots, natural sound.",
        "transcript": None,
        "colour": "#2d6a4f",
    },
    {
        "title": "Speech on maritime security",
        "place": "Lisbon",
        "recorded": date(2025, 6, 3),
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
        "tags": ["press conference"],
        "description": "Statements and questions from the press after the bilateral meeting.",
        "transcript": "As delivered. Thank you, Prime Minister. Iceland is a valued ally in the High North.",
        "colour": "#6a4c93",
    },
    {
        "title": "B-roll: exercise in the Baltic Sea",
        "place": "Baltic Sea",
        "recorded": date(2024, 9, 9),
        "tags": ["b-roll", "maritime", "exercise"],
        "description": "Ships and helicopters during a multinational exercise; no narration.",
        "transcript": None,
        "colour": "#8a5a0b",
    },
]


def demo_key(number: int) -> str:
    """How the library knows a demo video again, so a second run adds none twice."""
    return f"demo-{number}"


def demo_videos_in_library() -> int:
    """How many of the demo videos the library holds now (an admin may have removed some)."""
    keys = [demo_key(number) for number in range(1, len(DEMO_VIDEOS) + 1)]
    return db.session.scalar(select(func.count(Video.id)).where(Video.source_key.in_(keys)))


def add_demo_videos() -> int:
    """Add the demo videos that are not there yet (without previews); return how many were added."""
    added = 0
    with tempfile.TemporaryDirectory() as scratch:
        for number, entry in enumerate(DEMO_VIDEOS, start=1):
            key = demo_key(number)
            if db.session.scalar(select(Video.id).where(Video.source_key == key)):
                continue
            library.add_video(_new_video(Path(scratch), key, entry, number))
            added += 1
    return added


def _new_video(scratch: Path, key: str, entry: dict, number: int) -> library.NewVideo:
    files = []
    for _label, width, height in RENDITIONS:
        path = scratch / f"{key}-{height}p.mp4"
        engine.generate_video(path, entry["title"], width=width, height=height, seconds=SECONDS,
                              colour=entry["colour"], tone=220.0 * (1 + number / 4))
        files.append(path)
    captions = None
    if entry.get("captions"):
        captions = scratch / f"{key}.vtt"
        captions.write_text(entry["captions"], encoding="utf-8")
    return library.NewVideo(
        title=entry["title"],
        files=files,
        labels=[label for label, _, _ in RENDITIONS],
        description=entry["description"],
        recorded_on=entry["recorded"],
        place=entry["place"],
        tags=entry["tags"],
        transcript=entry["transcript"],
        source_key=key,
        captions=captions,
    )

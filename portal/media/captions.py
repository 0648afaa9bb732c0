"""Captions: a WebVTT file checked with webvtt-py, and its cues as a plain-text transcript.

The file is stored as given and served to the preview player's `<track>`;
the browser renders its cue text itself (never as HTML). The page shows
the same cues as a transcript, their tags stripped and their character
references resolved, so Jinja escapes plain text.
"""
import html
import re
from dataclasses import dataclass
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

# The site's default language, for captions whose language is not given.
DEFAULT_LANGUAGE = "en"
# A BCP 47 tag as `srclang` takes it: "en", "fr-BE", "sr-Latn".
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# A two-hour transcript is some 150 kB; anything far larger is not captions.
MAX_BYTES = 2_000_000
# Browsers refuse a file whose first line is "WEBVTTX" or the like; webvtt-py lets it pass.
SIGNATURE = re.compile(rb"(?:\xef\xbb\xbf)?WEBVTT(?:[ \t\r\n]|$)")


class NotCaptions(Exception):
    """A file that is not WebVTT captions a browser would show; the message names the file."""


@dataclass(frozen=True)
class Cue:
    start_ms: int
    voice: str | None  # the speaker of a `<v Speaker>` span, when the cue opens with one
    text: str


def check_language(tag: str) -> str:
    """The language tag, or `NotCaptions` saying what one looks like."""
    if len(tag) > 35 or not LANGUAGE_TAG.fullmatch(tag):
        raise NotCaptions(f"captions language {tag!r} is not a language tag such as en or fr-BE")
    return tag


def read(path: Path) -> list[Cue]:
    """The cues of a WebVTT file, in order, or `NotCaptions` naming the file and what is wrong.

    The signature is looked at first, so a video given by mistake is refused
    without being read.
    """
    with open(path, "rb") as handle:
        if not SIGNATURE.match(handle.read(10)):
            raise NotCaptions(f"{path.name}: not a WebVTT file (its first line must be WEBVTT)")
    if path.stat().st_size > MAX_BYTES:
        raise NotCaptions(f"{path.name}: {path.stat().st_size:,} bytes is too large for captions "
                          f"(at most {MAX_BYTES:,})")
    return cues_of(path.read_bytes(), path.name)


def cues_of(data: bytes, name: str) -> list[Cue]:
    """The cues of WebVTT captions in `data`, or `NotCaptions` naming the file (`name`) and what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotCaptions(f"{name}: not UTF-8 text (WebVTT files are UTF-8)") from None
    try:
        captions = webvtt.from_string(text, strict=True).captions
    except (MalformedFileError, MalformedCaptionError) as error:
        raise NotCaptions(f"{name}: not valid WebVTT ({error})") from None
    if not captions:
        raise NotCaptions(f"{name}: has no cues")
    for caption in captions:
        if caption.end_time < caption.start_time:
            raise NotCaptions(f"{name}: the cue at {caption.start} ends before it starts ({caption.end})")
    return [Cue(caption.start_time.in_milliseconds(), _plain(caption.voice) if caption.voice else None,
                _plain(caption.text)) for caption in captions]


def _plain(text: str) -> str:
    """Cue text, its tags already stripped by webvtt-py, with `&amp;` and the like resolved, on one line."""
    return " ".join(html.unescape(text).split())

"""Whole videos and whole search results for a download manager: a list of personal links and SHA256SUMS.

Each link ends in a plain file name that the download answers with too, so
`wget -i` (which names files after the URL) and `aria2c -i` (which takes the
server's name) both save the files under the names SHA256SUMS lists.
"""
import re
import unicodedata

from portal.media import links, serving
from portal.media.models import Rendition, Video
from portal.models import User


def file_name(rendition: Rendition) -> str:
    """"17-speech-in-lisbon-hd-1080p-mp4.mp4": ASCII, unique (the file's id first), safe in any shell."""
    ascii_name = unicodedata.normalize("NFKD", serving.download_name(rendition)).encode("ascii", "ignore").decode()
    stem, _, suffix = ascii_name.rpartition(".") if "." in rendition.filename else (ascii_name, "", "")
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:100] or "file"
    return f"{rendition.id}-{slug}" + (f".{suffix.lower()}" if suffix else "")


def renditions_of(videos: list[Video]) -> list[Rendition]:
    return [rendition for video in videos for rendition in video.renditions]


def link_list(user: User, videos: list[Video]) -> str:
    """One personal signed link per line, for `wget -i` and `aria2c -i`."""
    return "".join(links.link_for(user, rendition.id, file_name(rendition)) + "\n"
                   for rendition in renditions_of(videos))


def sha256sums(videos: list[Video]) -> str:
    """The `sha256sum -c` format: digest, two spaces, file name."""
    return "".join(f"{rendition.sha256}  {file_name(rendition)}\n" for rendition in renditions_of(videos))

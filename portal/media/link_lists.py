"""Whole videos and whole search results for a download manager: a list of personal links and SHA256SUMS.

Each link ends in the file's one name (`serving.download_name`), which the
download answers with too, so `wget -i` (which names files after the URL),
`wget --content-disposition`, `curl -OJ` and `aria2c -i` (which take the
server's name) all save the files under the names SHA256SUMS lists.
"""
from portal.media import links, serving
from portal.media.models import Rendition, Video
from portal.models import User


def renditions_of(videos: list[Video]) -> list[Rendition]:
    return [rendition for video in videos for rendition in video.renditions]


def link_list(user: User, videos: list[Video]) -> str:
    """One personal signed link per line, for `wget -i` and `aria2c -i`."""
    return "".join(links.link_for(user, rendition.id, serving.download_name(rendition)) + "\n"
                   for rendition in renditions_of(videos))


def sha256sums(videos: list[Video]) -> str:
    """The `sha256sum -c` format: digest, two spaces, file name."""
    return "".join(f"{rendition.sha256}  {serving.download_name(rendition)}\n"
                   for rendition in renditions_of(videos))

"""The site's logo: `instance/logo.svg` or `instance/logo.png`, used only when
its bytes are what its name says, so nothing else is ever served as an image."""
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for

# Looked for in this order; the first that is really what its name says is the logo.
LOGO_FILES = (("logo.svg", "image/svg+xml"), ("logo.png", "image/png"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# An SVG document: an optional BOM, XML declaration, comments and a DOCTYPE
# without an internal subset (where entity tricks live), then the <svg> root.
SVG_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--.*?-->|<!DOCTYPE[^>\[]*>)\s*)*<svg[\s>/]",
    re.DOTALL,
)
# Served on its own, an SVG may carry a script: this policy lets none run.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class Logo:
    path: Path
    mimetype: str
    version: int  # the file's modification time: a new logo gets a new URL


def find_logo() -> Logo | None:
    folder = Path(current_app.instance_path)
    for name, mimetype in LOGO_FILES:
        path = folder / name
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file() and _is_really(mimetype, str(path), stat.st_mtime_ns, stat.st_size):
            return Logo(path, mimetype, stat.st_mtime_ns)
    return None


def logo_url() -> str | None:
    """The logo's address for the header, or None: the header shows the name alone."""
    logo = find_logo()
    return url_for("pages.logo", v=logo.version) if logo else None


@lru_cache(maxsize=8)
def _is_really(mimetype: str, path: str, modified_ns: int, size: int) -> bool:
    """Checked once per version of the file: its time and size are part of the key."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if mimetype == "image/png":
        return head.startswith(PNG_SIGNATURE)
    return SVG_START.match(head) is not None

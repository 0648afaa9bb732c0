"""What a file is, in the words a newsroom uses: "HD 1080p MP4 · H.264 · 25 fps · 8.2 Mbit/s · 1.2 GB"."""
from fractions import Fraction

from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.media.models import Rendition
from portal.web.i18n import format_size

CODEC_NAMES = {
    "h264": "H.264", "hevc": "H.265", "vp8": "VP8", "vp9": "VP9", "av1": "AV1", "prores": "ProRes",
    "dnxhd": "DNxHD", "mpeg2video": "MPEG-2", "mpeg4": "MPEG-4", "mjpeg": "Motion JPEG",
}
CONTAINER_NAMES = {
    "mp4": "MP4", "mov": "MOV", "matroska": "MKV", "webm": "WebM", "avi": "AVI", "mxf": "MXF",
    "mpegts": "MPEG-TS", "m4v": "MP4",
}
SEPARATOR = " · "


def frame_rate(rate: Fraction | None) -> str | None:
    """"25 fps", "29.97 fps" (29,97 in French)."""
    if not rate:
        return None
    number = str(rate.numerator // rate.denominator) if rate.denominator == 1 else format_decimal(float(rate), "0.00")
    return _("%(rate)s fps", rate=number)


def bit_rate(bits_per_second: int | None) -> str | None:
    """"8.2 Mbit/s", "702 kbit/s" (8,2 in French)."""
    if not bits_per_second:
        return None
    if bits_per_second >= 1_000_000:
        return _("%(rate)s Mbit/s", rate=format_decimal(bits_per_second / 1_000_000, "0.0"))
    return _("%(rate)s kbit/s", rate=round(bits_per_second / 1000))


def container(rendition: Rendition) -> str:
    return CONTAINER_NAMES.get(rendition.container or "", "") or rendition.format


def summary(rendition: Rendition) -> str:
    """The admin's label first, then codec, frame rate, bit rate, container (unless the label says it) and size."""
    kind = container(rendition)
    rate = frame_rate(rendition.frame_rate)
    if rate and rendition.scan_type == "interlaced":
        rate = _("%(rate)s interlaced", rate=rate)
    parts = [
        rendition.label,
        CODEC_NAMES.get(rendition.video_codec or "", (rendition.video_codec or "").upper() or None),
        rate,
        bit_rate(rendition.bit_rate),
        kind if kind and kind.lower() not in rendition.label.lower() else None,
        format_size(rendition.size),
    ]
    return SEPARATOR.join(part for part in parts if part)

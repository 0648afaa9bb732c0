"""What a file is, in the words a newsroom uses: "H.264 · 1920 × 1080 · 25 fps · 8.2 Mbit/s · AAC stereo"."""
from fractions import Fraction

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from portal.media.models import Rendition

CODEC_NAMES = {
    "h264": "H.264", "hevc": "H.265", "vp8": "VP8", "vp9": "VP9", "av1": "AV1", "prores": "ProRes",
    "dnxhd": "DNxHD", "mpeg2video": "MPEG-2", "mpeg4": "MPEG-4", "mjpeg": "Motion JPEG",
}
AUDIO_CODEC_NAMES = {
    "aac": "AAC", "mp3": "MP3", "mp2": "MP2", "ac3": "AC-3", "eac3": "E-AC-3", "opus": "Opus",
    "vorbis": "Vorbis", "flac": "FLAC", "alac": "ALAC",
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


def audio(rendition: Rendition) -> str | None:
    """"AAC stereo", "PCM 5.1", "no sound" (a probed file without an audio stream); None if not probed."""
    if not rendition.audio_codec:
        return _("no sound") if rendition.video_codec else None
    codec = rendition.audio_codec
    name = "PCM" if codec.startswith("pcm_") else AUDIO_CODEC_NAMES.get(codec, codec.upper())
    channels = {1: _("mono"), 2: _("stereo"), 6: "5.1", 8: "7.1"}.get(rendition.audio_channels or 0)
    if channels is None and rendition.audio_channels:
        channels = ngettext("%(num)s channel", "%(num)s channels", rendition.audio_channels)
    return f"{name} {channels}" if channels else name


def specs(rendition: Rendition) -> str:
    """What the file holds, beside its label and size: video codec, picture size, frame rate, bit rate,
    container (unless the label names it) and sound."""
    kind = container(rendition)
    rate = frame_rate(rendition.frame_rate)
    if rate and rendition.scan_type == "interlaced":
        rate = _("%(rate)s interlaced", rate=rate)
    parts = [
        CODEC_NAMES.get(rendition.video_codec or "", (rendition.video_codec or "").upper() or None),
        f"{rendition.width} × {rendition.height}" if rendition.width and rendition.height else None,
        rate,
        bit_rate(rendition.bit_rate),
        kind if kind and kind.lower() not in rendition.label.lower() else None,
        audio(rendition),
    ]
    return SEPARATOR.join(part for part in parts if part)

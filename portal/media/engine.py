"""Everything the portal asks of FFmpeg, through PyAV: the one module that imports `av`.

Four jobs, small enough to redo with the `ffmpeg` binary one day:
`probe` (what a file is), `posters` (a still from about 10 % in),
`make_preview` (a small H.264/AAC MP4 for choosing) and `generate_video`
(a playable test pattern with its title and a tone, for the demo and tests).
"""
import array
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

POSTER_AT = 0.1  # of the duration: past the fade-in and the slate, before anything happens
PREVIEW_MAX_WIDTH = 640
PREVIEW_MAX_BIT_RATE = 1_500_000  # bit/s, picture and sound together
PREVIEW_AUDIO_BIT_RATE = 96_000
PREVIEW_AUDIO_RATES = (44_100, 48_000)


class NotAVideo(Exception):
    """A file the engine cannot read as a video; the message names the file."""


@dataclass(frozen=True)
class VideoFacts:
    """What a newsroom asks about a file before it downloads it."""

    container: str  # "mp4", "mov", "matroska", "webm", "avi", … (FFmpeg's names)
    video_codec: str  # "h264", "hevc", "vp9", "prores", …
    video_profile: str | None  # "High", "Main", "Constrained Baseline", …
    width: int
    height: int
    frame_rate: Fraction | None
    scan_type: str | None  # "progressive" or "interlaced", from the first picture
    bit_rate: int | None  # bit/s of the picture, or of the whole file when the container does not say
    duration: float | None  # seconds
    audio_codec: str | None
    audio_channels: int | None
    audio_sample_rate: int | None


@dataclass(frozen=True)
class Still:
    """An encoded picture: `kind` is "webp" or "jpeg"."""

    kind: str
    width: int
    height: int
    data: bytes


def probe(path: Path) -> VideoFacts:
    """The facts of a video file, or `NotAVideo` naming the file."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.video:
                raise NotAVideo(f"{path.name}: has no picture (not a video)")
            video = container.streams.video[0]
            first = _first_frame(container, video)
            if first is None:
                raise NotAVideo(f"{path.name}: no picture in it can be decoded")
            audio = container.streams.audio[0] if container.streams.audio else None
            return VideoFacts(
                container=_container_name(container.format.name, path),
                video_codec=video.codec_context.name,
                video_profile=video.codec_context.profile or None,
                width=video.codec_context.width,
                height=video.codec_context.height,
                frame_rate=video.average_rate or video.guessed_rate or None,
                scan_type="interlaced" if first.interlaced_frame else "progressive",
                bit_rate=video.bit_rate or container.bit_rate or None,
                duration=_duration(container, video),
                audio_codec=audio.codec_context.name if audio else None,
                audio_channels=audio.codec_context.channels if audio else None,
                audio_sample_rate=audio.codec_context.sample_rate if audio else None,
            )
    except av.FFmpegError as error:
        raise NotAVideo(f"{path.name}: not a video this portal can read ({_reason(error)})") from error


def posters(path: Path, widths: tuple[int, ...]) -> list[Still]:
    """A still from about 10 % into the video, as WebP and JPEG at each width (never enlarged)."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            video = container.streams.video[0]
            moment = (_duration(container, video) or 0) * POSTER_AT
            frame = _frame_at(container, video, moment)
            if frame is None:
                raise NotAVideo(f"{path.name}: no picture in it can be decoded")
    except av.FFmpegError as error:
        raise NotAVideo(f"{path.name}: not a video this portal can read ({_reason(error)})") from error
    stills = []
    for width in widths:
        width, height = _even_size(frame.width, frame.height, width)
        stills.append(Still("webp", width, height, _encode_still(frame, "libwebp", "yuv420p", width, height)))
        stills.append(Still("jpeg", width, height, _encode_still(frame, "mjpeg", "yuvj420p", width, height)))
    return stills


def make_preview(source: Path, target: Path, progress: Callable[[float], None] = lambda seconds: None) -> None:
    """Write a small H.264/AAC MP4 of `source` to `target` for the video page.

    At most `PREVIEW_MAX_WIDTH` wide and `PREVIEW_MAX_BIT_RATE` in all, with
    `moov` first so a browser plays while it loads. The file appears under
    its name only when complete: an interrupted run leaves no half preview.
    `progress` hears the seconds of video done so far.
    """
    partial = target.with_name(target.name + ".part")
    try:
        with av.open(str(source), metadata_errors="ignore") as reading:
            video_in = reading.streams.video[0]
            audio_in = reading.streams.audio[0] if reading.streams.audio else None
            with av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"}) as writing:
                _transcode(reading, video_in, audio_in, writing, progress)
    except av.FFmpegError as error:
        partial.unlink(missing_ok=True)
        raise NotAVideo(f"{source.name}: no preview could be made ({_reason(error)})") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)


def generate_video(target: Path, title: str, *, width: int, height: int, seconds: float = 3, frame_rate=25,
                   codec: str = "libx264", audio: bool = True, colour: str = "#0b4f8a",
                   tone: float = 440.0, faststart: bool = True) -> None:
    """A playable video: a moving test pattern with `title` and a running clock burned in, and a tone.

    `codec` is an FFmpeg encoder ("libx264", "libvpx-vp9", "mpeg4"); sound is
    AAC in MP4 and MOV, Opus in WebM, MP2 elsewhere, or none.
    """
    rate = Fraction(frame_rate).limit_denominator(1001)
    frames = round(seconds * rate)
    options = {"movflags": "+faststart"} if faststart and target.suffix in (".mp4", ".mov") else {}
    with av.open(str(target), "w", options=options) as writing:
        picture = writing.add_stream(codec, rate=rate)
        picture.width, picture.height, picture.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            picture.options = {"preset": "ultrafast"}
        elif codec == "libvpx-vp9":
            picture.options = {"deadline": "realtime", "cpu-used": "8"}
        sound = None
        if audio:
            sound_codec = {".mp4": "aac", ".mov": "aac", ".webm": "libopus"}.get(target.suffix, "mp2")
            sound = writing.add_stream(sound_codec, rate=48_000)
            sound.layout = "stereo"
        pattern = _Pattern(title, width, height, colour)
        samples = 0
        for number in range(frames):
            frame = av.VideoFrame.from_image(pattern.draw(number, rate)).reformat(format="yuv420p")
            frame.pts = number
            frame.time_base = 1 / rate
            writing.mux(picture.encode(frame))
            while sound is not None and samples < (number + 1) * 48_000 / rate:
                writing.mux(sound.encode(_tone_frame(samples, tone, sound.codec_context.frame_size or 1024)))
                samples += sound.codec_context.frame_size or 1024
        writing.mux(picture.encode(None))
        if sound is not None:
            writing.mux(sound.encode(None))


# The work behind the interface.

def _container_name(format_name: str, path: Path) -> str:
    """FFmpeg names a family ("mov,mp4,m4a,…"); the file's suffix picks the member."""
    names = format_name.split(",")
    suffix = path.suffix.lower().lstrip(".")
    if suffix in names:
        return suffix
    if suffix == "mkv" and "matroska" in names:
        return "matroska"
    if suffix in ("m4v", "") and "mp4" in names:
        return "mp4"
    return names[0]


def _duration(container, video) -> float | None:
    if container.duration:
        return container.duration / av.time_base
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return None


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)


def _first_frame(container, video):
    for frame in container.decode(video):
        return frame
    return None


def _frame_at(container, video, moment: float):
    """The first picture at or after `moment` seconds (a seek lands on the keyframe before it)."""
    if moment > 0 and video.time_base:
        try:
            container.seek(int(moment / video.time_base), stream=video, any_frame=False, backward=True)
        except av.FFmpegError:
            container.seek(0)
    last = None
    for frame in container.decode(video):
        last = frame
        if frame.time is None or frame.time >= moment:
            return frame
    return last


def _even_size(width: int, height: int, wanted_width: int) -> tuple[int, int]:
    """At most `wanted_width` wide, the same shape, both sides even (x264 and yuv420p need it)."""
    scale = min(1.0, wanted_width / width)
    new_width = max(2, int(width * scale) // 2 * 2)
    new_height = max(2, round(height * new_width / width / 2) * 2)
    return new_width, new_height


def _encode_still(frame, codec_name: str, pixel_format: str, width: int, height: int) -> bytes:
    encoder = av.CodecContext.create(codec_name, "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, pixel_format
    encoder.time_base = Fraction(1, 25)
    if codec_name == "mjpeg":
        encoder.qscale = True  # a fixed quality, not the default bit rate
        encoder.global_quality = 3 * 118  # FF_QP2LAMBDA × q: q 3 of 1 (best) to 31
    picture = frame.reformat(width=width, height=height, format=pixel_format)
    picture.pts = 0
    return b"".join(bytes(packet) for packet in [*encoder.encode(picture), *encoder.encode(None)])


def _transcode(reading, video_in, audio_in, writing, progress) -> None:
    rate = video_in.average_rate or video_in.guessed_rate or Fraction(25)
    rate = min(Fraction(rate).limit_denominator(1001), Fraction(30))
    width, height = _even_size(video_in.codec_context.width, video_in.codec_context.height, PREVIEW_MAX_WIDTH)
    picture = writing.add_stream("libx264", rate=rate)
    picture.width, picture.height, picture.pix_fmt = width, height, "yuv420p"
    picture_bit_rate = PREVIEW_MAX_BIT_RATE - (PREVIEW_AUDIO_BIT_RATE if audio_in else 0)
    picture.options = {
        "preset": "veryfast", "profile": "main", "crf": "26",
        "maxrate": str(picture_bit_rate), "bufsize": str(picture_bit_rate),
    }
    sound = resampler = None
    if audio_in is not None:
        sample_rate = audio_in.codec_context.sample_rate
        sample_rate = sample_rate if sample_rate in PREVIEW_AUDIO_RATES else 48_000
        sound = writing.add_stream("aac", rate=sample_rate)
        sound.layout = "mono" if audio_in.codec_context.channels == 1 else "stereo"
        sound.bit_rate = PREVIEW_AUDIO_BIT_RATE
        resampler = av.AudioResampler(format="fltp", layout=sound.layout.name, rate=sample_rate, frame_size=1024)
    frame_count = samples = 0
    start = None
    streams = [video_in, *([audio_in] if audio_in is not None else [])]
    for packet in reading.demux(streams):
        for frame in _decoded(packet):
            if packet.stream.type == "video":
                start = frame.time if start is None and frame.time is not None else start
                moment = (frame.time or 0) - (start or 0)
                # Keep the picture in time with the sound: repeat or drop to the preview's rate.
                while frame_count <= moment * rate:
                    scaled = frame.reformat(width=width, height=height, format="yuv420p")
                    scaled.pts, scaled.time_base = frame_count, 1 / rate
                    writing.mux(picture.encode(scaled))
                    frame_count += 1
                progress(moment)
            else:
                frame.pts = None
                for chunk in resampler.resample(frame):
                    chunk.pts, chunk.time_base = samples, Fraction(1, chunk.sample_rate)
                    samples += chunk.samples
                    writing.mux(sound.encode(chunk))
    if resampler is not None:
        for chunk in resampler.resample(None):
            chunk.pts, chunk.time_base = samples, Fraction(1, chunk.sample_rate)
            samples += chunk.samples
            writing.mux(sound.encode(chunk))
        writing.mux(sound.encode(None))
    writing.mux(picture.encode(None))


def _decoded(packet):
    """The frames of a packet; a damaged packet gives none rather than stopping the preview."""
    try:
        return packet.decode()
    except av.InvalidDataError:
        return []


class _Pattern:
    """The demo picture: colour bars sliding by, a ball, the title and a running clock."""

    BARS = ["#c0c0c0", "#c0c000", "#00c0c0", "#00c000", "#c000c0", "#c00000", "#0000c0"]

    def __init__(self, title: str, width: int, height: int, colour: str):
        self.width, self.height = width, height
        self.background = Image.new("RGB", (width * 2, height), colour)
        draw = ImageDraw.Draw(self.background)
        bar = width // len(self.BARS)
        for number in range(len(self.BARS) * 2 + 1):
            left = number * bar
            draw.rectangle([left, height * 2 // 3, left + bar, height], fill=self.BARS[number % len(self.BARS)])
        self.title_font = ImageFont.load_default(size=max(12, height // 14))
        self.clock_font = ImageFont.load_default(size=max(10, height // 10))
        self.title = title

    def draw(self, number: int, rate: Fraction) -> Image.Image:
        seconds = number / rate
        shift = int(seconds * self.width / 4) % (self.width // len(self.BARS) * len(self.BARS))
        image = self.background.crop((shift, 0, shift + self.width, self.height))
        draw = ImageDraw.Draw(image)
        margin = self.height // 20
        draw.text((margin, margin), self.title, font=self.title_font, fill="white")
        draw.text((margin, self.height // 3), f"{int(seconds // 60):02}:{float(seconds % 60):05.2f}",
                  font=self.clock_font, fill="white")
        radius = self.height // 12
        x = self.width / 2 + math.cos(seconds * 2) * self.width / 3
        y = self.height / 2 + math.sin(seconds * 2) * self.height / 8
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill="#ffcc00")
        return image


def _tone_frame(first_sample: int, frequency: float, size: int, rate: int = 48_000):
    """`size` samples of a quiet sine tone in planar float stereo, from sample `first_sample`."""
    wave = array.array("f", (0.2 * math.sin(2 * math.pi * frequency * (first_sample + i) / rate)
                             for i in range(size)))
    frame = av.AudioFrame(format="fltp", layout="stereo", samples=size)
    for plane in frame.planes:
        plane.update(wave.tobytes())
    frame.sample_rate = rate
    frame.pts, frame.time_base = first_sample, Fraction(1, rate)
    return frame

"""The media engine on real files: what it reads from them, what it refuses, and what it makes."""
import io
from fractions import Fraction

import pytest
from PIL import Image

from portal.media import engine


def test_probe_reads_every_fact_of_an_h264_mp4(sample_videos):
    facts = engine.probe(sample_videos["hd.mp4"])
    assert facts.container == "mp4"
    assert (facts.video_codec, facts.video_profile) == ("h264", "Constrained Baseline")
    assert (facts.width, facts.height) == (640, 360)
    assert facts.frame_rate == 25
    assert facts.scan_type == "progressive"
    assert 10_000 < facts.bit_rate < 10_000_000
    assert facts.duration == pytest.approx(2, abs=0.1)
    assert (facts.audio_codec, facts.audio_channels, facts.audio_sample_rate) == ("aac", 2, 48_000)


def test_probe_reads_a_broadcast_frame_rate_in_a_mov(sample_videos):
    facts = engine.probe(sample_videos["ntsc.mov"])
    assert facts.container == "mov"
    assert facts.frame_rate == Fraction(30000, 1001)
    assert (facts.width, facts.height) == (480, 270)


def test_probe_reads_vp9_with_opus_in_webm(sample_videos):
    facts = engine.probe(sample_videos["vp9.webm"])
    assert (facts.container, facts.video_codec, facts.audio_codec) == ("webm", "vp9", "opus")
    assert facts.frame_rate == 30
    assert facts.bit_rate  # Matroska gives none per stream; the file's rate stands in
    assert facts.duration == pytest.approx(1, abs=0.1)


def test_probe_of_a_video_without_sound_has_no_audio_facts(sample_videos):
    facts = engine.probe(sample_videos["silent.mkv"])
    assert (facts.container, facts.video_codec, facts.frame_rate) == ("matroska", "mpeg4", 50)
    assert (facts.width, facts.height) == (322, 180)
    assert (facts.audio_codec, facts.audio_channels, facts.audio_sample_rate) == (None, None, None)


@pytest.mark.parametrize("name", ["notes.mp4", "truncated.mp4"])
def test_probe_refuses_a_file_that_is_not_a_readable_video_naming_it(sample_videos, name):
    with pytest.raises(engine.NotAVideo) as refusal:
        engine.probe(sample_videos[name])
    message = str(refusal.value)
    assert message.startswith(f"{name}: ") and "\n" not in message


def test_posters_are_webp_and_jpeg_images_at_each_width_never_enlarged(sample_videos):
    stills = engine.posters(sample_videos["hd.mp4"], (320, 960))
    assert [(still.kind, still.width, still.height) for still in stills] == [
        ("webp", 320, 180), ("jpeg", 320, 180), ("webp", 640, 360), ("jpeg", 640, 360)]
    for still in stills:
        image = Image.open(io.BytesIO(still.data))
        assert image.format == still.kind.upper()
        assert image.size == (still.width, still.height)
        image.load()


def test_a_poster_of_an_odd_sized_video_has_even_sides(sample_videos):
    [webp, _] = engine.posters(sample_videos["silent.mkv"], (161,))
    assert (webp.width, webp.height) == (160, 90)


def test_the_preview_is_a_small_h264_aac_mp4_that_starts_with_its_index(sample_videos, tmp_path):
    target = tmp_path / "preview.mp4"
    seen = []
    engine.make_preview(sample_videos["hd.mp4"], target, progress=seen.append)
    facts = engine.probe(target)
    assert (facts.container, facts.video_codec, facts.audio_codec) == ("mp4", "h264", "aac")
    assert facts.width <= engine.PREVIEW_MAX_WIDTH
    assert facts.bit_rate <= engine.PREVIEW_MAX_BIT_RATE
    assert facts.duration == pytest.approx(2, abs=0.15)
    data = target.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    assert seen and seen[-1] == pytest.approx(2, abs=0.1)
    assert not list(tmp_path.glob("*.part"))


def test_a_preview_of_a_wide_video_is_640_wide_and_at_most_30_frames_a_second(sample_videos, tmp_path):
    target = tmp_path / "preview.mp4"
    engine.make_preview(sample_videos["wide.mp4"], target)
    facts = engine.probe(target)
    assert (facts.width, facts.height, facts.frame_rate) == (640, 360, 30)


@pytest.mark.parametrize("name", ["silent.mkv", "vp9.webm"])
def test_a_preview_is_made_from_other_codecs_with_or_without_sound(sample_videos, tmp_path, name):
    target = tmp_path / "preview.mp4"
    engine.make_preview(sample_videos[name], target)
    source, preview = engine.probe(sample_videos[name]), engine.probe(target)
    assert (preview.video_codec, preview.width) == ("h264", source.width)
    assert preview.audio_codec == ("aac" if source.audio_codec else None)


def test_an_interrupted_preview_leaves_nothing_behind(sample_videos, tmp_path):
    target = tmp_path / "preview.mp4"

    def interrupt(seconds):
        if seconds > 0.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.make_preview(sample_videos["hd.mp4"], target, progress=interrupt)
    assert list(tmp_path.iterdir()) == []

"""What a visitor sees of a video: posters, the preview player and its captions, and what each file is."""
import hashlib
import re
from fractions import Fraction

from portal.media import describe
from portal.media.models import Rendition


def rendition(**facts):
    defaults = dict(label="HD 1080p", filename="speech.mp4", container="mp4", video_codec="h264", width=1920,
                    height=1080, bit_rate=8_200_000, size=1_200_000_000, frame_rate=25, scan_type="progressive",
                    audio_codec="aac", audio_channels=2)
    return Rendition(**{**defaults, **facts})


def test_a_file_is_described_in_the_words_a_newsroom_uses():
    assert describe.specs(rendition()) == "H.264 · 1920 × 1080 · 25 fps · 8.2 Mbit/s · MP4 · AAC stereo"


def test_the_container_is_not_repeated_when_the_admin_s_label_names_it():
    assert describe.specs(rendition(label="HD 1080p MP4")) == "H.264 · 1920 × 1080 · 25 fps · 8.2 Mbit/s · AAC stereo"


def test_broadcast_rates_interlacing_and_other_codecs_are_named():
    text = describe.specs(rendition(label="Master", video_codec="prores", container="mov", width=1920, height=1080,
                                    frame_rate=Fraction(30000, 1001), scan_type="interlaced", bit_rate=702_000,
                                    audio_codec="pcm_s24le", audio_channels=8))
    assert text == "ProRes · 1920 × 1080 · 29.97 fps interlaced · 702 kbit/s · MOV · PCM 7.1"


def test_the_sound_is_named_by_its_codec_and_channels_or_said_to_be_missing():
    assert describe.audio(rendition(audio_codec="mp3", audio_channels=1)) == "MP3 mono"
    assert describe.audio(rendition(audio_codec="ac3", audio_channels=6)) == "AC-3 5.1"
    assert describe.audio(rendition(audio_codec="pcm_s16le", audio_channels=4)) == "PCM 4 channels"
    assert describe.audio(rendition(audio_codec=None, audio_channels=None)) == "no sound"
    unprobed = rendition(video_codec=None, audio_codec=None, audio_channels=None)
    assert describe.audio(unprobed) is None


def test_a_catalogue_card_shows_the_poster_still_and_the_duration(app, add_sample_video):
    video_id = add_sample_video()
    client = app.test_client()
    html = client.get("/").text
    card = html[html.index('class="card"'):]
    webp = re.search(r'<source type="image/webp" srcset="(/stills/\d+)">', card).group(1)
    jpeg = re.search(r'<img src="(/stills/\d+)" width="320" height="180"', card).group(1)
    assert '<span class="card-duration">0:02</span>' in card
    assert client.get(webp).headers["Content-Type"] == "image/webp"
    assert client.get(jpeg).headers["Content-Type"] == "image/jpeg"
    assert client.get(f"/videos/{video_id}/poster").data.startswith(b"\xff\xd8\xff")


def test_the_video_page_has_a_player_for_the_preview_that_anyone_may_play(app, add_sample_video):
    video_id = add_sample_video()
    client = app.test_client()
    html = client.get(f"/videos/{video_id}").text
    assert re.search(rf'<video class="video-poster" controls preload="none" src="/videos/{video_id}/preview"\s+'
                     rf'poster="/videos/{video_id}/poster"', html)
    whole = client.get(f"/videos/{video_id}/preview")
    assert whole.status_code == 200 and whole.headers["Content-Type"] == "video/mp4"
    part = client.get(f"/videos/{video_id}/preview", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == whole.data[100:200]
    assert part.headers["Accept-Ranges"] == "bytes"


def test_the_player_shows_the_captions_and_the_page_their_text_with_times_markup_as_plain_text(
        app, tmp_path, add_sample_video):
    from helpers import write_captions

    video_id = add_sample_video(captions=write_captions(tmp_path), captions_lang="en-GB")
    html = app.test_client().get(f"/videos/{video_id}").text
    track = re.search(r"<track [^>]*>", html).group(0)
    assert 'kind="captions" default srclang="en-GB" label="English (United Kingdom)"' in track
    assert re.search(rf'src="/videos/{video_id}/captions\.vtt\?v=\w+"', track)
    french = app.test_client().get(f"/videos/{video_id}", headers={"Accept-Language": "fr"}).text
    assert 'label="Anglais (Royaume-Uni)"' in french
    transcript = html[html.index('<section class="transcript cue-transcript"'):]
    transcript = transcript[:transcript.index("</section>")]
    cues = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r"<li>(.*?)</li>", transcript, re.DOTALL)]
    assert cues == ["0:00 Ann &amp; Bob: Good morning.", "0:00 We write &lt;script&gt;alert(1)&lt;/script&gt; as text."]
    assert '<time datetime="PT0.900S">0:00</time>' in transcript
    assert "<b>" not in transcript and "<script>" not in html


def test_the_policy_allows_media_from_the_portal_only(app):
    policy = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "media-src 'self'" in policy and "unsafe-inline" not in policy


def test_a_video_without_a_preview_yet_shows_its_poster_and_its_preview_url_is_a_404(app, add_sample_video):
    video_id = add_sample_video(preview=False)
    client = app.test_client()
    assert "<video" not in client.get(f"/videos/{video_id}").text
    assert client.get(f"/videos/{video_id}/preview").status_code == 404


def test_each_download_says_what_the_file_is_and_its_checksum_can_be_copied(app, add_sample_video, sample_videos):
    video_id = add_sample_video("hd.mp4", "vp9.webm", labels=["HD 360p", "Web VP9"])
    html = app.test_client().get(f"/videos/{video_id}").text
    size = sample_videos["hd.mp4"].stat().st_size / 1000
    assert re.search(rf"Download</span> HD 360p \({size:.1f} kB\)</a>\s*"
                     r"<p [^>]*>H\.264 · 640 × 360 · 25 fps · \d+ kbit/s · MP4 · AAC stereo</p>", html)
    assert re.search(r"Download</span> Web VP9 \([\d.]+ kB\)</a>\s*"
                     r"<p [^>]*>VP9 · 320 × 240 · 30 fps · \d+ kbit/s · WebM · Opus stereo</p>", html)
    checksums = html[html.index('<details class="checksums">'):]
    assert "<summary>SHA-256</summary>" in checksums
    for name in ("hd.mp4", "vp9.webm"):
        digest = hashlib.sha256(sample_videos[name].read_bytes()).hexdigest()
        assert f'value="{digest}"' in checksums

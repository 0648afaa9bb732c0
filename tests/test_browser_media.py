"""The preview player in a real browser: a visitor who has not logged in plays, seeks and sees captions."""
import pytest

from test_browser import app, browse, live_server  # noqa: F401  (the browser tests' app on a live server)

pytestmark = pytest.mark.browser


def test_a_visitor_plays_the_preview_with_its_captions_and_seeks_to_the_middle(  # noqa: F811
        browser, live_server, add_sample_video, tmp_path):
    from helpers import write_captions

    video_id = add_sample_video("hd.mp4", captions=write_captions(tmp_path))
    with browse(browser, live_server) as (page, watch):
        page.goto(f"/videos/{video_id}")
        player = page.locator("video")
        assert player.get_attribute("preload") == "none" and player.get_attribute("poster")
        # Muted, a script may start it without a click (autoplay rules); the controls are there for people.
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.querySelector('video').currentTime > 0.3")
        middle = page.evaluate("""() => new Promise(resolve => {
            const v = document.querySelector('video');
            v.pause();
            v.addEventListener('seeked', () => resolve({time: v.currentTime, duration: v.duration}), {once: true});
            v.currentTime = v.duration / 2;
        })""")
        assert middle["duration"] == pytest.approx(2, abs=0.15)
        assert middle["time"] == pytest.approx(middle["duration"] / 2, abs=0.1)
        page.evaluate("() => document.querySelector('video').play()")
        page.wait_for_function("() => document.querySelector('video').currentTime > 1.2")
        # The captions loaded (readyState 2), under the page's policy, and are shown.
        page.wait_for_function("() => document.querySelector('track').readyState === 2")
        captions = page.evaluate("""() => {
            const track = document.querySelector('video').textTracks[0];
            return {mode: track.mode, kind: track.kind, language: track.language,
                    cues: Array.from(track.cues, cue => cue.text)};
        }""")
        assert captions == {"mode": "showing", "kind": "captions", "language": "en", "cues": [
            "<v Ann &amp; Bob>Good <b>morning</b>.", "We write &lt;script&gt;alert(1)&lt;/script&gt; as text."]}
        assert watch.problems() == []

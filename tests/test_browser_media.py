"""The preview player in a real browser: a visitor who has not logged in plays and seeks."""
import pytest

from test_browser import app, browse, live_server  # noqa: F401  (the browser tests' app on a live server)

pytestmark = pytest.mark.browser


def test_a_visitor_plays_the_preview_and_seeks_to_the_middle(browser, live_server, add_sample_video):  # noqa: F811
    video_id = add_sample_video("hd.mp4")
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
        assert watch.problems() == []

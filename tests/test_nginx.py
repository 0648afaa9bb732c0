"""Downloads offloaded to a real nginx (X-Accel-Redirect), and logs without links."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.auth.accounts import find_user
from portal.media import library, links

from conftest import free_port, test_settings
from helpers import video_bytes

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

if not os.path.exists(NGINX) and os.environ.get("CI") == "true":
    raise RuntimeError("nginx is missing: .ci/run installs it")


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def make_library(app, tmp_path, size=200_000):
    source = tmp_path / "speech.mp4"
    source.write_bytes(video_bytes(size))
    with app.app_context():
        video = library.add_video(library.NewVideo(title="Speech", files=[source], labels=["HD 1080p MP4"]))
        return video.renditions[0].id, source.read_bytes()


def verified_account(app, visitor_factory, inbox):
    from conftest import code_in
    from portal.mail.delivery import deliver_due

    person = visitor_factory(app.test_client(), htmx=False)
    person.register()
    with app.app_context():
        deliver_due()
    person.verify(code_in(inbox.to("ada@example.org")[-1]))


@pytest.fixture
def behind_nginx(tmp_path, inbox):
    """The portal (nginx mode) behind a real nginx on loopback; yields (app, nginx URL)."""
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    media = tmp_path / "media"
    app = create_app(
        test_settings(tmp_path, inbox.port, MEDIA_ROOT=str(media), DOWNLOAD_ACCEL="nginx",
                      DOWNLOAD_ACCEL_PREFIX="/protected-media/"),
        instance_path=str(tmp_path / "instance"),
    )
    app_port, nginx_port = free_port(), free_port()
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = tmp_path / "nginx.conf"
    config.write_text(NGINX_CONF.format(tmp=tmp_path, media=media, port=nginx_port, app_port=app_port,
                                        user="user root;" if os.geteuid() == 0 else ""))
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(tmp_path)], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{nginx_port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/nothing-here", timeout=1)
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.05)
    yield app, url
    nginx.send_signal(signal.SIGQUIT)
    nginx.wait(timeout=10)
    server.shutdown()


NGINX_CONF = """
{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    types {{ video/mp4 mp4; }}
    server {{
        listen 127.0.0.1:{port};
        location /protected-media/ {{
            internal;
            alias {media}/;
        }}
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def test_nginx_sends_the_file_the_portal_authorised(behind_nginx, tmp_path, inbox):
    from conftest import Visitor

    app, url = behind_nginx
    file_id, data = make_library(app, tmp_path)
    verified_account(app, Visitor, inbox)
    with app.app_context():
        link = links.link_for(find_user("ada@example.org"), file_id).replace("http://localhost", url)

    status, headers, body = fetch(link)
    assert status == 200 and body == data
    assert headers["Server"].startswith("nginx")
    assert headers["Content-Disposition"].startswith("attachment")
    assert headers["Content-Type"] == "video/mp4"

    status, headers, body = fetch(link, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]


def test_nginx_gives_nothing_without_authorisation(behind_nginx, tmp_path):
    app, url = behind_nginx
    file_id, _ = make_library(app, tmp_path)
    status, _, body = fetch(f"{url}/d/forged-token")
    assert status == 403 and b"no longer works" in body
    stored = next((tmp_path / "media").rglob("*.mp4")).relative_to(tmp_path / "media")
    assert fetch(f"{url}/protected-media/{stored}")[0] == 404


def test_gunicorn_access_log_never_shows_a_download_link(tmp_path):
    port = free_port()
    log = tmp_path / "access.log"
    environment = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_MAIL_WORKER": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log), "wsgi:app"],
        cwd=ROOT, env=environment, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                fetch(f"http://127.0.0.1:{port}/d/SECRET-TOKEN.abc?x=1")
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    text = log.read_text()
    assert "/d/[redacted]" in text
    assert "SECRET-TOKEN" not in text


def test_gunicorn_access_log_names_the_request_id(tmp_path):
    port = free_port()
    log = tmp_path / "access.log"
    environment = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_MAIL_WORKER": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log), "wsgi:app"],
        cwd=ROOT, env=environment, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                fetch(f"http://127.0.0.1:{port}/healthz", {"X-Request-ID": "probe-17"})
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert "request_id=probe-17" in log.read_text()

"""deploy/nginx.conf, run by a real nginx in front of the portal: TLS, downloads by X-Accel-Redirect,
logs without links."""
import logging
import os
import shutil
import signal
import ssl
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
from helpers import SHUTDOWN_POLL, video_bytes

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
    from portal.mail.delivery import deliver_due

    from conftest import code_in

    person = visitor_factory(app.test_client(), htmx=False)
    person.register()
    with app.app_context():
        deliver_due()
    person.verify(code_in(inbox.to("ada@example.org")[-1]))
    person.accept_terms()


SHIPPED_CONF = ROOT / "deploy" / "nginx.conf"


def shipped_site(tmp_path, media, http_port, https_port, app_port, certificate, key):
    """deploy/nginx.conf as shipped, with only its host-specific values replaced by the test's.

    Each replaced value must occur in the file, so the test fails rather than
    quietly running something else when the shipped file changes. The IPv6
    listens are dropped: test hosts may have no IPv6.
    """
    text = SHIPPED_CONF.read_text()
    replacements = {
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/letsencrypt/live/media.example.org/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/media.example.org/privkey.pem": str(key),
        "/srv/portal/instance/media/": f"{media}/",
        "http://127.0.0.1:8000": f"http://127.0.0.1:{app_port}",
        "/var/log/nginx/": f"{tmp_path}/",
    }
    for shipped, used in replacements.items():
        assert shipped in text, f"deploy/nginx.conf no longer has {shipped!r}"
        text = text.replace(shipped, used)
    return text


def self_signed_certificate(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is missing (apt-get install openssl)")
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
    return certificate, key


class BehindNginx:
    def __init__(self, app, url, plain_url, tmp_path, tls):
        self.app, self.url, self.plain_url, self.tmp_path, self.tls = app, url, plain_url, tmp_path, tls

    def fetch(self, path_or_url, headers=None):
        url = path_or_url if "://" in path_or_url else self.url + path_or_url
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.tls) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def access_log(self):
        return (self.tmp_path / "portal-access.log").read_text()


@pytest.fixture
def behind_nginx(tmp_path, inbox):
    """The portal (nginx mode, one proxy) behind a real nginx running deploy/nginx.conf, over TLS."""
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    certificate, key = self_signed_certificate(tmp_path)
    media = tmp_path / "media"
    app = create_app(
        test_settings(tmp_path, inbox.port, MEDIA_ROOT=str(media), DOWNLOAD_ACCEL="nginx",
                      DOWNLOAD_ACCEL_PREFIX="/protected-media/", PROXY_COUNT=1),
        instance_path=str(tmp_path / "instance"),
    )
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL}, daemon=True).start()
    site = tmp_path / "portal-site.conf"
    site.write_text(shipped_site(tmp_path, media, http_port, https_port, app_port, certificate, key))
    config = tmp_path / "nginx.conf"
    config.write_text(MAIN_CONF.format(tmp=tmp_path, site=site, user="user root;" if os.geteuid() == 0 else ""))
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(tmp_path)], stderr=subprocess.PIPE)
    tls = ssl.create_default_context(cafile=str(certificate))
    proxied = BehindNginx(app, f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", tmp_path, tls)
    for _ in range(100):
        try:
            urllib.request.urlopen(proxied.url + "/nothing-here", timeout=1, context=tls)
        except urllib.error.HTTPError:
            break
        except OSError:
            assert nginx.poll() is None, nginx.stderr.read().decode()
            time.sleep(0.05)
    yield proxied
    nginx.send_signal(signal.SIGTERM)  # fast: a graceful quit waits out lingering connections
    nginx.wait(timeout=10)
    server.shutdown()


# What Debian's /etc/nginx/nginx.conf gives a site (gzip on included), with paths of the test's own.
MAIN_CONF = """
{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    access_log {tmp}/nginx-access.log;
    gzip on;
    include {site};
}}
"""


def test_nginx_sends_the_file_the_portal_authorised(behind_nginx, tmp_path, inbox):
    from conftest import Visitor

    app = behind_nginx.app
    file_id, data = make_library(app, tmp_path)
    verified_account(app, Visitor, inbox)
    with app.app_context():
        link = links.link_for(find_user("ada@example.org"), file_id).replace("http://localhost", behind_nginx.url)

    status, headers, body = behind_nginx.fetch(link)
    assert status == 200 and body == data
    assert headers["Server"].startswith("nginx")
    assert headers["Content-Disposition"].startswith("attachment")
    assert headers["Content-Type"] == "video/mp4"
    assert headers["Strict-Transport-Security"] == "max-age=63072000"

    status, headers, body = behind_nginx.fetch(link, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]

    token = link.rsplit("/", 1)[1]
    log = behind_nginx.access_log()
    assert "/d/[redacted]" in log and token not in log


def test_nginx_gives_nothing_without_authorisation(behind_nginx, tmp_path):
    make_library(behind_nginx.app, tmp_path)
    status, _, body = behind_nginx.fetch("/d/forged-token")
    assert status == 403 and b"no longer works" in body
    stored = next((tmp_path / "media").rglob("*.mp4")).relative_to(tmp_path / "media")
    assert behind_nginx.fetch(f"/protected-media/{stored}")[0] == 404


def test_plain_http_is_sent_to_https(behind_nginx):
    request = urllib.request.Request(behind_nginx.plain_url + "/videos?q=x")
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=10)
    assert answer.value.code == 301
    assert (answer.value.headers["Location"].startswith("https://")
            and answer.value.headers["Location"].endswith("/videos?q=x"))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_pages_carry_hsts_and_the_portals_own_headers(behind_nginx):
    status, headers, _ = behind_nginx.fetch("/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=63072000"
    assert headers.get_all("Content-Security-Policy") and len(headers.get_all("Content-Security-Policy")) == 1


def test_pages_are_never_compressed_but_styles_are(behind_nginx):
    _, page, _ = behind_nginx.fetch("/", {"Accept-Encoding": "gzip"})
    _, style, _ = behind_nginx.fetch("/static/app.css", {"Accept-Encoding": "gzip"})
    assert page["Content-Encoding"] is None
    assert style["Content-Encoding"] == "gzip"


def test_one_request_id_in_nginxs_log_the_portals_log_and_the_answer(behind_nginx, caplog):
    caplog.set_level(logging.INFO, logger="portal")
    _, headers, _ = behind_nginx.fetch("/healthz")
    request_id = headers["X-Request-ID"]
    assert len(request_id) == 32
    assert any(getattr(record, "request_id", None) == request_id for record in caplog.records)
    for _ in range(50):  # nginx writes its line once the answer is out
        if f"request_id={request_id}" in behind_nginx.access_log():
            break
        time.sleep(0.05)
    assert f"request_id={request_id}" in behind_nginx.access_log()


def test_a_request_line_too_long_for_gunicorn_is_answered_by_nginx_with_security_headers(behind_nginx):
    status, headers, body = behind_nginx.fetch("/videos?q=" + "x" * 6000)
    assert status == 414 and b"too long" in body
    assert headers["Server"].startswith("nginx")
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"] == "max-age=63072000"


def test_a_body_over_the_portals_limit_is_refused_by_nginx(behind_nginx):
    request = urllib.request.Request(behind_nginx.url + "/login", data=b"x" * 100_000, method="POST")
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10, context=behind_nginx.tls)
    assert answer.value.code == 413 and answer.value.headers["Server"].startswith("nginx")


def gunicorn_access_log(tmp_path, path: str, headers: dict | None = None) -> str:
    """Serve `wsgi:app` with gunicorn and the repository's gunicorn.conf.py, ask it `path` once; its access log."""
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
                fetch(f"http://127.0.0.1:{port}{path}", headers)
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    return log.read_text()


def test_gunicorn_access_log_never_shows_a_download_link(tmp_path):
    text = gunicorn_access_log(tmp_path, "/d/SECRET-TOKEN.abc?x=1")
    assert "/d/[redacted]" in text
    assert "SECRET-TOKEN" not in text


def test_gunicorn_access_log_names_the_request_id(tmp_path):
    assert "request_id=probe-17" in gunicorn_access_log(tmp_path, "/healthz", {"X-Request-ID": "probe-17"})

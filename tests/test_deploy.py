"""The deployment guide and the files it installs agree with the portal (nginx.conf itself: test_nginx.py)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "deploy.md").read_text()


def test_the_readme_links_the_guide():
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text()


def test_every_file_the_guide_installs_exists():
    named = set(re.findall(r"deploy/[\w.-]+", GUIDE))
    assert {"deploy/nginx.conf", "deploy/portal.service", "deploy/portal.env"} <= named
    assert all((ROOT / path).is_file() for path in named)


def test_the_service_runs_gunicorn_on_wsgi_app_with_the_settings_file():
    unit = (ROOT / "deploy" / "portal.service").read_text()
    [start] = re.findall(r"^ExecStart=(.*)$", unit, re.M)
    assert "gunicorn" in start and start.endswith(" wsgi:app") and "127.0.0.1:8000" in start
    assert "EnvironmentFile=/etc/portal/portal.env" in unit
    assert "proxy_pass http://127.0.0.1:8000;" in (ROOT / "deploy" / "nginx.conf").read_text()


def test_every_setting_in_the_example_settings_file_is_a_setting_of_the_portal(app):
    names = re.findall(r"^#? ?PORTAL_(\w+)=", (ROOT / "deploy" / "portal.env").read_text(), re.M)
    assert "PROXY_COUNT" in names and "DOWNLOAD_ACCEL" in names
    known = set(app.config) | {"INSTANCE_PATH"}
    assert [name for name in names if name not in known] == []


def test_the_guide_explains_who_answers_an_over_long_request_line():
    gunicorn_conf = (ROOT / "gunicorn.conf.py").read_text()
    nginx_conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "limit_request_line = 8190" in gunicorn_conf and "large_client_header_buffers 4 4k;" in nginx_conf
    assert "limit_request_line = 8190" in GUIDE and "large_client_header_buffers 4 4k" in GUIDE

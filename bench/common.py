"""Shared pieces of the benchmarks: servers on loopback, a verified account, timing."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def gunicorn(instance: Path, port: int, app: str = "wsgi:app", workers: int = 2, log: Path | None = None,
             **settings):
    """gunicorn with this repository's gunicorn.conf.py; its output goes to `log` if given."""
    environment = {**os.environ, "PORTAL_INSTANCE_PATH": str(instance), "PORTAL_MAIL_WORKER": "false"}
    environment.update({f"PORTAL_{key}": str(value) for key, value in settings.items()})
    output = open(log, "wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}", app],
        cwd=ROOT, env=environment, stdout=output, stderr=output,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        if log:
            output.close()


def worker_pids(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextmanager
def nginx(workdir: Path, server_block: str):
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    config.write_text(f"""
{user}
daemon off;
worker_processes 2;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    types {{ video/mp4 mp4; video/x-matroska mkv; }}
    {server_block}
}}
""")
    process = subprocess.Popen([NGINX, "-c", str(config), "-p", str(workdir)])
    time.sleep(0.5)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def portal_app(instance: Path, **settings):
    from portal import create_app

    return create_app({"MAIL_WORKER": False, **settings}, instance_path=str(instance))


def verified_user(app, email="bench@example.org"):
    """A verified account made directly (the benchmark is not about registering)."""
    from portal.auth import passwords
    from portal.clock import now
    from portal.extensions import db
    from portal.models import User

    with app.app_context():
        user = User(email=email, full_name="Bench", password_hash=passwords.hash_password("Bench-Password-1"),
                    verified_at=now())
        db.session.add(user)
        db.session.commit()
        return user.id

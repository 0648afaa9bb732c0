"""Download speed and memory: the portal against nginx, pair by pair, on loopback.

    .venv/bin/python bench/downloads.py            # 1 GiB file, 5 rounds
    BENCH_FILE_MIB=256 BENCH_ROUNDS=3 .venv/bin/python bench/downloads.py

Needs curl and nginx (Debian's packages). The file is a video the library can
probe (bench/ingest.py's uncompressed 1080p master, about BENCH_FILE_MIB MiB,
at least a second of it), linked for an account that accepted the terms of
use. Prints, per round, the time of the same file fetched (a) from the portal
under plain gunicorn with a personal link, (b) straight from nginx with
sendfile, (c) through nginx in front of the portal with
PORTAL_DOWNLOAD_ACCEL=nginx; then the median ratios of speeds (portal /
nginx), the growth of the serving worker's resident memory during a
download, and the catalogue page's latency while 20 downloads run at once.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import free_port, gunicorn, median, nginx, portal_app, rss_kib, verified_user, worker_pids
from ingest import make_master

MIB = 1024 * 1024


def curl_seconds(url: str) -> float:
    started = time.perf_counter()
    subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", url], check=True)
    return time.perf_counter() - started


def setup(scratch: Path, mib: int, portal_port: int):
    from portal.extensions import db
    from portal.media import library, links, terms
    from portal.models import User

    instance = scratch / "instance"
    app = portal_app(instance, PUBLIC_URL=f"http://127.0.0.1:{portal_port}")
    source = scratch / "big.mkv"
    make_master(source, mib)  # the library probes what it adds: a real video, not random bytes
    user_id = verified_user(app)
    with app.app_context():
        video = library.add_video(library.NewVideo(title="Benchmark", files=[source], labels=["HD 1080p MP4"]))
        rendition = video.renditions[0]
        user = db.session.get(User, user_id)
        terms.accept(user, "Benchmark")  # a personal link serves only someone who accepted the terms of use
        path = links.link_for(user, rendition.id).split("/d/", 1)[1]
        return instance, rendition.stored_path, path


def peak_rss_growth(master, url: str) -> float:
    pids = worker_pids(master)
    before = {pid: rss_kib(pid) for pid in pids}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in pids:
                peak[pid] = max(peak[pid], rss_kib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    curl_seconds(url)
    done.set()
    sampler.join()
    return max(peak[pid] - before[pid] for pid in pids) / 1024


def catalogue_latency_during(urls: list[str], page: str) -> list[float]:
    downloads = [subprocess.Popen(["curl", "-sS", "-o", "/dev/null", url]) for url in urls]
    latencies = []
    while any(process.poll() is None for process in downloads):
        started = time.perf_counter()
        urllib.request.urlopen(page, timeout=60).read()
        latencies.append(time.perf_counter() - started)
        time.sleep(0.1)
    return latencies


def main() -> None:
    mib = int(os.environ.get("BENCH_FILE_MIB", "1024"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    portal_port, nginx_port, accel_port, accel_app_port = (free_port() for _ in range(4))
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
        scratch = Path(folder)
        instance, stored, token = setup(scratch, mib, portal_port)
        media = instance / "media"
        servers = f"""
    server {{ listen 127.0.0.1:{nginx_port}; location /files/ {{ alias {media}/; }} }}
    server {{
        listen 127.0.0.1:{accel_port};
        location /protected-media/ {{ internal; alias {media}/; }}
        location / {{ proxy_pass http://127.0.0.1:{accel_app_port}; proxy_buffering off; }}
    }}"""
        portal_url = f"http://127.0.0.1:{portal_port}/d/{token}"
        nginx_url = f"http://127.0.0.1:{nginx_port}/files/{stored}"
        accel_url = f"http://127.0.0.1:{accel_port}/d/{token}"
        with gunicorn(instance, portal_port) as plain, \
                gunicorn(instance, accel_app_port, DOWNLOAD_ACCEL="nginx"), \
                nginx(scratch / "nginx", servers):
            for url in (portal_url, nginx_url, accel_url):
                curl_seconds(url)  # warm the page cache and the servers
            size = (media / stored).stat().st_size / MIB
            print(f"{size:.0f} MiB file, {rounds} rounds (seconds: portal, nginx, portal+nginx offload)")
            plain_ratios, accel_ratios = [], []
            for number in range(rounds):
                portal, direct, accel = curl_seconds(portal_url), curl_seconds(nginx_url), curl_seconds(accel_url)
                plain_ratios.append(direct / portal)
                accel_ratios.append(direct / accel)
                print(f"  round {number + 1}: {portal:.3f} {direct:.3f} {accel:.3f}")
            print(f"speed ratio portal / nginx:                 {median(plain_ratios):.3f}  (target >= 0.9)")
            print(f"speed ratio portal+X-Accel-Redirect / nginx: {median(accel_ratios):.3f}  (target >= 0.97)")
            growth = peak_rss_growth(plain, portal_url)
            print(f"worker resident memory growth during a download: {growth:.1f} MiB  (target < 20)")
            latencies = catalogue_latency_during([portal_url] * 20, f"http://127.0.0.1:{portal_port}/")
            print(f"catalogue page during 20 concurrent downloads: {len(latencies)} requests, "
                  f"median {median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())

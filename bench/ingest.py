"""Ingesting a big master: time and peak memory against sha256sum and a bare PyAV probe.

    .venv/bin/python bench/ingest.py                       # 1 GiB master, 3 rounds
    .venv/bin/python bench/ingest.py --size 64 --rounds 1  # a quick check
    .venv/bin/python bench/ingest.py --file master.mkv     # an existing file instead

Makes (unless `--file`) an uncompressed 1080p25 master with PyAV: `rawvideo`
yuv420p pictures and 16-bit PCM stereo sound in Matroska, `--size` MiB
(default 1024), in a temporary folder that is removed at the end. Then, round
by round, each step in a fresh process (so its peak memory is its own):

  (a) `sha256sum FILE`, the coreutils binary;
  (b) a bare PyAV probe: `av.open(FILE)` and the stream facts, nothing decoded;
  (c) the portal's ingest of the file: `library.add_video` with one rendition
      (probe, copy into the media root with SHA-256 taken on the way, stills,
      search index, database) in an app with its own temporary instance
      folder and SQLite database;

and once, after the rounds, (d) the preview: `engine.make_preview` of the file.
Seconds are those of the step itself, timed inside the process (starting
Python and importing the portal are left out, and shown apart as the
process's own wall time); for sha256sum, the whole process. Peak memory is the
process's maximum resident set (VmHWM: read by the child itself for Python,
polled from /proc for sha256sum); growth is how far the resident set rose
during the step above where it stood just before it (the high-water mark is
reset through /proc/self/clear_refs first).
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

from common import ROOT, median

MIB = 1024 * 1024
WIDTH, HEIGHT, RATE = 1920, 1080, 25
SAMPLE_RATE = 48_000


# The master.

def make_master(path: Path, mib: int) -> None:
    """An uncompressed 1080p25 master of about `mib` MiB: moving bars and a tone, in Matroska."""
    import av
    from PIL import Image, ImageDraw

    picture_bytes = WIDTH * HEIGHT * 3 // 2  # yuv420p
    sound_bytes_per_frame = SAMPLE_RATE // RATE * 2 * 2  # s16 stereo
    frames = max(RATE, round(mib * MIB / (picture_bytes + sound_bytes_per_frame)))
    # A second of distinct pictures, shown over and over: enough for stills and a preview to have work.
    pictures = []
    for number in range(RATE):
        image = Image.new("RGB", (WIDTH, HEIGHT), "#0b4f8a")
        draw = ImageDraw.Draw(image)
        for bar in range(8):
            left = (bar * 240 + number * 24) % (WIDTH + 240) - 240
            draw.rectangle([left, HEIGHT * 2 // 3, left + 120, HEIGHT], fill=f"#{(bar * 37) % 256:02x}c0{bar * 30:02x}")
        x = 200 + number * 60
        draw.ellipse([x, 300, x + 160, 460], fill="#ffcc00")
        pictures.append(av.VideoFrame.from_image(image).reformat(format="yuv420p"))
    sound_bytes = bytes(range(256)) * (sound_bytes_per_frame // 256)
    with av.open(str(path), "w", format="matroska") as writing:
        video = writing.add_stream("rawvideo", rate=RATE)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = writing.add_stream("pcm_s16le", rate=SAMPLE_RATE)
        audio.layout = "stereo"
        for number in range(frames):
            frame = pictures[number % RATE]
            frame.pts, frame.time_base = number, Fraction(1, RATE)
            writing.mux(video.encode(frame))
            sound = av.AudioFrame(format="s16", layout="stereo", samples=SAMPLE_RATE // RATE)
            sound.planes[0].update(sound_bytes)
            sound.sample_rate = SAMPLE_RATE
            sound.pts, sound.time_base = number * (SAMPLE_RATE // RATE), Fraction(1, SAMPLE_RATE)
            writing.mux(audio.encode(sound))
        writing.mux(video.encode(None))
        writing.mux(audio.encode(None))


# The steps, each run in a child process: `python bench/ingest.py --step NAME FILE SCRATCH`.

def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _measured(work) -> dict:
    """Run `work()`: its seconds, and how far the resident set rose above where it stood."""
    peak_before = _status_kib("VmHWM")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current resident set
        reset = True
    except OSError:
        reset = False
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    details = work() or {}
    seconds = time.perf_counter() - started
    peak_during = _status_kib("VmHWM")
    growth = (peak_during - before) / 1024 if reset else None
    return {"seconds": seconds, "growth_mib": growth, "own_peak_mib": max(peak_before, peak_during) / 1024, **details}


def step_probe(path: Path, scratch: Path) -> dict:
    import av

    def work():
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            facts = (container.format.name, video.codec_context.name, video.codec_context.width,
                     video.codec_context.height, video.average_rate, container.duration, container.bit_rate,
                     [(audio.codec_context.name, audio.codec_context.sample_rate) for audio in container.streams.audio])
        return {"facts": repr(facts)}

    return _measured(work)


def _app(scratch: Path):
    sys.path.insert(0, str(ROOT))
    from portal import create_app

    return create_app({"MAIL_WORKER": False}, instance_path=str(scratch / "instance"))


def step_ingest(path: Path, scratch: Path) -> dict:
    from portal.media import engine, library, storage

    app = _app(scratch)
    parts = {"probe": 0.0, "copy_sha256": 0.0, "stills": 0.0}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[name] += time.perf_counter() - started
        return wrapper

    engine.probe = timed("probe", engine.probe)
    storage.store_copy = timed("copy_sha256", storage.store_copy)
    engine.posters = timed("stills", engine.posters)
    with app.app_context():
        library.videos()  # the database is open and its tables made before the clock starts

        def work():
            video = library.add_video(library.NewVideo(title="Benchmark master", files=[path], labels=["Master"]))
            rendition = video.renditions[0]
            return {"sha256": rendition.sha256, "stored_bytes": storage.size(rendition.stored_path),
                    "stills": len(video.stills)}

        result = _measured(work)
    return {**result, "parts": parts}


def step_preview(path: Path, scratch: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from portal.media import engine

    target = scratch / "preview.mp4"
    result = _measured(lambda: engine.make_preview(path, target))
    result["preview_bytes"] = target.stat().st_size
    return result


STEPS = {"probe": step_probe, "ingest": step_ingest, "preview": step_preview}


# The parent: runs the steps, each in a child process.

def run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident MiB and standard output of `command`.

    The peak is the child's VmHWM, read from /proc every few milliseconds
    until it ends (the last reading counts). Not wait4's ru_maxrss: Linux
    carries the parent's high-water mark into it across fork and exec.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    status_file = Path(f"/proc/{process.pid}/status")
    peak_kib = 0
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read()))
    reader.start()
    while process.poll() is None:
        try:
            peak_kib = max(peak_kib, *(int(line.split()[1]) for line in status_file.read_text().splitlines()
                                        if line.startswith("VmHWM:")))
        except (OSError, ValueError, TypeError):
            pass
        time.sleep(0.005)
    wall = time.perf_counter() - started
    reader.join()
    if process.returncode:
        raise RuntimeError(f"{command} failed ({process.returncode})")
    return wall, peak_kib / 1024, b"".join(chunks).decode()


def sha256sum(path: Path) -> dict:
    wall, peak, output = run(["sha256sum", str(path)])
    return {"seconds": wall, "wall": wall, "peak_mib": peak, "growth_mib": None, "sha256": output.split()[0]}


def python_step(name: str, path: Path, scratch_parent: Path) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch_parent))
    try:
        wall, peak, output = run([sys.executable, __file__, "--step", name, str(path), str(scratch)])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # the 1 GiB copy goes with the instance folder
    reported = json.loads(output.strip().splitlines()[-1])
    # The child's own reading is exact; the parent's polling can miss the last moments.
    return {**reported, "wall": wall, "peak_mib": max(peak, reported["own_peak_mib"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1024, help="MiB of the master to make (default 1024)")
    parser.add_argument("--file", type=Path, help="use this video instead of making one")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a)-(c) (default 3)")
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary folder goes (default $TMPDIR)")
    parser.add_argument("--no-preview", action="store_true", help="leave out (d)")
    parser.add_argument("--step", nargs=3, metavar=("NAME", "FILE", "SCRATCH"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.step:
        name, path, scratch = arguments.step
        print(json.dumps(STEPS[name](Path(path), Path(scratch)), default=str))
        return 0

    with tempfile.TemporaryDirectory(prefix="ingest-bench-", dir=arguments.dir) as folder:
        scratch = Path(folder)
        if arguments.file:
            path = arguments.file.resolve()
            print(f"file: {path}")
        else:
            path = scratch / "master.mkv"
            started = time.perf_counter()
            make_master(path, arguments.size)
            print(f"made {path.name}: rawvideo yuv420p 1920x1080 25 fps + pcm_s16le stereo in Matroska, "
                  f"in {time.perf_counter() - started:.1f} s")
        size = path.stat().st_size
        print(f"size: {size / MIB:.0f} MiB; {arguments.rounds} rounds of (a) sha256sum, (b) bare probe, "
              f"(c) portal ingest, each in a fresh process")
        expected = sha256sum(path)["sha256"]  # also brings the file into the page cache for every step alike
        results = {"sha256sum": [], "probe": [], "ingest": []}
        for number in range(arguments.rounds):
            results["sha256sum"].append(sha256sum(path))
            results["probe"].append(python_step("probe", path, scratch))
            results["ingest"].append(python_step("ingest", path, scratch))
            ingest = results["ingest"][-1]
            if ingest["sha256"] != expected or ingest["stored_bytes"] != size:
                raise RuntimeError("the portal's copy or checksum differs from sha256sum's")
            parts = ingest["parts"]
            print(f"  round {number + 1}: sha256sum {results['sha256sum'][-1]['seconds']:.2f} s, "
                  f"probe {results['probe'][-1]['seconds']:.3f} s, ingest {ingest['seconds']:.2f} s "
                  f"(probe {parts['probe']:.2f}, copy+sha256 {parts['copy_sha256']:.2f}, "
                  f"stills {parts['stills']:.2f})")
        preview = None if arguments.no_preview else python_step("preview", path, scratch)

        def middle(name, key):
            values = [result[key] for result in results[name] if result[key] is not None]
            return median(values) if values else None

        rows = [(label, middle(name, "seconds"), middle(name, "wall"), middle(name, "peak_mib"),
                 middle(name, "growth_mib"))
                for label, name in (("(a) sha256sum", "sha256sum"), ("(b) bare PyAV probe", "probe"),
                                    ("(c) portal ingest", "ingest"))]
        if preview:
            rows.append(("(d) preview, once", preview["seconds"], preview["wall"], preview["peak_mib"],
                         preview["growth_mib"]))
        print(f"\n{'step (medians)':<22} {'seconds':>8} {'process s':>10} {'peak MiB':>9} {'growth MiB':>11}")
        for label, seconds, wall, peak, growth in rows:
            growth_text = f"{growth:11.1f}" if growth is not None else f"{'-':>11}"
            print(f"{label:<22} {seconds:8.3f} {wall:10.2f} {peak:9.1f} {growth_text}")
        sha, probe, ingest = (middle(name, "seconds") for name in ("sha256sum", "probe", "ingest"))
        ratios = [ingest_round["seconds"] / sha_round["seconds"]
                  for ingest_round, sha_round in zip(results["ingest"], results["sha256sum"], strict=True)]
        both = [ingest_round["seconds"] / (sha_round["seconds"] + probe_round["seconds"])
                for ingest_round, sha_round, probe_round in zip(results["ingest"], results["sha256sum"],
                                                                results["probe"], strict=True)]
        print(f"\ningest / sha256sum:                 {median(ratios):.2f}  (per round: "
              f"{', '.join(f'{ratio:.2f}' for ratio in ratios)})")
        print(f"ingest / (sha256sum + bare probe):  {median(both):.2f}")
        print(f"ingest's parts (medians): probe {middle_part(results, 'probe'):.2f} s, "
              f"copy+sha256 {middle_part(results, 'copy_sha256'):.2f} s, stills {middle_part(results, 'stills'):.2f} s")
        print(f"peak memory, ingest - bare probe:   "
              f"{middle('ingest', 'peak_mib') - middle('probe', 'peak_mib'):+.1f} MiB "
              f"(ingest {middle('ingest', 'peak_mib'):.1f}, probe {middle('probe', 'peak_mib'):.1f}, "
              f"sha256sum {middle('sha256sum', 'peak_mib'):.1f})")
        print(f"memory growth during ingest:        {middle('ingest', 'growth_mib'):.1f} MiB "
              f"(bare probe {middle('probe', 'growth_mib'):.1f} MiB)")
        if preview:
            print(f"preview: {preview['seconds']:.1f} s = {preview['seconds'] / sha:.1f} x sha256sum, "
                  f"{preview['preview_bytes'] / MIB:.1f} MiB MP4, peak {preview['peak_mib']:.0f} MiB")
    return 0


def middle_part(results, part: str) -> float:
    return median([result["parts"][part] for result in results["ingest"]])


if __name__ == "__main__":
    sys.exit(main())

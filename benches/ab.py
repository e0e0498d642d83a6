#!/usr/bin/env python3
"""A/B benchmark: pylock against uv on the same fixture indexes, served on loopback.

    python3 benches/ab.py [--runs N] [--sets black,trio,jupyter,boto,large,backtrack] [--delay-ms MS]
                          [--pylock target/release/pylock] [--uv PATH]

For every fixture set (fixtures/realworld/<set>) and mode (universal; CPython 3.12 on Linux),
each tool runs cold (empty cache, no lock), warm (cache from the previous run, no lock) and
relock (warm cache, the tool's own previous lock in place: uv reads it as preferences)
and check (pylock `resolve --check` against the lock the relock left, which writes nothing;
uv has no check for `uv pip compile`, so its column is the same re-lock again),
alternating A B A B so that machine noise hits both. Reports the median wall time, the pylock/uv ratio and
the peak RSS of each. The index is served by benches/serve.py (HTTP/1.1 keep-alive,
TCP_NODELAY); --delay-ms adds latency per response to imitate a remote index.
uv is installed into benches/.venv from PyPI when --uv is not given.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_uv() -> str:
    venv = ROOT / "benches" / ".venv"
    uv = venv / "bin" / "uv"
    if not uv.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "uv==0.13.8"], check=True)
    return str(uv)


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sets", default="black,trio,jupyter,boto,large,backtrack")
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--pylock", default=str(ROOT / "target" / "release" / "pylock"))
    ap.add_argument("--uv")
    args = ap.parse_args()
    uv = args.uv or ensure_uv()
    work = Path(tempfile.mkdtemp(prefix="pylock-ab-"))
    print(f"| set | mode | cache | pylock median | uv median | pylock/uv | pylock RSS | uv RSS |")
    print(f"|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        fixture = ROOT / "fixtures" / "realworld" / name
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "benches" / "serve.py"), str(fixture / "index"),
             "--delay-ms", str(args.delay_ms)],
            stdout=subprocess.PIPE, text=True)
        url = server.stdout.readline().strip()
        reqs = str(fixture / "requirements.in")
        try:
            for mode, pylock_target, uv_target in [
                ("universal", ["--requires-python", ">=3.10"], ["--universal", "--python-version", "3.10"]),
                ("linux-3.12", ["--python-version", "3.12", "--python-platform", "linux"],
                 ["--python-version", "3.12", "--python-platform", "linux"]),
            ]:
                states = ("cold", "warm", "relock", "check")
                times = {(t, c): [] for t in ("pylock", "uv") for c in states}
                rss = {"pylock": 0, "uv": 0}
                for i in range(args.runs):
                    for tool in ("pylock", "uv"):
                        cache = work / f"{tool}-cache"
                        shutil.rmtree(cache, ignore_errors=True)
                        out = work / tool
                        out.mkdir(exist_ok=True)
                        if tool == "pylock":
                            cmd = [args.pylock, "resolve", "-r", reqs, "--index-url", url, "--cache-dir", str(cache),
                                   "-o", str(out / "pylock.toml"), "-q", *pylock_target]
                        else:
                            cmd = [uv, "pip", "compile", reqs, "--index-url", url, "--cache-dir", str(cache),
                                   "--format", "pylock.toml", "-o", str(out / "pylock.toml"), "--no-config",
                                   "--python", sys.executable, "-q", *uv_target]
                        for cache_state in states:
                            if cache_state in ("cold", "warm"):
                                (out / "pylock.toml").unlink(missing_ok=True)
                            check = ["--check"] if tool == "pylock" and cache_state == "check" else []
                            t, m = run(cmd + check)
                            times[(tool, cache_state)].append(t)
                            rss[tool] = max(rss[tool], m)
                for c in states:
                    p = statistics.median(times[("pylock", c)])
                    u = statistics.median(times[("uv", c)])
                    print(f"| {name} | {mode} | {c} | {p * 1000:.0f} ms | {u * 1000:.0f} ms | {p / u:.2f} | "
                          f"{rss['pylock'] / 1024:.0f} MB | {rss['uv'] / 1024:.0f} MB |", flush=True)
        finally:
            server.terminate()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

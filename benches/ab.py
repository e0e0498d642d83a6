#!/usr/bin/env python3
"""A/B benchmark: pylock against uv on the same fixture indexes, served on loopback.

    python3 benches/ab.py [--runs N] [--sets black,trio,jupyter,boto,large,backtrack] [--delay-ms MS]
                          [--modes universal,linux-3.12,linux-3.11] [--servers pypi,bare]
                          [--states cold,warm,relock,check] [--live REQ]...
                          [--pylock target/release/pylock] [--uv PATH]

For every fixture set (fixtures/realworld/<set>), server and mode, each tool runs in the
given states, alternating A B A B so that machine noise hits both:

- cold: empty cache, no lock (fresh);
- warm: the cache the cold run left, no lock (fresh);
- relock: warm cache, the tool's own previous lock in place (uv reads it as preferences);
- check: pylock `resolve --check` against the lock the relock left, which writes nothing; uv
  has no check for `uv pip compile`, so its column is the same re-lock again.

Modes: `universal` (requires-python >=3.10), `linux-3.12` and `linux-3.11` (CPython X.Y on
Linux; linux-3.11 is the held-back harness's). Servers (benches/serve.py: HTTP/1.1
keep-alive, TCP_NODELAY): `pypi` sends PyPI's caching headers (Cache-Control: max-age=600,
ETag), `bare` sends none. `--harness` is `--modes universal,linux-3.11 --servers pypi,bare
--states cold,warm` (the held-back harness's rows). --delay-ms adds latency per response to
imitate a remote index.

Reports, per row, the median wall time, the pylock/uv ratio and each tool's peak RSS over
that row's runs. `--live REQ` (repeatable) resolves REQ universally against the live PyPI
instead of fixture sets (cold and warm; opt-in: needs the network).
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

STATES = ("cold", "warm", "relock", "check")

# mode -> (pylock target flags, uv target flags)
MODES = {
    "universal": (["--requires-python", ">=3.10"], ["--universal", "--python-version", "3.10"]),
    "linux-3.12": (["--python-version", "3.12", "--python-platform", "linux"],
                   ["--python-version", "3.12", "--python-platform", "linux"]),
    "linux-3.11": (["--python-version", "3.11", "--python-platform", "linux"],
                   ["--python-version", "3.11", "--python-platform", "linux"]),
}

SERVERS = {"pypi": [], "bare": ["--no-cache-headers"]}


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


def split(value: str, known, what: str) -> list[str]:
    items = [v for v in value.split(",") if v]
    for v in items:
        if known is not None and v not in known:
            raise SystemExit(f"unknown {what} `{v}` (known: {', '.join(known)})")
    return items


def measure(args, uv: str, work: Path, label: str, reqs: list[str], url: list[str], mode: str,
            states: list[str]) -> None:
    """Runs both tools `args.runs` times through `states` and prints one row per state."""
    pylock_target, uv_target = MODES[mode]
    times = {(t, c): [] for t in ("pylock", "uv") for c in states}
    rss = {(t, c): 0 for t in ("pylock", "uv") for c in states}
    for _ in range(args.runs):
        for tool in ("pylock", "uv"):
            cache = work / f"{tool}-cache"
            shutil.rmtree(cache, ignore_errors=True)
            out = work / tool
            out.mkdir(exist_ok=True)
            (out / "pylock.toml").unlink(missing_ok=True)
            if tool == "pylock":
                cmd = [args.pylock, "resolve", *reqs, *url, "--cache-dir", str(cache),
                       "-o", str(out / "pylock.toml"), "-q", *pylock_target]
            else:
                # `uv pip compile` takes a requirements file as it is, no `-r`.
                uv_reqs = [r for r in reqs if r != "-r"]
                cmd = [uv, "pip", "compile", *uv_reqs, *url, "--cache-dir", str(cache),
                       "--format", "pylock.toml", "-o", str(out / "pylock.toml"), "--no-config",
                       "--python", sys.executable, "-q", *uv_target]
            if states[0] != "cold":
                run(cmd)  # unmeasured: the cache (and lock) the measured states start from
            for state in states:
                if state in ("cold", "warm"):
                    (out / "pylock.toml").unlink(missing_ok=True)
                if state == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                check = ["--check"] if tool == "pylock" and state == "check" else []
                t, m = run(cmd + check)
                times[(tool, state)].append(t)
                rss[(tool, state)] = max(rss[(tool, state)], m)
    for c in states:
        p = statistics.median(times[("pylock", c)])
        u = statistics.median(times[("uv", c)])
        print(f"| {label} | {mode} | {c} | {p * 1000:.0f} ms | {u * 1000:.0f} ms | {p / u:.2f} | "
              f"{rss[('pylock', c)] / 1024:.0f} MB | {rss[('uv', c)] / 1024:.0f} MB |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sets", default="black,trio,jupyter,boto,large,backtrack")
    ap.add_argument("--modes", default="universal,linux-3.12",
                    help=f"comma-separated, of {', '.join(MODES)}")
    ap.add_argument("--servers", default="pypi",
                    help="comma-separated: pypi (PyPI's cache headers), bare (no cache headers)")
    ap.add_argument("--states", default=",".join(STATES),
                    help="comma-separated, of cold, warm, relock, check (in this order)")
    ap.add_argument("--harness", action="store_true",
                    help="the held-back harness's rows: universal and linux-3.11, both servers, cold and warm")
    ap.add_argument("--live", action="append", default=[],
                    help="a requirement to resolve universally against the live PyPI (repeatable; opt-in)")
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--pylock", default=str(ROOT / "target" / "release" / "pylock"))
    ap.add_argument("--uv")
    args = ap.parse_args()
    if args.harness:
        args.modes, args.servers, args.states = "universal,linux-3.11", "pypi,bare", "cold,warm"
    modes = split(args.modes, MODES, "mode")
    servers = split(args.servers, SERVERS, "server")
    states = split(args.states, STATES, "state")
    states = [s for s in STATES if s in states]
    uv = args.uv or ensure_uv()
    work = Path(tempfile.mkdtemp(prefix="pylock-ab-"))
    print("| set | mode | cache | pylock median | uv median | pylock/uv | pylock RSS | uv RSS |")
    print("|---|---|---|---|---|---|---|---|")
    try:
        for i, req in enumerate(args.live):
            live_states = [s for s in states if s in ("cold", "warm")] or ["cold"]
            # Both tools read it from a requirements file (`uv pip compile` takes no
            # requirement on its command line).
            reqs_file = work / f"live-{i}.in"
            reqs_file.write_text(req + "\n")
            measure(args, uv, work, f"live `{req}`", ["-r", str(reqs_file)], [], "universal",
                    live_states)
        if args.live:
            return
        for name in split(args.sets, None, "set"):
            fixture = ROOT / "fixtures" / "realworld" / name
            for server_name in servers:
                server = subprocess.Popen(
                    [sys.executable, str(ROOT / "benches" / "serve.py"), str(fixture / "index"),
                     "--delay-ms", str(args.delay_ms), *SERVERS[server_name]],
                    stdout=subprocess.PIPE, text=True)
                url = server.stdout.readline().strip()
                label = name if len(servers) == 1 else f"{name} ({server_name})"
                try:
                    for mode in modes:
                        measure(args, uv, work, label, ["-r", str(fixture / "requirements.in")],
                                ["--index-url", url], mode, states)
                finally:
                    server.terminate()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

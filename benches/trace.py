#!/usr/bin/env python3
"""Request traces of cold resolves: what each tool asks the index for, and when.

    python3 benches/trace.py --sets large,backtrack --modes universal,linux-3.11 \
        [--servers pypi,bare] [--delay-ms 0,20] [--tools pylock,uv] [--runs 1] [--keep DIR]

For each set, mode, server, delay and tool, serves the fixture index with `serve.py --log`,
runs one cold resolve (empty cache, no earlier lock) and reads the server's log (each
request's arrival and answer times). One row per run:

- requests: all of them; pages (`/simple/...`), metadata (`*.metadata`), other (files);
- wall: the tool's wall time; first/last: the first request's arrival and the last answer,
  from the server's start (before the first request the tool starts up; after the last
  answer it solves the rest and writes the lock);
- idle: time between the first arrival and the last answer with no request in flight (the
  tool computing, or not asking yet); one: time with exactly one request in flight (most
  likely a solver waiting on that answer);
- conc: mean requests in flight while any is;
- depth: the longest chain of requests each sent after the one before it was answered
  (arrival >= the previous answer): an upper bound of the sequential round trips on the
  critical path (chains of requests that merely follow each other on one busy worker count
  too); compare it between delays and with (wall at delay D - wall at delay 0) / D;
- connections: TCP connections the requests came on; server CPU: the server process's CPU
  time (user + system) over the run, its start-up included (Python's threaded server takes
  ~0.5 ms of CPU a request: on loopback it can be the bottleneck).

`--keep DIR` keeps each run's log as DIR/<set>-<mode>-<server>-<delay>-<tool>.log.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benches"))
from ab import MODES, SERVERS, ensure_uv  # noqa: E402

def parse(log: Path) -> tuple[list[tuple[float, float, str, str]], int]:
    """(arrival ms, answer ms, status, path) per request, by arrival; and how many
    connections they came on."""
    rows = []
    ports = set()
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        done, status, path, arrived = float(parts[0]), parts[1], parts[2], float(parts[3])
        rows.append((arrived, done, status, path))
        ports.add(parts[4])
    rows.sort()
    return rows, len(ports)


def depth(rows) -> int:
    """The longest chain of requests each arriving after the previous one's answer."""
    # In arrival order, every request answered before this one arrived was processed
    # already (it arrived before its answer): fold those into a running maximum.
    by_done = sorted(range(len(rows)), key=lambda i: rows[i][1])
    chain = [0] * len(rows)
    folded = longest_before = longest = 0
    for i, (arrived, _, _, _) in enumerate(rows):
        while folded < len(by_done) and rows[by_done[folded]][1] <= arrived:
            longest_before = max(longest_before, chain[by_done[folded]])
            folded += 1
        chain[i] = longest_before + 1
        longest = max(longest, chain[i])
    return longest


def profile(rows) -> tuple[float, float, float]:
    """(idle ms, one-in-flight ms, mean in flight while busy) between first arrival and last
    answer."""
    events = []
    for arrived, done, _, _ in rows:
        events.append((arrived, 1))
        events.append((done, -1))
    events.sort(key=lambda e: (e[0], -e[1]))
    if not events:
        return 0.0, 0.0, 0.0
    idle = one = busy = area = 0.0
    level = 0
    last = events[0][0]
    for t, step in events:
        span = t - last
        if level == 0:
            idle += span
        else:
            busy += span
            area += span * level
            if level == 1:
                one += span
        level += step
        last = t
    return idle, one, (area / busy if busy else 0.0)


def row(set_name, mode, server, delay, tool, wall, rows, conns, cpu) -> str:
    """One table row for one run."""
    pages = sum(r[3].startswith("/simple/") for r in rows)
    meta = sum(r[3].endswith(".metadata") for r in rows)
    idle, one, conc = profile(rows)
    first = rows[0][0] if rows else 0.0
    last = max((r[1] for r in rows), default=0.0)
    return (f"| {set_name} | {mode} | {server} | {delay:g} | {tool} | {wall:.0f} ms | "
            f"{len(rows)} ({pages}/{meta}/{len(rows) - pages - meta}) | {first:.0f}-{last:.0f} ms | "
            f"{idle:.0f} ms | {one:.0f} ms | {conc:.1f} | {depth(rows)} | {conns} | {cpu:.0f} ms |")


def serve(fixture: Path, server: str, delay: float, log: Path):
    cmd = [sys.executable, str(ROOT / "benches" / "serve.py"), str(fixture / "index"),
           "--log", str(log), "--delay-ms", str(delay), *SERVERS[server]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url


def command(tool: str, args, fixture: Path, url: str, mode: str, cache: Path, out: Path):
    pylock_target, uv_target = MODES[mode]
    reqs = fixture / "requirements.in"
    if tool == "pylock":
        return [args.pylock, "resolve", "-r", str(reqs), "--index-url", url, "--cache-dir",
                str(cache), "-o", str(out), "-q", *pylock_target]
    return [args.uv, "pip", "compile", str(reqs), "--index-url", url, "--cache-dir", str(cache),
            "--format", "pylock.toml", "-o", str(out), "--no-config", "--python", sys.executable,
            "-q", *uv_target]


def one_run(args, work: Path, fixture: Path, mode: str, server: str, delay: float, tool: str):
    log = work / "requests.log"
    cache = work / "cache"
    out = work / "pylock.toml"
    shutil.rmtree(cache, ignore_errors=True)
    out.unlink(missing_ok=True)
    proc, url = serve(fixture, server, delay, log)
    try:
        start = time.perf_counter()
        done = subprocess.run(command(tool, args, fixture, url, mode, cache, out),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = (time.perf_counter() - start) * 1000
    finally:
        proc.terminate()
        _, _, usage = os.wait4(proc.pid, 0)
    server_cpu = (usage.ru_utime + usage.ru_stime) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{tool} failed:\n{done.stderr}")
    rows, connections = parse(log)
    if args.keep:
        name = f"{fixture.name}-{mode}-{server}-{delay:g}-{tool}.log"
        shutil.copy(log, Path(args.keep) / name)
    return wall, rows, connections, server_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="large,backtrack")
    ap.add_argument("--modes", default="universal,linux-3.11")
    ap.add_argument("--servers", default="pypi")
    ap.add_argument("--delay-ms", default="0")
    ap.add_argument("--tools", default="pylock,uv")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--pylock", default=str(ROOT / "target" / "release" / "pylock"))
    ap.add_argument("--uv")
    ap.add_argument("--keep")
    args = ap.parse_args()
    tools = args.tools.split(",")
    if "uv" in tools:
        args.uv = args.uv or ensure_uv()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    print("| set | mode | server | delay | tool | wall | requests (pages/metadata/other) | "
          "first-last | idle | one | conc | depth | connections | server CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="trace-") as tmp:
        work = Path(tmp)
        for set_name in args.sets.split(","):
            fixture = ROOT / "fixtures" / "realworld" / set_name
            for mode in args.modes.split(","):
                for server in args.servers.split(","):
                    for delay in (float(d) for d in args.delay_ms.split(",")):
                        for tool in tools:
                            for _ in range(args.runs):
                                wall, rows, conns, cpu = one_run(args, work, fixture, mode,
                                                                 server, delay, tool)
                                print(row(set_name, mode, server, delay, tool, wall, rows,
                                          conns, cpu), flush=True)


if __name__ == "__main__":
    main()

"""Load test of the HTTP API on loopback: uvicorn serving `directory.api`, driven by wrk (Debian's
`wrk`, a separate C process) with a realistic mix, bounded in time.

Mix (2,000 pre-drawn requests, replayed in random order by wrk's Lua script):
  70 % radius searches near a random facility — by its ZIP (40 %), "City, ST" (15 %) or
       jittered lat/lon (15 %) — radius 10/25/50 miles, one or two filters (treatment type,
       medication, payment), first page of 50;
  20 % detail lookups of a random facility id;
  10 % locate of a random facility's "City, ST".
Each configuration runs 15 s after a 3 s warm-up; side by side: 1 and 2 uvicorn workers, 4, 16
and 64 open connections (wrk is closed-loop: at saturation latency is queueing), the same mix
with searches of the first 500 results (page_size=500, the upper bound), and ``/healthz`` alone (what
the server and the framework cost with no work). This tree and an earlier revision (``--rev``, served
from a temporary git worktree with its own data file) alternate row by row in one run.

    python benchmarks/bench_api.py                  # needs /usr/bin/wrk (apt-get install wrk)
    python benchmarks/bench_api.py --rev HEAD~3 --duration 5
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from _table import print_table

from directory.core.schema import read_facilities

DURATION_S = 15
CONNECTIONS = 16
SEED = 2026
REPO = Path(__file__).resolve().parent.parent
#: The start of the issue that made the API twice as fast (its baseline).
DEFAULT_REV = "d394dbd"
#: (uvicorn workers, page size or "healthz", connections), the rows of the table.
CONFIGS = (
    (1, 50, 4),
    (1, 50, 16),
    (2, 50, 16),
    (2, 500, 16),
    (2, 50, 64),
    (1, "healthz", 16),
    (2, "healthz", 16),
)

LUA = r"""
local paths = {}
local n = 0
init = function(args)
  for line in io.lines(args[1]) do n = n + 1; paths[n] = line end
  math.randomseed(tonumber(args[2]))
end
request = function()
  return wrk.format("GET", paths[math.random(n)])
end
"""


def mix(count: int = 2000, page_size: int = 50) -> list[str]:
    frame = read_facilities()
    rng = random.Random(SEED)
    filters = [
        ("service", "detox"),
        ("service", "mat"),
        ("service", "outpatient"),
        ("service", "residential"),
        ("medication", "buprenorphine"),
        ("medication", "methadone"),
        ("payment", "medicaid"),
        ("payment", "private-insurance"),
    ]
    paths = []
    for _ in range(count):
        row = frame.iloc[rng.randrange(len(frame))]
        roll = rng.random()
        if roll < 0.70:
            params: list[tuple[str, str]] = []
            how = rng.random()
            if how < 40 / 70:
                params.append(("near", row["zip"]))
            elif how < 55 / 70:
                params.append(("near", f"{row['city']}, {row['state']}"))
            else:
                params += [
                    ("lat", f"{float(row['latitude']) + rng.uniform(-0.1, 0.1):.5f}"),
                    ("lon", f"{float(row['longitude']) + rng.uniform(-0.1, 0.1):.5f}"),
                ]
            params.append(("radius_miles", str(rng.choice([10, 25, 50]))))
            params += rng.sample(filters, rng.choice([1, 2]))
            params.append(("page_size", str(page_size)))
            paths.append("/v1/facilities?" + urllib.parse.urlencode(params))
        elif roll < 0.90:
            paths.append(f"/v1/facilities/{row['facility_id']}")
        else:
            paths.append("/v1/locate?" + urllib.parse.urlencode({"q": f"{row['city']}, {row['state']}"}))
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(workers: int, tree: Path = REPO) -> tuple[subprocess.Popen, str]:
    """uvicorn serving ``tree``'s API (its own code and its own data file)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "directory.http.api:app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree), "DIRECTORY_FACILITIES": str(tree / "data" / "facilities.csv")},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(url + "/healthz", timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("the API did not start")
    return proc, url


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, paths_file: str, script: str, duration: int, connections: int = CONNECTIONS) -> dict[str, object]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            script,
            url,
            "--",
            paths_file,
            str(SEED),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"requests": total, "rps": rps, "p50": p50, "p99": p99, "errors": non2xx + socket_errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=DEFAULT_REV, help="the other tree (a git revision), served from a worktree")
    parser.add_argument("--duration", type=int, default=DURATION_S, help="seconds per row")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk); nothing measured")
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "mix.lua")
        Path(script).write_text(LUA)
        files = {}
        for size in (50, 500):
            files[size] = os.path.join(tmp, f"paths-{size}.txt")
            Path(files[size]).write_text("\n".join(mix(page_size=size)) + "\n")
        files["healthz"] = os.path.join(tmp, "paths-healthz.txt")
        Path(files["healthz"]).write_text("/healthz\n")
        old_tree = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old_tree), args.rev],
            check=True,
            capture_output=True,
        )
        trees = {args.rev: old_tree, "this tree": REPO}
        try:
            for i, (workers, size, connections) in enumerate(CONFIGS):
                order = list(trees.items())
                for name, tree in order if i % 2 == 0 else order[::-1]:  # neither tree always runs first
                    result = measure(tree, workers, files[size], script, connections, args.duration)
                    rows.append(
                        {
                            "tree": name,
                            "uvicorn workers": workers,
                            "connections": connections,
                            "requests": "/healthz only" if size == "healthz" else f"mix, page of {size}",
                            "req/s": f"{result['rps']:.0f}",
                            "p50 ms": f"{result['p50']:.1f}",
                            "p99 ms": f"{result['p99']:.1f}",
                            "errors": result["errors"],
                        }
                    )
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)], capture_output=True
            )
    old_rows = [r for r in rows if r["tree"] == args.rev]
    new_rows = [r for r in rows if r["tree"] == "this tree"]
    for old, new in zip(old_rows, new_rows, strict=True):
        new["× " + args.rev] = f"{float(new['req/s']) / float(old['req/s']):.2f}"
        old["× " + args.rev] = "1.00"
    print(
        f"API load on 127.0.0.1: wrk, 1 thread, {args.duration} s per row after a 3 s warm-up "
        "(70 % search / 20 % detail / 10 % locate); rows of the two trees alternate"
    )
    print_table(rows)


def measure(tree: Path, workers: int, paths_file: str, script: str, connections: int, duration: int) -> dict:
    """One row: serve ``tree`` with ``workers``, check a sample answers 200, warm up, then measure."""
    proc, url = serve(workers, tree)
    try:
        for path in Path(paths_file).read_text().splitlines()[:50]:
            urllib.request.urlopen(url + path, timeout=10).read()  # every request of the mix answers 200
        wrk(url, paths_file, script, 3, connections)  # warm-up
        return wrk(url, paths_file, script, duration, connections)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()

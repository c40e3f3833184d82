"""The HSDA 3.0 API (/hsda) over the in-memory store and over the PostGIS store, side by side in one
run on this machine: a /services page of 50, a text search, a taxonomy filter, /services/{id}, the
nearest service_at_locations to a ZIP (p50 / p99 of one client's requests, over HTTP to a one-worker
`directory serve`), and the whole national directory streamed as ndjson (seconds, the server's
peak memory growth). The locator-shaped /v1 lookup of one facility is the baseline row. Starts its
own throwaway PostgreSQL + PostGIS cluster.

    python benchmarks/bench_hsda.py [--requests 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from directory.stores.postgis import load  # noqa: E402
from tests.pg import cluster  # noqa: E402

WORDS = ["recovery", "methadone", "county", "behavioral health", "detox", "women", "veterans", "counseling"]
TERMS = ["mm", "bu", "dt", "op", "res", "md", "sp", "vet"]  # code book codes, looked up as term ids
ZIPS = ["33602", "02108", "80202", "60601", "98101", "30303", "85004", "05401", "59101", "39201"]


class Server:
    """``directory serve --workers 1`` on a free port: one process, whose memory can be read."""

    def __init__(self, data: str) -> None:
        self.port = 8900 + random.randint(0, 90)
        env = {**os.environ, "DIRECTORY_FACILITIES": data}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "directory", "serve", "--port", str(self.port), "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
        )
        for _ in range(240):
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("the server did not start")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def get(self, path: str, conn: http.client.HTTPConnection | None = None) -> bytes:
        own = conn is None
        conn = conn or self.connection()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if own:
            conn.close()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
        return body

    def memory(self, field: str) -> int:
        """A /proc/<pid>/status field (VmRSS, VmHWM) in kB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def timed(server: Server, paths: list[str]) -> tuple[float, float]:
    conn = server.connection()
    for path in paths[:10]:
        server.get(path, conn)  # warm
    ms = []
    for path in paths:
        t = time.perf_counter()
        server.get(path, conn)
        ms.append((time.perf_counter() - t) * 1000)
    conn.close()
    ms.sort()
    return statistics.median(ms), ms[max(int(len(ms) * 0.99) - 1, 0)]


def stream(server: Server) -> tuple[float, int, int, float]:
    """The national ndjson stream: seconds, lines, MB, and the server's peak RSS growth (MB)."""
    before = server.memory("VmRSS")
    Path(f"/proc/{server.proc.pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    conn = server.connection()
    t = time.perf_counter()
    conn.request("GET", "/hsda/services?format=ndjson")
    response = conn.getresponse()
    lines = size = 0
    while chunk := response.read(1 << 16):
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - t
    conn.close()
    return seconds, lines, size, (server.memory("VmHWM") - before) / 1024


def measure(data: str, requests: int) -> dict[str, object]:
    rng = random.Random(5)
    server = Server(data)
    try:
        first = json.loads(server.get("/hsda/services?per_page=50"))
        pages = first["total_pages"]
        ids = [s["id"] for s in first["contents"]]
        for page in rng.sample(range(2, pages + 1), 20):
            ids += [s["id"] for s in json.loads(server.get(f"/hsda/services?per_page=50&page={page}"))["contents"]]
        terms = {t["code"]: t["id"] for t in json.loads(server.get("/hsda/taxonomy_terms?per_page=500"))["contents"]}
        v1_ids = [f["facility_id"] for f in json.loads(server.get("/v1/facilities?state=FL&page_size=200"))["results"]]
        out: dict[str, object] = {"sites": first["total_items"]}
        out["page"] = timed(
            server, [f"/hsda/services?per_page=50&page={rng.randint(1, pages)}" for _ in range(requests)]
        )
        out["search"] = timed(
            server,
            [f"/hsda/services?per_page=50&search={rng.choice(WORDS).replace(' ', '+')}" for _ in range(requests)],
        )
        chosen = [terms[c] for c in TERMS]
        out["term"] = timed(
            server, [f"/hsda/services?per_page=50&taxonomy_term_id={rng.choice(chosen)}" for _ in range(requests)]
        )
        out["id"] = timed(server, [f"/hsda/services/{rng.choice(ids)}" for _ in range(requests)])
        out["near"] = timed(
            server,
            [f"/hsda/service_at_locations?postcode={rng.choice(ZIPS)}&proximity=40000" for _ in range(requests)],
        )
        out["v1"] = timed(server, [f"/v1/facilities/{rng.choice(v1_ids)}" for _ in range(requests)])
        out["stream"] = stream(server)
        return out
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    national = REPO / "data/facilities.csv"
    with cluster() as c:
        load(c.dsn, national)
        memory = measure(str(national), args.requests)
        database = measure(c.dsn, args.requests)
    print(f"HSDA over each store, {memory['sites']:,} services, {args.requests} requests per row, one client\n")
    rows = []
    for key, label in [
        ("page", "/hsda/services, a page of 50"),
        ("search", "/hsda/services?search=…, first 50"),
        ("term", "/hsda/services?taxonomy_term_id=…, first 50"),
        ("id", "/hsda/services/{id} (full, nested)"),
        ("near", "/hsda/service_at_locations?postcode=…&proximity=40000"),
        ("v1", "baseline: /v1/facilities/{id}"),
    ]:
        (m50, m99), (d50, d99) = memory[key], database[key]
        rows.append(
            {
                "request": label,
                "in-memory p50 / p99 (ms)": f"{m50:.1f} / {m99:.1f}",
                "PostGIS p50 / p99 (ms)": f"{d50:.1f} / {d99:.1f}",
                "PostGIS / in-memory (p50)": f"{d50 / m50:.2f}",
            }
        )
    print_table(rows)
    rows = []
    for label, store in [("in-memory", memory), ("PostGIS", database)]:
        seconds, lines, size, peak = store["stream"]
        rows.append(
            {
                "store": label,
                "services streamed": f"{lines:,}",
                "MB": f"{size / 1e6:.0f}",
                "seconds": f"{seconds:.1f}",
                "services/s": f"{lines / seconds:,.0f}",
                "server peak RSS growth (MB)": f"{peak:.0f}",
            }
        )
    print("/hsda/services?format=ndjson, the national directory\n")
    print_table(rows)


if __name__ == "__main__":
    main()

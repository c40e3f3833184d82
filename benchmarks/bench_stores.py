"""The in-memory store and the PostGIS store side by side, in one run on this machine: load time,
search p50 / p95 on the national file (and PostGIS on 1M synthetic sites), and the API with 2
workers over each store (requests/s and p99). Starts its own throwaway PostgreSQL + PostGIS cluster.

    python benchmarks/bench_stores.py [--synthetic 1000000] [--queries 300]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from directory.search import Query  # noqa: E402
from directory.stores.memory import Directory  # noqa: E402
from directory.stores.postgis import PostgisStore, load  # noqa: E402
from tests.pg import cluster  # noqa: E402

CITIES = [
    "Tampa, FL",
    "Boston, MA",
    "Denver, CO",
    "Chicago, IL",
    "Seattle, WA",
    "Atlanta, GA",
    "Phoenix, AZ",
    "Burlington, VT",
    "Billings, MT",
    "Jackson, MS",
]
SERVICES = [(), ("detox",), ("mat",), ("outpatient", "residential")]


def workload(n: int, seed: int = 1) -> list[Query]:
    rng = random.Random(seed)
    queries = []
    for _ in range(n):
        near = rng.choice(CITIES)
        if rng.random() < 0.2:
            queries.append(Query(near=near, nearest=10, services=rng.choice(SERVICES)))
        else:
            queries.append(
                Query(
                    near=near,
                    radius_miles=rng.choice([10, 25, 50]),
                    services=rng.choice(SERVICES),
                    payments=rng.choice([(), ("medicaid",)]),
                )
            )
    return queries


def timings(store, queries) -> tuple[float, float]:
    for q in queries[:10]:
        store.search(q)  # warm
    ms = []
    for q in queries:
        t = time.perf_counter()
        store.search(q)
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return statistics.median(ms), ms[int(len(ms) * 0.95) - 1]


def synthetic(path: Path, n: int, source: Path) -> None:
    """n synthetic sites (named as such): shipped records repeated with jittered points and new ids."""
    rng = random.Random(7)
    with source.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        for i in range(n):
            row = dict(rows[i % len(rows)])
            row["facility_id"] = f"f{0xE00000000000 + i:012x}"  # a valid id, apart from the real ones
            row["name"] = f"Synthetic site {i}"
            row["latitude"] = f"{float(row['latitude']) + rng.uniform(-0.2, 0.2):.6f}"
            row["longitude"] = f"{float(row['longitude']) + rng.uniform(-0.2, 0.2):.6f}"
            writer.writerow(row)


def api(data: str, queries: int = 400, threads: int = 8) -> tuple[float, float]:
    port = 8700 + random.randint(0, 200)
    env = {**os.environ, "DIRECTORY_FACILITIES": data}
    proc = subprocess.Popen(
        [sys.executable, "-m", "directory", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        rng = random.Random(3)
        urls = [
            f"{base}/v1/facilities?near={urllib.request.quote(rng.choice(CITIES))}&radius_miles=25"
            f"&service={rng.choice(['detox', 'mat', 'outpatient'])}&page_size=20"
            for _ in range(queries)
        ]

        def one(url: str) -> float:
            t = time.perf_counter()
            urllib.request.urlopen(url, timeout=30).read()
            return (time.perf_counter() - t) * 1000

        for url in urls[:20]:
            one(url)
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            ms = sorted(pool.map(one, urls))
        elapsed = time.perf_counter() - started
        return queries / elapsed, ms[int(len(ms) * 0.99) - 1]
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    queries = workload(args.queries)
    national = REPO / "data/facilities.csv"
    rows = []
    with cluster() as c:
        t = time.perf_counter()
        memory = Directory.load(national)
        memory_load = time.perf_counter() - t
        t = time.perf_counter()
        load(c.dsn, national)
        pg_load = time.perf_counter() - t
        pg = PostgisStore(c.dsn)
        m50, m95 = timings(memory, queries)
        p50, p95 = timings(pg, queries)
        rows.append(
            {
                "measure": "load national file (s)",
                "in-memory": f"{memory_load:.2f}",
                "PostGIS": f"{pg_load:.2f}",
                "PostGIS / in-memory": f"{pg_load / memory_load:.1f}",
            }
        )
        rows.append(
            {
                "measure": "search p50 (ms)",
                "in-memory": f"{m50:.2f}",
                "PostGIS": f"{p50:.2f}",
                "PostGIS / in-memory": f"{p50 / m50:.1f}",
            }
        )
        rows.append(
            {
                "measure": "search p95 (ms)",
                "in-memory": f"{m95:.2f}",
                "PostGIS": f"{p95:.2f}",
                "PostGIS / in-memory": f"{p95 / m95:.1f}",
            }
        )
        file_rps, file_p99 = api(str(national))
        db_rps, db_p99 = api(c.dsn)
        rows.append(
            {
                "measure": "API, 2 workers: requests/s",
                "in-memory": f"{file_rps:.0f}",
                "PostGIS": f"{db_rps:.0f}",
                "PostGIS / in-memory": f"{db_rps / file_rps:.2f}",
            }
        )
        rows.append(
            {
                "measure": "API, 2 workers: p99 (ms)",
                "in-memory": f"{file_p99:.0f}",
                "PostGIS": f"{db_p99:.0f}",
                "PostGIS / in-memory": f"{db_p99 / file_p99:.1f}",
            }
        )
        pg.close()
        if args.synthetic:
            with tempfile.TemporaryDirectory() as tmp:
                big = Path(tmp) / "synthetic.csv"
                synthetic(big, args.synthetic, national)
                t = time.perf_counter()
                load(c.dsn, big)
                big_load = time.perf_counter() - t
                big_store = PostgisStore(c.dsn)
                b50, b95 = timings(big_store, queries)
                # The API asks for one page (limit = page x page_size): the records of 50, not of every match.
                paged = [dataclasses.replace(q, limit=50) for q in queries]
                bp50, bp95 = timings(big_store, paged)
                big_store.close()
                t = time.perf_counter()
                big_memory = Directory.load(big)
                big_memory_load = time.perf_counter() - t
                bm50, bm95 = timings(big_memory, queries)
                bmp50, bmp95 = timings(big_memory, paged)
                del big_memory
            n = f"{args.synthetic:,} synthetic sites"
            for measure, memory_value, pg_value, ratio in [
                (f"{n}: load (s)", f"{big_memory_load:.1f}", f"{big_load:.1f}", big_load / big_memory_load),
                (f"{n}: search p50 / p95 (ms)", f"{bm50:.1f} / {bm95:.1f}", f"{b50:.1f} / {b95:.1f}", b50 / bm50),
                (
                    f"{n}: first 50 (limit=50) p50 / p95 (ms)",
                    f"{bmp50:.1f} / {bmp95:.1f}",
                    f"{bp50:.1f} / {bp95:.1f}",
                    bp50 / bmp50,
                ),
            ]:
                rows.append(
                    {
                        "measure": measure,
                        "in-memory": memory_value,
                        "PostGIS": pg_value,
                        "PostGIS / in-memory": f"{ratio:.1f}",
                    }
                )
    print(f"Stores side by side, {len(queries)} queries (radius 10-50 mi and nearest-10, with filters), this machine")
    print_table(rows)


if __name__ == "__main__":
    main()

"""Geosearch timings, side by side with baselines, in one run.

1. National file, 1,000 random queries (25-mile radius around a jittered facility, one or
   two service groups): ``Directory.search`` end to end vs a numpy brute-force haversine
   over all rows with the same filters, vs the per-row ``geopy.distance.geodesic`` loop
   (a few queries).
2. 1,000,000 SYNTHETIC sites (random points, not facilities): the engine's PointIndex
   (STRtree + exact great-circle) radius and k=10 vs scikit-learn's BallTree when installed.
3. Cold start: load + index of the national file.

    python benchmarks/bench_search.py
"""

from __future__ import annotations

import time

import numpy as np
from _table import print_table

from directory.search import PointIndex, Query, haversine_miles
from directory.stores.memory import Directory

RNG = np.random.default_rng(2026)
GROUPS = ["detox", "mat", "outpatient", "residential", "intensive-outpatient", "telehealth", "inpatient"]


def pct(values, q):
    return float(np.percentile(values, q))


def national() -> None:
    started = time.perf_counter()
    directory = Directory.load()
    cold_ms = (time.perf_counter() - started) * 1000
    frame = directory.frame
    picks = RNG.integers(0, len(frame), 1000)
    queries = []
    for i in picks:
        lat = float(frame.at[int(i), "latitude"]) + RNG.uniform(-0.2, 0.2)
        lon = float(frame.at[int(i), "longitude"]) + RNG.uniform(-0.2, 0.2)
        services = tuple(RNG.choice(GROUPS, size=int(RNG.integers(1, 3)), replace=False))
        queries.append(Query(near=(lat, lon), radius_miles=25, services=services))

    ours = []
    for q in queries:
        t = time.perf_counter()
        directory.search(q)
        ours.append((time.perf_counter() - t) * 1000)

    lats, lons = directory.lat, directory.lon
    brute = []
    for q in queries:
        t = time.perf_counter()
        mask = np.logical_or.reduce([directory.group_masks[g] for g in q.services])
        d = haversine_miles(q.near[0], q.near[1], lats, lons)
        rows = np.flatnonzero(mask & (d <= 25))
        rows[np.argsort(d[rows], kind="stable")]
        brute.append((time.perf_counter() - t) * 1000)

    from geopy.distance import geodesic

    points = list(zip(lats.tolist(), lons.tolist(), strict=True))
    loop = []
    for q in queries[:3]:
        t = time.perf_counter()
        mask = np.logical_or.reduce([directory.group_masks[g] for g in q.services])
        found = [(geodesic(q.near, p).miles, i) for i, p in enumerate(points)]  # every row, as a naive loop does
        sorted(x for x in found if x[0] <= 25 and mask[x[1]])
        loop.append((time.perf_counter() - t) * 1000)

    p50 = pct(ours, 50)
    rows = [
        {
            "method": "Directory.search (STRtree box + haversine, end to end)",
            "queries": len(ours),
            "p50 ms": f"{p50:.3f}",
            "p95 ms": f"{pct(ours, 95):.3f}",
            "x vs ours (p50)": "1.0",
        },
        {
            "method": "numpy brute-force haversine over all rows",
            "queries": len(brute),
            "p50 ms": f"{pct(brute, 50):.3f}",
            "p95 ms": f"{pct(brute, 95):.3f}",
            "x vs ours (p50)": f"{pct(brute, 50) / p50:.1f}",
        },
        {
            "method": "per-row geopy.distance.geodesic loop",
            "queries": len(loop),
            "p50 ms": f"{pct(loop, 50):.1f}",
            "p95 ms": f"{pct(loop, 95):.1f}",
            "x vs ours (p50)": f"{pct(loop, 50) / p50:,.0f}",
        },
    ]
    print(f"National file: {len(frame):,} facilities, 25-mile radius, 1-2 service groups")
    print_table(rows)
    print(
        f"Cold start (read facilities.csv + build index and masks): {cold_ms:.0f} ms "
        f"(index/masks alone {directory.load_ms:.0f} ms); target <= 1000 ms"
    )
    print("Targets: p50 <= 1 ms; >= 1000x faster than the geodesic loop\n")


def synthetic(n: int = 1_000_000) -> None:
    # SYNTHETIC points spread over the contiguous US: for timing only, not facilities.
    lat = RNG.uniform(25, 49, n)
    lon = RNG.uniform(-124, -67, n)
    t = time.perf_counter()
    index = PointIndex(lat, lon)
    build_ms = (time.perf_counter() - t) * 1000
    centres = [(RNG.uniform(26, 48), RNG.uniform(-123, -68)) for _ in range(300)]
    radius_ms, knn_ms = [], []
    for c in centres:
        t = time.perf_counter()
        index.within(c[0], c[1], 25)
        radius_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        index.nearest(c[0], c[1], 10)
        knn_ms.append((time.perf_counter() - t) * 1000)
    rows = [
        {
            "method": "PointIndex (shapely STRtree + exact great-circle)",
            "build ms": f"{build_ms:.0f}",
            "radius p50 ms": f"{pct(radius_ms, 50):.3f}",
            "k=10 p50 ms": f"{pct(knn_ms, 50):.3f}",
        }
    ]
    try:
        from sklearn.neighbors import BallTree
    except ImportError:
        rows.append(
            {
                "method": "sklearn BallTree (not installed: pip install -e '.[bench]')",
                "build ms": "-",
                "radius p50 ms": "-",
                "k=10 p50 ms": "-",
            }
        )
    else:
        coords = np.radians(np.column_stack([lat, lon]))
        t = time.perf_counter()
        tree = BallTree(coords, metric="haversine")
        ball_build = (time.perf_counter() - t) * 1000
        r = 25 / 3958.7613
        b_radius, b_knn = [], []
        for c in centres:
            point = np.radians([c])
            t = time.perf_counter()
            tree.query_radius(point, r, return_distance=True, sort_results=True)
            b_radius.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            tree.query(point, k=10)
            b_knn.append((time.perf_counter() - t) * 1000)
        rows.append(
            {
                "method": "sklearn BallTree (haversine)",
                "build ms": f"{ball_build:.0f}",
                "radius p50 ms": f"{pct(b_radius, 50):.3f}",
                "k=10 p50 ms": f"{pct(b_knn, 50):.3f}",
            }
        )
    print(f"{n:,} SYNTHETIC sites (random points), 300 queries")
    print_table(rows)
    print("Targets: radius p50 <= 5 ms, k=10 p50 <= 2 ms, build <= 3 s")


if __name__ == "__main__":
    national()
    synthetic()

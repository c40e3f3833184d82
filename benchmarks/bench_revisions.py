"""This tree against an earlier revision, side by side in one run: cold start, search, and what a
screen builds from a result (the list and the map points).

The same workload runs in a fresh process per tree and round (rounds alternate, so drift hits
both alike); the table shows medians over rounds and the ratio new / old.

    python benchmarks/bench_revisions.py                 # against the commit before this session's work
    python benchmarks/bench_revisions.py --rev HEAD~3 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REV = "f40339c"  # the last commit before the filter registry / store interface refactor

WORKLOAD = r"""
import json, time
import numpy as np
t0 = time.perf_counter()
try:  # the packages by concept (this tree)
    from directory.stores.memory import Directory
    from directory.search import Query
    from directory import view
    from directory.view import mapview
except ImportError:  # before them
    from directory.search import Directory, Query
    from directory import view, mapview
store = Directory.load()
cold = (time.perf_counter() - t0) * 1000
rng = np.random.default_rng(2026)
frame = store.frame
groups = ["detox", "mat", "outpatient", "residential", "intensive-outpatient", "telehealth", "inpatient"]
queries = []
for i in rng.integers(0, len(frame), 1000):
    lat = float(frame.at[int(i), "latitude"]) + rng.uniform(-0.2, 0.2)
    lon = float(frame.at[int(i), "longitude"]) + rng.uniform(-0.2, 0.2)
    services = tuple(rng.choice(groups, size=int(rng.integers(1, 3)), replace=False))
    queries.append(Query(near=(lat, lon), radius_miles=25, services=services))
times = []
for q in queries:
    t = time.perf_counter(); store.search(q); times.append((time.perf_counter() - t) * 1000)
screens = {}
for name, q in (("national", Query()), ("tampa", Query(near="Tampa, FL"))):
    result = store.search(q)
    # as the app calls it in each tree (coordinates() is the newer result's float points)
    extra = [result.coordinates()] if hasattr(result, "coordinates") else []
    view.result_table(store, result); mapview.map_points(store, result.frame, *extra)   # first build (caches)
    t = time.perf_counter()
    for _ in range(5):
        extra = [result.coordinates()] if hasattr(result, "coordinates") else []
        view.result_table(store, result); mapview.map_points(store, result.frame, *extra)
    screens[name] = (time.perf_counter() - t) * 1000 / 5
print(json.dumps({"cold": cold, "p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95)),
                  "national": screens["national"], "tampa": screens["tampa"]}))
"""


def run(tree: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", WORKLOAD],
        cwd=tree,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=DEFAULT_REV)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.rev], check=True, capture_output=True
        )
        try:
            results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
            for _ in range(args.rounds):
                results["old"].append(run(old))
                results["new"].append(run(REPO))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], capture_output=True)
    labels = {
        "cold": "cold start: load + index (ms)",
        "p50": "search p50, 1,000 queries (ms)",
        "p95": "search p95 (ms)",
        "national": "list + map points, national result (ms)",
        "tampa": "list + map points, Tampa 25 mi (ms)",
    }
    rows = []
    for key, label in labels.items():
        a = median(r[key] for r in results["old"])
        b = median(r[key] for r in results["new"])
        rows.append({"measure": label, f"{args.rev}": f"{a:.3f}", "this tree": f"{b:.3f}", "new / old": f"{b / a:.2f}"})
    print(f"This tree vs {args.rev}, medians of {args.rounds} rounds (a fresh process each), national file")
    print_table(rows)


if __name__ == "__main__":
    main()

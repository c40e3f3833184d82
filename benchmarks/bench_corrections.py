"""What maintainers' corrections cost, in one run on this machine, with 1,000 SYNTHETIC corrections
(named as such: real facility ids from the shipped file, made-up verifications, 555-01xx phones and
closures that never happened — they live in a temporary folder and are never shipped):

* appending them one by one (``directory correct``'s path: lock, check, write, fsync);
* ``directory build`` with none and with the 1,000 (the build applies them last);
* the PostGIS store: each ``directory correct --data postgresql://…`` (one transaction), and search
  p50 / p95 with none and with the 1,000 (a correction changes the site's row at once: nothing is
  applied at query time), and ``db load`` re-applying them to a new file;
* whether both stores then answer the workload alike (the rebuilt file in memory, the database).

    python benchmarks/bench_corrections.py [--corrections 1000] [--queries 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _table import print_table
from bench_stores import timings, workload

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from directory.pipeline.build import build  # noqa: E402
from directory.pipeline.corrections import append, new, read  # noqa: E402
from directory.stores.memory import Directory  # noqa: E402
from directory.stores.postgis import PostgisStore, load  # noqa: E402
from directory.stores.postgis.corrections import add  # noqa: E402
from tests.pg import cluster  # noqa: E402

HOW = ["phone", "website", "visit", "provider"]


def synthetic_corrections(directory: Directory, n: int, seed: int = 3) -> list:
    """n SYNTHETIC corrections of real sites: 60 % verified as they are, 15 % a phone set, 5 % hours
    set, 10 % closed, 5 % a website cleared, 5 % undoing an earlier line."""
    rng = random.Random(seed)
    ids = sorted(directory.frame["facility_id"])
    made, undone = [], set()
    for _ in range(n):
        fid = rng.choice(ids)
        day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
        how = rng.choice(HOW)
        roll = rng.random()
        by = "SYNTHETIC"
        if roll < 0.60:
            c = new(fid, "verified", by=by, verified_how=how, verified_on=day)
        elif roll < 0.75:
            phone = f"727-555-01{rng.randint(0, 99):02d}"
            c = new(fid, "set", by=by, verified_how=how, verified_on=day, field="phone", value=phone)
        elif roll < 0.80:
            c = new(
                fid,
                "set",
                by=by,
                verified_how=how,
                verified_on=day,
                field="hours",
                value="mon 08:00-17:00; tue 08:00-17:00",
            )
        elif roll < 0.90:
            c = new(fid, "closed", by=by, verified_how=how, verified_on=day, reason="synthetic closure")
        elif roll < 0.95:
            c = new(fid, "clear", by=by, verified_how=how, verified_on=day, field="website")
        elif undoable := [i for i, m in enumerate(made, 1) if m.action != "undo" and i not in undone]:
            target = rng.choice(undoable)
            undone.add(target)
            c = new("", "undo", by=by, undoes=str(target), reason="synthetic undo")
        else:
            c = new(fid, "verified", by=by, verified_how=how, verified_on=day)
        made.append(c)
    return made


def seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2, help="builds of each kind (alternating)")
    args = parser.parse_args()
    national = Directory.load(REPO / "data/facilities.csv")
    queries = workload(args.queries)
    made = synthetic_corrections(national, args.corrections)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        none_file, with_file = folder / "none.csv", folder / "synthetic-corrections.csv"
        none_file.write_text(open(REPO / "data/corrections.csv", encoding="utf-8").read(), encoding="utf-8")

        def known(fid: str) -> bool:
            return national.facility(fid) is not None

        per_line = []
        for c in made:
            t = time.perf_counter()
            append(c, known=known, path=with_file)
            per_line.append((time.perf_counter() - t) * 1000)
        assert len(read(with_file)) == args.corrections
        rows.append(
            {
                "measure": f"append {args.corrections:,} corrections, per line p50 / p95 (ms)",
                "none": "",
                f"{args.corrections:,} synthetic": f"{statistics.median(per_line):.2f} / "
                f"{sorted(per_line)[int(len(per_line) * 0.95) - 1]:.2f}",
                "ratio": "",
            }
        )

        builds: dict[str, list[float]] = {"none": [], "with": []}
        for _ in range(args.rounds):
            for kind, corrections in (("none", none_file), ("with", with_file)):
                out = folder / f"{kind}.facilities.csv"
                report = {}

                def run(out=out, corrections=corrections, report=report) -> None:
                    report.update(
                        build(output=out, report_path=folder / "r.json", progress=False, corrections=corrections)
                    )

                builds[kind].append(seconds(run))
        section = report["corrections"]
        b0, b1 = statistics.median(builds["none"]), statistics.median(builds["with"])
        rows.append(
            {
                "measure": f"directory build, median of {args.rounds} (s)",
                "none": f"{b0:.1f}",
                f"{args.corrections:,} synthetic": f"{b1:.1f}",
                "ratio": f"{b1 / b0:.2f}",
            }
        )
        corrected = Directory.load(folder / "with.facilities.csv")
        m0, m0_95 = timings(national, queries)
        m1, m1_95 = timings(corrected, queries)
        rows.append(
            {
                "measure": "in-memory search p50 / p95 (ms)",
                "none": f"{m0:.2f} / {m0_95:.2f}",
                f"{args.corrections:,} synthetic": f"{m1:.2f} / {m1_95:.2f}",
                "ratio": f"{m1 / m0:.2f}",
            }
        )

        with cluster() as c:
            load(c.dsn, REPO / "data/facilities.csv")
            pg = PostgisStore(c.dsn)
            p0, p0_95 = timings(pg, queries)
            per_add = []
            for correction in made:
                t = time.perf_counter()
                add(c.dsn, correction)
                per_add.append((time.perf_counter() - t) * 1000)
            p1, p1_95 = timings(pg, queries)
            same = sum(pg.search(q).ids == corrected.search(q).ids for q in queries)
            reload = seconds(lambda: load(c.dsn, REPO / "data/facilities.csv"))
            same_after_reload = sum(pg.search(q).ids == corrected.search(q).ids for q in queries)
        rows.append(
            {
                "measure": "PostGIS search p50 / p95 (ms)",
                "none": f"{p0:.2f} / {p0_95:.2f}",
                f"{args.corrections:,} synthetic": f"{p1:.2f} / {p1_95:.2f}",
                "ratio": f"{p1 / p0:.2f}",
            }
        )
        rows.append(
            {
                "measure": "PostGIS: directory correct --data, per correction p50 / p95 (ms)",
                "none": "",
                f"{args.corrections:,} synthetic": f"{statistics.median(per_add):.1f} / "
                f"{sorted(per_add)[int(len(per_add) * 0.95) - 1]:.1f}",
                "ratio": "",
            }
        )
        rows.append(
            {
                "measure": "PostGIS: db load re-applying them (s)",
                "none": "",
                f"{args.corrections:,} synthetic": f"{reload:.1f}",
                "ratio": "",
            }
        )
    print_table(rows)
    print(
        f"build report: {len(section['applied'])} applied, {len(section['undone'])} undone, "
        f"{len(section['not_applied'])} not applicable; "
        f"closed sites {int(corrected.frame['status'].eq('closed').sum())}"
    )
    print(f"same ids from both stores: {same}/{len(queries)} queries; after db load again: {same_after_reload}")


if __name__ == "__main__":
    main()

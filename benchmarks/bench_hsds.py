"""HSDS 3.0 export of the national file: time and size of the package, beside the CSV export of the
same sites as the baseline, and how long `frictionless validate` takes (types, required fields,
foreign keys) — one run, side by side.

    python benchmarks/bench_hsds.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from directory import Query, hsds  # noqa: E402
from directory.exports import tabular as exports  # noqa: E402
from directory.stores.base import open_store  # noqa: E402


def main() -> None:
    store = open_store(None)
    result = store.search(Query(listed_since=None))
    records = result.records
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        text = exports.to_csv(result.frame)
        csv_s = time.perf_counter() - started
        started = time.perf_counter()
        counts = hsds.write_package(records, Path(tmp) / "hsds", store.taxonomy)
        hsds_s = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (Path(tmp) / "hsds").iterdir())
        started = time.perf_counter()
        data = hsds.package_zip(records, store.taxonomy)
        zip_s = time.perf_counter() - started
        started = time.perf_counter()
        check = subprocess.run(
            [
                str(Path(sys.executable).parent / "frictionless"),
                "validate",
                str(Path(tmp) / "hsds" / "datapackage.json"),
            ],
            capture_output=True,
            text=True,
        )
        validate_s = time.perf_counter() - started
    valid = "VALID" if check.returncode == 0 else "INVALID"
    rows.append(
        {
            "output": "CSV export (baseline)",
            "sites": f"{len(records):,}",
            "seconds": f"{csv_s:.2f}",
            "MB": f"{len(text.encode()) / 1e6:.1f}",
            "ratio to CSV": "1.00",
        }
    )
    rows.append(
        {
            "output": "HSDS package (folder)",
            "sites": f"{counts['location']:,}",
            "seconds": f"{hsds_s:.2f}",
            "MB": f"{size / 1e6:.1f}",
            "ratio to CSV": f"{hsds_s / csv_s:.2f}",
        }
    )
    rows.append(
        {
            "output": "HSDS package (zip)",
            "sites": f"{counts['location']:,}",
            "seconds": f"{zip_s:.2f}",
            "MB": f"{len(data) / 1e6:.1f}",
            "ratio to CSV": f"{zip_s / csv_s:.2f}",
        }
    )
    rows.append(
        {
            "output": f"frictionless validate ({valid})",
            "sites": f"{counts['location']:,}",
            "seconds": f"{validate_s:.2f}",
            "MB": "",
            "ratio to CSV": f"{validate_s / csv_s:.2f}",
        }
    )
    print("HSDS export of the national file, this machine")
    print_table(rows)
    print("rows per table: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()

"""Offline geocoding of the national file, scored against the sources' own coordinates.

Drops every record's coordinates, geocodes it from ZIP/city/state with the offline
gazetteer, and prints throughput and the error against the source coordinates,
side by side with a plain ZIP-centroid baseline (no state cross-check).

    python benchmarks/bench_geocode.py
"""

from __future__ import annotations

import time

import numpy as np
from _table import print_table

from directory.core.geo import great_circle_km
from directory.core.schema import read_facilities
from directory.geocode import offline
from directory.geocode.boundaries import lies_in_another_state


def score(name, records, located, seconds):
    ok = [i for i, r in enumerate(located) if r is not None]
    lat = np.array([located[i][0] for i in ok])
    lon = np.array([located[i][1] for i in ok])
    src_lat = np.array([float(records[i]["latitude"]) for i in ok])
    src_lon = np.array([float(records[i]["longitude"]) for i in ok])
    err = np.array([great_circle_km(*p) for p in zip(lat, lon, src_lat, src_lon, strict=True)])
    # "Wrong state": inside another state's outline and more than the outlines' 3 km
    # tolerance from its own (the same rule the build uses to flag records).
    wrong = sum(
        1
        for i, a, b in zip(ok, lat, lon, strict=True)
        if lies_in_another_state(records[i]["state"], float(a), float(b))
    )
    return {
        "method": name,
        "records": len(records),
        "placed": len(ok),
        "rec/s": f"{len(records) / seconds:,.0f}",
        "median km": f"{np.median(err):.2f}",
        "p90 km": f"{np.percentile(err, 90):.2f}",
        "max km": f"{err.max():.1f}",
        ">150 km": int((err > 150).sum()),
        "wrong state": wrong,
    }


def main() -> None:
    frame = read_facilities()
    records = frame[frame["geocode_precision"] == "source"].to_dict("records")
    geocoder = offline()
    stripped = [{k: r[k] for k in ("street1", "city", "state", "zip")} for r in records]

    geocoder.locate_record(stripped[0])  # load the gazetteer outside the timing
    start = time.perf_counter()
    ours = [geocoder.locate_record(r) for r in stripped]
    ours_s = time.perf_counter() - start

    zips = geocoder.gazetteer.zips
    start = time.perf_counter()
    baseline = [(zips[r["zip"]].lat, zips[r["zip"]].lon) if r["zip"] in zips else None for r in stripped]
    base_s = time.perf_counter() - start

    rows = [
        score("offline geocoder (ZIP, state-checked, city fallback)", records, ours, ours_s),
        score("baseline: bare ZIP centroid", records, baseline, base_s),
    ]
    precision = {}
    for r in ours:
        key = r[2] if r is not None else "not placed"
        precision[key] = precision.get(key, 0) + 1
    print_table(rows)
    print(f"precision of the offline answers: {precision}")
    print("targets: >= 20,000 rec/s; median <= 3 km; p90 <= 10 km; 0 in the wrong state")


if __name__ == "__main__":
    main()

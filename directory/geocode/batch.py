"""Geocode a facilities file: fill coordinates for rows that lack them (all rows with ``force``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tqdm import tqdm

from ..core.schema import read_facilities, write_facilities


def geocode_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    geocoder: object | None = None,
    force: bool = False,
    progress: bool = False,
) -> Counter:
    """Fill ``latitude``, ``longitude``, ``geocode_precision``; return counts per precision.

    The output is written atomically at the end. With an online geocoder every answer
    is cached as it arrives, so an interrupted run leaves no partial output and a
    rerun repeats no request.
    """
    from . import record_locator

    frame = read_facilities(input_path)
    locate = record_locator(geocoder)
    counts: Counter = Counter()
    todo = [
        i
        for i, (lat, lon) in enumerate(zip(frame["latitude"], frame["longitude"], strict=True))
        if force or not lat.strip() or not lon.strip()
    ]
    lat_col, lon_col, prec_col = (frame.columns.get_loc(c) for c in ("latitude", "longitude", "geocode_precision"))
    for i in tqdm(todo, desc="geocoding", unit="row", disable=not progress):
        record = frame.iloc[i].to_dict()
        found = locate(record)
        if found is None:
            counts["not found"] += 1
            continue
        lat, lon, precision = found
        frame.iat[i, lat_col] = f"{lat:.6f}"
        frame.iat[i, lon_col] = f"{lon:.6f}"
        frame.iat[i, prec_col] = precision
        counts[precision] += 1
    kept = len(frame) - len(todo)
    if kept:
        counts["unchanged"] = kept
    write_facilities(frame, output_path)
    return counts

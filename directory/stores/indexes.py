"""The look-ups the in-memory store builds once at load, column by column."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
import pandas as pd


def each(values: pd.Series, function: Callable[[str], str]) -> np.ndarray:
    """``function`` of every value, called once per distinct value."""
    distinct = {v: function(v) for v in pd.unique(values)}
    return np.array([distinct[v] for v in values], dtype=object)


def index(values: pd.Series) -> dict[str, np.ndarray]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, value in enumerate(values):
        if value:
            groups[value].append(i)
    return {k: np.array(v, dtype=np.int64) for k, v in groups.items()}


def city_points(
    frame: pd.DataFrame, cities: list[str], lat: np.ndarray, lon: np.ndarray
) -> dict[tuple[str, str], tuple[str, float, float]]:
    """(normalised city, state) → (label, mean latitude, mean longitude) of the directory's facilities."""
    ids: dict[tuple[str, str], int] = {}
    labels: list[str] = []
    group = np.full(len(cities), -1, dtype=np.int64)
    for i, (city, key_city, state) in enumerate(zip(frame["city"], cities, frame["state"], strict=True)):
        if not key_city or not np.isfinite(lat[i]):
            continue
        key = (key_city, str(state).upper())
        if key not in ids:
            ids[key] = len(ids)
            labels.append(f"{city}, {state}")
        group[i] = ids[key]
    ok = group >= 0
    counts = np.bincount(group[ok], minlength=len(ids))
    mean_lat = np.bincount(group[ok], weights=lat[ok], minlength=len(ids)) / np.maximum(counts, 1)
    mean_lon = np.bincount(group[ok], weights=lon[ok], minlength=len(ids)) / np.maximum(counts, 1)
    return {k: (labels[g], float(mean_lat[g]), float(mean_lon[g])) for k, g in ids.items()}

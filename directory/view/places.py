"""The towns a map may name: GeoNames places from the offline gazetteer (CC BY 4.0), largest first."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..geocode.gazetteer import Gazetteer

#: How many towns the caption names.
TOWNS = 6
#: How many towns a map is sent (the largest in and around its view); it draws those that fit.
MAP_TOWNS = 80


@lru_cache(maxsize=1)
def _places() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every GeoNames place of the gazetteer, largest first: names ("Tampa"), latitudes, longitudes, states
    and populations."""
    seen, rows = set(), []
    for group in Gazetteer.load().places.values():
        for p in group:
            key = (p.name, p.state, p.lat, p.lon)
            if key not in seen:
                seen.add(key)
                rows.append((p.population, p.name, p.lat, p.lon, p.state))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return (
        np.array([r[1] for r in rows], dtype=object),
        np.array([r[2] for r in rows], dtype=float),
        np.array([r[3] for r in rows], dtype=float),
        np.array([r[4] for r in rows], dtype=object),
        np.array([r[0] for r in rows], dtype=np.int64),
    )


def towns_in(bounds: tuple[float, float, float, float] | None, limit: int = TOWNS) -> list[str]:
    """The ``limit`` largest places inside ``bounds`` (south, north, west, east), largest first; none
    without bounds.

    >>> towns_in((27.6, 28.2, -82.9, -82.2), 3)
    ['Tampa', 'St. Petersburg', 'Clearwater']
    """
    if not bounds:
        return []
    south, north, west, east = bounds
    names, lat, lon, _states, _pop = _places()
    inside = np.flatnonzero((lat >= south) & (lat <= north) & (lon >= west) & (lon <= east))
    return [str(n) for n in names[inside[:limit]]]


def map_towns(bounds: tuple[float, float, float, float] | None, limit: int = MAP_TOWNS) -> dict[str, list] | None:
    """The largest places in ``bounds`` and around it (half its size again on every side, for panning), as
    the map component takes them: ``x``, ``y`` (3 decimals), ``n`` names and ``p`` populations, largest
    first. None without bounds."""
    if not bounds:
        return None
    south, north, west, east = bounds
    dy, dx = (north - south) / 2, (east - west) / 2
    names, lat, lon, _states, pop = _places()
    near = (lat >= south - dy) & (lat <= north + dy) & (lon >= west - dx) & (lon <= east + dx)
    within = (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
    # Three in four from the view itself (a rural view's towns are not crowded out by a metro next to it).
    inside = np.sort(
        np.concatenate([np.flatnonzero(within)[: limit * 3 // 4], np.flatnonzero(near & ~within)[: limit // 4]])
    )
    return {
        "x": [round(float(v), 3) for v in lon[inside]],
        "y": [round(float(v), 3) for v in lat[inside]],
        "n": [str(v) for v in names[inside]],
        "p": [int(v) for v in pop[inside]],
    }

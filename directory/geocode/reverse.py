"""Offline reverse lookup: the state, county, city and ZIP around a point.

For sources that give only a name and a point (FindTreatment.gov's national listing): the state
and county come from the outlines (the point inside, or the nearest within about 3 km, for points
just off a simplified coast); the ZIP is the nearest ZCTA internal point and the city the nearest
GeoNames place of 500 or more people, both in that state. These are *found*, not listed: a city
and ZIP found this way are what a person would write on an envelope, not an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from shapely.strtree import STRtree

from .boundaries import counties, states
from .gazetteer import Gazetteer


@dataclass(frozen=True)
class Surroundings:
    """What lies around a point; empty strings where nothing was found."""

    state: str
    county: str
    city: str
    zip: str


class _Nearest:
    """Nearest of a set of named points, per state (planar degrees: close enough at town scale)."""

    def __init__(self, items: list[tuple[str, str, float, float]]) -> None:
        self.by_state: dict[str, tuple[STRtree, list[str]]] = {}
        grouped: dict[str, list[tuple[str, float, float]]] = {}
        for name, state, lat, lon in sorted(items):
            grouped.setdefault(state, []).append((name, lat, lon))
        for state, rows in grouped.items():
            points = shapely.points([r[2] for r in rows], [r[1] for r in rows])
            self.by_state[state] = (STRtree(points), [r[0] for r in rows])

    def find(self, state: str, lats: np.ndarray, lons: np.ndarray) -> list[str]:
        if state not in self.by_state or not len(lats):
            return [""] * len(lats)
        tree, names = self.by_state[state]
        _, found = tree.query_nearest(shapely.points(lons, lats), all_matches=False)
        return [names[i] for i in found]


@lru_cache(maxsize=1)
def _lookups() -> tuple[_Nearest, _Nearest]:
    gazetteer = Gazetteer.load()
    zips = _Nearest([(z.zip, z.state, z.lat, z.lon) for z in gazetteer.zips.values()])
    seen = {(p.name, p.state, p.lat, p.lon) for places in gazetteer.places.values() for p in places}
    return zips, _Nearest(list(seen))


#: A point this far (degrees, about 3 km) outside every outline still takes the nearest one.
OFFSHORE_DEGREES = 0.03


def surroundings(lats, lons) -> list[Surroundings]:
    """For each point, its :class:`Surroundings` (vectorised; order kept).

    >>> [s.state for s in surroundings([27.9506], [-82.4572])]
    ['FL']
    """
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    state_index, county_index = states(), counties()
    in_state = state_index.locate(lats, lons, near=OFFSHORE_DEGREES)
    in_county = county_index.locate(lats, lons, near=OFFSHORE_DEGREES)
    codes = np.array([state_index.regions[i].state if i >= 0 else "" for i in in_state], dtype=object)
    zips, cities = _lookups()
    zip_of = np.full(len(lats), "", dtype=object)
    city_of = np.full(len(lats), "", dtype=object)
    for code in sorted(set(codes) - {""}):
        rows = np.flatnonzero(codes == code)
        zip_of[rows] = zips.find(code, lats[rows], lons[rows])
        city_of[rows] = cities.find(code, lats[rows], lons[rows])
    out = []
    for n in range(len(lats)):
        county = ""
        i = in_county[n]
        if i >= 0 and county_index.regions[i].state == codes[n]:
            county = county_index.regions[i].name
        out.append(Surroundings(codes[n], county, city_of[n], zip_of[n]))
    return out

"""State and county outlines (Census 2017, 1:10m) with a shapely STRtree for point-in-polygon.

The outlines are simplified, so a coastal or border facility can fall just
outside every polygon: such points take the nearest county within
:data:`NEAR_DEGREES`, and a point counts as outside its stated state only when
it lies inside another state's outline and farther than that from its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from ..core import paths
from ..core.facility import Facility

#: About 3 km: the tolerance for the simplified outlines.
NEAR_DEGREES = 0.03


@dataclass(frozen=True)
class Region:
    fips: str
    name: str
    state: str


class RegionIndex:
    """Polygons with their names, an STRtree built once, and vectorised lookups."""

    def __init__(self, regions: list[Region], geometries: list) -> None:
        self.regions = regions
        self.geometries = np.array(geometries, dtype=object)
        self.tree = STRtree(self.geometries)
        #: USPS code → indices of its regions (one for states, many for counties), built once.
        self.by_state: dict[str, list[int]] = {}
        for i, region in enumerate(regions):
            self.by_state.setdefault(region.state, []).append(i)

    @classmethod
    def from_geojson(cls, path: Path) -> RegionIndex:
        data = json.loads(path.read_text(encoding="utf-8"))
        regions, geoms = [], []
        for feature in data["features"]:
            props = feature["properties"]
            regions.append(Region(props["fips"], props["name"], props.get("state", "")))
            geoms.append(shape(feature["geometry"]))
        return cls(regions, geoms)

    def locate(self, lats: np.ndarray, lons: np.ndarray, *, near: float = NEAR_DEGREES) -> np.ndarray:
        """For each point, the index of the region containing it (or the nearest within ``near``), else -1."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        found = np.full(len(points), -1, dtype=np.int64)
        point_idx, region_idx = self.tree.query(points, predicate="within")
        # A point on a shared border may be in two polygons: keep the first, deterministically.
        order = np.lexsort((region_idx, point_idx))
        point_idx, region_idx = point_idx[order], region_idx[order]
        first = np.unique(point_idx, return_index=True)[1]
        found[point_idx[first]] = region_idx[first]
        missing = np.flatnonzero(found < 0)
        if len(missing) and near > 0:
            near_points, near_regions = self.tree.query_nearest(points[missing], max_distance=near, all_matches=False)
            found[missing[near_points]] = near_regions
        return found

    def distance_to(self, indices: np.ndarray, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Planar distance in degrees from each point to the region at ``indices`` (0 inside)."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        return shapely.distance(self.geometries[indices], points)


@lru_cache(maxsize=2)
def counties(folder: Path | None = None) -> RegionIndex:
    return RegionIndex.from_geojson(Path(folder or paths.BOUNDARIES_DIR) / "us_counties_2017_10m.geojson")


@lru_cache(maxsize=2)
def states(folder: Path | None = None) -> RegionIndex:
    return RegionIndex.from_geojson(Path(folder or paths.BOUNDARIES_DIR) / "us_states_2017_10m.geojson")


def fill_counties(records: list[Facility]) -> tuple[list[Facility], int]:
    """The records with ``county`` set, from their coordinates, where it was empty; and how many were filled."""
    todo = [n for n, r in enumerate(records) if not r.county and r.latitude is not None]
    if not todo:
        return records, 0
    index = counties()
    found = index.locate(
        np.array([records[n].latitude for n in todo], dtype=float),
        np.array([records[n].longitude for n in todo], dtype=float),
    )
    out = list(records)
    filled = 0
    for n, i in zip(todo, found, strict=True):
        record = records[n]
        if i < 0 or index.regions[i].state != record.state:
            # On a border or just off the simplified coast: the nearest county of its own state.
            i = _nearest_in_state(index, record, OWN_STATE_DEGREES)
        if i >= 0:
            out[n] = replace(record, county=index.regions[i].name)
            filled += 1
    return out, filled


#: How far (degrees, about 10 km) a border or coastal point may be from a county of its own state.
OWN_STATE_DEGREES = 0.1


def _nearest_in_state(index: RegionIndex, record: Facility, limit: float) -> int:
    point = shapely.points(record.longitude, record.latitude)
    candidates = index.by_state.get(record.state, [])
    if not candidates:
        return -1
    distances = shapely.distance(index.geometries[candidates], point)
    best = int(np.argmin(distances))
    return candidates[best] if distances[best] <= limit else -1


def outside_stated_state(records: list[Facility]) -> list[dict[str, str]]:
    """Records whose coordinates lie inside another state's outline, away from their own state.

    They are listed (for the build report), never moved.
    """
    index = states()
    by_code = {code: rows[0] for code, rows in index.by_state.items()}
    candidates = [r for r in records if r.latitude is not None and r.state in by_code]
    if not candidates:
        return []
    lats = np.array([r.latitude for r in candidates], dtype=float)
    lons = np.array([r.longitude for r in candidates], dtype=float)
    inside = index.locate(lats, lons, near=0)
    own = np.array([by_code[r.state] for r in candidates])
    suspicious = np.flatnonzero((inside >= 0) & (inside != own))
    if not len(suspicious):
        return []
    far = index.distance_to(own[suspicious], lats[suspicious], lons[suspicious]) > NEAR_DEGREES
    flagged = []
    for i in suspicious[far]:
        record = candidates[i]
        row = record.to_row()
        flagged.append(
            {
                "facility_id": record.facility_id,
                "name": record.name,
                "state": record.state,
                "falls_in": index.regions[inside[i]].state,
                "latitude": row["latitude"],
                "longitude": row["longitude"],
                "source": record.source,
            }
        )
    return flagged


@lru_cache(maxsize=65536)
def lies_in_another_state(state: str, lat: float, lon: float) -> bool:
    """True when (lat, lon) is inside the outline of a state other than ``state``.

    A ZCTA's internal point can sit across a state line (Evanston, WY 82930 → 30 km
    into Utah): a record geocoded there would be listed in the wrong state. Points
    outside every outline (off a simplified coast), or within :data:`NEAR_DEGREES` of
    their own state (the 1:10m outlines put Wilder, VT 2 km into New Hampshire), do not count.
    """
    index = states()
    found = index.locate([lat], [lon], near=0)[0]
    if found < 0 or index.regions[found].state == state:
        return False
    own = index.by_state.get(state, [None])[0]
    return own is None or float(index.distance_to(np.array([own]), [lat], [lon])[0]) > NEAR_DEGREES

"""The offline gazetteer: Census ZCTA points, GeoNames places (CC-BY 4.0) and state centroids.

Loaded once per process from ``data/gazetteer`` and ``data/boundaries``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shapely.geometry import shape

from ..core import paths
from ..core.normalize import norm_city
from ..core.states import STATES


@dataclass(frozen=True)
class NamedPlace:
    """A populated place from GeoNames (a gazetteer entry, not a geocoding answer)."""

    name: str
    state: str
    lat: float
    lon: float
    population: int

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


@dataclass(frozen=True)
class ZipPoint:
    zip: str
    state: str
    lat: float
    lon: float


class Gazetteer:
    """Lookup tables for the offline geocoder.

    ``places`` maps a normalised city key (``norm_city``) to places sorted by
    population, largest first; ``alternates`` does the same for GeoNames'
    alternate names and is consulted only when the primary names do not match.
    """

    def __init__(
        self,
        zips: dict[str, ZipPoint],
        places: dict[str, list[NamedPlace]],
        alternates: dict[str, list[NamedPlace]],
        state_points: dict[str, tuple[float, float]],
    ) -> None:
        self.zips = zips
        self.places = places
        self.alternates = alternates
        self.state_points = state_points
        self.zip3: dict[str, tuple[float, float, str]] = _zip3_centres(zips)
        self._labels: dict[str | None, list[str]] = {}

    @classmethod
    def load(cls, gazetteer_dir: Path | None = None, boundaries_dir: Path | None = None) -> Gazetteer:
        return _load(Path(gazetteer_dir or paths.GAZETTEER_DIR), Path(boundaries_dir or paths.BOUNDARIES_DIR))

    def find_places(self, city: str, state: str | None = None) -> list[NamedPlace]:
        """Places called ``city`` (any spelling of St./Saint, Ft./Fort …), in ``state`` when given."""
        key = norm_city(city)
        found = self.places.get(key, [])
        if state:
            found = [p for p in found if p.state == state]
        if not found:
            found = self.alternates.get(key, [])
            if state:
                found = [p for p in found if p.state == state]
        return found

    def names_in(self, state: str | None = None) -> list[str]:
        """NamedPlace labels (``"Tampa, FL"``), in ``state`` when given; cached, used for suggestions."""
        if state not in self._labels:
            self._labels[state] = sorted(
                {p.label for ps in self.places.values() for p in ps if state is None or p.state == state}
            )
        return self._labels[state]


def _zip3_centres(zips: dict[str, ZipPoint]) -> dict[str, tuple[float, float, str]]:
    groups: dict[str, list[ZipPoint]] = {}
    for z in zips.values():
        groups.setdefault(z.zip[:3], []).append(z)
    centres = {}
    for prefix, members in groups.items():
        states = [m.state for m in members]
        centres[prefix] = (
            sum(m.lat for m in members) / len(members),
            sum(m.lon for m in members) / len(members),
            max(set(states), key=states.count),
        )
    return centres


@lru_cache(maxsize=2)
def _load(gazetteer_dir: Path, boundaries_dir: Path) -> Gazetteer:
    zips: dict[str, ZipPoint] = {}
    with (gazetteer_dir / "census_zcta2020_internal_points.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            zips[row["zcta"]] = ZipPoint(row["zcta"], row["state"], float(row["lat"]), float(row["lon"]))
    places: dict[str, list[NamedPlace]] = {}
    alternates: dict[str, list[NamedPlace]] = {}
    with (gazetteer_dir / "geonames_us_places_pop500.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            place = NamedPlace(
                row["name"], row["state"], float(row["lat"]), float(row["lon"]), int(row["population"] or 0)
            )
            key = norm_city(place.name)
            places.setdefault(key, []).append(place)
            for alt in row["ascii_alternate_names"].split("|"):
                alt_key = norm_city(alt)
                # Short alternates are mostly airport and station codes ("KKI").
                if len(alt_key) >= 4 and alt_key != key:
                    alternates.setdefault(alt_key, []).append(place)
    for table in (places, alternates):
        for key in table:
            table[key].sort(key=lambda p: (-p.population, p.state, p.name))
    return Gazetteer(zips, places, alternates, _state_points(boundaries_dir))


def _state_points(boundaries_dir: Path) -> dict[str, tuple[float, float]]:
    """A point inside each state: its centroid, or a point on its surface when the centroid falls outside."""
    data = json.loads((boundaries_dir / "us_states_2017_10m.geojson").read_text(encoding="utf-8"))
    points = {}
    for feature in data["features"]:
        code = feature["properties"]["state"]
        if code not in STATES:
            continue
        geom = shape(feature["geometry"])
        point = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
        points[code] = (round(point.y, 5), round(point.x, 5))
    return points

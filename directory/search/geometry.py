"""Search-area geometry: lon/lat boxes, circles, polygons, and the point index.

Distances are :func:`directory.core.geo.great_circle` (a test checks a sample against geopy).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry

from ..core.errors import InputFileError
from ..core.geo import EARTH_RADIUS_MILES, MILES_PER_DEGREE, haversine_miles


def bounding_boxes(lat: float, lon: float, radius_miles: float) -> list[tuple[float, float, float, float]]:
    """Lon/lat boxes ``(minx, miny, maxx, maxy)`` that cover the circle; split at the antimeridian."""
    dlat = radius_miles / MILES_PER_DEGREE
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if north >= 89.9 or south <= -89.9:
        return [(-180.0, south, 180.0, north)]
    # The widest point of the circle is poleward of its centre: use the larger |latitude|.
    widest = max(abs(south), abs(north))
    dlon = min(180.0, dlat / max(math.cos(math.radians(widest)), 1e-9))
    west, east = lon - dlon, lon + dlon
    if dlon >= 180.0:
        return [(-180.0, south, 180.0, north)]
    if west < -180.0:
        return [(west + 360.0, south, 180.0, north), (-180.0, south, east, north)]
    if east > 180.0:
        return [(west, south, 180.0, north), (-180.0, south, east - 360.0, north)]
    return [(west, south, east, north)]


def circle(lat: float, lon: float, radius_miles: float, vertices: int = 72) -> Polygon:
    """The search area as a lon/lat polygon of points ``radius_miles`` from the centre."""
    d = radius_miles / EARTH_RADIUS_MILES
    p1, l1 = math.radians(lat), math.radians(lon)
    points = []
    for i in range(vertices):
        bearing = 2 * math.pi * i / vertices
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
        l2 = l1 + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
        points.append((round((math.degrees(l2) + 540) % 360 - 180, 6), round(math.degrees(p2), 6)))
    return Polygon(points)


def load_polygon(source: str | Path | dict | BaseGeometry) -> BaseGeometry:
    """A polygon from GeoJSON (geometry, Feature or FeatureCollection; a dict, text or file path)."""
    if isinstance(source, BaseGeometry):
        geom = source
    else:
        data = source
        if isinstance(source, (str, Path)):
            text = str(source)
            try:
                data = json.loads(text) if text.lstrip().startswith("{") else json.loads(Path(text).read_text("utf-8"))
            except FileNotFoundError:
                raise InputFileError(f"{source}: no such GeoJSON file") from None
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputFileError(f"{source}: not valid GeoJSON ({exc})") from None
        try:
            if data.get("type") == "FeatureCollection":
                geom = shapely.union_all([shape(f["geometry"]) for f in data["features"]])
            elif data.get("type") == "Feature":
                geom = shape(data["geometry"])
            else:
                geom = shape(data)
        except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            raise InputFileError(f"within: not a GeoJSON polygon ({type(exc).__name__})") from None
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputFileError(f"within: expected a Polygon or MultiPolygon, got {geom.geom_type}")
    shapely.prepare(geom)
    return geom


class PointIndex:
    """A shapely STRtree over lon/lat points, built once; radius and k-nearest in great-circle miles.

    Queries return positions into the caller's arrays (the shapely habit).

    >>> index = PointIndex(np.array([27.95, 28.54]), np.array([-82.46, -81.38]))
    >>> rows, miles = index.within(27.95, -82.46, 25)
    >>> rows.tolist()
    [0]
    """

    def __init__(self, lat: np.ndarray, lon: np.ndarray) -> None:
        from shapely.strtree import STRtree

        self.lat = np.asarray(lat, dtype=float)
        self.lon = np.asarray(lon, dtype=float)
        self.located = np.flatnonzero(~(np.isnan(self.lat) | np.isnan(self.lon)))
        self.tree = STRtree(shapely.points(self.lon[self.located], self.lat[self.located]))

    def candidates(self, lat: float, lon: float, radius_miles: float) -> np.ndarray:
        """Rows inside the lon/lat boxes covering the circle (a superset of the answer)."""
        hits = [self.tree.query(shapely.box(*b)) for b in bounding_boxes(lat, lon, radius_miles)]
        found = np.unique(np.concatenate(hits)) if len(hits) > 1 else hits[0]
        return self.located[found]

    def within(
        self, lat: float, lon: float, radius_miles: float, keep: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows within ``radius_miles`` (exact great-circle), with their distances; ``keep`` masks rows."""
        rows = self.candidates(lat, lon, radius_miles)
        if keep is not None:
            rows = rows[keep[rows]]
        distances = haversine_miles(lat, lon, self.lat[rows], self.lon[rows])
        inside = distances <= radius_miles
        return rows[inside], distances[inside]

    def nearest(
        self, lat: float, lon: float, k: int, keep: np.ndarray | None = None, *, max_miles: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest rows (none farther than ``max_miles``), nearest first: the radius grows until
        k rows fall inside the exact circle.

        STRtree's own nearest is planar; points inside the exact circle are exactly the
        points nearer than its radius, so the first radius holding k of them holds the k nearest.
        """
        available = int(keep[self.located].sum()) if keep is not None else len(self.located)
        limit = min(max_miles or MAX_NEAREST_MILES, MAX_NEAREST_MILES)
        radius = min(10.0, limit)
        while True:
            rows, distances = self.within(lat, lon, radius, keep)
            if len(rows) >= min(k, available) or radius >= limit:
                break
            radius = min(radius * 4, limit)
        order = np.lexsort((rows, distances))[:k]
        return rows[order], distances[order]


#: Half the Earth's circumference, and a bit: a circle this big holds every point.
MAX_NEAREST_MILES = 12_500.0

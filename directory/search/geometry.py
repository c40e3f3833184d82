"""Great-circle distances and search-area geometry.

Distances are great-circle (haversine) on the mean Earth radius, 3958.7613 miles
(IUGG R1 = 6371.0088 km). Against geopy's ellipsoidal ``geodesic`` they differ by at
most about 0.5 % (a test checks a sample).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry

from ..errors import InputFileError

EARTH_RADIUS_MILES = 3958.7613
MILES_PER_DEGREE = EARTH_RADIUS_MILES * math.pi / 180


def haversine_miles(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle miles from (lat, lon) to each point (arrays in degrees)."""
    p1 = math.radians(lat)
    p2 = np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lons) - math.radians(lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


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

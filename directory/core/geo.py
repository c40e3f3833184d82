"""Points on the Earth: the one place type and the one great-circle distance.

Every geocoder answers with a :class:`Place`; every distance in the library (search radii,
the linker's metres, the geocoder's checks) is :func:`great_circle` on the mean Earth radius
(IUGG R1 = 6371.0088 km). Against geopy's ellipsoidal ``geodesic`` it differs by at most
about 0.5 %.

>>> round(great_circle_km(27.9475, -82.4584, 28.5383, -81.3792), 1)   # Tampa → Orlando
124.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

EARTH_RADIUS_KM = 6371.0088
EARTH_RADIUS_MILES = 3958.7613
MILES_PER_DEGREE = EARTH_RADIUS_MILES * math.pi / 180
METRES_PER_MILE = 1609.344


@dataclass(frozen=True)
class Place:
    """A resolved location: what a person typed (``query``), turned into a point.

    ``precision`` says how exact it is: ``coordinates``, ``address``, ``zip``, ``city`` or
    ``state``. ``alternatives`` are other places the text could mean.
    """

    query: str
    label: str
    latitude: float
    longitude: float
    precision: str
    state: str | None = None
    alternatives: tuple[Place, ...] = field(default_factory=tuple)
    #: Which geocoder answered (``offline``, or an online provider's name).
    provider: str = "offline"

    @property
    def point(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "label": self.label,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "precision": self.precision,
            "alternatives": [
                {"label": a.label, "latitude": a.latitude, "longitude": a.longitude} for a in self.alternatives
            ],
        }


def great_circle(lat: float, lon: float, lats, lons, *, radius: float = EARTH_RADIUS_MILES):
    """Great-circle (haversine) distance from ``(lat, lon)`` to a point or to arrays of points, in
    the unit of ``radius`` (miles by default). Plain floats in, a float out (the linker calls it
    hundreds of thousands of times); arrays in, an array out.

    >>> round(great_circle(27.9475, -82.4584, 28.5383, -81.3792), 2)
    77.34
    >>> great_circle(0.0, 0.0, np.array([0.0, 1.0]), np.array([1.0, 0.0])).round(1).tolist()
    [69.1, 69.1]
    """
    if isinstance(lats, float | int) and isinstance(lons, float | int):
        p1, p2 = math.radians(lat), math.radians(lats)
        dp, dl = p2 - p1, math.radians(lons - lon)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * radius * math.asin(min(1.0, math.sqrt(a)))
    p1 = math.radians(lat)
    p2 = np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lons) - math.radians(lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * radius * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle kilometres between two points."""
    return great_circle(lat1, lon1, lat2, lon2, radius=EARTH_RADIUS_KM)


def haversine_miles(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle miles from (lat, lon) to each point (arrays in degrees)."""
    return great_circle(lat, lon, np.asarray(lats, dtype=float), np.asarray(lons, dtype=float))

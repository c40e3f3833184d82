"""Geosearch: radius and nearest search with filters and facets.

>>> store = Directory.load()
>>> result = store.search(Query(near="Tampa, FL", services=("detox",)))
>>> result.describe().startswith("Detox within 25 miles of Tampa, FL:")
True
"""

from ..geo import EARTH_RADIUS_MILES, haversine_miles
from .engine import Directory
from .geometry import PointIndex, bounding_boxes, circle, load_polygon
from .query import Query
from .result import SearchResult, describe

__all__ = [
    "EARTH_RADIUS_MILES",
    "Directory",
    "PointIndex",
    "Query",
    "SearchResult",
    "bounding_boxes",
    "circle",
    "describe",
    "haversine_miles",
    "load_polygon",
]

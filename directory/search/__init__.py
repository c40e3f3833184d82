"""The search itself, below every store: the query, the result, the geometry and the rules both
stores follow (the nearest fallback, name matching, ordering, place resolution, the state key).

>>> Query(near="Tampa, FL", services=("detox",)).radius_miles
25.0
"""

from ..core.geo import EARTH_RADIUS_MILES, haversine_miles
from .geometry import PointIndex, bounding_boxes, circle, load_polygon
from .query import Query
from .result import SearchResult, describe

__all__ = [
    "EARTH_RADIUS_MILES",
    "PointIndex",
    "Query",
    "SearchResult",
    "bounding_boxes",
    "circle",
    "describe",
    "haversine_miles",
    "load_polygon",
]

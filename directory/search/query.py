"""The search query: a frozen dataclass, validated against the vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import QueryError, UnknownNameError
from ..taxonomy import Taxonomy

MAX_RADIUS_MILES = 500.0
DEFAULT_RADIUS_MILES = 25.0
FALLBACK_NEAREST = 10
MAX_TEXT = 200

#: Query field → taxonomy family of its values (services also accept raw codes).
FAMILY_OF = {
    "services": "service",
    "medications": "medication",
    "accreditations": "accreditation",
    "payments": "payment",
    "populations": "population",
}


def _tuple(values: object) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    return tuple(str(v).strip() for v in values if str(v).strip())


@dataclass(frozen=True)
class Query:
    """What to search for. Values within a family combine by ``match`` (services) or OR (the
    others); different families combine by AND.

    >>> Query(near="Tampa, FL", services=("detox",)).radius_miles
    25.0
    """

    near: str | tuple[float, float] | None = None
    radius_miles: float = DEFAULT_RADIUS_MILES
    nearest: int | None = None
    services: tuple[str, ...] = ()
    match: str = "any"
    medications: tuple[str, ...] = ()
    accreditations: tuple[str, ...] = ()
    payments: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()
    city: str | None = None
    state: str | None = None
    county: str | None = None
    name: str | None = None
    within: object | None = field(default=None, compare=False)
    sort: str = "distance"
    limit: int | None = None

    def __post_init__(self) -> None:
        for name in FAMILY_OF:
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        if isinstance(self.near, list):
            object.__setattr__(self, "near", tuple(self.near))
        try:
            object.__setattr__(self, "radius_miles", float(self.radius_miles))
        except (TypeError, ValueError):
            raise QueryError(f"radius must be a number of miles, not {self.radius_miles!r}", "radius_miles") from None
        if not 0 < self.radius_miles <= MAX_RADIUS_MILES:
            raise QueryError(f"radius must be more than 0 and at most {MAX_RADIUS_MILES:g} miles, "
                             f"not {self.radius_miles:g}", "radius_miles")
        if self.nearest is not None and not 1 <= int(self.nearest) <= 1000:
            raise QueryError(f"nearest must be between 1 and 1000, not {self.nearest}", "nearest")
        if self.limit is not None and int(self.limit) < 1:
            raise QueryError(f"limit must be at least 1, not {self.limit}", "limit")
        if self.match not in ("any", "all"):
            raise QueryError(f"match must be 'any' or 'all', not {self.match!r}", "match")
        if self.sort not in ("distance", "name"):
            raise QueryError(f"sort must be 'distance' or 'name', not {self.sort!r}", "sort")
        for name in ("city", "state", "county", "name"):
            value = getattr(self, name)
            if value is not None and len(str(value)) > MAX_TEXT:
                raise QueryError(f"{name} is longer than {MAX_TEXT} characters", name)
        if isinstance(self.near, str) and len(self.near) > MAX_TEXT:
            raise QueryError(f"near is longer than {MAX_TEXT} characters", "near")
        if isinstance(self.near, tuple):
            if len(self.near) != 2:
                raise QueryError("near as coordinates must be (latitude, longitude)", "near")
            lat, lon = (float(v) for v in self.near)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise QueryError(f"near coordinates out of range: {lat}, {lon}", "near")
            object.__setattr__(self, "near", (lat, lon))

    def with_(self, **changes: object) -> "Query":
        return replace(self, **changes)

    def groups(self, taxonomy: Taxonomy) -> dict[str, list]:
        """Each family's values resolved to groups; unknown names raise with suggestions."""
        resolved = {}
        for name in FAMILY_OF:
            try:
                resolved[name] = [taxonomy.resolve(v, None if name == "services" else FAMILY_OF[name])
                                  for v in getattr(self, name)]
            except UnknownNameError as exc:
                exc.field = name
                raise
        return resolved

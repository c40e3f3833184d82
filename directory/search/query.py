"""The search query: a frozen dataclass whose filter fields come from the filter registry.

:data:`~directory.core.filters.FILTERS` declares the filters; :class:`Query` has one field per
filter (a tuple of names for group filters, a string for the others) besides the place,
radius, ``match``, ``within``, ``sort`` and ``limit``.
"""

from __future__ import annotations

from dataclasses import field, make_dataclass, replace

from ..core.errors import QueryError, UnknownNameError
from ..core.filters import DATE_KINDS, FILTERS, GROUP_FILTERS, MAX_TEXT, TEXT_FILTERS, parse_since
from ..core.taxonomy import Group, Taxonomy

MAX_RADIUS_MILES = 500.0
DEFAULT_RADIUS_MILES = 25.0
FALLBACK_NEAREST = 10
#: Nearest results (asked for, or shown when nothing is inside the radius) are at most this far
#: away by default: a clinic 1,000 miles off is no answer to "near Tampa".
NEAREST_WITHIN_MILES = 100.0
MAX_NEAREST_WITHIN_MILES = 12_500.0
#: The longest trip a "within N minutes" limit may name (a day's drive).
MAX_MINUTES = 600.0

#: Query field → taxonomy family of its values (services also accept raw codes).
FAMILY_OF = {f.field: f.family for f in GROUP_FILTERS}


def _tuple(values: object) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    return tuple(str(v).strip() for v in values if str(v).strip())  # type: ignore[union-attr]


class _QueryMethods:
    """Validation and helpers of :class:`Query` (its fields are made from the registry below)."""

    def __post_init__(self) -> None:
        for f in GROUP_FILTERS:
            object.__setattr__(self, f.field, _tuple(getattr(self, f.field)))
        if isinstance(self.near, list):
            object.__setattr__(self, "near", tuple(self.near))
        try:
            object.__setattr__(self, "radius_miles", float(self.radius_miles))
        except (TypeError, ValueError):
            raise QueryError(f"radius must be a number of miles, not {self.radius_miles!r}", "radius_miles") from None
        if not 0 < self.radius_miles <= MAX_RADIUS_MILES:
            raise QueryError(
                f"radius must be more than 0 and at most {MAX_RADIUS_MILES:g} miles, not {self.radius_miles:g}",
                "radius_miles",
            )
        try:
            object.__setattr__(self, "nearest_within_miles", float(self.nearest_within_miles))
        except (TypeError, ValueError):
            raise QueryError(
                f"nearest_within_miles must be a number of miles, not {self.nearest_within_miles!r}",
                "nearest_within_miles",
            ) from None
        if not 0 < self.nearest_within_miles <= MAX_NEAREST_WITHIN_MILES:
            raise QueryError(
                f"nearest_within_miles must be more than 0 and at most {MAX_NEAREST_WITHIN_MILES:,.0f}, "
                f"not {self.nearest_within_miles:g}",
                "nearest_within_miles",
            )
        if self.nearest is not None and not 1 <= int(self.nearest) <= 1000:
            raise QueryError(f"nearest must be between 1 and 1000, not {self.nearest}", "nearest")
        if self.limit is not None and int(self.limit) < 1:
            raise QueryError(f"limit must be at least 1, not {self.limit}", "limit")
        if self.match not in ("any", "all"):
            raise QueryError(f"match must be 'any' or 'all', not {self.match!r}", "match")
        if self.max_minutes is not None:
            try:
                object.__setattr__(self, "max_minutes", float(self.max_minutes))
            except (TypeError, ValueError):
                raise QueryError(
                    f"max_minutes must be a number of minutes, not {self.max_minutes!r}", "max_minutes"
                ) from None
            if not 0 < self.max_minutes <= MAX_MINUTES:
                raise QueryError(
                    f"max_minutes must be more than 0 and at most {MAX_MINUTES:g}, not {self.max_minutes:g}",
                    "max_minutes",
                )
        if self.order not in (None, "drive_time", "distance"):
            raise QueryError(f"order must be 'drive_time' or 'distance', not {str(self.order)[:40]!r}", "order")
        if not isinstance(self.travel, str) or not self.travel.isidentifier() or len(self.travel) > 20:
            raise QueryError(f"travel must be a routing profile such as 'car', not {str(self.travel)[:40]!r}", "travel")
        if self.ids is not None:
            object.__setattr__(self, "ids", tuple(str(i) for i in self.ids))
        if self.sort not in ("distance", "name"):
            raise QueryError(f"sort must be 'distance' or 'name', not {self.sort!r}", "sort")
        for f in TEXT_FILTERS:
            value = getattr(self, f.field)
            if f.kind in DATE_KINDS:
                try:
                    object.__setattr__(self, f.field, parse_since(value))
                except ValueError as exc:
                    raise QueryError(str(exc), f.field) from None
                continue
            if f.kind == "choice" and value is not None:
                chosen = str(value).strip().lower()
                values = [v for v, _ in f.choices]
                if chosen and chosen not in values:
                    raise QueryError(f"{f.param} must be one of {', '.join(values)}, not {str(value)[:40]!r}", f.field)
                object.__setattr__(self, f.field, chosen or None)
                continue
            if value is not None and len(str(value)) > MAX_TEXT:
                raise QueryError(f"{f.field} is longer than {MAX_TEXT} characters", f.field)
        if isinstance(self.near, str) and len(self.near) > MAX_TEXT:
            raise QueryError(f"near is longer than {MAX_TEXT} characters", "near")
        if isinstance(self.near, tuple):
            if len(self.near) != 2:
                raise QueryError("near as coordinates must be (latitude, longitude)", "near")
            lat, lon = (float(v) for v in self.near)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise QueryError(f"near coordinates out of range: {lat}, {lon}", "near")
            object.__setattr__(self, "near", (lat, lon))

    def with_(self, **changes: object) -> Query:
        return replace(self, **changes)  # type: ignore[type-var]

    def groups(self, taxonomy: Taxonomy) -> dict[str, list[Group]]:
        """Each group filter's values resolved to groups; unknown names raise with suggestions."""
        resolved = {}
        for f in GROUP_FILTERS:
            try:
                resolved[f.field] = [
                    taxonomy.resolve(v, None if f.field == "services" else f.family) for v in getattr(self, f.field)
                ]
            except UnknownNameError as exc:
                exc.field = f.field
                raise
        return resolved

    def filters(self) -> dict[str, object]:
        """The filters set to something other than their default, by Query field, in registry order."""
        return {
            f.field: getattr(self, f.field)
            for f in FILTERS
            if getattr(self, f.field) and getattr(self, f.field) != f.default
        }


def _fields() -> list[tuple]:
    specs: list[tuple] = [
        ("near", "str | tuple[float, float] | None", field(default=None)),
        ("radius_miles", "float", field(default=DEFAULT_RADIUS_MILES)),
        ("nearest", "int | None", field(default=None)),
        ("nearest_within_miles", "float", field(default=NEAREST_WITHIN_MILES)),
    ]
    for f in FILTERS:
        if f.repeatable:
            specs.append((f.field, "tuple[str, ...]", field(default=())))
        elif f.kind in DATE_KINDS:
            specs.append((f.field, "datetime.date | None", field(default=f.default)))
        else:
            specs.append((f.field, "str | None", field(default=None)))
    specs += [
        ("match", "str", field(default="any")),
        ("within", "object | None", field(default=None, compare=False)),
        ("sort", "str", field(default="distance")),
        ("limit", "int | None", field(default=None)),
        # Drive time (directory.search.drive): a limit in minutes, what "nearest" means (None: drive
        # time when a routing engine is set up, else straight-line distance), the routing profile.
        ("max_minutes", "float | None", field(default=None)),
        ("order", "str | None", field(default=None)),
        ("travel", "str", field(default="car")),
        # False: never ask the routing engine (a count that needs no minutes, e.g. why a search is empty).
        ("measure", "bool", field(default=True)),
        # Only these facility ids (None: any): how a drive-time search asks for the sites it found in time.
        ("ids", "tuple[str, ...] | None", field(default=None)),
    ]
    return specs


Query = make_dataclass("Query", _fields(), bases=(_QueryMethods,), frozen=True)
Query.__module__ = __name__
Query.__doc__ = """What to search for. Values within a group filter combine by ``match`` (services) or OR
(the others); different filters combine by AND. One field per entry of the filter registry.

With a place, ``radius_miles`` bounds the search; ``nearest`` asks for the k nearest instead. When
nothing is inside the radius, the :data:`FALLBACK_NEAREST` nearest matches are returned with a
note. Nearest results are never farther than ``nearest_within_miles`` (default 100). Only sites
some source listed on or after ``listed_since`` are found (default 2021-01-01; None for any date).

>>> Query(near="Tampa, FL", services=("detox",)).radius_miles
25.0
>>> Query(languages="spanish").languages
('spanish',)
>>> Query().listed_since, Query(listed_since="any").listed_since
(datetime.date(2021, 1, 1), None)
"""

"""The rules every store follows, so that both answer the same: where a search is centred, how
names match, how a result is ordered, how a state is keyed, and what a result says when nothing was
inside its radius. Each store imports them from here; none keeps its own copy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rapidfuzz import fuzz

from ..core.errors import LocationNotFound, QueryError
from ..core.geo import Place
from ..core.i18n import _, compact, ngettext, number
from ..core.normalize import norm_city
from ..core.states import state_code
from ..geocode import locate, parse_query
from .query import FALLBACK_NEAREST, Query

__all__ = [
    "FALLBACK_NEAREST",
    "NAME_SCORE",
    "fallback_note",
    "name_matches",
    "order_rows",
    "resolve_place",
    "state_key",
]

#: Fuzzy name match threshold (rapidfuzz ratio on normalised names): how close a typed word must be.
NAME_SCORE = 80


def order_rows(
    query: Query, rows: np.ndarray, distances: np.ndarray | None, names: Callable[[], np.ndarray]
) -> np.ndarray:
    """A result's order, the same in every store: by distance, else by name (``names()``: the rows'
    lower-cased names, asked for only then); ties by file order."""
    if distances is not None and query.sort == "distance":
        return np.lexsort((rows, distances))
    return np.lexsort((rows, names()))


def resolve_place(
    near: str | tuple[float, float],
    geocoder: object | None,
    own_city: Callable[[str, str], tuple[str, float, float] | None],
) -> Place:
    """Where a search for ``near`` is centred, for any store: coordinates as given, else the geocoder,
    else ``own_city(normalised city, state)`` — the store's own (label, latitude, longitude) of a
    "City, ST" its records use — else :class:`LocationNotFound`."""
    if isinstance(near, tuple):
        lat, lon = near
        return Place(f"{lat:.5f}, {lon:.5f}", f"{lat:.5f}, {lon:.5f}", lat, lon, "coordinates")
    try:
        return locate(near, geocoder)
    except LocationNotFound:
        parsed = parse_query(near)
        own = (
            own_city(norm_city(parsed.city), parsed.state or "")
            if parsed.city and not parsed.street and not parsed.zip
            else None
        )
        if own is None:
            raise
        label, lat, lon = own
        return Place(near, label, lat, lon, "city")


def name_matches(words: list[str], name: str) -> bool:
    """True when every query word is a prefix of, or close to (rapidfuzz ratio >= NAME_SCORE), a word of the name.

    Token-set similarity scores a subset as 100 ("Community Services" would match every
    "... Community Services"), so each word the person typed must be found.

    >>> from directory.core.normalize import norm_name
    >>> name_matches(norm_name("Gateway Comm Svcs").split(), norm_name("Gateway Community Services Inc"))
    True
    >>> name_matches(["gateway", "community"], "north suffolk community services")
    False
    """
    tokens = name.split()
    return all(any(t.startswith(w) or fuzz.ratio(w, t) >= NAME_SCORE for t in tokens) for w in words)


def fallback_note(query: Query, found: int) -> str:
    """What a result says when nothing was inside the radius and the nearest were looked for.

    >>> fallback_note(Query(near="Ely, NV", radius_miles=5), 3)
    'none within 5 miles; the 3 nearest within 100 miles are shown'
    >>> fallback_note(Query(near="Ely, NV", radius_miles=5), 0)
    'none within 5 miles, nor within 100 miles'
    """
    radius, within = compact(query.radius_miles), compact(query.nearest_within_miles)
    if not found:
        return _("none within {radius} miles, nor within {within} miles").format(radius=radius, within=within)
    return ngettext(
        "none within {radius} miles; the nearest within {within} miles is shown",
        "none within {radius} miles; the {n} nearest within {within} miles are shown",
        found,
    ).format(radius=radius, within=within, n=number(found))


def state_key(text: str) -> str:
    """The USPS code a ``state`` filter value names (a code or a name), as every store keys states.

    >>> state_key("florida"), state_key("FL")
    ('FL', 'FL')
    """
    code = state_code(text)
    if code is None:
        raise QueryError(f"unknown state {text!r}; use a USPS code such as FL or a name such as Florida", "state")
    return code

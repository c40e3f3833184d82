"""The map in words: what a sighted person gets from the results map, said as one caption under it, for
everyone and for screen readers alike — the area it shows, how many facilities of each type, the towns in
that area (GeoNames places from the offline gazetteer, largest first), and that the list below holds the
same places in the same order.

>>> from directory import open_store, Query
>>> from directory.view.mapview import build_map
>>> store = open_store()
>>> result = store.search(Query(near="Tampa, FL"))
>>> words = map_caption(result, build_map(store, result), store.taxonomy)
>>> "Tampa" in words and "St. Petersburg" in words and "Clearwater" in words
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..core.i18n import _, ngettext, number
from ..core.taxonomy import Taxonomy
from ..geocode.gazetteer import Gazetteer
from ..search import SearchResult
from .mapview import MapData, type_label

#: How many towns the caption names.
TOWNS = 6


@lru_cache(maxsize=1)
def _places() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every GeoNames place of the gazetteer, largest first: names ("Tampa"), latitudes, longitudes, states."""
    seen, rows = set(), []
    for group in Gazetteer.load().places.values():
        for p in group:
            key = (p.name, p.state, p.lat, p.lon)
            if key not in seen:
                seen.add(key)
                rows.append((p.population, p.name, p.lat, p.lon, p.state))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return (
        np.array([r[1] for r in rows], dtype=object),
        np.array([r[2] for r in rows], dtype=float),
        np.array([r[3] for r in rows], dtype=float),
        np.array([r[4] for r in rows], dtype=object),
    )


def towns_in(bounds: tuple[float, float, float, float] | None, limit: int = TOWNS) -> list[str]:
    """The ``limit`` largest places inside ``bounds`` (south, north, west, east), largest first; none
    without bounds.

    >>> towns_in((27.6, 28.2, -82.9, -82.2), 3)
    ['Tampa', 'St. Petersburg', 'Clearwater']
    """
    if not bounds:
        return []
    south, north, west, east = bounds
    names, lat, lon, _states = _places()
    inside = np.flatnonzero((lat >= south) & (lat <= north) & (lon >= west) & (lon <= east))
    return [str(n) for n in names[inside[:limit]]]


def _join(items: list[str]) -> str:
    """``"a, b and c"`` in the current language."""
    if len(items) <= 1:
        return "".join(items)
    return _("{first} and {last}").format(first=", ".join(items[:-1]), last=items[-1])


def map_caption(result: SearchResult, data: MapData, taxonomy: Taxonomy) -> str:
    """The caption under the map (plain text; the screen escapes it)."""
    n = result.total if data.points is None else len(data.ids)
    where = (
        _("around {place}").format(place=result.center.label)
        if result.center is not None
        else _("in the whole directory")
    )
    if data.points is None:  # areas with counts, not single facilities
        shown = ngettext(
            "The map groups the {n} facility {where} by area.",
            "The map groups the {n} facilities {where} by area.",
            n,
        ).format(n=number(n), where=where)
    else:
        counts = "; ".join(f"{type_label(taxonomy, t)} {number(k)}" for t, k in data.legend)
        shown = ngettext(
            "The map shows {n} facility {where}",
            "The map shows {n} facilities {where}",
            n,
        ).format(n=number(n), where=where)
        shown += f" ({counts})." if counts else "."
    bounds = data.view.get("bounds")
    towns = towns_in(tuple(bounds) if bounds else None)
    parts = [shown]
    if towns:
        parts.append(_("Towns in the area (GeoNames): {towns}.").format(towns=_join(towns)))
    parts.append(_("The list below holds the same facilities, in the same order."))
    return " ".join(parts)

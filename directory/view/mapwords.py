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

from ..core.i18n import _, ngettext, number
from ..core.taxonomy import Taxonomy
from ..search import SearchResult
from .mapview import MapData, legend_html, type_label
from .places import towns_in
from .text import html_escape

#: How many counties the caption names (most facilities first).
COUNTIES = 5


def _join(items: list[str]) -> str:
    """``"a, b and c"`` in the current language."""
    if len(items) <= 1:
        return "".join(items)
    return _("{first} and {last}").format(first=", ".join(items[:-1]), last=items[-1])


def _by_county(result: SearchResult, data: MapData, most: int = COUNTIES) -> str:
    """How many of the map's facilities are in each county, most first ("Hillsborough 45, Pinellas 43 and 2
    more counties"); empty when no county is known."""
    frame = result.frame
    if "county" not in frame.columns or not data.ids:
        return ""
    rows = frame[frame["facility_id"].isin(data.ids)]
    counts = rows.loc[rows["county"].fillna("").astype(str).str.strip() != ""].groupby(["county", "state"]).size()
    if counts.empty:
        return ""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    several_states = len({state for (_county, state), _n in ranked}) > 1
    items = [f"{county}{f' ({state})' if several_states else ''} {number(n)}" for (county, state), n in ranked[:most]]
    if len(ranked) > most:
        rest = len(ranked) - most
        items.append(ngettext("{n} more county", "{n} more counties", rest).format(n=number(rest)))
    return _join(items)


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
    if data.points is not None and (by_county := _by_county(result, data)):
        parts.append(_("By county: {counties}.").format(counties=by_county))
    parts.append(_("The list below holds the same facilities, in the same order."))
    return " ".join(parts)


def under_map_html(result: SearchResult, data: MapData, taxonomy: Taxonomy) -> str:
    """What goes under the map, as one HTML block: the legend (or the note saying why the map has none),
    then :func:`map_caption` as a paragraph. Every text in it is escaped.

    >>> from directory import open_store, Query
    >>> from directory.view.mapview import build_map
    >>> store = open_store()
    >>> result = store.search(Query(near="Tampa, FL"))
    >>> block = under_map_html(result, build_map(store, result), store.taxonomy)
    >>> block.count('<p class="map-words">The map shows'), "St. Petersburg" in block
    (1, True)
    """
    top = f'<p class="map-words">{html_escape(data.note)}</p>' if data.note else legend_html(data.legend, taxonomy)
    return f'{top}<p class="map-words">{html_escape(map_caption(result, data, taxonomy))}</p>'

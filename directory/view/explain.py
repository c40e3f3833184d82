"""Why a search found nothing, in words a person can act on.

For each filter that is set: how many facilities the area has without it, and — for a filter
chosen from groups — how many of those the sources list anything for at all (its coverage), and
where the sources do list it. The words come from the filter registry; the counts from the store
interface, so any store explains itself the same way.

>>> from directory import Directory, Query
>>> store = Directory.load()
>>> print(why_empty(store, Query(near="Tampa, FL", services=("detox",), accreditations=("ncqa",)))[0])
Accreditation is listed for 18 of the 21 facilities offering Detox within 25 miles.
"""

from __future__ import annotations

from ..core.filters import FILTERS, Filter
from ..core.i18n import _, compact, ngettext, number, percent
from ..core.states import STATES
from ..search import Query
from ..stores.base import Store

#: A filter whose coverage is under this share in the area gets "where the sources list it".
THIN_COVERAGE = 0.5


def why_empty(store: Store, query: Query) -> list[str]:
    """Sentences saying which filter empties the area, with its coverage; [] when the query has no filter."""
    chosen = [f for f in FILTERS if getattr(query, f.field)]
    if not chosen:
        return []
    # Count inside the radius only (no nearest fallback): that is what the person asked about.
    area = query.with_(nearest=None, nearest_within_miles=query.radius_miles) if query.near is not None else query
    where = (
        _("within {miles} miles").format(miles=compact(query.radius_miles))
        if query.near is not None
        else _("in the directory")
    )
    empty = area.with_(**{f.field: () if f.repeatable else None for f in chosen})
    base = _count(store, empty)
    if not base:
        return [
            _("The directory lists no facility at all {where}; widen the radius or try another place.").format(
                where=where
            )
        ]
    sentences = []
    for f in chosen:
        without = area.with_(**{f.field: () if f.repeatable else None})
        total = _count(store, without)
        if not total:
            continue  # the other filters already empty the area: this one is not what empties it
        others = _what(store, without)
        if f.kind == "group":
            every = tuple(g.name for g in store.taxonomy.groups_in(f.family))
            listed = _count(store, without.with_(**{f.field: every}))
            noun = f.title().lower()
            if listed:
                text = ngettext(
                    "{label} is listed for {listed} of the {total} facility{others} {where}",
                    "{label} is listed for {listed} of the {total} facilities{others} {where}",
                    total,
                ).format(label=f.title(), listed=number(listed), total=number(total), others=others, where=where)
            else:
                text = ngettext(
                    "The sources list no {noun} for the {total} facility{others} {where}",
                    "The sources list no {noun} for any of the {total} facilities{others} {where}",
                    total,
                ).format(noun=noun, total=number(total), others=others, where=where)
            if listed / total < THIN_COVERAGE:
                text += _where_listed(store, f, every)
            sentences.append(text + ".")
        else:
            phrase = f.reads(getattr(query, f.field))
            sentences.append(
                ngettext(
                    "{total} facility{others} is {where}, but it is not {phrase}.",
                    "{total} facilities{others} are {where}, but none {phrase}.",
                    total,
                ).format(total=number(total), others=others, where=where, phrase=phrase)
            )
    if not sentences:
        sentences.append(
            ngettext(
                "No facility {where} matches these filters together; {base} facility is {where} without them. "
                "Remove a filter to see it.",
                "No facility {where} matches these filters together; {base} facilities are {where} without them. "
                "Remove a filter to see them.",
                base,
            ).format(where=where, base=number(base))
        )
    return sentences


def _count(store: Store, query: Query) -> int:
    # Counts within the radius in miles: a count needs no drive times (one search per filter removed)
    return store.search(query.with_(limit=1, measure=False)).total


def _what(store: Store, query: Query) -> str:
    """' offering Detox accepting Medicaid' — the group filters still set, as their registry phrases."""
    parts = []
    for f in FILTERS:
        values = getattr(query, f.field)
        if f.kind != "group" or not values:
            continue
        labels = _(" or ").join(
            store.taxonomy.resolve(v, None if f.field == "services" else f.family).label for v in values
        )
        parts.append(_("offering {}").format(labels) if f.field == "services" else f.reads(labels))
    return "".join(f" {p}" for p in parts)


def _where_listed(store: Store, f: Filter, every: tuple[str, ...]) -> str:
    everywhere = store.search(Query(**{f.field: every}, limit=1))
    states = everywhere.facets.get("state", {})
    if not everywhere.total or not states:
        return _("; the sources list it nowhere")
    top = list(states.items())[:2]
    parts = [f"{STATES.get(code, code)} ({percent(count / everywhere.total)})" for code, count in top]
    return _("; the sources list it mainly in {states}").format(states=_(" and ").join(parts))

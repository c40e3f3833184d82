"""Linking a source that gives only a name and a point (FindTreatment.gov's national listing) to
the sites of the others, which have addresses.

With no address to compare, the point and the name decide, and the farther apart the points,
the closer the names must be: a listing at the site's very point may carry the organisation's
new name ("Arisa Health" for "Mid South Health Systems"), one a kilometre off must carry the
same name. Thresholds were set on the hand-labelled pairs in ``tests/data/listing_pairs.csv``
(see ``tests/test_link.py``).

A listing marks every site it links to as listed; it may link to several sites when they are
programs of one organisation at one point (the listing names the organisation once).
"""

from __future__ import annotations

import numpy as np
import shapely
from rapidfuzz import fuzz
from shapely.strtree import STRtree

from ...core.facility import Facility
from .rules import Verdict, metres, norm_name

#: (metres, least name similarity) — a listing and a site within the distance whose names are at
#: least this similar are one site.
BANDS = ((150.0, 60), (600.0, 88), (1500.0, 95), (3000.0, 100))
MAX_METRES = BANDS[-1][0]
#: Programs of one organisation: sites this close to the linked site, with names as similar.
SAME_PLACE_METRES = 50.0
#: A listing this similar to a site another listing took, within :data:`SAME_PLACE_METRES`, repeats it.
REPEAT_NAME = 95


#: The listing cuts names to about 40 characters with abbreviations of its own, expanded here only
#: (:func:`~directory.core.normalize.norm_name` also makes facility ids, which must not change).
ABBREVIATIONS = {
    "trt": "treatment",
    "servs": "services",
    "serv": "services",
    "behav": "behavioral",
    "bh": "behavioral health",
    "csl": "counseling",
    "cnsl": "counseling",
    "alc": "alcohol",
    "ctr": "center",
    "hlth": "health",
    "mh": "mental health",
    "sa": "substance abuse",
    "nw": "north west",
    "ne": "north east",
    "sw": "south west",
    "se": "south east",
}


def _key(text: str) -> str:
    return " ".join(ABBREVIATIONS.get(w, w) for w in norm_name(text).split())


def name_similarity(listing: Facility, site: Facility) -> float:
    """How similar the listing's name is to the site's name, its full name (name and program line),
    or its program line when that is a name of two words or more (0–100, token-set ratio, after
    expanding the listing's abbreviations).

    >>> name_similarity(Facility("", "Four Corners Community Behav Hlth Inc"),
    ...                 Facility("", "Four Corners Community Behavioral Health"))
    100.0
    """
    name = _key(listing.name)
    scores = [
        fuzz.token_set_ratio(name, _key(site.name)),
        fuzz.token_set_ratio(name, _key(f"{site.name} {site.name2}")),
    ]
    program = _key(site.name2)
    if len(program.split()) >= 2:
        scores.append(fuzz.token_set_ratio(name, program))
    return max(scores)


def compare_listing(listing: Facility, site: Facility) -> Verdict:
    """Is this name-and-point listing the site? Its score orders candidates (closer names first,
    then nearer points)."""
    distance = metres(listing, site)
    if distance > MAX_METRES:
        return Verdict(False, f"{distance / 1000:.1f} km apart")
    similarity = name_similarity(listing, site)
    score = similarity * 10_000 - distance
    for limit, least in BANDS:
        if distance <= limit and similarity >= least:
            return Verdict(True, f"within {limit:.0f} m, names {similarity:.0f}% similar", score)
    return Verdict(False, f"{distance:.0f} m apart, names {similarity:.0f}% similar", score)


def link_listing(listings: dict[str, Facility], sites: dict[str, Facility]) -> dict[str, list[str]]:
    """For each listing id, the ids of the sites it lists (empty: a facility no other source has).

    Each site is taken by at most one listing, best pairs first; a listing also takes the unclaimed
    sites within :data:`SAME_PLACE_METRES` of its site that match it as well (programs at one place).
    """
    site_ids = sorted(sites)
    # A facility listing names facilities: never an individual practitioner's site.
    located = [s for s in site_ids if sites[s].located and sites[s].type_facility != "BUPREN"]
    tree = STRtree(shapely.points([sites[s].longitude for s in located], [sites[s].latitude for s in located]))
    listing_ids = sorted(f for f in listings if listings[f].located)
    points = shapely.points([listings[f].longitude for f in listing_ids], [listings[f].latitude for f in listing_ids])
    # 3 km is under 0.03 degrees of latitude, and of longitude below 60 degrees north.
    pad = MAX_METRES / 111_000 / np.maximum(np.cos(np.radians([listings[f].latitude for f in listing_ids])), 0.4)
    near_listing, near_site = tree.query(shapely.buffer(points, pad), predicate="intersects")
    proposals = []
    for i, j in zip(near_listing, near_site, strict=True):
        listing, site_id = listing_ids[i], located[j]
        verdict = compare_listing(listings[listing], sites[site_id])
        if verdict.same:
            proposals.append((verdict.score, listing, site_id))
    proposals.sort(key=lambda p: (-p[0], p[1], p[2]))
    linked: dict[str, list[str]] = {f: [] for f in sorted(listings)}
    claimed: set[str] = set()
    first: dict[str, str] = {}
    for _, listing, site_id in proposals:
        if site_id in claimed:
            continue
        if listing not in first:
            first[listing] = site_id
        elif metres(sites[first[listing]], sites[site_id]) > SAME_PLACE_METRES:
            continue
        linked[listing].append(site_id)
        claimed.add(site_id)
    # The listing's own repeats (one facility twice, a few metres apart) list the same site.
    for _, listing, site_id in proposals:
        if (
            not linked[listing]
            and metres(listings[listing], sites[site_id]) <= SAME_PLACE_METRES
            and name_similarity(listings[listing], sites[site_id]) >= REPEAT_NAME
        ):
            linked[listing].append(site_id)
    return linked

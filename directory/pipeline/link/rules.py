"""The match rules: is this record the same site as that one, and why?

Two records are the same site when

* their street addresses agree — same house number and the same street once numbers,
  directions, suffixes and units are normalised (``N. Main St Ste 2`` = ``North Main Street
  Suite 2``), no conflicting direction — and their names say so: the full names (name and
  program line) are similar (rapidfuzz token-set ratio, so "Gavin House" matches "Gavin
  Foundation Inc / Gavin House"), unless both carry program lines that differ (two programs
  at one hospital address stay separate); or
* their addresses differ in writing but the names are near-identical and the points are
  within :data:`NEAR_METRES` (a building written as a name, ``1-5 Main St`` for ``1 Main St``).

Nothing links farther apart than :data:`MAX_METRES`. Thresholds were set on the hand-labelled
pairs in ``tests/data/link_pairs.csv`` (see ``tests/test_link.py``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from ...core.facility import Facility
from ...core.geo import great_circle_km
from ...core.normalize import norm_city
from ...core.normalize import norm_name as _norm_name
from .address import nearby_number, parse_address, same_address, units_conflict

#: Full-name similarity (token-set ratio) for two records at one address to be one site.
SAME_ADDRESS_NAME = 80
#: Program lines (name2) this different (token-set ratio below) mean two programs at one address.
PROGRAMS_DIFFER = 50
#: Full-name similarity for records at differently written addresses nearby.
NEAR_NAME = 95
NEAR_METRES = 150.0
MAX_METRES = 3000.0
#: Shared distinctive name words (summed inverse document frequency) that make two names at one address one site.
SHARED_WORDS = 7.0

#: Names are compared hundreds of thousands of times in a build; each is normalised once.
norm_name = lru_cache(maxsize=400_000)(_norm_name)


def full_name(record: Facility) -> str:
    return norm_name(f"{record.name} {record.name2}")


def name_score(a: Facility, b: Facility) -> float:
    """Similarity of the full names (0–100, token-set ratio on normalised names)."""
    return fuzz.token_set_ratio(full_name(a), full_name(b))


_CREDENTIALS = {
    "ms",
    "ma",
    "msw",
    "lcsw",
    "lmhc",
    "lpc",
    "lcdc",
    "cap",
    "cac",
    "cadc",
    "ladc",
    "phd",
    "psyd",
    "md",
    "do",
    "rn",
    "lmft",
    "lcpc",
    "ncc",
    "bs",
    "ba",
    "med",
    "edd",
    "llc",
    "dba",
}


def _program(record: Facility) -> str:
    return " ".join(w for w in norm_name(record.name2).split() if w not in _CREDENTIALS)


def same_program(a: Facility, b: Facility) -> bool:
    """Both records name the same program (non-empty, near-identical program lines)."""
    pa, pb = _program(a), _program(b)
    return bool(pa and pb) and fuzz.token_sort_ratio(pa, pb) >= NEAR_NAME


def main_name(record: Facility) -> str:
    return norm_name(record.name)


def programs_differ(a: Facility, b: Facility) -> bool:
    """One organisation (similar first name lines), two different programs (dissimilar program lines).
    Credentials in a program line ("MS LMHC CAP") are not a program."""
    pa, pb = _program(a), _program(b)
    if not pa or not pb:
        return False
    if fuzz.token_set_ratio(main_name(a), main_name(b)) < SAME_ADDRESS_NAME:
        return False
    return fuzz.token_set_ratio(pa, pb) < PROGRAMS_DIFFER


def metres(a: Facility, b: Facility) -> float:
    """Great-circle distance between two records' points, in metres (inf when a point is missing)."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return math.inf
    return great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude) * 1000


@dataclass(frozen=True)
class Verdict:
    same: bool
    why: str
    score: float = 0.0


def acronym_match(a: Facility, b: Facility) -> bool:
    """A word of one name is the initials of the other's first name line, or of its first words
    ("UCS" / "United Community Service", "JSAS" / "Jersey Shore Addiction Services T/A ...").

    >>> acronym_match(Facility("", "UCS Healthcare"), Facility("", "United Community Service, Inc"))
    True
    """

    def initials(record: Facility) -> str:
        words = [w for w in norm_name(record.name).split() if w not in ("and", "of", "for")]
        return "".join(w[0] for w in words) if len(words) >= 3 else ""

    for x, y in ((a, b), (b, a)):
        short = initials(y)
        for token in norm_name(f"{x.name} {x.name2}").split():
            if short and len(token) >= 3 and short.startswith(token):
                return True
    return False


class Words:
    """How distinctive each name word is: inverse document frequency over every record's full name."""

    def __init__(self, records: Iterable[Facility] = ()) -> None:
        self.counts: Counter = Counter()
        self.n = 0
        for record in records:
            self.n += 1
            self.counts.update(set(full_name(record).split()))

    def weight(self, word: str) -> float:
        return math.log((self.n + 1) / (1 + self.counts[word])) if self.n else 0.0

    def shared(self, a: Facility, b: Facility) -> float:
        """Total weight of the name words two records share, leaving out their city and county names
        (unless both names are that county's agency: "Nassau County ..." and "Nassau County MMTP")."""
        place = set()
        for record in (a, b):
            for field in ("city", "county"):
                value = norm_city(getattr(record, field))
                place |= set(value.split()) | {value.replace(" ", "")}
        full_a, full_b = full_name(a), full_name(b)
        for word in list(place):
            agency = re.compile(rf"\b{re.escape(word)} (?:county|cnty)\b")
            if word and agency.search(full_a) and agency.search(full_b):
                place.discard(word)
        common = (set(full_a.split()) & set(full_b.split())) - place - {"county", "cnty"}
        return sum(self.weight(w) for w in common)


NO_WORDS = Words()


def is_practitioner(record: Facility) -> bool:
    """An individual buprenorphine practitioner (the locator's BUPREN listing type), not a facility."""
    return record.type_facility == "BUPREN"


def compare(a: Facility, b: Facility, *, sole_at_address: bool = False, words: Words = NO_WORDS) -> Verdict:
    """Decide whether two records are the same site, and say why.

    ``sole_at_address``: each is the only listing at that street address in its own source
    (the linker knows; a pair alone does not). ``words`` weighs shared name words by rarity.
    An individual practitioner (a locator BUPREN listing) is never the same site as a facility: a
    prescriber who works at a clinic's address is not the clinic.
    """
    if is_practitioner(a) != is_practitioner(b):
        return Verdict(False, "a practitioner and a facility")
    distance = metres(a, b)
    if distance > MAX_METRES * 10:
        return Verdict(False, f"{distance / 1000:.1f} km apart")
    names = name_score(a, b)
    address_a, address_b = parse_address(a.street1), parse_address(b.street1)
    if same_address(address_a, address_b):
        if units_conflict(a, b):
            return Verdict(False, "same building, different suites", names)
        if sole_at_address:
            return Verdict(True, "same address, the only listing there in each source", 100 + names)
        if programs_differ(a, b):
            return Verdict(False, "same address, different programs", names)
        if names >= SAME_ADDRESS_NAME:
            return Verdict(True, "same address, similar names", 300 + names)
        if acronym_match(a, b):
            return Verdict(True, "same address, name is an acronym", 250 + names)
        if words.shared(a, b) >= SHARED_WORDS:
            return Verdict(True, "same address, a distinctive name word in common", 200 + names)
        return Verdict(False, "same address, different names", names)
    if distance > MAX_METRES:
        return Verdict(False, f"{distance / 1000:.1f} km apart")
    if names >= NEAR_NAME and not programs_differ(a, b) and not numbers_differ(a, b):
        if nearby_number(address_a, address_b):
            return Verdict(True, "same name, same street, close house numbers", names)
        if distance <= NEAR_METRES and not (address_a.number and address_b.number):
            return Verdict(True, "same name, nearby, an address without a house number", names)
        if distance <= NEAR_METRES and same_program(a, b):
            return Verdict(True, "same name and program line, nearby (a corner building)", names)
    return Verdict(False, "different address", names)


def numbers_differ(a: Facility, b: Facility) -> bool:
    """The names differ only by a number ("Unit 2" / "Unit 3", "Clinic 1" / "Clinic 2")."""
    na = set(re.findall(r"\b\d+\b|\b[ivx]+\b", full_name(a)))
    nb = set(re.findall(r"\b\d+\b|\b[ivx]+\b", full_name(b)))
    return bool(na - nb and nb - na)


#: A duplicate: two records this close (or at one street address) with near-identical full names
#: (token-sort ratio, so "Clinic X" and "Clinic X / Detox" are not near-identical).
DUPLICATE_METRES = 50.0
DUPLICATE_NAME = 95


def near_identical(a: Facility, b: Facility) -> bool:
    return fuzz.token_sort_ratio(full_name(a), full_name(b)) >= DUPLICATE_NAME


def is_duplicate(a: Facility, b: Facility) -> bool:
    """Two listings of one site by the same source: near-identical names at one address or within 50 m."""
    if not near_identical(a, b) or numbers_differ(a, b) or programs_differ(a, b):
        return False
    return metres(a, b) <= DUPLICATE_METRES or same_address(parse_address(a.street1), parse_address(b.street1))


def duplicate_pairs(records: list[Facility]) -> list[tuple[str, str]]:
    """Pairs of sites within :data:`DUPLICATE_METRES` whose full names score at least
    :data:`DUPLICATE_NAME` — what the build report counts as duplicates (ids, sorted)."""
    import numpy as np
    import shapely
    from shapely.strtree import STRtree

    lat = np.array([r.latitude for r in records], dtype=float)
    lon = np.array([r.longitude for r in records], dtype=float)
    points = shapely.points(lon, lat)
    tree = STRtree(points)
    # 50 m is under 0.0005 degrees of latitude, and of longitude below 60 degrees north of the equator.
    pad = DUPLICATE_METRES / 111_000 / np.maximum(np.cos(np.radians(np.abs(lat))), 0.2)
    left, right = tree.query(shapely.buffer(points, pad), predicate="intersects")
    pairs = []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        a, b = records[i], records[j]
        if metres(a, b) <= DUPLICATE_METRES and near_identical(a, b):
            pairs.append(tuple(sorted((a.facility_id, b.facility_id))))
    return sorted(pairs)

"""Entity resolution: is this record the same site as that one?

Records are compared only inside blocks (same ZIP, or same city and state). Two records
are the same site when

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

from .geo import great_circle_km
from .normalize import norm_city, norm_street
from .normalize import norm_name as _norm_name

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
#: House numbers this close on one street, with near-identical names, are one site.
NEAR_NUMBERS = 250

#: Names are compared hundreds of thousands of times in a build; each is normalised once.
norm_name = lru_cache(maxsize=400_000)(_norm_name)

_DIRECTION_WORDS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest"}
_SUFFIX_WORDS = {"street", "avenue", "road", "drive", "boulevard", "highway", "lane", "court", "place",
                 "parkway", "circle", "square", "terrace", "trail", "freeway", "expressway", "turnpike",
                 "crescent", "alley", "plaza", "way", "route", "pike"}
_UNIT_WORDS = {"suite", "unit", "floor", "room", "apartment", "building", "department", "po", "box", "lot"}
_ORDINALS = {"first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th", "sixth": "6th",
             "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th"}


@dataclass(frozen=True)
class Address:
    """A street address split for comparison."""

    number: str
    core: frozenset[str]
    directions: frozenset[str]


_NUMBER = re.compile(r"^\s*[A-Za-z]?(\d+)[A-Za-z]?(?:\s*-\s*(\d+)(?![\w-]*\s*(?:st|nd|rd|th)\b))?", re.I)


def house_number(street1: str) -> str:
    """The house number: digits only (``31A`` → ``31``, ``G3169`` → ``3169``, a range ``1215-1217`` → ``1215``),
    except Queens-style compound numbers (``34-25``, the second part not above the first), kept whole.

    >>> house_number("34-25 Vernon Blvd"), house_number("1215-1217 7th Ave"), house_number("623-A Pulaski Hwy")
    ('34-25', '1215', '623')
    """
    match = _NUMBER.match(street1 or "")
    if not match:
        return ""
    
    first, second = match.group(1), match.group(2)
    if second and int(second) <= int(first) and len(second) <= 2:
        return f"{int(first)}-{second}"
    return str(int(first))


@lru_cache(maxsize=200_000)
def parse_address(street1: str) -> Address:
    """House number, street words (no directions, suffixes or units), directions.

    >>> a = parse_address("401 N. Ashley Dr., Ste 200")
    >>> a.number, sorted(a.core), sorted(a.directions)
    ('401', ['ashley'], ['north'])
    >>> parse_address("1-5 Main St").number
    '1'
    """
    if not _NUMBER.match(street1 or "") and "," in (street1 or ""):
        # "Trott Access Center, 1001 11th St.": a building name, then the street address
        rest = street1.split(",", 1)[1]
        if _NUMBER.match(rest):
            street1 = rest
    number = house_number(street1)
    words = norm_street(street1).split()
    if number:
        # drop the number's own tokens ("34 25", "623 a", "g3169") from the street words
        raw = _NUMBER.match(street1).group(0)
        words = words[len(norm_street(raw).split()):]
    core, directions = [], []
    for word in words:
        if word in _UNIT_WORDS:
            break
        word = _ORDINALS.get(word, word)
        if word in _DIRECTION_WORDS:
            directions.append(word)
        elif word not in _SUFFIX_WORDS:
            core.append(word)
    return Address(number, frozenset(core), frozenset(directions))


_UNIT = re.compile(r"(?:\b(?:suites?|ste|units?|rooms?|rm|apt|apartments?)\b\.?|#)\s*#?\s*([a-z0-9]+(?:-[a-z0-9]+)*)", re.I)


def units(record: dict[str, str]) -> frozenset[str]:
    """Suite/unit/room designators in the street lines, their digits where they have any
    (``Suite 218-E`` → ``218``; ``Ste A-101`` → ``101``; ``Suite B`` → ``b``)."""
    found = set()
    for text in (record.get("street1", ""), record.get("street2", "")):
        for unit in _UNIT.findall(text or ""):
            digits = re.sub(r"\D", "", unit)
            found.add(digits or unit.lower())
    return frozenset(found)


def units_conflict(a: dict[str, str], b: dict[str, str]) -> bool:
    """Both addresses name a suite or unit, and none of them agree (two offices in one building)."""
    ua, ub = units(a), units(b)
    return bool(ua and ub and not (ua & ub))


def same_address(a: Address, b: Address) -> bool:
    """Same house number, the same street words (one may omit a word), no conflicting direction.

    >>> same_address(parse_address("12 N Main St Suite 4"), parse_address("12 North Main Street"))
    True
    >>> same_address(parse_address("12 N Main St"), parse_address("12 S Main St"))
    False
    """
    if not a.number or a.number != b.number:
        return False
    if a.directions and b.directions and not (a.directions & b.directions):
        return False
    if not a.core or not b.core:
        return a.core == b.core
    if a.core <= b.core or b.core <= a.core:
        return True
    return same_street_words(a, b)


def same_street_words(a: Address, b: Address) -> bool:
    """The street words agree: equal, one a subset of the other, or a spelling away (``Donnally``/``Donnelly``)."""
    if not a.core or not b.core:
        return a.core == b.core
    if a.core <= b.core or b.core <= a.core:
        return True
    return fuzz.token_sort_ratio(" ".join(sorted(a.core)), " ".join(sorted(b.core))) >= 85


def full_name(record: dict[str, str]) -> str:
    return norm_name(f"{record.get('name', '')} {record.get('name2', '')}")


def name_score(a: dict[str, str], b: dict[str, str]) -> float:
    """Similarity of the full names (0–100, token-set ratio on normalised names)."""
    return fuzz.token_set_ratio(full_name(a), full_name(b))


_CREDENTIALS = {"ms", "ma", "msw", "lcsw", "lmhc", "lpc", "lcdc", "cap", "cac", "cadc", "ladc", "phd", "psyd", "md",
                "do", "rn", "lmft", "lcpc", "ncc", "bs", "ba", "med", "edd", "llc", "dba"}


def _program(record: dict[str, str]) -> str:
    return " ".join(w for w in norm_name(record.get("name2", "")).split() if w not in _CREDENTIALS)


def same_program(a: dict[str, str], b: dict[str, str]) -> bool:
    """Both records name the same program (non-empty, near-identical program lines)."""
    pa, pb = _program(a), _program(b)
    return bool(pa and pb) and fuzz.token_sort_ratio(pa, pb) >= NEAR_NAME


def main_name(record: dict[str, str]) -> str:
    return norm_name(record.get("name", ""))


def programs_differ(a: dict[str, str], b: dict[str, str]) -> bool:
    """One organisation (similar first name lines), two different programs (dissimilar program lines).
    Credentials in a program line ("MS LMHC CAP") are not a program."""
    pa, pb = _program(a), _program(b)
    if not pa or not pb:
        return False
    if fuzz.token_set_ratio(main_name(a), main_name(b)) < SAME_ADDRESS_NAME:
        return False
    return fuzz.token_set_ratio(pa, pb) < PROGRAMS_DIFFER


def metres(a: dict[str, str], b: dict[str, str]) -> float:
    """Great-circle distance between two records' points, in metres (inf when a point is missing)."""
    try:
        lat1, lon1, lat2, lon2 = (float(a["latitude"]), float(a["longitude"]),
                                  float(b["latitude"]), float(b["longitude"]))
    except (KeyError, ValueError):
        return math.inf
    return great_circle_km(lat1, lon1, lat2, lon2) * 1000


@dataclass(frozen=True)
class Verdict:
    same: bool
    why: str
    score: float = 0.0


def acronym_match(a: dict[str, str], b: dict[str, str]) -> bool:
    """A word of one name is the initials of the other's first name line, or of its first words
    ("UCS" / "United Community Service", "JSAS" / "Jersey Shore Addiction Services T/A ...").

    >>> acronym_match({"name": "UCS Healthcare"}, {"name": "United Community Service, Inc"})
    True
    """
    def initials(record: dict[str, str]) -> str:
        words = [w for w in norm_name(record.get("name", "")).split() if w not in ("and", "of", "for")]
        return "".join(w[0] for w in words) if len(words) >= 3 else ""

    for x, y in ((a, b), (b, a)):
        short = initials(y)
        for token in norm_name(f"{x.get('name', '')} {x.get('name2', '')}").split():
            if short and len(token) >= 3 and short.startswith(token):
                return True
    return False


class Words:
    """How distinctive each name word is: inverse document frequency over every record's full name."""

    def __init__(self, records: Iterable[dict[str, str]] = ()) -> None:
        self.counts: Counter = Counter()
        self.n = 0
        for record in records:
            self.n += 1
            self.counts.update(set(full_name(record).split()))

    def weight(self, word: str) -> float:
        return math.log((self.n + 1) / (1 + self.counts[word])) if self.n else 0.0

    def shared(self, a: dict[str, str], b: dict[str, str]) -> float:
        """Total weight of the name words two records share, leaving out their city and county names
        (unless both names are that county's agency: "Nassau County ..." and "Nassau County MMTP")."""
        place = set()
        for record in (a, b):
            for field in ("city", "county"):
                value = norm_city(record.get(field, ""))
                place |= set(value.split()) | {value.replace(" ", "")}
        full_a, full_b = full_name(a), full_name(b)
        for word in list(place):
            agency = re.compile(rf"\b{re.escape(word)} (?:county|cnty)\b")
            if word and agency.search(full_a) and agency.search(full_b):
                place.discard(word)
        common = (set(full_a.split()) & set(full_b.split())) - place - {"county", "cnty"}
        return sum(self.weight(w) for w in common)


NO_WORDS = Words()


def compare(a: dict[str, str], b: dict[str, str], *, sole_at_address: bool = False,
            words: Words = NO_WORDS) -> Verdict:
    """Decide whether two records are the same site, and say why.

    ``sole_at_address``: each is the only listing at that street address in its own source
    (the linker knows; a pair alone does not). ``words`` weighs shared name words by rarity.
    """
    distance = metres(a, b)
    if distance > MAX_METRES * 10:
        return Verdict(False, f"{distance / 1000:.1f} km apart")
    names = name_score(a, b)
    address_a, address_b = parse_address(a.get("street1", "")), parse_address(b.get("street1", ""))
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


def numbers_differ(a: dict[str, str], b: dict[str, str]) -> bool:
    """The names differ only by a number ("Unit 2" / "Unit 3", "Clinic 1" / "Clinic 2")."""
    na = set(re.findall(r"\b\d+\b|\b[ivx]+\b", full_name(a)))
    nb = set(re.findall(r"\b\d+\b|\b[ivx]+\b", full_name(b)))
    return bool(na - nb and nb - na)


def nearby_number(a: Address, b: Address) -> bool:
    """The same street words (directions aside: the names must then agree), house numbers close (within :data:`NEAR_NUMBERS`) or one a typo of the other
    (transposed or one extra digit: ``20635``/``20365``, ``1300``/``13000``)."""
    if not a.number or not b.number or not a.core or not same_street_words(a, b):
        return False
    x, y = a.number.split("-")[0], b.number.split("-")[0]
    if abs(int(x) - int(y)) <= NEAR_NUMBERS:
        return True
    return sorted(x) == sorted(y) or (abs(len(x) - len(y)) == 1 and (x in y or y in x) and min(len(x), len(y)) >= 3)


def block_keys(record: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The blocks a record is compared within: its ZIP and its city in its state."""
    keys = []
    if record.get("zip"):
        keys.append(("zip", record["zip"]))
    city = norm_city(record.get("city", ""))
    if city:
        keys.append(("city", f"{city}|{record.get('state', '')}"))
    return tuple(keys)


class SiteIndex:
    """Sites by block; :meth:`matches` finds the sites a record may be."""

    def __init__(self, words: Words = NO_WORDS) -> None:
        self.blocks: dict[tuple[str, str], list[str]] = {}
        self.records: dict[str, dict[str, str]] = {}
        self.words = words

    def add(self, site_id: str, record: dict[str, str]) -> None:
        self.records[site_id] = record
        for key in block_keys(record):
            self.blocks.setdefault(key, []).append(site_id)

    def candidates(self, record: dict[str, str]) -> list[str]:
        seen: dict[str, None] = {}
        for key in block_keys(record):
            for site_id in self.blocks.get(key, ()):
                seen.setdefault(site_id)
        return list(seen)

    def matches(self, record: dict[str, str], *, sole_in_source: bool = False) -> list[tuple[str, Verdict]]:
        """Every indexed site :func:`compare` calls the same as ``record``, with the verdicts.

        ``sole_in_source``: the record is its source's only listing at its address; the index must
        also hold a single site there for the address alone to decide.
        """
        candidates = self.candidates(record)
        address = parse_address(record.get("street1", ""))
        at_address = sum(1 for s in candidates
                         if same_address(parse_address(self.records[s].get("street1", "")), address))
        sole = sole_in_source and at_address == 1
        found = []
        for site_id in candidates:
            verdict = compare(self.records[site_id], record, sole_at_address=sole, words=self.words)
            if verdict.same:
                found.append((site_id, verdict))
        return found


#: A duplicate: two records this close (or at one street address) with near-identical full names
#: (token-sort ratio, so "Clinic X" and "Clinic X / Detox" are not near-identical).
DUPLICATE_METRES = 50.0
DUPLICATE_NAME = 95


def near_identical(a: dict[str, str], b: dict[str, str]) -> bool:
    return fuzz.token_sort_ratio(full_name(a), full_name(b)) >= DUPLICATE_NAME


def is_duplicate(a: dict[str, str], b: dict[str, str]) -> bool:
    """Two listings of one site by the same source: near-identical names at one address or within 50 m."""
    if not near_identical(a, b) or numbers_differ(a, b) or programs_differ(a, b):
        return False
    return metres(a, b) <= DUPLICATE_METRES or same_address(parse_address(a.get("street1", "")),
                                                            parse_address(b.get("street1", "")))


def duplicate_pairs(frame) -> list[tuple[str, str]]:
    """Pairs of sites within :data:`DUPLICATE_METRES` whose full names score at least
    :data:`DUPLICATE_NAME` — what the build report counts as duplicates (ids, sorted)."""
    import numpy as np
    import shapely
    from shapely.strtree import STRtree

    lat = frame["latitude"].astype(float).to_numpy()
    lon = frame["longitude"].astype(float).to_numpy()
    points = shapely.points(lon, lat)
    tree = STRtree(points)
    # 50 m is under 0.0005 degrees of latitude, and of longitude below 60 degrees north of the equator.
    pad = DUPLICATE_METRES / 111_000 / np.maximum(np.cos(np.radians(np.abs(lat))), 0.2)
    left, right = tree.query(shapely.buffer(points, pad), predicate="intersects")
    records = frame[["facility_id", "name", "name2", "latitude", "longitude"]].to_dict("records")
    pairs = []
    for i, j in zip(left, right):
        if i >= j:
            continue
        a, b = records[i], records[j]
        if metres(a, b) <= DUPLICATE_METRES and near_identical(a, b):
            pairs.append(tuple(sorted((a["facility_id"], b["facility_id"]))))
    return sorted(pairs)


def address_key(record: dict[str, str]) -> tuple[str, str, frozenset[str]]:
    """A coarse key for "the same street address in the same ZIP" (house number, ZIP, street words)."""
    address = parse_address(record.get("street1", ""))
    return address.number, record.get("zip", ""), address.core

"""Street addresses compared as the linker compares them: house numbers, street words, units.

>>> same_address(parse_address("12 N Main St Suite 4"), parse_address("12 North Main Street"))
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from ...core.facility import Facility
from ...core.normalize import norm_street

#: House numbers this close on one street, with near-identical names, are one site.
NEAR_NUMBERS = 250

_DIRECTION_WORDS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest"}
_SUFFIX_WORDS = {
    "street",
    "avenue",
    "road",
    "drive",
    "boulevard",
    "highway",
    "lane",
    "court",
    "place",
    "parkway",
    "circle",
    "square",
    "terrace",
    "trail",
    "freeway",
    "expressway",
    "turnpike",
    "crescent",
    "alley",
    "plaza",
    "way",
    "route",
    "pike",
}
_UNIT_WORDS = {"suite", "unit", "floor", "room", "apartment", "building", "department", "po", "box", "lot"}
_ORDINALS = {
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
}


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
        words = words[len(norm_street(raw).split()) :]
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


_UNIT = re.compile(
    r"(?:\b(?:suites?|ste|units?|rooms?|rm|apt|apartments?)\b\.?|#)\s*#?\s*([a-z0-9]+(?:-[a-z0-9]+)*)", re.I
)


def units(record: Facility) -> frozenset[str]:
    """Suite/unit/room designators in the street lines, their digits where they have any
    (``Suite 218-E`` → ``218``; ``Ste A-101`` → ``101``; ``Suite B`` → ``b``)."""
    found = set()
    for text in (record.street1, record.street2):
        for unit in _UNIT.findall(text or ""):
            digits = re.sub(r"\D", "", unit)
            found.add(digits or unit.lower())
    return frozenset(found)


def units_conflict(a: Facility, b: Facility) -> bool:
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


def nearby_number(a: Address, b: Address) -> bool:
    """The same street words (directions aside: the names must then agree), house numbers close (within
    :data:`NEAR_NUMBERS`) or one a typo of the other (transposed or one extra digit: ``20635``/``20365``,
    ``1300``/``13000``)."""
    if not a.number or not b.number or not a.core or not same_street_words(a, b):
        return False
    x, y = a.number.split("-")[0], b.number.split("-")[0]
    if abs(int(x) - int(y)) <= NEAR_NUMBERS:
        return True
    return sorted(x) == sorted(y) or (abs(len(x) - len(y)) == 1 and (x in y or y in x) and min(len(x), len(y)) >= 3)


def address_key(record: Facility) -> tuple[str, str, frozenset[str]]:
    """A coarse key for "the same street address in the same ZIP" (house number, ZIP, street words)."""
    address = parse_address(record.street1)
    return address.number, record.zip, address.core

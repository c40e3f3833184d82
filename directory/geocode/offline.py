"""The default geocoder: offline, from the shipped gazetteer.

``OfflineGeocoder().locate("Tampa, FL")`` returns a :class:`~directory.core.geo.Place` with its
``precision`` (``coordinates``, ``zip``, ``city`` or ``state``), ``state`` and
``alternatives``; :func:`directory.geocode.online.as_geopy` gives it geopy's interface
when something needs one (``RateLimiter``).

Rules: a state in the query is binding (``Washington, IN`` is the Indiana city, never
DC); without one, the most populous place of that name wins and the others are listed
as alternatives. A ZIP wins over the city unless its state contradicts the query's, or
it lies far from the named city (a stale ZIP in a source). A bare state name means the
state, unless a city of that name has 100,000 people or more (``New York``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from ..core.errors import LocationNotFound
from ..core.facility import Facility
from ..core.geo import Place, great_circle_km
from ..core.normalize import clean_text, norm_city
from ..core.states import STATES, state_code
from .boundaries import lies_in_another_state
from .gazetteer import Gazetteer, NamedPlace

#: A city of this size beats a state of the same name ("New York", "Washington").
BIG_CITY = 100_000
#: A ZIP point farther than this from the record's own city is taken to be a wrong or stale ZIP.
ZIP_CITY_MAX_KM = 60.0
#: ...but only a city this populous may overrule the ZIP: a village missing from GeoNames
#: (population < 500) must not lose its good ZIP to a larger namesake elsewhere in the state.
#: Measured on the national file (benchmarks/bench_geocode.py): errors > 150 km went
#: 10 (never overrule) → 4 (any city) → 0 (5,000 and up), median and p90 unchanged.
CITY_OVERRULES_ZIP_MIN_POPULATION = 5_000
#: A source's own point this far from where its ZIP and city agree it is gets replaced by the build.
SOURCE_CONTRADICTION_KM = 150.0

_COORDS = re.compile(r"^\(?\s*([+-]?\d{1,2}(?:\.\d+)?)\s*(?:,\s*|\s+)([+-]?\d{1,3}(?:\.\d+)?)\s*\)?$")
_ZIP_ONLY = re.compile(r"^(\d{5})(?:-?\d{4})?$")
_TRAILING_ZIP = re.compile(r"[\s,]+(\d{5})(?:-\d{4})?$")


@dataclass
class ParsedQuery:
    street: str = ""
    city: str = ""
    state: str | None = None
    zip: str = ""


def _split_state(text: str) -> tuple[str, str | None]:
    """Peel a trailing state code or name off ``text``: ``"Tampa FL"`` → ``("Tampa", "FL")``."""
    words = text.split()
    for n in (4, 3, 2, 1):
        if len(words) >= n:
            code = state_code(" ".join(words[-n:]).strip(" .,"))
            if code:
                return " ".join(words[:-n]).strip(" ,"), code
    return text, None


def parse_query(query: str) -> ParsedQuery:
    """Split free text into street, city, state and ZIP.

    >>> parse_query("401 N Ashley Dr, Tampa, FL 33602")
    ParsedQuery(street='401 N Ashley Dr', city='Tampa', state='FL', zip='33602')
    >>> parse_query("tampa florida")
    ParsedQuery(street='', city='tampa', state='FL', zip='')
    """
    text = clean_text(query).strip(" ,")
    parsed = ParsedQuery()
    zip_match = _TRAILING_ZIP.search(text)
    if zip_match:
        parsed.zip = zip_match.group(1)
        text = text[: zip_match.start()].strip(" ,")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return parsed
    last, state = _split_state(parts[-1])
    if state and (last or len(parts) > 1):
        parsed.state = state
        parts = parts[:-1] + ([last] if last else [])
    if len(parts) >= 2:
        parsed.city, parsed.street = parts[-1], ", ".join(parts[:-1])
    elif parts:
        parsed.city = parts[0]
    return parsed


class OfflineGeocoder:
    """Geocoder over the shipped gazetteer. Keyword-only options, geopy-compatible ``geocode``.

    >>> OfflineGeocoder().locate("Washington, IN").state
    'IN'
    """

    name = "offline"

    def __init__(self, *, gazetteer: Gazetteer | None = None, alternatives: int = 5) -> None:
        self.gazetteer = gazetteer or Gazetteer.load()
        self.max_alternatives = alternatives

    def locate(self, query: str) -> Place:
        """Resolve ``query``; raise :class:`LocationNotFound` (with suggestions) when nothing fits."""
        text = clean_text(query)
        if not text:
            raise LocationNotFound(query, ["an empty query"])
        found = self._coordinates(text) or self._zip_only(text) or self._structured(text)
        return replace(found, query=query)

    def _coordinates(self, text: str) -> Place | None:
        match = _COORDS.match(text)
        if not match:
            return None
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise LocationNotFound(text, ["latitude, longitude (out of range)"])
        return Place(text, f"{lat:.5f}, {lon:.5f}", lat, lon, "coordinates")

    def _zip_only(self, text: str) -> Place | None:
        match = _ZIP_ONLY.match(text)
        if not match:
            return None
        found = self._zip(match.group(1), None)
        if found is None:
            raise LocationNotFound(text, [f"ZIP {match.group(1)}"])
        return found

    def _zip(self, zip5: str, state: str | None) -> Place | None:
        point = self.gazetteer.zips.get(zip5)
        if point is not None and (state is None or point.state == state):
            return Place(zip5, f"{zip5}, {point.state}", point.lat, point.lon, "zip", point.state)
        area = self.gazetteer.zip3.get(zip5[:3])
        if point is None and area is not None and (state is None or area[2] == state):
            # A PO-box or unique ZIP has no ZCTA: use the centre of its 3-digit area.
            return Place(zip5, f"{zip5} (ZIP area {zip5[:3]}xx), {area[2]}", area[0], area[1], "zip", area[2])
        return None

    def _city(self, city: str, state: str | None) -> Place | None:
        places = self.gazetteer.find_places(city, state)
        if not places:
            return None
        best, others = places[0], places[1 : 1 + self.max_alternatives]
        if norm_city(city) not in self.gazetteer.places:
            others = []  # matched by an alternate name: GeoNames' other holders of it are mostly noise
        return Place(city, best.label, best.lat, best.lon, "city", best.state, tuple(_from_place(p) for p in others))

    def _zip_contradicts_city(self, zip_hit: Place, city: str) -> bool:
        """True when no place of that name in the ZIP's state lies near the ZIP (a wrong or stale ZIP).

        Every same-named place counts, not only the most populous: a state may have two Lisbons.
        """
        places = self.gazetteer.find_places(city, zip_hit.state)
        return (
            bool(places)
            and places[0].population >= CITY_OVERRULES_ZIP_MIN_POPULATION
            and all(
                great_circle_km(zip_hit.latitude, zip_hit.longitude, p.lat, p.lon) > ZIP_CITY_MAX_KM for p in places
            )
        )

    def _state(self, code: str) -> Place:
        point = self.gazetteer.state_points.get(code)
        if point is None:
            # Freely associated states (FM, MH, PW) are USPS codes without an outline or places here.
            raise LocationNotFound(
                STATES[code], [f"{STATES[code]} ({code}): no outline or places in the offline gazetteer"]
            )
        lat, lon = point
        return Place(code, STATES[code], lat, lon, "state", code)

    def _structured(self, text: str) -> Place:
        parsed = parse_query(text)
        tried = []
        if parsed.zip:
            tried.append(f"ZIP {parsed.zip}" + (f" in {parsed.state}" if parsed.state else ""))
            zip_hit = self._zip(parsed.zip, parsed.state)
            if zip_hit is not None:
                city_hit = self._city(parsed.city, zip_hit.state) if parsed.city else None
                if city_hit and self._zip_contradicts_city(zip_hit, parsed.city):
                    return city_hit
                if parsed.city and city_hit:
                    return replace(zip_hit, label=f"{city_hit.label.split(',')[0]}, {zip_hit.state} {parsed.zip}")
                return zip_hit
        bare_state = state_code(parsed.city) if parsed.city and not (parsed.state or parsed.street) else None
        if bare_state:
            places = self.gazetteer.find_places(parsed.city)
            if not places or places[0].population < BIG_CITY:
                return self._state(bare_state)
        if parsed.city:
            city_hit = self._city(parsed.city, parsed.state)
            tried.append(f"city {parsed.city!r}" + (f" in {parsed.state}" if parsed.state else ""))
            if city_hit is not None:
                return city_hit
            if parsed.state is None:
                code = state_code(parsed.city)
                if code:
                    return self._state(code)
            elif parsed.street or not self.gazetteer.names_in(parsed.state):
                # An address in a town the gazetteer lacks, or a territory it has no places for
                # (GeoNames' US file has no Puerto Rico): the state is all we know.
                return self._state(parsed.state)
        elif parsed.state:
            return self._state(parsed.state)
        suggestions = self.suggest(parsed.city or text, parsed.state)
        if not suggestions and parsed.street and not parsed.state:
            # "Tampa, FX": the last part is a mistyped state, so the part before it is the city.
            suggestions = self.suggest(parsed.street.split(",")[-1])
        raise LocationNotFound(text, tried or ["ZIP, city and state"], suggestions)

    def suggest(self, text: str, state: str | None = None, limit: int = 3) -> list[str]:
        """Close place names (rapidfuzz), within ``state`` when given."""
        names = self.gazetteer.names_in(state)
        key = norm_city(text)
        if len(key) < 3:
            return []
        found = process.extract(
            key, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=80, processor=lambda s: norm_city(s.split(",")[0])
        )
        return [name for name, _, _ in found]

    # -- records (batch geocoding) ------------------------------------------------------------------
    def contradicts(
        self, record: Facility, *, km: float = SOURCE_CONTRADICTION_KM
    ) -> tuple[float, float, str, float] | None:
        """When a record's own coordinates lie more than ``km`` from where its ZIP *and* its city
        both put it (the two agreeing within :data:`ZIP_CITY_MAX_KM`), the ZIP answer and the
        distance: two independent offline signals say the source's point is wrong. Else None.

        Large rural ZIPs (Alaska) put a ZIP point far from a facility, so the city must agree.
        """
        state = state_code(record.state)
        zip_hit = self._zip(record.zip[:5], state) if state else None
        places = self.gazetteer.find_places(record.city, state) if state else []
        if zip_hit is None or not places:
            return None
        if min(great_circle_km(zip_hit.latitude, zip_hit.longitude, p.lat, p.lon) for p in places) > ZIP_CITY_MAX_KM:
            return None
        if record.latitude is None or record.longitude is None:
            return None
        distance = great_circle_km(record.latitude, record.longitude, zip_hit.latitude, zip_hit.longitude)
        return (zip_hit.latitude, zip_hit.longitude, "zip", distance) if distance > km else None

    def locate_record(self, record: dict[str, str]) -> tuple[float, float, str] | None:
        """Coordinates for a row being imported (its cleaned fields) from its ZIP, city and state
        (never another state)."""
        state = state_code(record.get("state", "") or "")
        city = record.get("city", "")
        zip5 = (record.get("zip", "") or "")[:5]
        if zip5 and state:
            hit = self._zip(zip5, state)
            if (
                hit is not None
                and not (city and self._zip_contradicts_city(hit, city))
                and not lies_in_another_state(state, hit.latitude, hit.longitude)
            ):
                return hit.latitude, hit.longitude, "zip"
        if city:
            hit = self._city(city, state) if state else None
            if hit is not None:
                return hit.latitude, hit.longitude, "city"
        if state and state in self.gazetteer.state_points:
            lat, lon = self.gazetteer.state_points[state]
            return lat, lon, "state"
        return None


def _from_place(place: NamedPlace) -> Place:
    return Place(place.label, place.label, place.lat, place.lon, "city", place.state)


def zip_point(zip5: str) -> tuple[float, float] | None:
    """The Census point of a 5-digit ZIP code (its ZCTA's), or None when the gazetteer has none.

    >>> zip_point("33602") is not None, zip_point("00000")
    (True, None)
    """
    point = Gazetteer.load().zips.get(zip5)
    return (point.lat, point.lon) if point is not None else None

"""FindTreatment.gov national listing as name and point only (``name1, type_facility, longitude,
latitude``): evidence of which facilities are still listed, not of their address, phone or services.

A row's state, county, city and ZIP are found offline from its point
(:func:`directory.geocode.reverse.surroundings`), all rows at once in :meth:`ListingAdapter.prepare`.
Its only service code is ``sa`` (a substance-use listing, ``type_facility`` ``SU`` or ``BOTH``).
With no street address, a listing's identity is its name and point.
"""

from __future__ import annotations

from ...geocode.reverse import surroundings
from .base import Adapter, Candidate

#: ``type_facility`` values that are substance-use listings (MH alone is a mental-health listing).
SUBSTANCE_USE = {"SU", "BOTH"}


class ListingAdapter(Adapter):
    name = "findtreatment-listing"
    description = "FindTreatment.gov national listing: name, listing type and point only"
    required = frozenset({"name1", "type_facility", "latitude", "longitude"})
    point_identity = True

    @classmethod
    def matches(cls, header: list[str]) -> bool:
        lower = {h.lower() for h in header}
        return cls.required <= lower and "street1" not in lower

    def __init__(self) -> None:
        self._around: dict[tuple[str, str], object] = {}

    def prepare(self, rows) -> None:
        points = []
        for raw in rows:
            key = (raw.get("latitude", "").strip(), raw.get("longitude", "").strip())
            try:
                lat, lon = float(key[0]), float(key[1])
            except ValueError:
                continue
            if lat == lat and lon == lon:
                points.append((key, lat, lon))
        points = sorted(set(points))
        found = surroundings([p[1] for p in points], [p[2] for p in points]) if points else []
        self._around = {p[0]: s for p, s in zip(points, found, strict=True)}

    def convert(self, raw: dict[str, str]) -> Candidate:
        key = (raw.get("latitude", "").strip(), raw.get("longitude", "").strip())
        around = self._around.get(key)
        fields = {"name": raw.get("name1", ""), "latitude": key[0], "longitude": key[1]}
        if around is not None:
            fields.update(state=around.state, county=around.county, city=around.city, zip=around.zip)
        kind = raw.get("type_facility", "").strip().upper()
        reject = "point outside every state" if around is not None and not around.state else None
        return Candidate(fields=fields, codes=["sa"] if kind in SUBSTANCE_USE else [], reject=reject)

"""Geocoding: the offline gazetteer by default, geopy providers opt-in.

>>> locate("Ft. Myers").label
'Fort Myers, FL'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .boundaries import fill_counties, outside_stated_state
from .cache import GeocodeCache
from .offline import OfflineGeocoder, parse_query
from .online import CachedGeocoder, OnlineOptions, make_provider

__all__ = ["CachedGeocoder", "GeocodeCache", "OfflineGeocoder", "OnlineOptions", "Place", "fill_counties",
           "get_geocoder", "locate", "outside_stated_state", "parse_query", "record_locator"]


@dataclass(frozen=True)
class Place:
    """A resolved location: what a person typed, turned into a point."""

    query: str
    label: str
    latitude: float
    longitude: float
    precision: str
    alternatives: tuple[dict, ...] = field(default_factory=tuple)

    @property
    def point(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)

    def to_dict(self) -> dict[str, object]:
        return {"query": self.query, "label": self.label, "latitude": self.latitude, "longitude": self.longitude,
                "precision": self.precision, "alternatives": list(self.alternatives)}


_OFFLINE: OfflineGeocoder | None = None


def offline() -> OfflineGeocoder:
    """The process-wide offline geocoder (its gazetteer loads once)."""
    global _OFFLINE
    if _OFFLINE is None:
        _OFFLINE = OfflineGeocoder()
    return _OFFLINE


def get_geocoder(name: str = "offline", *, cache: str | Path | None = None,
                 options: OnlineOptions | None = None) -> OfflineGeocoder | CachedGeocoder:
    """A geocoder by name: ``offline`` (default) or any geopy provider, cached and rate-limited."""
    if name == "offline":
        return offline()
    opts = options or OnlineOptions()
    provider = make_provider(name, opts)
    return CachedGeocoder(name, provider, cache=GeocodeCache(cache) if cache else None, options=opts,
                          fallback=offline())


def locate(query: str, geocoder: object | None = None) -> Place:
    """Resolve what a person typed to a :class:`Place`; raise :class:`LocationNotFound` when nothing fits."""
    from ..errors import LocationNotFound

    location = (geocoder or offline()).geocode(query, exactly_one=True)
    if location is None:  # a plain geopy provider's "no match"
        raise LocationNotFound(query, [type(geocoder).__name__])
    raw = location.raw if isinstance(location.raw, dict) else {}
    return Place(query, raw.get("label") or location.address, float(location.latitude), float(location.longitude),
                 raw.get("precision", "address"), tuple(raw.get("alternatives", ())))


def record_locator(geocoder: object | None = None):
    """A row locator for importers: ``record -> (lat, lon, precision)`` or None.

    Offline, it uses the record's ZIP, city and state (never another state). With an
    online geocoder it asks for the full address and falls back to the offline answer.
    """
    off = offline()
    if geocoder is None or isinstance(geocoder, OfflineGeocoder):
        return off.locate_record

    from ..errors import GeocodingError

    def locate_online(record: dict[str, str]) -> tuple[float, float, str] | None:
        address = ", ".join(p for p in (record.get("street1", ""), record.get("city", ""),
                                        f"{record.get('state', '')} {record.get('zip', '')}".strip()) if p)
        try:
            location = geocoder.geocode(address)
        except GeocodingError:
            return off.locate_record(record)
        precision = location.raw.get("precision", "address")
        if location.raw.get("provider") == "offline":
            return off.locate_record(record)  # the provider failed: the record's own fields are better
        return float(location.latitude), float(location.longitude), precision

    return locate_online

"""Geocoding: the offline gazetteer by default, geopy providers opt-in.

>>> locate("Ft. Myers").label
'Fort Myers, FL'
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..core.geo import Place
from .boundaries import fill_counties, outside_stated_state
from .cache import GeocodeCache
from .offline import OfflineGeocoder, parse_query
from .online import CachedGeocoder, OnlineOptions, as_geopy, make_provider

__all__ = [
    "CachedGeocoder",
    "GeocodeCache",
    "Geocoder",
    "OfflineGeocoder",
    "OnlineOptions",
    "Place",
    "as_geopy",
    "fill_counties",
    "get_geocoder",
    "locate",
    "outside_stated_state",
    "parse_query",
    "record_locator",
]


class Geocoder(Protocol):
    """What a geocoder is to the library: a name, and ``locate(query) -> Place`` that raises
    :class:`~directory.core.errors.LocationNotFound` when nothing fits."""

    name: str

    def locate(self, query: str) -> Place: ...


_OFFLINE: OfflineGeocoder | None = None


def offline() -> OfflineGeocoder:
    """The process-wide offline geocoder (its gazetteer loads once)."""
    global _OFFLINE
    if _OFFLINE is None:
        _OFFLINE = OfflineGeocoder()
    return _OFFLINE


def get_geocoder(
    name: str = "offline", *, cache: str | Path | None = None, options: OnlineOptions | None = None
) -> OfflineGeocoder | CachedGeocoder:
    """A geocoder by name: ``offline`` (default) or any geopy provider, cached and rate-limited."""
    if name == "offline":
        return offline()
    opts = options or OnlineOptions()
    provider = make_provider(name, opts)
    return CachedGeocoder(
        name, provider, cache=GeocodeCache(cache) if cache else None, options=opts, fallback=offline()
    )


def locate(query: str, geocoder: Geocoder | None = None) -> Place:
    """Resolve what a person typed to a :class:`Place`; raise :class:`LocationNotFound` when nothing fits."""
    return (geocoder or offline()).locate(query)


def record_locator(geocoder: Geocoder | None = None):
    """A row locator for importers: ``record -> (lat, lon, precision)`` or None.

    Offline, it uses the record's ZIP, city and state (never another state). With an
    online geocoder it asks for the full address and falls back to the offline answer.
    """
    off = offline()
    if geocoder is None or isinstance(geocoder, OfflineGeocoder):
        return off.locate_record

    from ..core.errors import GeocodingError

    def locate_online(record: dict[str, str]) -> tuple[float, float, str] | None:
        address = ", ".join(
            p
            for p in (
                record.get("street1", ""),
                record.get("city", ""),
                f"{record.get('state', '')} {record.get('zip', '')}".strip(),
            )
            if p
        )
        try:
            place = geocoder.locate(address)
        except GeocodingError:
            return off.locate_record(record)
        if place.provider == "offline":
            return off.locate_record(record)  # the provider failed: the record's own fields are better
        return place.latitude, place.longitude, place.precision

    return locate_online

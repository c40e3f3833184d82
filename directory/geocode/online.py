"""Online geocoders (opt-in): any geopy provider by name, rate-limited, retried, cached, with offline fallback.

This is the geopy boundary: geopy's exceptions are translated here, and only here, into the
project's errors, and its :class:`~geopy.location.Location` becomes a :class:`~directory.core.geo.Place`
here (:func:`as_geopy` goes the other way, for code that wants geopy's interface).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from geopy import exc as geopy_exc
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service
from geopy.location import Location
from geopy.point import Point

from ..core.errors import GeocoderConfigError, GeocoderServiceError, LocationNotFound
from ..core.geo import Place
from .cache import CachedAnswer, GeocodeCache
from .offline import OfflineGeocoder

log = logging.getLogger(__name__)

#: Providers whose public service demands at most one request a second (Nominatim's usage policy).
ONE_PER_SECOND = {"nominatim", "photon", "openmapquest"}
#: Retried with backoff: timeouts, 429, and 5xx / connection failures.
RETRYABLE = (geopy_exc.GeocoderTimedOut, geopy_exc.GeocoderUnavailable, geopy_exc.GeocoderRateLimited)
#: Environment variables that configure an online geocoder (CLI flags win).
ENVIRONMENT = {
    "user_agent": "DIRECTORY_GEOCODER_USER_AGENT",
    "domain": "DIRECTORY_GEOCODER_DOMAIN",
    "scheme": "DIRECTORY_GEOCODER_SCHEME",
    "api_key": "DIRECTORY_GEOCODER_API_KEY",
}
_ADDRESS_TYPES = {
    "house",
    "building",
    "house_number",
    "road",
    "street",
    "address",
    "amenity",
    "place",
    "Address",
    "PointAddress",
    "StreetAddress",
    "StreetName",
}


@dataclass
class OnlineOptions:
    """Keyword options for an online provider; unset ones come from the environment."""

    user_agent: str | None = None
    domain: str | None = None
    scheme: str | None = None
    api_key: str | None = None
    timeout: float = 10.0
    min_delay_seconds: float | None = None
    retries: int = 3
    backoff_seconds: float = 1.0
    extra: dict[str, object] = field(default_factory=dict)

    def resolved(self) -> OnlineOptions:
        values = {k: getattr(self, k) or os.environ.get(v) for k, v in ENVIRONMENT.items()}
        return OnlineOptions(
            **values,
            timeout=self.timeout,
            min_delay_seconds=self.min_delay_seconds,
            retries=self.retries,
            backoff_seconds=self.backoff_seconds,
            extra=self.extra,
        )


def make_provider(name: str, options: OnlineOptions) -> object:
    """A geopy geocoder instance from geopy's registry, configured from ``options``."""
    try:
        cls = get_geocoder_for_service(name)
    except geopy_exc.GeocoderNotFound:
        raise GeocoderConfigError(
            f"unknown geocoder {name!r}; use 'offline' or a geopy provider name such as nominatim, photon, arcgis"
        ) from None
    opts = options.resolved()
    kwargs: dict[str, object] = {"timeout": opts.timeout, **opts.extra}
    if opts.domain:
        kwargs["domain"] = opts.domain
    if opts.scheme:
        kwargs["scheme"] = opts.scheme
    if opts.api_key:
        kwargs["api_key"] = opts.api_key
    if name == "nominatim":
        if not opts.user_agent or opts.user_agent.startswith("geopy"):
            raise GeocoderConfigError(
                "Nominatim requires a real user agent naming your application and a contact: "
                "--user-agent 'my-directory/1.0 (me@example.org)' or DIRECTORY_GEOCODER_USER_AGENT"
            )
    if opts.user_agent:
        kwargs["user_agent"] = opts.user_agent
    try:
        return cls(**kwargs)
    except (TypeError, geopy_exc.ConfigurationError) as exc:
        raise GeocoderConfigError(f"cannot configure geocoder {name!r}: {exc}") from None


def _precision(location: Location) -> str:
    raw = location.raw if isinstance(location.raw, dict) else {}
    kind = raw.get("addresstype") or raw.get("type") or raw.get("Addr_type") or raw.get("osm_value") or ""
    if kind in ("postcode", "Postal", "PostalExt"):
        return "zip"
    if kind in ("city", "town", "village", "hamlet", "municipality", "Locality", "suburb"):
        return "city"
    if kind in ("state", "Region", "administrative"):
        return "state"
    return "address"


class CachedGeocoder:
    """An online provider wrapped in the cache, a rate limiter, retries and the offline fallback.

    ``locate(query)`` returns a :class:`~directory.core.geo.Place` whose ``provider`` names who
    answered. When the provider still fails after the retries, the offline geocoder answers
    and the place carries its lower precision and ``provider="offline"``.
    """

    def __init__(
        self,
        name: str,
        provider: object,
        *,
        cache: GeocodeCache | None = None,
        options: OnlineOptions | None = None,
        fallback: OfflineGeocoder | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.provider = provider
        self.cache = cache
        self.options = options or OnlineOptions()
        self.fallback = fallback or OfflineGeocoder()
        self.sleep = sleep
        delay = self.options.min_delay_seconds
        if delay is None:
            delay = 1.0 if name in ONE_PER_SECOND else 0.0
        # The limiter only spaces requests; retries and backoff are ours (RateLimiter's wait is fixed).
        self._limited = RateLimiter(
            provider.geocode, min_delay_seconds=delay, max_retries=0, error_wait_seconds=delay, swallow_exceptions=False
        )
        self.requests = 0
        self.fallbacks = 0

    def locate(self, query: str) -> Place:
        if self.cache is not None:
            hit = self.cache.get(self.name, query)
            if hit is not None:
                if not hit.found:
                    raise LocationNotFound(query, [f"{self.name} (cached: no match)"])
                return Place(
                    query,
                    hit.label or query,
                    hit.latitude,
                    hit.longitude,
                    hit.precision or "address",
                    provider=self.name,
                )
        try:
            location = self._request(query)
        except GeocoderServiceError as exc:
            log.warning("%s failed for %r (%s); using the offline geocoder", self.name, query, exc)
            self.fallbacks += 1
            return self.fallback.locate(query)
        if location is None:
            if self.cache is not None:
                self.cache.put(self.name, query, CachedAnswer(None, None, None, None))
            raise LocationNotFound(query, [self.name])
        precision = _precision(location)
        if self.cache is not None:
            self.cache.put(
                self.name, query, CachedAnswer(location.latitude, location.longitude, precision, location.address)
            )
        return Place(
            query, location.address, float(location.latitude), float(location.longitude), precision, provider=self.name
        )

    def _request(self, query: str) -> Location | None:
        """One logical request: up to ``retries`` retries with exponential backoff on transient errors."""
        attempts = self.options.retries + 1
        for attempt in range(attempts):
            try:
                self.requests += 1
                return self._limited(query, exactly_one=True)
            except geopy_exc.GeocoderServiceError as exc:
                # geopy raises the bare base class for unmapped statuses (500, other 5xx);
                # its subclasses for auth, quota and bad queries are not worth retrying.
                if not (isinstance(exc, RETRYABLE) or type(exc) is geopy_exc.GeocoderServiceError):
                    raise GeocoderServiceError(f"{self.name}: {type(exc).__name__}: {exc}") from None
                if attempt == attempts - 1:
                    raise GeocoderServiceError(f"{self.name}: {type(exc).__name__} after {attempts} attempts") from None
                wait = self.options.backoff_seconds * (2**attempt)
                retry_after = getattr(exc, "retry_after", None)
                if retry_after:
                    wait = max(wait, float(retry_after))
                self.sleep(wait)
        return None  # pragma: no cover - the loop always returns or raises


class as_geopy:  # noqa: N801 - reads as a function: as_geopy(offline())
    """geopy's geocoder interface over any of ours: ``geocode(query, exactly_one=True)`` returns a
    :class:`~geopy.location.Location` (``raw`` holds the place's fields), so it composes with
    geopy's ``RateLimiter``; ``exactly_one=False`` returns the place and its alternatives."""

    def __init__(self, geocoder: object) -> None:
        self.geocoder = geocoder

    def geocode(self, query: str, exactly_one: bool = True, **kwargs: object) -> Location | list[Location]:
        place = self.geocoder.locate(query)  # type: ignore[attr-defined]
        if exactly_one:
            return to_location(place)
        return [to_location(place), *(to_location(a) for a in place.alternatives)]


def to_location(place: Place) -> Location:
    raw = {**place.to_dict(), "state": place.state, "provider": place.provider}
    return Location(place.label, Point(place.latitude, place.longitude), raw)

"""The one boundary to OSRM: its ``/table`` and ``/nearest`` services over HTTP, every failure translated.

A deployer runs ``osrm-routed`` over their own OpenStreetMap extract (we ship no road data) and names it
in one setting::

    DIRECTORY_ROUTING=osrm:http://127.0.0.1:5000                          # car
    DIRECTORY_ROUTING="osrm:http://127.0.0.1:5000 foot=osrm:http://127.0.0.1:5001"

The first entry without a name is the car profile; another profile (``foot``) is a second server, since
one ``osrm-routed`` serves one profile's data. :meth:`Router.table` asks for the durations and road
distances from one place to many in as few requests as the server's table size allows (``osrm-routed
--max-table-size``, 100 locations by default: the origin and 99 destinations a request), sent at once,
and gives up after :attr:`Router.timeout` seconds (2 by default) in all.

>>> router = parse_setting("osrm:http://127.0.0.1:5000 foot=osrm:http://127.0.0.1:5001")
>>> router.profiles, router.engines["foot"]
(('car', 'foot'), 'http://127.0.0.1:5001')
>>> parse_setting("")
>>> parse_setting("graphhopper:http://x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
directory.core.errors.RoutingConfigError: DIRECTORY_ROUTING: 'graphhopper:http://x' is not osrm:http://host:port ...
"""

from __future__ import annotations

import json
import math
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from ..core.errors import RoutingConfigError, RoutingUnavailable

#: Environment variables: the engines, and the options a deployer may tune.
SETTING = "DIRECTORY_ROUTING"
TIMEOUT_SETTING = "DIRECTORY_ROUTING_TIMEOUT"
TABLE_SIZE_SETTING = "DIRECTORY_ROUTING_TABLE_SIZE"
CANDIDATES_SETTING = "DIRECTORY_ROUTING_CANDIDATES"
#: OSRM's own default ``--max-table-size``: locations (origin included) in one ``/table`` request.
DEFAULT_TABLE_SIZE = 100
#: How many of a search's nearest candidates (by straight line) are routed.
DEFAULT_CANDIDATES = 200
DEFAULT_TIMEOUT = 2.0
#: A place farther than this from any road of the routing data is not on it (OSRM would snap it to
#: the nearest road however far away it is).
MAX_SNAP_METRES = 2_000.0
#: The profile name OSRM's URL carries for each of ours (``osrm-routed`` serves one profile and does
#: not check the name; other servers may).
OSRM_PROFILE = {"car": "driving", "foot": "foot", "bicycle": "cycling"}
METRES_PER_MILE = 1609.344


@dataclass(frozen=True)
class Table:
    """Durations and road distances from one place to each destination, in the destinations' order:
    ``minutes`` and ``road_miles`` are NaN where no road route was found (or the destination is not on
    the routing data's roads)."""

    minutes: np.ndarray
    road_miles: np.ndarray
    #: Requests sent and how long they took in all.
    requests: int
    elapsed_ms: float


def _base(url: str) -> str:
    """``scheme://host:port`` of ``url``: what a message may show of it (never a user or password)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


class Router:
    """Profile name (``car``, ``foot`` …) → the base URL of the OSRM server for it."""

    def __init__(
        self,
        engines: dict[str, str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        table_size: int = DEFAULT_TABLE_SIZE,
        candidates: int = DEFAULT_CANDIDATES,
    ) -> None:
        if not engines:
            raise RoutingConfigError(f"{SETTING}: no routing engine named")
        if table_size < 2:
            raise RoutingConfigError(f"{TABLE_SIZE_SETTING} must be at least 2, not {table_size}")
        if not 0 < timeout <= 60:
            raise RoutingConfigError(f"{TIMEOUT_SETTING} must be more than 0 and at most 60 seconds, not {timeout:g}")
        if candidates < 1:
            raise RoutingConfigError(f"{CANDIDATES_SETTING} must be at least 1, not {candidates}")
        self.engines = {name: url.rstrip("/") for name, url in engines.items()}
        self.timeout = timeout
        self.table_size = table_size
        self.candidates = candidates
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="osrm")

    @property
    def profiles(self) -> tuple[str, ...]:
        return tuple(self.engines)

    def where(self, profile: str) -> str:
        """The server of ``profile`` as a message may show it."""
        return _base(self.engines[profile])

    def _get(self, url: str, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=remaining) as answer:  # noqa: S310 (the deployer's URL)
            return json.loads(answer.read())

    def _ask(self, profile: str, path: str, deadline: float) -> dict:
        """One request to ``profile``'s server; OSRM's own errors (an answer whose ``code`` is not Ok,
        which it also sends with HTTP 400) become :class:`RoutingUnavailable`."""
        url = f"{self.engines[profile]}/{path}"
        try:
            body = self._get(url, deadline)
        except urllib.error.HTTPError as exc:
            try:
                body = json.loads(exc.read())
            except (ValueError, OSError):
                raise RoutingUnavailable(
                    f"the routing engine at {self.where(profile)} answered HTTP {exc.code}"
                ) from None
        except (TimeoutError, urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError) or "timed out" in str(reason):
                raise RoutingUnavailable(
                    f"the routing engine at {self.where(profile)} did not answer within {self.timeout:g} s"
                ) from None
            raise RoutingUnavailable(f"the routing engine at {self.where(profile)} cannot be reached") from None
        if not isinstance(body, dict) or body.get("code") != "Ok":
            code = body.get("code") if isinstance(body, dict) else None
            message = str(body.get("message", ""))[:120] if isinstance(body, dict) else ""
            raise RoutingUnavailable(
                f"the routing engine at {self.where(profile)} answered {code or 'something else'}"
                + (f": {message}" if message else "")
            )
        return body

    def table(self, origin: tuple[float, float], lats: np.ndarray, lons: np.ndarray, profile: str = "car") -> Table:
        """Minutes and road miles from ``origin`` (latitude, longitude) to each destination: requests of
        at most :attr:`table_size` locations, sent at once, all answered within :attr:`timeout` seconds
        or :class:`RoutingUnavailable`. The origin must be within :data:`MAX_SNAP_METRES` of a road of the
        routing data (else the data does not cover it: also RoutingUnavailable)."""
        if profile not in self.engines:
            raise RoutingUnavailable(f"no routing engine is set up for {profile!r} (only {', '.join(self.engines)})")
        started = time.monotonic()
        deadline = started + self.timeout
        n = len(lats)
        minutes = np.full(n, np.nan)
        road = np.full(n, np.nan)
        if not n:
            return Table(minutes, road, 0, 0.0)
        step = self.table_size - 1
        head = f"{origin[1]:.6f},{origin[0]:.6f}"
        name = OSRM_PROFILE.get(profile, profile)
        chunks = [range(i, min(i + step, n)) for i in range(0, n, step)]

        def path(chunk: range) -> str:
            coords = ";".join([head, *(f"{lons[j]:.6f},{lats[j]:.6f}" for j in chunk)])
            return f"table/v1/{name}/{coords}?sources=0&annotations=duration,distance"

        futures = [self._pool.submit(self._ask, profile, path(chunk), deadline) for chunk in chunks]
        done, pending = wait(futures, timeout=max(0.0, deadline - time.monotonic()) + 0.05)
        if pending:
            for f in pending:
                f.cancel()
            raise RoutingUnavailable(
                f"the routing engine at {self.where(profile)} did not answer within {self.timeout:g} s"
            )
        for chunk, future in zip(chunks, futures, strict=True):
            body = future.result()  # raises the request's RoutingUnavailable
            snapped = body.get("sources") or [{}]
            if float(snapped[0].get("distance") or 0.0) > MAX_SNAP_METRES:
                raise RoutingUnavailable(
                    f"the routing data at {self.where(profile)} has no road near the searched place"
                )
            try:
                seconds = body["durations"][0]
                metres = body["distances"][0]
                places = body["destinations"]
            except (KeyError, IndexError, TypeError):
                raise RoutingUnavailable(
                    f"the routing engine at {self.where(profile)} answered without durations and distances"
                ) from None
            for k, j in enumerate(chunk, start=1):
                s, m = seconds[k], metres[k]
                off = float((places[k] or {}).get("distance") or 0.0) if k < len(places) else math.inf
                if s is None or m is None or off > MAX_SNAP_METRES:
                    continue
                minutes[j] = float(s) / 60.0
                road[j] = float(m) / METRES_PER_MILE
        return Table(minutes, road, len(chunks), (time.monotonic() - started) * 1000)

    def check(self) -> list[tuple[str, bool, str]]:
        """Each profile's health: ``(profile, ok, one line)`` — a ``/nearest`` request, timed."""
        lines = []
        for profile in self.engines:
            started = time.monotonic()
            try:
                self._ask(
                    profile,
                    "nearest/v1/" + OSRM_PROFILE.get(profile, profile) + "/-98.5,39.8?number=1",
                    started + self.timeout,
                )
            except RoutingUnavailable as exc:
                lines.append((profile, False, str(exc)))
                continue
            ms = (time.monotonic() - started) * 1000
            lines.append((profile, True, f"OSRM at {self.where(profile)} answered in {ms:.0f} ms"))
        return lines


def parse_setting(text: str | None, **options) -> Router | None:
    """The router ``text`` (``DIRECTORY_ROUTING``'s value) names, or None for an empty one."""
    entries = (text or "").replace(",", " ").split()
    if not entries:
        return None
    engines: dict[str, str] = {}
    for entry in entries:
        name, sep, rest = entry.partition("=")
        if not sep or "://" in name:
            name, rest = "car", entry
        kind, _, url = rest.partition(":")
        parts = urlsplit(url)
        if kind != "osrm" or parts.scheme not in ("http", "https") or not parts.hostname:
            raise RoutingConfigError(f"{SETTING}: {entry!r} is not osrm:http://host:port (only OSRM is supported)")
        if not name.isidentifier():
            raise RoutingConfigError(f"{SETTING}: {name!r} is not a profile name (car, foot …)")
        if name in engines:
            raise RoutingConfigError(f"{SETTING}: the {name} profile is named twice")
        engines[name] = url
    return Router(engines, **options)


def _number(name: str, default: float, kind=float):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise RoutingConfigError(f"{name} must be a number, not {value[:40]!r}") from None


def from_environment() -> Router | None:
    """The router ``DIRECTORY_ROUTING`` and its options name (None when it is not set)."""
    return parse_setting(
        os.environ.get(SETTING),
        timeout=_number(TIMEOUT_SETTING, DEFAULT_TIMEOUT),
        table_size=_number(TABLE_SIZE_SETTING, DEFAULT_TABLE_SIZE, int),
        candidates=_number(CANDIDATES_SETTING, DEFAULT_CANDIDATES, int),
    )

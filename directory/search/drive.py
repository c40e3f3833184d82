"""Minutes, not miles: a search ranked and limited by drive time from the deployer's routing engine.

The straight-line search finds the candidates as always; the nearest :attr:`Router.candidates` (200) of
them by straight line go to the engine's table service; the result then carries each row's minutes and
road miles (:class:`Drive`), ordered by minutes (no route last, marked), and ``max_minutes`` keeps only
the places that near. Both stores call :func:`by_road` from their ``search``, so every front end (app,
API, CLI, exports) gets the same answer.

When the engine fails (down, slow, an error) the same search runs in straight-line miles and
:attr:`SearchResult.routing_note` says in one line that drive times are unavailable: one ranking never
mixes minutes and miles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.errors import QueryError, RoutingUnavailable
from ..core.facility import MEASURED
from ..core.i18n import _, compact, ngettext, number
from ..routing import Router
from .query import FALLBACK_NEAREST, MAX_RADIUS_MILES, Query

#: The fastest average a trip may hold (mph): a place farther than this many miles per hour of the
#: limit in a straight line cannot be within it by road, so it is not a candidate.
MAX_MPH = 75.0
#: Why a row has no minutes.
UNREACHABLE, NOT_ROUTED, ROUTED = "unreachable", "not_routed", "routed"
#: The columns a result measured by road gains, after ``distance_miles``; ``route_status`` is
#: :data:`ROUTED`, :data:`UNREACHABLE` (no road route in the routing data) or :data:`NOT_ROUTED`
#: (farther than the nearest candidates by straight line, never asked).
COLUMNS = MEASURED[1:]
SOURCE = "OSRM"
log = logging.getLogger("directory.routing")


@dataclass(frozen=True)
class Drive:
    """How far each row of a result is by road (arrays in the result's row order)."""

    profile: str
    #: Minutes and road miles (NaN where there are none; ``missing`` says why).
    minutes: np.ndarray
    road_miles: np.ndarray
    #: '' (routed), :data:`UNREACHABLE` (no road route in the routing data) or :data:`NOT_ROUTED`
    #: (beyond the nearest ``candidates`` by straight line, so never asked).
    missing: np.ndarray
    #: Whether the rows are ordered by minutes (else by straight-line distance or name, as asked).
    ranked: bool
    candidates: int
    requests: int
    elapsed_ms: float

    def columns(self) -> dict[str, np.ndarray]:
        """The columns a result's records gain (:data:`COLUMNS`): minutes and road miles to a tenth,
        and each row's route status."""
        return {
            "drive_minutes": np.round(self.minutes, 1),
            "road_miles": np.round(self.road_miles, 1),
            "route_status": np.where(self.missing == "", ROUTED, self.missing).astype(object),
        }

    def fields(self, i: int) -> dict[str, object]:
        """Row ``i``'s drive fields as JSON values (None where there are none)."""
        minutes, road = self.minutes[i], self.road_miles[i]
        return {
            "drive_minutes": None if np.isnan(minutes) else round(float(minutes), 1),
            "road_miles": None if np.isnan(road) else round(float(road), 1),
            "route_status": self.missing[i] or ROUTED,
        }


def travel_words(profile: str) -> str:
    """``"by car"``, ``"on foot"``: how a trip of the profile is said."""
    return {"car": _("by car"), "foot": _("on foot"), "bicycle": _("by bicycle")}.get(
        profile, _("by {profile}").format(profile=profile)
    )


def row_words(drive: Drive, i: int) -> str:
    """One row's trip in words: ``"about 23 min by car"``, or why there is none."""
    if drive.missing[i] == UNREACHABLE:
        return _("no road route found")
    if drive.missing[i] == NOT_ROUTED:
        return _("drive time not worked out (farther than the {n} nearest)").format(n=drive.candidates)
    return _("about {minutes} min {travel}").format(
        minutes=minutes_text(drive.minutes[i]), travel=travel_words(drive.profile)
    )


def minutes_text(minutes: float) -> str:
    """Whole minutes, never "0": ``"1"`` for a trip of under a minute."""
    return str(max(1, int(round(float(minutes)))))


def basis_line(drive: Drive | None, note: str = "") -> str:
    """What a page of results says its distances are: drive time (with its source and its limits) or
    straight-line miles — and, when drive times failed, why they are missing."""
    if drive is None:
        if note:  # why, in the engine's words, is for the API's ``unavailable`` and the logs: not this line
            return _("Drive times are unavailable right now; distances are straight-line miles.")
        return _("Distances are straight-line miles.")
    order = _("ordered by drive time") if drive.ranked else _("ordered as asked, drive times shown")
    return _(
        "Drive times {travel}, with no traffic, from {source} (road data © OpenStreetMap contributors); {order}."
    ).format(travel=travel_words(drive.profile), source=SOURCE, order=order)


def measure(
    router: Router | None, origin: tuple[float, float] | None, lats: np.ndarray, lons: np.ndarray, profile: str = "car"
) -> tuple[Drive | None, str]:
    """Drive times from ``origin`` to these places (a shortlist, not a search): ``(Drive, "")``, or ``(None,
    why)`` when the engine failed ('' as why when there is no router or no origin). Places without
    coordinates get no minutes."""
    if router is None or origin is None or profile not in router.profiles:
        return None, ""
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    located = np.flatnonzero(~(np.isnan(lats) | np.isnan(lons)))
    minutes, road = np.full(len(lats), np.nan), np.full(len(lats), np.nan)
    try:
        table = router.table(origin, lats[located], lons[located], profile)
    except RoutingUnavailable as exc:
        return None, str(exc)
    minutes[located], road[located] = table.minutes, table.road_miles
    missing = np.where(np.isnan(minutes), UNREACHABLE, "").astype(object)
    return Drive(profile, minutes, road, missing, False, router.candidates, table.requests, table.elapsed_ms), ""


def by_road(query: Query, straight: Callable[[Query], object], router: Router | None):
    """``query`` answered with drive times when ``router`` is set and the query has a place (else
    ``straight(query)``, the store's straight-line search, unchanged)."""
    if not query.measure:  # a count that needs no minutes: the straight-line search, limit in miles
        return straight(query.with_(max_minutes=None, order=None))
    wants_road = query.order == "drive_time" or query.max_minutes is not None
    if router is None:
        if wants_road:
            field = "max_minutes" if query.max_minutes is not None else "order"
            raise QueryError("drive times need a routing engine, and none is set up here (DIRECTORY_ROUTING)", field)
        return straight(query)
    if query.travel not in router.profiles:
        raise QueryError(f"travel must be one of {', '.join(router.profiles)} here, not {query.travel!r}", "travel")
    if query.near is None:
        if wants_road:
            raise QueryError("drive times need a place to start from (near)", "near")
        return straight(query)
    try:
        return _routed(query, straight, router)
    except RoutingUnavailable as exc:
        log.warning("drive times unavailable, answering in straight-line miles: %s", exc)
        result = straight(query.with_(max_minutes=None, order=None))
        result.query = query
        result.routing_note = str(exc)
        return result


def _route(result, router: Router, profile: str):
    """Minutes and road miles of every row of ``result`` (a straight-line answer with a place): the
    nearest ``router.candidates`` by straight line asked, the rest :data:`NOT_ROUTED`."""
    n = len(result)
    minutes, road = np.full(n, np.nan), np.full(n, np.nan)
    missing = np.full(n, NOT_ROUTED, dtype=object)
    nearest = np.argsort(result.distances, kind="stable")[: router.candidates] if n else np.zeros(0, dtype=int)
    lats, lons = result.coordinates()
    table = router.table((result.center.latitude, result.center.longitude), lats[nearest], lons[nearest], profile)
    minutes[nearest], road[nearest] = table.minutes, table.road_miles
    missing[nearest] = np.where(np.isnan(table.minutes), UNREACHABLE, "")
    return minutes, road, missing, table


def _routed(query: Query, straight, router: Router):
    everything = query.with_(limit=None, max_minutes=None, order=None)
    if query.max_minutes is not None and not query.nearest:
        reach = min(MAX_RADIUS_MILES, query.max_minutes / 60 * MAX_MPH)
        everything = everything.with_(radius_miles=reach)
    first = straight(everything)
    minutes, road, missing, table = _route(first, router, query.travel)
    requests, elapsed = table.requests, table.elapsed_ms
    fallback = first.fallback
    if query.max_minutes is not None:
        inside = minutes <= query.max_minutes
        ids = [i for i, keep in zip(first.ids, inside, strict=True) if keep]
        base = everything.with_(ids=tuple(ids))
        fallback = None
        if not ids:
            # Nothing that near: the nearest by drive time among the nearest candidates, as a straight
            # search shows the nearest when its radius holds nothing.
            first = straight(everything.with_(nearest=router.candidates))
            minutes, road, missing, table = _route(first, router, query.travel)
            requests, elapsed = requests + table.requests, elapsed + table.elapsed_ms
            reached = np.flatnonzero(~np.isnan(minutes))
            chosen = reached[np.lexsort((first.distances[reached], minutes[reached]))][:FALLBACK_NEAREST]
            ids = [first.ids[i] for i in chosen]
            base = everything.with_(nearest=max(1, len(ids)), ids=tuple(ids))
            fallback = len(ids)
        trip = dict(zip(first.ids, zip(minutes, road, missing, strict=True), strict=True))
        result = straight(base)
        rows = [trip[i] for i in result.ids]
        minutes = np.array([r[0] for r in rows], dtype=float)
        road = np.array([r[1] for r in rows], dtype=float)
        missing = np.array([r[2] for r in rows], dtype=object)
    else:
        result = first
    result.fallback = fallback
    order = np.arange(len(result))
    ranked = query.order != "distance" and query.sort != "name"
    if ranked and len(result):
        # no minutes last (no route, then not asked), each group by minutes, then straight miles, then id
        rank = np.where(missing == "", 0, np.where(missing == UNREACHABLE, 1, 2))
        order = np.lexsort((np.array(result.ids), result.distances, np.nan_to_num(minutes, nan=np.inf), rank))
    if query.limit:
        order = order[: query.limit]
    drive = Drive(
        query.travel,
        minutes[order],
        road[order],
        missing[order],
        ranked,
        router.candidates,
        requests,
        elapsed,
    )
    return result.reordered(query, order, drive)


def limit_words(query: Query) -> str:
    """``"30 minutes by car"``: a drive-time limit as the page says it."""
    minutes = query.max_minutes
    return ngettext(
        "{minutes} minute {travel}", "{minutes} minutes {travel}", int(minutes) if minutes == int(minutes) else 2
    ).format(minutes=compact(minutes), travel=travel_words(query.travel))


def minutes_fallback_note(query: Query, found: int) -> str:
    """What a result limited by drive time says when nothing was that near and the nearest by drive time
    are shown instead."""
    limit = limit_words(query)
    if not found:
        return _("none within {limit}, and no road route to any of the nearest").format(limit=limit)
    return ngettext(
        "none within {limit}; the nearest by drive time is shown",
        "none within {limit}; the {n} nearest by drive time are shown",
        found,
    ).format(limit=limit, n=number(found))

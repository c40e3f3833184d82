"""What a search returns: ids, distances, records and facets, whatever store answered it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from ..core.facility import Facility
from ..core.filters import FILTERS
from ..core.geo import Place
from ..core.i18n import _, compact, ngettext, number
from ..core.states import state_code
from .drive import Drive, basis_line, limit_words, minutes_fallback_note
from .geometry import circle
from .query import Query


@dataclass
class SearchResult:
    """The answer to a :class:`Query`.

    :attr:`frame` holds the result's records in storage form (one row per facility, in result
    order, with ``distance_miles`` when the search had a place): screens and exports read
    columns from it in bulk. :attr:`records` gives the same rows as typed
    :class:`~directory.core.facility.Facility` records, :attr:`ids` and :attr:`distances` the
    ids and miles. ``total`` counts every match, even beyond ``query.limit``.

    A store may hand the records over as a function (``table``) with the ids and miles at hand
    (``found``): the frame is then made only when something reads it — an API answer made from
    records serialised once per load never needs it.
    """

    query: Query
    #: The records (see :attr:`frame`), or a function that makes them.
    table: pd.DataFrame | Callable[[], pd.DataFrame]
    center: Place | None
    facets: dict[str, dict[str, int]]
    #: How many nearest facilities are shown because the radius held none (None: no such fallback);
    #: :attr:`note` says it in words.
    fallback: int | None = None
    total: int = 0
    elapsed_ms: float = 0.0
    #: Query field → the groups it was resolved to (by the store's own taxonomy); :attr:`labels` names them.
    groups: dict[str, list] = field(default_factory=dict)
    #: Latitudes and longitudes of the rows of ``frame`` as floats, when the store has them at hand
    #: (else :meth:`coordinates` parses the frame's text).
    points: tuple[np.ndarray, np.ndarray] | None = None
    #: Group family → how many of the results list anything in it (any accreditation, any payment …):
    #: what a screen states as coverage ("accreditation listed for 12 of 43").
    listed: dict[str, int] = field(default_factory=dict)
    #: Matches left out because no source has listed them since ``query.listed_since`` (in the same
    #: area; for nearest results, as near as the farthest shown), and the years they were last listed.
    older: int = 0
    older_years: tuple[int, int] | None = None
    #: Matches left out because a maintainer verified them closed (in the same area).
    closed: int = 0
    #: The ids and miles (rounded to hundredths, as in the frame; None without a place) of the rows, when
    #: the store has them without the frame.
    found: tuple[list[str], np.ndarray | None] | None = None
    #: Minutes and road miles of each row, when a routing engine measured them
    #: (:func:`~directory.search.drive.by_road`); None: straight-line distance only.
    drive: Drive | None = None
    #: Why drive times are missing from a search that asked for them (the engine down, slow …), in one
    #: line; '' when they are not missing.
    routing_note: str = ""

    def reordered(self, query: Query, order: np.ndarray, drive: Drive | None) -> SearchResult:
        """The same result with its rows in ``order`` (a subset, e.g. limited), measured by ``drive``:
        the frame (made when read) gains ``drive_minutes``, ``road_miles`` and ``route_status`` after
        ``distance_miles``."""
        distances = self.distances
        lat, lon = self.coordinates()
        miles = distances[order] if distances is not None else None

        def table() -> pd.DataFrame:
            frame = self.frame.iloc[order].reset_index(drop=True)
            if drive is None:
                return frame
            at = list(frame.columns).index("distance_miles") + 1 if "distance_miles" in frame else 1
            for k, (name, values) in enumerate(drive.columns().items()):
                frame.insert(at + k, name, values)
            return frame

        ids = self.ids
        return replace(
            self,
            query=query,
            table=table,
            points=(lat[order], lon[order]),
            found=([ids[i] for i in order], miles),
            drive=drive,
        )

    @property
    def basis(self) -> str:
        """What the page says its distances are (drive time with its source, or straight-line miles; why
        drive times are missing when they are), in the current language ('' without a place)."""
        if self.center is None:
            return ""
        return basis_line(self.drive, self.routing_note)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The records in storage form, in result order (made on first use when ``table`` is a function)."""
        return self.table() if callable(self.table) else self.table

    @property
    def note(self) -> str:
        """``"none within 5 miles; the 3 nearest within 100 miles are shown"`` ('' without a fallback), in
        the current language (a result made in one language reads in another)."""
        if self.fallback is None:
            return ""
        if self.by_minutes:
            return minutes_fallback_note(self.query, self.fallback)
        from .rules import fallback_note

        return fallback_note(self.query, self.fallback)

    @property
    def by_minutes(self) -> bool:
        """Whether the result is limited by drive time (``max_minutes``, measured)."""
        return self.drive is not None and self.query.max_minutes is not None

    @property
    def labels(self) -> dict[str, list[str]]:
        """Query field → the labels of its groups, in the current language."""
        return {name: [g.label for g in gs] for name, gs in self.groups.items()}

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Latitudes and longitudes of the result's rows, as float arrays."""
        if self.points is not None:
            return self.points
        return (
            pd.to_numeric(self.frame["latitude"]).to_numpy(dtype=float),
            pd.to_numeric(self.frame["longitude"]).to_numpy(dtype=float),
        )

    @property
    def ids(self) -> list[str]:
        if self.found is not None:
            return self.found[0]
        return self.frame["facility_id"].tolist()

    @property
    def distances(self) -> np.ndarray | None:
        """Miles from the searched place, in result order (None without a place)."""
        if self.found is not None:
            return self.found[1]
        if "distance_miles" not in self.frame:
            return None
        return self.frame["distance_miles"].to_numpy(dtype=float)

    @cached_property
    def records(self) -> list[Facility]:
        return [Facility.from_row(row) for row in self.frame.to_dict("records")]

    def __len__(self) -> int:
        return len(self.found[0]) if self.found is not None else len(self.frame)

    @property
    def area(self):
        """The search circle as a shapely polygon (lon/lat), or None without a centre."""
        if self.center is None or self.query.nearest or (self.note and self.total) or self.by_minutes:
            return None
        return circle(self.center.latitude, self.center.longitude, self.query.radius_miles)

    def describe(self) -> str:
        """A sentence: ``"Detox within 25 miles of Tampa, FL: 12 facilities"``."""
        return describe(self)

    def older_note(self) -> str:
        """What ``listed_since`` and verified closures left out, in a sentence ('' when nothing)."""
        parts = []
        if self.older and self.query.listed_since is not None:
            since = since_text(self.query.listed_since)
            first, last = self.older_years or (0, 0)
            years = f"{first}" if first == last else f"{first}–{last}"
            parts.append(
                ngettext(
                    "{n} older facility that no source has listed since {since} (last listed {years}; "
                    "most have closed)",
                    "{n} older facilities that no source has listed since {since} (last listed {years}; "
                    "most have closed)",
                    self.older,
                ).format(n=number(self.older), since=since, years=years)
            )
        if self.closed:
            parts.append(
                ngettext(
                    "{n} facility a maintainer verified as closed",
                    "{n} facilities a maintainer verified as closed",
                    self.closed,
                ).format(n=number(self.closed))
            )
        return _("Not shown: {parts}.").format(parts="; ".join(parts)) if parts else ""


def since_text(when) -> str:
    """A ``listed_since`` date as people write it: the year alone for the 1st of January."""
    return str(when.year) if (when.month, when.day) == (1, 1) else when.isoformat()


def describe(result: SearchResult) -> str:
    """Turn a result into a sentence (the datasette habit: the selection in words); each filter
    reads as its registry entry's ``phrase`` says."""
    q = result.query
    joiner = _(" and ") if q.match == "all" else _(" or ")
    services = joiner.join(result.labels.get("services", []))
    chosen = q.filters()
    what = services or (_("Facilities") if chosen or result.center else _("All facilities"))
    extras, place = [], []
    for f in FILTERS:
        value = chosen.get(f.field)
        if not value or f.field == "services":
            continue
        if f.kind == "group":
            extras.append(f.reads(_(" or ").join(result.labels[f.field])))
        elif f.kind == "name":
            extras.append(f.reads(value))
        elif f.kind in ("since", "verified"):
            extras.append(f.reads(since_text(value)))
        elif f.kind == "choice":
            extras.append(f.reads(f.choice_label(value)))
        else:
            place.append(f.reads(state_code(value) or value if f.kind == "state" else value))
    where = ""
    if result.center is not None:
        if result.by_minutes and not (result.note and result.total):
            where = _("within {limit} of {place}").format(limit=limit_words(q), place=result.center.label)
        elif q.nearest or (result.note and result.total):
            # the nearest (asked for, or shown because the radius held none): never "within 25 miles"
            where = _("nearest to {place}, within {miles} miles").format(
                place=result.center.label, miles=compact(q.nearest_within_miles)
            )
        else:
            where = _("within {miles} miles of {place}").format(
                miles=compact(q.radius_miles), place=result.center.label
            )
    text = " ".join(p for p in [what, *extras, *place, where] if p)
    count = ngettext("{n} facility", "{n} facilities", result.total).format(n=number(result.total))
    sentence = f"{text}: {count}"
    if result.note:
        sentence += f" ({result.note})"
    return sentence

"""The geosearch engine: :class:`Directory` loads once, then answers :class:`Query` objects.

The spatial index (a shapely STRtree over the facilities' lon/lat points) and the
filter structures (a boolean mask per code and per group, indexes by state, city and
county) are built once in :meth:`Directory.load`, never per query. A radius search
prefilters with lon/lat boxes in the tree and ranks with exact great-circle distance.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from ..core.errors import LocationNotFound
from ..core.facility import Facility
from ..core.filters import CHOICE_OF, FILTERS, GROUP_FILTERS, by_field
from ..core.geo import EARTH_RADIUS_KM, Place, great_circle
from ..core.normalize import norm_city, norm_county, norm_name
from ..core.paths import facilities_file
from ..core.schema import read_facilities
from ..core.taxonomy import Taxonomy
from ..live.availability import Availability, AvailabilityLog, available_now
from ..pipeline.corrections import CorrectionsFile
from ..routing import Router
from ..search.drive import by_road
from ..search.geometry import PointIndex, load_polygon
from ..search.query import FALLBACK_NEAREST, Query
from ..search.result import SearchResult
from ..search.rules import name_matches, order_rows, resolve_place, state_key
from ..search.selection import Selection
from .corrected import CorrectionOverlay
from .indexes import city_points, each
from .indexes import index as index_of


class Directory:
    """The in-memory store: the facilities file loaded once, with its spatial index and filter
    structures (see :class:`directory.stores.Store`)."""

    #: The routing engine a search with a place asks for drive times (None: straight-line miles only).
    router: Router | None = None

    def __init__(
        self,
        frame: pd.DataFrame,
        taxonomy: Taxonomy | None = None,
        geocoder: object | None = None,
        live: AvailabilityLog | None = None,
        corrections: CorrectionsFile | None = None,
    ) -> None:
        started = time.perf_counter()
        self.taxonomy = taxonomy or Taxonomy.load()
        self.geocoder = geocoder
        #: Providers' reports, overlaid on every search (read again when the log changes); None: none.
        self.live = live
        self._live: tuple[object, dict[str, np.ndarray]] = (None, {})
        # pandas 3 keeps strings in Arrow arrays, whose per-column take() dominated a search
        # (0.8 ms of 1.3 ms); NumPy object columns slice in microseconds.
        frame = frame.reset_index(drop=True).astype(object)
        self.frame = frame
        #: The file loaded (:meth:`load`), whose digest :meth:`build_id` is.
        self.source: Path | None = None
        self._build_id: str | None = None
        self.lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
        self.lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
        self.index = PointIndex(self.lat, self.lon)
        n = len(frame)
        by_code: dict[str, list[int]] = defaultdict(list)
        for i, codes in enumerate(frame["service_codes"]):
            for code in codes.split(";"):
                if code:
                    by_code[code].append(i)
        self._code_rows = {c: np.array(rows, dtype=np.int64) for c, rows in by_code.items()}
        self._masks: dict[frozenset[str], np.ndarray] = {}
        self.group_masks = {g.name: self._mask(g.codes) for g in self.taxonomy.groups.values()}
        self._family_masks = {f.family: self._mask(self.taxonomy.family_codes(f.family)) for f in GROUP_FILTERS}
        # The newest evidence that each site is open, as ISO text (which compares as dates): when a source
        # last listed it or, if later, when a maintainer verified it (Facility.open_as_of).
        self._verified_on = frame["verified_on"].astype(str).to_numpy(dtype="U10")
        listed = frame["last_listed"].astype(str).to_numpy(dtype="U10")
        self._last_listed = np.where(self._verified_on > listed, self._verified_on, listed)
        # Sites a maintainer verified closed are in no search (counted with the older ones left out).
        self._closed = frame["status"].to_numpy(dtype=object) == "closed"
        self._any_closed = bool(self._closed.any())
        self._since: dict[object, np.ndarray] = {}
        self._listed_years = tuple(sorted({int(d[:4]) for d in np.unique(self._last_listed) if d[:4].isdigit()}))
        self._by_state = index_of(frame["state"].map(str.upper))
        cities = [norm_city(c) for c in frame["city"]]
        self._by_city = index_of(pd.Series(cities, dtype=object))
        self._by_county = index_of(frame["county"].map(norm_county))
        self._names = [norm_name(f"{a} {b}") for a, b in zip(frame["name"], frame["name2"], strict=True)]
        self._sort_names = np.array([n.lower() for n in frame["name"]], dtype=object)
        self._states = frame["state"].to_numpy(dtype=object)
        #: Each choice filter's value for every row ("facility" / "practitioner"), and a mask per value.
        self._choices = {
            f.field: each(frame[CHOICE_OF[f.field][0]], CHOICE_OF[f.field][1])
            for f in FILTERS
            if f.kind == "choice" and not f.live
        }
        self._choice_masks = {
            field: {value: values == value for value, _ in by_field(field).choices}
            for field, values in self._choices.items()
        }
        # Every count a result reports (each group, each choice, and per family whether a site lists
        # anything in it) as the columns of one matrix: a result's counts are one sum over its rows,
        # not ~60 (a quarter of a search's time went to them).
        self._count_keys: list[tuple[str, str, str]] = [
            ("facet", f.family, g.name) for f in GROUP_FILTERS for g in self.taxonomy.groups_in(f.family)
        ]
        self._count_keys += [("facet", field, value) for field, masks in self._choice_masks.items() for value in masks]
        self._count_keys += [("listed", family, "") for family in self._family_masks]

        def column(kind: str, family: str, name: str) -> np.ndarray:
            if kind == "listed":
                return self._family_masks[family]
            return self._choice_masks[family][name] if family in self._choice_masks else self.group_masks[name]

        self._counts = np.column_stack([column(*key) for key in self._count_keys]).astype(np.uint8)
        self._ids = {fid: i for i, fid in enumerate(frame["facility_id"])}
        self._id_array = frame["facility_id"].to_numpy(dtype=object)
        self._own_cities = city_points(frame, cities, self.lat, self.lon)
        self.n = n
        #: Maintainers' corrections written since the file was built, applied as they are written.
        self.overlay = CorrectionOverlay(corrections) if corrections is not None else None
        self._fresh()
        self.load_ms = (time.perf_counter() - started) * 1000

    def _fresh(self) -> None:
        """Apply corrections written since the last look (a stat of the file when none were)."""
        if self.overlay is not None:
            self.overlay.refresh(self)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        geocoder: object | None = None,
        live: AvailabilityLog | None = None,
        corrections: CorrectionsFile | None = None,
        router: Router | None = None,
    ) -> Directory:
        """Load ``data/facilities.csv`` (or ``path``) and build the index once; ``live``: the providers'
        reports to overlay, ``corrections``: the corrections file to apply as it changes (neither by
        default)."""
        store = cls(read_facilities(path), geocoder=geocoder, live=live, corrections=corrections)
        store.source = Path(path) if path is not None else Path(facilities_file())
        store.router = router
        return store

    def build_id(self) -> str:
        """A digest of the file loaded (of the frame, when it came from no file: a store made in memory)."""
        if self._build_id is None:
            digest = hashlib.blake2b(digest_size=8)
            if self.source is not None and self.source.is_file():
                with open(self.source, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
            else:
                digest.update(pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes())
            self._build_id = digest.hexdigest()
        return self._build_id

    # -- live state ----------------------------------------------------------------------------------
    def availability(self, facility_ids: list[str]) -> dict[str, Availability]:
        """The newest provider report of each of these sites that has one (current or not)."""
        if self.live is None:
            return {}
        latest = self.live.latest()
        return {i: latest[i] for i in facility_ids if i in latest}

    def _live_masks(self) -> dict[str, np.ndarray]:
        """A mask per ``available_now`` value, made again when the log changes or a minute passes (a
        report stops being current with time)."""
        if self.live is None:
            return {}
        latest = self.live.latest()
        key = (self.live.version, int(time.time() // 60))
        if self._live[0] != key:
            masks = {}
            for value, ids in available_now(latest).items():
                mask = np.zeros(self.n, dtype=bool)
                rows = [self._ids[i] for i in ids if i in self._ids]
                mask[rows] = True
                masks[value] = mask
            self._live = (key, masks)
        return self._live[1]

    # -- structures ----------------------------------------------------------------------------------
    def _mask(self, codes: frozenset[str]) -> np.ndarray:
        mask = self._masks.get(codes)
        if mask is None:
            mask = np.zeros(len(self.frame), dtype=bool)
            for code in codes:
                rows = self._code_rows.get(code)
                if rows is not None:
                    mask[rows] = True
            self._masks[codes] = mask
        return mask

    def facility(self, facility_id: str) -> Facility | None:
        """One facility by id, or None."""
        self._fresh()
        i = self._ids.get(facility_id)
        return None if i is None else Facility.from_row(self.frame.iloc[i].to_dict())

    def count(self) -> int:
        """How many facilities the directory holds."""
        return self.n

    def listed_years(self) -> tuple[int, ...]:
        """The years in which a source last listed some of its facilities, ascending."""
        return self._listed_years

    def rows_of(self, facility_ids) -> np.ndarray:
        """Row positions of the given facility ids (unknown ids raise KeyError)."""
        return np.fromiter((self._ids[f] for f in facility_ids), dtype=np.int64)

    def facilities(self, facility_ids: list[str]) -> list[Facility]:
        """The facilities with these ids, in that order (unknown ids left out)."""
        self._fresh()
        rows = [self._ids[f] for f in facility_ids if f in self._ids]
        return [Facility.from_row(r) for r in self.frame.iloc[rows].to_dict("records")]

    def fields(self, facility_ids: list[str], names: tuple[str, ...]) -> list[dict[str, str]]:
        """The named columns of these sites as stored text, in that order (unknown ids left out)."""
        self._fresh()
        rows = [self._ids[f] for f in facility_ids if f in self._ids]
        values = self.frame.iloc[rows, [self.frame.columns.get_loc(n) for n in names]].to_numpy(dtype=object)
        return [dict(zip(names, (str(v) for v in row), strict=True)) for row in values]

    def codes_in_use(self) -> frozenset[str]:
        """Every service code some site lists."""
        return frozenset(self._code_rows)

    @cached_property
    def _listing(self) -> tuple[pa.Array, np.ndarray]:
        """For :meth:`select`: each row's search text and newest date (built on first use)."""
        from ..core.keys import modified_key, search_text

        f = self.frame
        text = pa.array(
            [
                search_text(*values, self.taxonomy)
                for values in zip(f["name"], f["name2"], f["service_codes"], f["city"], f["state"], strict=True)
            ],
            type=pa.string(),
        )
        newest = np.array(
            [
                modified_key(*values)
                for values in zip(f["last_listed"], f["verified_on"], f["details_as_of"], strict=True)
            ],
            dtype="U10",
        )
        return text, newest

    @cached_property
    def _by_id(self) -> np.ndarray:
        """The rows in id order (ids never change: kept when a correction makes the listing again)."""
        return np.argsort(self.frame["facility_id"].to_numpy(dtype=str), kind="stable")

    def select_page(self, selection: Selection, start: int, size: int) -> tuple[list[str], int]:
        """A window of :meth:`select`'s ids, and how many it holds."""
        ids, _metres = self.select(selection)
        return ids[start : start + size], len(ids)

    def select(self, selection: Selection) -> tuple[list[str], list[float] | None]:
        """The ids of every site ``selection`` matches, by id (or nearest first, with metres)."""
        self._fresh()
        by_id = self._by_id
        keep = np.ones(self.n, dtype=bool)
        s = selection
        if s.codes is not None:
            keep &= self._mask(frozenset(s.codes))
        if s.ids is not None:
            wanted = np.zeros(self.n, dtype=bool)
            wanted[[self._ids[i] for i in s.ids if i in self._ids]] = True
            keep &= wanted
        if s.modified_since is not None:
            keep &= self._listing[1] >= s.modified_since.isoformat()
        if s.zip_code is not None:
            keep &= self.frame["zip"].to_numpy(dtype=object) == s.zip_code
        for index, value in ((self._by_state, s.state), (self._by_county, s.county), (self._by_city, s.city)):
            if value is not None:
                inside = np.zeros(self.n, dtype=bool)
                inside[index.get(value, [])] = True
                keep &= inside
        for word in s.words:  # a substring of the text, as the PostGIS store's strpos
            keep &= pc.match_substring(self._listing[0], word).to_numpy(zero_copy_only=False)
        rows = by_id[keep[by_id]]
        ids = self.frame["facility_id"].to_numpy(dtype=object)
        if s.near is None:
            return ids[rows].tolist(), None
        rows = rows[~np.isnan(self.lat[rows]) & ~np.isnan(self.lon[rows])]
        metres = great_circle(*s.near, self.lat[rows], self.lon[rows], radius=EARTH_RADIUS_KM * 1000)
        inside = metres <= (s.metres if s.metres is not None else np.inf)
        rows, metres = rows[inside], metres[inside]
        order = np.lexsort((ids[rows].astype(str), metres))
        return ids[rows[order]].tolist(), [float(m) for m in metres[order]]

    # -- search --------------------------------------------------------------------------------------
    def resolve(self, near: str | tuple[float, float]) -> Place:
        """Where ``near`` is. A "City, ST" the gazetteer lacks but the directory's own records use
        (postal names such as "Dorchester Center, MA") resolves to the middle of its facilities."""
        return resolve_place(near, self.geocoder, lambda city, state: self._own_cities.get((city, state)))

    def search(self, query: Query) -> SearchResult:
        """Run ``query``; see :class:`Query` for the semantics (drive times: :func:`by_road`)."""
        return by_road(query, self.straight_search, self.router)

    def straight_search(self, query: Query) -> SearchResult:
        """``query`` in straight-line miles."""
        started = time.perf_counter()
        self._fresh()
        groups = query.groups(self.taxonomy)
        every = self._filter_mask(query, groups)  # every filter but listed_since
        recent = self._since_mask(query.listed_since)
        keep = every if recent is None else (recent if every is None else every & recent)
        try:
            center = self.resolve(query.near) if query.near is not None else None
        except LocationNotFound as exc:
            exc.field = "near"
            raise
        fallback: int | None = None  # how many nearest were shown because the radius held none
        distances = None
        older = np.empty(0, dtype=np.int64)
        if center is None:
            rows = np.flatnonzero(every) if every is not None else np.arange(self.n)
            if recent is not None:
                rows, older = rows[recent[rows]], rows[~recent[rows]]
        elif query.nearest:
            rows, distances = self._nearest(center, query.nearest, keep, query.nearest_within_miles)
        else:
            rows, distances = self._within(center, query.radius_miles, every)
            if recent is not None:
                shown = recent[rows]
                older, rows, distances = rows[~shown], rows[shown], distances[shown]
            if not len(rows) and query.radius_miles < query.nearest_within_miles:
                rows, distances = self._nearest(center, FALLBACK_NEAREST, keep, query.nearest_within_miles)
                fallback = len(rows)
        if center is not None and recent is not None and (query.nearest or fallback is not None):
            # Older listings as near as the farthest shown (or anywhere within the bound, when none is).
            reach = float(distances.max()) if len(rows) else query.nearest_within_miles
            older, _ = self._within(center, reach, ~recent if every is None else every & ~recent)
        rows, distances = self._refine(query, rows, distances)
        older, _ = self._refine(query, older, None)
        order = order_rows(query, rows, distances, lambda: self._sort_names[rows])
        rows = rows[order]
        distances = distances[order] if distances is not None else None
        total = len(rows)
        facets, listed = self._facets(rows)
        if query.limit:
            rows = rows[: query.limit]
            distances = distances[: query.limit] if distances is not None else None
        miles = np.round(distances, 2) if distances is not None else None
        found = (self._id_array[rows].tolist(), miles)

        def frame(rows: np.ndarray = rows) -> pd.DataFrame:  # made only if something reads the records
            frame = self.frame.iloc[rows].reset_index(drop=True)
            return frame.assign(distance_miles=miles) if miles is not None else frame

        chosen = {name: list(gs) for name, gs in groups.items() if gs}
        closed = int(self._closed[older].sum())
        older = older[~self._closed[older]]
        years = sorted({d[:4] for d in self._last_listed[older]})
        return SearchResult(
            query,
            frame,
            center,
            facets,
            fallback,
            total,
            (time.perf_counter() - started) * 1000,
            chosen,
            (self.lat[rows], self.lon[rows]),
            listed,
            older=len(older),
            older_years=(int(years[0]), int(years[-1])) if years else None,
            closed=closed,
            found=found,
        )

    def _since_mask(self, since) -> np.ndarray | None:
        """The sites a search may show: listed or verified on or after ``since`` and not closed (None:
        no restriction at all), cached per date."""
        if since is None and not self._any_closed:
            return None
        mask = self._since.get(since)
        if mask is None:
            if len(self._since) >= 8:  # an API client may ask for any date: keep only a few
                self._since.clear()
            listed = self._last_listed >= since.isoformat() if since is not None else True
            mask = self._since[since] = listed & ~self._closed
        return mask

    def _refine(self, query: Query, rows: np.ndarray, distances: np.ndarray | None):
        """The rows inside ``query.within`` and matching ``query.name``."""
        if query.within is not None and len(rows):
            polygon = load_polygon(query.within)
            inside = shapely.contains_xy(polygon, self.lon[rows], self.lat[rows])
            rows = rows[inside]
            distances = distances[inside] if distances is not None else None
        if query.name:
            rows, distances = self._by_name(query.name, rows, distances)
        return rows, distances

    def _filter_mask(self, query: Query, groups: dict[str, list]) -> np.ndarray | None:
        mask: np.ndarray | None = None

        def both(other: np.ndarray) -> None:
            nonlocal mask
            mask = other.copy() if mask is None else mask & other

        indexes = {
            "state": (self._by_state, state_key),
            "city": (self._by_city, norm_city),
            "county": (self._by_county, norm_county),
        }
        for f in FILTERS:
            value = getattr(query, f.field)
            if not value:
                continue
            if f.kind == "group":
                masks = [self._mask(g.codes) for g in groups[f.field]]
                if f.field == "services" and query.match == "all":
                    both(np.logical_and.reduce(masks))
                else:
                    both(np.logical_or.reduce(masks))
            elif f.kind == "choice" and f.live:
                live = self._live_masks()
                both(live[value] if value in live else np.zeros(self.n, dtype=bool))
            elif f.kind == "choice":
                both(self._choice_masks[f.field][value])
            elif f.kind == "verified":
                both(self._verified_on >= value.isoformat())
            elif f.kind in indexes:
                index, key = indexes[f.kind]
                rows = index.get(key(value), np.empty(0, dtype=np.int64))
                selected = np.zeros(self.n, dtype=bool)
                selected[rows] = True
                both(selected)
        if query.ids is not None:  # the sites a drive-time search found in time
            selected = np.zeros(self.n, dtype=bool)
            selected[[self._ids[i] for i in query.ids if i in self._ids]] = True
            both(selected)
        return mask

    def _within(self, center: Place, radius: float, keep: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        return self.index.within(center.latitude, center.longitude, radius, keep)

    def _nearest(
        self, center: Place, k: int, keep: np.ndarray | None, max_miles: float
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.index.nearest(center.latitude, center.longitude, k, keep, max_miles=max_miles)

    def _by_name(self, text: str, rows: np.ndarray, distances: np.ndarray | None):
        words = norm_name(text).split()
        if not words:
            return rows, distances
        keep = np.fromiter((name_matches(words, self._names[i]) for i in rows), dtype=bool, count=len(rows))
        return rows[keep], (distances[keep] if distances is not None else None)

    def _facets(self, rows: np.ndarray) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
        """Counts per group, per choice and per state (largest first) among ``rows``, and per family how
        many of them list anything in it."""
        totals = self._counts[rows].sum(axis=0, dtype=np.int64) if len(rows) else np.zeros(len(self._count_keys))
        facets: dict[str, dict[str, int]] = {}
        listed: dict[str, int] = {}
        for (kind, family, name), total in zip(self._count_keys, totals.tolist(), strict=True):
            if kind == "listed":
                listed[family] = int(total)
            else:
                facets.setdefault(family, {})[name] = int(total)
        for f in FILTERS:
            if f.kind == "choice" and f.live:
                live = self._live_masks()
                facets[f.field] = {v: int(live[v][rows].sum()) if v in live else 0 for v, _label in f.choices}
        states = self._states[rows]
        values, counts = np.unique(states, return_counts=True)
        facets["state"] = {
            str(v): int(c) for v, c in sorted(zip(values, counts, strict=True), key=lambda x: (-x[1], x[0]))
        }
        return facets, listed

"""How the PostGIS store searches: one statement for a radius, no place or the nearest k (the common
path), and the steps a polygon or a name needs. A mixin of :class:`~.store.PostgisStore`, which holds
the connections.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from ...core.errors import LocationNotFound
from ...core.filters import AVAILABLE_NOW, FILTERS, GROUP_FILTERS
from ...core.geo import EARTH_RADIUS_MILES, METRES_PER_MILE, Place, great_circle
from ...core.normalize import norm_city, norm_county, norm_name
from ...routing import Router
from ...search import Query, SearchResult
from ...search.drive import by_road
from ...search.geometry import MAX_NEAREST_MILES, load_polygon
from ...search.rules import FALLBACK_NEAREST, name_matches, order_rows, state_key
from .schema import CODES_MATCH, CODES_TEST, OPEN, SLACK

#: The values of the live choice (``available_now``), in the order the statement counts them.
LIVE = tuple(AVAILABLE_NOW)
#: The ``availability_now`` column of each (a current report that says it accepts / has open beds).
LIVE_COLUMN = {"accepting": "accepting", "beds": "beds"}


class SearchSQL:
    """The search half of :class:`~.store.PostgisStore` (``self._conn()``, ``self.taxonomy``, ``self.columns``)."""

    #: The routing engine a search with a place asks for drive times (None: straight-line miles only).
    router: Router | None = None

    def search(self, query: Query) -> SearchResult:
        """Run ``query`` (drive times: :func:`by_road`)."""
        return by_road(query, self.straight_search, self.router)

    def straight_search(self, query: Query) -> SearchResult:
        """``query`` in straight-line miles."""
        started = time.perf_counter()
        groups = query.groups(self.taxonomy)
        where, params = self._filters(query, groups)
        try:
            center = self.resolve(query.near) if query.near is not None else None
        except LocationNotFound as exc:
            exc.field = "near"
            raise
        # Never below OPEN: a site verified closed (its key sorts before every date) is in no search.
        since = query.listed_since.isoformat() if query.listed_since else OPEN
        fallback: int | None = None
        if query.within is None and not query.name:  # a polygon or a name is tested in Python: the steps below
            with self._conn() as conn:
                k = (query.nearest or 0) if center is not None else 0
                if center is not None:  # the point's index finds the candidates; their codes are then tested
                    where = [CODES_TEST if w == CODES_MATCH else w for w in where]
                found = self._at_once(conn, query, where, params, center, since, k)
                if found is None:  # nothing inside the radius: the nearest instead, as the in-memory store
                    found = self._at_once(conn, query, where, params, center, since, FALLBACK_NEAREST)
                    fallback = found[2]
            return self._result(query, center, started, groups, fallback, *found)
        with self._conn() as conn:
            if center is None:
                rows, lls = self._rows(conn, where, params)
                distances = None
                rows, older = _split(rows, lls, since)
            elif query.nearest:
                rows, distances = self._nearest(
                    conn, center, query.nearest, where, params, since, query.nearest_within_miles
                )
                older = np.empty(0, dtype=np.int64)
            else:
                rows, distances, lls = self._within(conn, center, query.radius_miles, where, params)
                shown = np.ones(len(rows), dtype=bool) if since is None else lls >= since
                older, rows, distances = rows[~shown], rows[shown], distances[shown]
                if not len(rows) and query.radius_miles < query.nearest_within_miles:
                    rows, distances = self._nearest(
                        conn, center, FALLBACK_NEAREST, where, params, since, query.nearest_within_miles
                    )
                    fallback = len(rows)
            if center is not None and (query.nearest or fallback is not None):
                reach = float(distances.max()) if len(rows) else query.nearest_within_miles
                candidates, _, lls = self._within(conn, center, reach, where, params)
                older = candidates[lls < since]
            rows, distances = self._refine(conn, query, rows, distances)
            older, _ = self._refine(conn, query, older, None)
            order = order_rows(query, rows, distances, lambda: self._sort_names(conn, rows))
            rows = rows[order]
            distances = distances[order] if distances is not None else None
            total = len(rows)
            facets, listed = self._facets(conn, rows)
            older_years, closed = self._years(conn, older)
            shown_rows = rows[: query.limit] if query.limit else rows
            shown_distances = distances[: len(shown_rows)] if distances is not None else None
            frame = self._frame(conn, shown_rows)
        found = (frame, shown_distances, total, facets, listed, len(older), older_years, closed)
        return self._result(query, center, started, groups, fallback, *found)

    @staticmethod
    def _result(
        query, center, started, groups, fallback, frame, distances, total, facets, listed, older, older_years, closed
    ) -> SearchResult:
        """The result of a search, from what either path found (``_at_once``'s tuple, in its order)."""
        if distances is not None:
            frame = frame.assign(distance_miles=np.round(distances, 2))
        chosen = {name: list(gs) for name, gs in groups.items() if gs}
        points = (
            pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float) if len(frame) else np.zeros(0),
            pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float) if len(frame) else np.zeros(0),
        )
        return SearchResult(
            query,
            frame,
            center,
            facets,
            fallback,
            total,
            (time.perf_counter() - started) * 1000,
            chosen,
            points,
            listed,
            older=older - closed,
            older_years=older_years,
            closed=closed,
        )

    def _at_once(self, conn, query: Query, where, params, center: Place | None, since: str, nearest: int = 0):
        """A search in one statement: rows, distances, filters, facets, the "not shown" counts and the
        records of the rows returned. Inside a radius, with no place, or the ``nearest`` k (the k-nearest
        scan on the geography index finds how far the k-th is; every row that near is then measured
        exactly, as the in-memory store does). None when a radius holds nothing and the nearest are to be
        shown instead (the caller asks again with ``nearest``)."""
        values: list[object] = []
        head = ""
        if center is not None:
            p1, l1 = math.radians(center.latitude), math.radians(center.longitude)
            # The great-circle formula of directory.core.geo, operation for operation (the in-memory store's).
            miles = "2 * %s * asin(sqrt(least(1.0, t.sa * t.sa + %s * cos(radians(latitude)) * (t.sb * t.sb))))"
            values += [EARTH_RADIUS_MILES, math.cos(p1)]
            lateral = (
                " CROSS JOIN LATERAL (SELECT sin((radians(latitude) - %s) / 2) AS sa, "
                "sin((radians(longitude) - %s) / 2) AS sb) t"
            )
            values += [p1, l1]
            point = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography"
            if nearest:
                # reach: how far the k-th nearest is (with slack), never beyond the nearest limit; none
                # found: the "not shown" count still covers nearest_within_miles.
                limit = min(query.nearest_within_miles or MAX_NEAREST_MILES, MAX_NEAREST_MILES)
                knn_where = self._sql([*where, "last_listed_key >= %s"], "geog IS NOT NULL")
                head = (
                    f"knn AS MATERIALIZED (SELECT latitude AS la, longitude AS lo FROM facilities{knn_where} "
                    f"ORDER BY geog <-> {point} LIMIT %s), "
                    "reach AS MATERIALIZED (SELECT CASE WHEN count(*) > 0 THEN least(max(2 * %s * asin(sqrt(least(1.0, "
                    "sin((radians(la) - %s) / 2) ^ 2 + %s * cos(radians(la)) * sin((radians(lo) - %s) / 2) ^ 2"
                    "))) * %s + 0.01), %s) END AS r FROM knn), "
                )
                head_values = [*params, since, center.longitude, center.latitude, nearest]
                head_values += [EARTH_RADIUS_MILES, p1, math.cos(p1), l1, SLACK, limit]
                radius = "(SELECT coalesce(r, %s) FROM reach)"
                radius_values: list[object] = [query.nearest_within_miles]
                inside = (
                    "SELECT * FROM cand WHERE miles <= (SELECT r FROM reach) AND lk >= %s "
                    "ORDER BY miles, row_no LIMIT %s"
                )
                inside_values: list[object] = [since, nearest]
                # The older rows as near as the farthest shown (or nearest_within_miles when none is).
                older = "SELECT * FROM cand WHERE lk < %s AND miles <= coalesce((SELECT max(miles) FROM shown), %s)"
                older_values: list[object] = [since, query.nearest_within_miles]
            else:
                head_values, radius, radius_values = [], "%s", [query.radius_miles]
                inside, inside_values = "SELECT * FROM cand WHERE miles <= %s", [query.radius_miles]
                older, older_values = "SELECT * FROM inside WHERE lk < %s", [since]
            # The box around the circle, as ST_DWithin asks the index (its exact test would measure each
            # candidate again: the great-circle miles below decide who is inside).
            circle = f"geog && _ST_Expand({point}, {radius} * %s + 1)"
            clauses = [*where, circle]
            values += [*params, center.longitude, center.latitude, *radius_values, METRES_PER_MILE * SLACK]
            values = head_values + values
        else:
            miles, lateral, clauses = "NULL::double precision", "", list(where)
            values += list(params)
            inside, inside_values = "SELECT * FROM cand", []
            older, older_values = "SELECT * FROM inside WHERE lk < %s", [since]
        shown = "SELECT * FROM inside" if nearest else "SELECT * FROM inside WHERE lk >= %s"
        shown_values = [] if nearest else [since]
        order = "miles, row_no" if center is not None and query.sort == "distance" else 'sort_key COLLATE "C", row_no'
        sql = (
            f"WITH {head}cand AS MATERIALIZED (SELECT row_no, last_listed_key AS lk, facet_keys AS fk, "
            f"facility_type AS ft, state AS st, sort_key, facility_id AS fid, {miles} AS miles "
            f"FROM facilities{lateral}{self._sql(clauses)}), "
            f"inside AS MATERIALIZED ({inside}), shown AS MATERIALIZED ({shown}), older AS ({older}), "
            f"page AS (SELECT row_no, miles, sort_key FROM shown ORDER BY {order} LIMIT %s) "
            "SELECT (SELECT count(*) FROM shown), "
            "(SELECT coalesce(json_agg(json_build_array(p.miles, f.record) ORDER BY "
            + order.replace("row_no", "p.row_no").replace("miles", "p.miles").replace("sort_key", "p.sort_key")
            + "), '[]'::json) FROM page p JOIN facilities f USING (row_no)), "
            "(SELECT coalesce(json_object_agg(k, n), '{}'::json) FROM "
            "(SELECT k, count(*) n FROM shown, unnest(fk) k GROUP BY k) x), "
            "(SELECT coalesce(json_object_agg(ft, n), '{}'::json) FROM "
            "(SELECT ft, count(*) n FROM shown GROUP BY ft) x), "
            "(SELECT coalesce(json_agg(json_build_array(st, n)), '[]'::json) FROM "
            "(SELECT st, count(*) n FROM shown GROUP BY st) x), "
            "(SELECT ARRAY[min(left(lk, 4)) FILTER (WHERE lk <> ''), max(left(lk, 4)) FILTER (WHERE lk <> ''), "
            "count(*) FILTER (WHERE lk = '')::text, count(*)::text] FROM older), "
            # The live choices' counts: providers' current reports (each site's latest state), the same statement.
            "(SELECT ARRAY["
            + ", ".join(f"count(*) FILTER (WHERE a.{LIVE_COLUMN[v]})" for v in LIVE)
            + "] FROM shown s CROSS JOIN LATERAL (SELECT accepting, beds FROM availability_now a "
            "WHERE a.facility_id = s.fid AND a.until > now()) a)"
        )
        values += [*inside_values, *shown_values, *older_values, query.limit]
        total, page, counts, types, states, ages, live_counts = conn.execute(sql, values).fetchone()
        if center is not None and not nearest and not total and query.radius_miles < query.nearest_within_miles:
            return None  # the nearest are shown instead
        frame = self._records_frame([record for _miles, record in page])
        distances = np.array([m for m, _record in page], dtype=float) if center is not None else None
        facets, listed = self._group_facets(counts)
        for f in FILTERS:
            if f.kind == "choice" and f.live:
                facets[f.field] = {value: int(n) for value, n in zip(LIVE, live_counts, strict=True)}
            elif f.kind == "choice":
                facets[f.field] = {value: int(types.get(value, 0)) for value, _label in f.choices}
        facets["state"] = {str(s): int(n) for s, n in sorted(states, key=lambda x: (-x[1], str(x[0])))}
        low, high, closed, older = ages
        older_years = (int(low), int(high)) if low else None
        return frame, distances, int(total), facets, listed, int(older), older_years, int(closed)

    def _records_frame(self, records: list[dict]) -> pd.DataFrame:
        """Records as the in-memory store's frame: every column, text cells ('' for none), one object block."""
        columns = self.columns
        cells = np.empty((len(records), len(columns)), dtype=object)
        for i, record in enumerate(records):
            cells[i] = [v if (v := record.get(c)) is not None else "" for c in columns]
        return pd.DataFrame(cells, columns=columns, dtype=object)

    def _group_facets(self, counts: dict[str, int]) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
        """Counts per group (in the vocabulary's order) and per family how many list anything, from the
        rows' :func:`facet_keys` counted."""
        facets = {
            f.family: {g.name: int(counts.get(f"{f.family}:{g.name}", 0)) for g in self.taxonomy.groups_in(f.family)}
            for f in GROUP_FILTERS
        }
        listed = {f.family: int(counts.get(f"listed:{f.family}", 0)) for f in GROUP_FILTERS}
        return facets, listed

    # -- SQL pieces ------------------------------------------------------------------------------
    def _filters(self, query: Query, groups: dict[str, list]) -> tuple[list[str], list[object]]:
        where: list[str] = []
        params: list[object] = []
        for f in FILTERS:
            value = getattr(query, f.field)
            if not value:
                continue
            if f.kind == "group":
                sets = [sorted(g.codes) for g in groups[f.field]]
                if f.field == "services" and query.match == "all":
                    for codes in sets:
                        where.append(CODES_MATCH)
                        params.append(codes)
                else:
                    where.append(CODES_MATCH)
                    params.append(sorted(set().union(*map(set, sets))))
            elif f.kind == "choice" and f.live:  # providers' current reports, read by this replica
                # Each site's latest state, current until its date: an index look-up per candidate.
                where.append(
                    f"EXISTS (SELECT 1 FROM availability_now a WHERE a.facility_id = facilities.facility_id "
                    f"AND a.{LIVE_COLUMN[value]} AND a.until > now())"
                )
            elif f.kind == "choice":  # the facility type, a column of its own
                where.append(f"{f.field} = %s")
                params.append(value)
            elif f.kind == "verified":
                where.append("verified_key >= %s")
                params.append(value.isoformat())
            elif f.kind == "state":
                where.append("state_key = %s")
                params.append(state_key(value))
            elif f.kind == "city":
                where.append("city_key = %s")
                params.append(norm_city(value))
            elif f.kind == "county":
                where.append("county_key = %s")
                params.append(norm_county(value))
        if query.ids is not None:  # the sites a drive-time search found in time
            where.append("facilities.facility_id = ANY(%s)")
            params.append(list(query.ids))
        return where, params

    @staticmethod
    def _sql(where: list[str], extra: str = "") -> str:
        clauses = [*where, *([extra] if extra else [])]
        return (" WHERE " + " AND ".join(clauses)) if clauses else ""

    def _rows(self, conn, where, params) -> tuple[np.ndarray, np.ndarray]:
        found = conn.execute(
            "SELECT row_no, last_listed_key FROM facilities" + self._sql(where) + " ORDER BY row_no", params
        ).fetchall()
        return (np.array([r[0] for r in found], dtype=np.int64), np.array([r[1] for r in found], dtype="U10"))

    def _within(self, conn, center: Place, miles: float, where, params):
        """Rows within ``miles`` (exact great-circle, as the in-memory store), their distances and listing dates."""
        metres = miles * METRES_PER_MILE * SLACK + 1
        sql = "SELECT row_no, latitude, longitude, last_listed_key FROM facilities" + self._sql(
            where, "ST_DWithin(geog, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, false)"
        )
        found = conn.execute(sql, [*params, center.longitude, center.latitude, metres]).fetchall()
        rows = np.array([r[0] for r in found], dtype=np.int64)
        lat = np.array([r[1] for r in found], dtype=float)
        lon = np.array([r[2] for r in found], dtype=float)
        lls = np.array([r[3] for r in found], dtype="U10")
        distances = great_circle(center.latitude, center.longitude, lat, lon, radius=EARTH_RADIUS_MILES)
        inside = distances <= miles  # in no particular order: callers order the result as the in-memory store does
        return rows[inside], distances[inside], lls[inside]

    def _nearest(self, conn, center: Place, k: int, where, params, since, max_miles: float):
        """The k nearest (none beyond ``max_miles``): KNN on the geography index finds how far the
        k-th is; every row that near is then measured exactly, as the in-memory store does."""
        clauses = list(where) + (["last_listed_key >= %s"] if since else [])
        values = list(params) + ([since] if since else [])
        sql = (
            "SELECT latitude, longitude FROM facilities"
            + self._sql(clauses, "geog IS NOT NULL")
            + " ORDER BY geog <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography LIMIT %s"
        )
        found = conn.execute(sql, [*values, center.longitude, center.latitude, k]).fetchall()
        limit = min(max_miles or MAX_NEAREST_MILES, MAX_NEAREST_MILES)
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0)
        reach = float(
            great_circle(
                center.latitude, center.longitude, np.array([r[0] for r in found]), np.array([r[1] for r in found])
            ).max()
        )
        rows, distances, lls = self._within(conn, center, min(reach * SLACK + 0.01, limit), where, params)
        if since:
            keep = lls >= since
            rows, distances = rows[keep], distances[keep]
        keep = distances <= limit
        rows, distances = rows[keep], distances[keep]
        order = np.lexsort((rows, distances))[:k]
        return rows[order], distances[order]

    def _refine(self, conn, query: Query, rows: np.ndarray, distances):
        """``within`` (a polygon) and ``name`` (fuzzy), tested in Python as the in-memory store does."""
        if (query.within is not None or query.name) and len(rows):
            found = dict(
                (r[0], r[1:])
                for r in conn.execute(
                    "SELECT row_no, latitude, longitude, name_key FROM facilities WHERE row_no = ANY(%s)",
                    (rows.tolist(),),
                )
            )
            keep = np.ones(len(rows), dtype=bool)
            if query.within is not None:
                import shapely

                polygon = load_polygon(query.within)
                lats = np.array([found[r][0] for r in rows], dtype=float)
                lons = np.array([found[r][1] for r in rows], dtype=float)
                keep &= shapely.contains_xy(polygon, lons, lats)
            if query.name:
                words = norm_name(query.name).split()
                if words:
                    keep &= np.array([name_matches(words, found[r][2]) for r in rows], dtype=bool)
            rows = rows[keep]
            distances = distances[keep] if distances is not None else None
        return rows, distances

    def _sort_names(self, conn, rows: np.ndarray) -> np.ndarray:
        """Names lower-cased by Python, as the in-memory store does (the database's lower() follows its locale)."""
        found = dict(
            conn.execute(
                "SELECT row_no, record->>'name' FROM facilities WHERE row_no = ANY(%s)", (rows.tolist(),)
            ).fetchall()
        )
        return np.array([found[r].lower() for r in rows], dtype=object)

    def _facets(self, conn, rows: np.ndarray) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
        """Counts per group (and per state, largest first) over the result, and per family how many
        list anything in it — one aggregate query."""
        counts = dict(
            conn.execute(
                "SELECT k, count(*) FROM facilities, unnest(facet_keys) k WHERE row_no = ANY(%s) GROUP BY k",
                (rows.tolist(),),
            ).fetchall()
        )
        facets, listed = self._group_facets(counts)
        types = dict(
            conn.execute(
                "SELECT facility_type, count(*) FROM facilities WHERE row_no = ANY(%s) GROUP BY 1", (rows.tolist(),)
            ).fetchall()
        )
        live_counts = conn.execute(
            "SELECT ARRAY["
            + ", ".join(f"count(*) FILTER (WHERE a.{LIVE_COLUMN[v]})" for v in LIVE)
            + "] FROM facilities f JOIN availability_now a ON a.facility_id = f.facility_id AND a.until > now() "
            "WHERE f.row_no = ANY(%s)",
            [rows.tolist()],
        ).fetchone()[0]
        for f in FILTERS:
            if f.kind == "choice" and f.live:
                facets[f.field] = {value: int(n) for value, n in zip(LIVE, live_counts, strict=True)}
            elif f.kind == "choice":
                facets[f.field] = {value: int(types.get(value, 0)) for value, _ in f.choices}
        states = conn.execute(
            "SELECT state, count(*) FROM facilities WHERE row_no = ANY(%s) GROUP BY 1", (rows.tolist(),)
        ).fetchall()
        facets["state"] = {str(s): int(n) for s, n in sorted(states, key=lambda x: (-x[1], x[0]))}
        return facets, listed

    def _years(self, conn, rows: np.ndarray) -> tuple[tuple[int, int] | None, int]:
        """The first and last year the older rows were listed, and how many of the rows are closed."""
        if not len(rows):
            return None, 0
        low, high, closed = conn.execute(
            "SELECT min(left(last_listed_key, 4)) FILTER (WHERE last_listed_key <> ''), "
            "max(left(last_listed_key, 4)) FILTER (WHERE last_listed_key <> ''), "
            "count(*) FILTER (WHERE last_listed_key = '') FROM facilities WHERE row_no = ANY(%s)",
            (rows.tolist(),),
        ).fetchone()
        return ((int(low), int(high)) if low else None), int(closed)

    def _frame(self, conn, rows: np.ndarray) -> pd.DataFrame:
        """The result's storage rows, in result order, as the in-memory store's frame (text cells)."""
        found = (
            dict(
                conn.execute(
                    "SELECT row_no, record FROM facilities WHERE row_no = ANY(%s)", (rows.tolist(),)
                ).fetchall()
            )
            if len(rows)
            else {}
        )
        records = [found[r] for r in rows]
        return pd.DataFrame(records, columns=self.columns).fillna("").astype(object).reset_index(drop=True)


def _split(rows: np.ndarray, lls: np.ndarray, since: str | None):
    if since is None:
        return rows, np.empty(0, dtype=np.int64)
    shown = lls >= since
    return rows[shown], rows[~shown]

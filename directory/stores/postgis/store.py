"""The directory in PostgreSQL + PostGIS: a second store behind the store interface.

:func:`load` puts a facilities file into a database in one transaction (the new table is built,
indexed and swapped in at commit; an interrupted load leaves the old data served), and records
the load in ``directory_loads``. :class:`PostgisStore` answers every :class:`~directory.search.Query`
the way the in-memory :class:`~directory.search.Directory` does — the same ids in the same
order, the same distances (the same great-circle formula, applied to candidates PostGIS finds
with ``ST_DWithin`` and KNN on a GiST-indexed geography), the same facets (SQL aggregates) —
so the two can serve side by side.

Selected by a DSN wherever a facilities file is accepted (``--data postgresql://…``,
``DIRECTORY_FACILITIES``). Connections come from a pool; statements time out; an unreachable
database raises :class:`~directory.errors.DatabaseUnavailable` (one line; the API answers 503).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ...core import paths
from ...core.errors import DatabaseUnavailable, InputFileError, LocationNotFound
from ...core.facility import Facility
from ...core.filters import FILTERS, GROUP_FILTERS, facility_type
from ...core.geo import EARTH_RADIUS_KM, EARTH_RADIUS_MILES, METRES_PER_MILE, Place, great_circle
from ...core.normalize import norm_city, norm_county, norm_name
from ...core.taxonomy import Taxonomy
from ...search import Query, SearchResult
from ...search.geometry import MAX_NEAREST_MILES, load_polygon
from ...search.selection import Selection
from ..memory import FALLBACK_NEAREST, name_matches, order_rows, resolve_place, state_key

SCHEMES = paths.DSN_SCHEMES
#: How long the years of its listings (:meth:`PostgisStore.listed_years`) are kept before they are asked again.
YEARS_TTL_SECONDS = 60
#: Statement timeout of every query (milliseconds).
STATEMENT_TIMEOUT_MS = 10_000
#: How long a request waits for a connection before the database counts as unreachable (seconds).
POOL_WAIT_SECONDS = 3.0
#: A pooled connection idle longer than this is checked (a round trip) before it is used again.
RECHECK_AFTER_SECONDS = 2.0
#: Candidates are fetched this much farther than asked (sphere vs. the geography's own distance),
#: then cut at the exact great-circle distance.
SLACK = 1.01


def is_dsn(data: object) -> bool:
    return isinstance(data, str) and data.startswith(SCHEMES)


def _where(dsn: str) -> str:
    """``host:port/dbname`` of a DSN, for messages (never its password)."""
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def _connect_error(dsn: str, exc: Exception) -> DatabaseUnavailable:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DatabaseUnavailable(f"the database at {_where(dsn)} is unreachable ({message})")


def _connect(dsn: str):
    """One connection (for loading and status), or :class:`DatabaseUnavailable`."""
    import psycopg

    try:
        return psycopg.connect(dsn, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise _connect_error(dsn, exc) from None


# -- loading -------------------------------------------------------------------------------------

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE IF NOT EXISTS directory_loads (
    id serial PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now(), source_file text NOT NULL,
    row_count integer NOT NULL, columns text[] NOT NULL);
CREATE TABLE IF NOT EXISTS problem_reports (
    id bigserial PRIMARY KEY, report_id text UNIQUE NOT NULL, created text NOT NULL, facility_id text NOT NULL,
    facility_name text NOT NULL, problem text NOT NULL, message text NOT NULL, contact text NOT NULL);
CREATE TABLE IF NOT EXISTS report_resolutions (
    report_id text NOT NULL, resolved text NOT NULL, note text NOT NULL, by_correction text NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS corrections (
    id integer PRIMARY KEY, facility_id text NOT NULL, action text NOT NULL, field text NOT NULL, value text NOT NULL,
    reason text NOT NULL, verified_how text NOT NULL, verified_on text NOT NULL, by text NOT NULL,
    report_id text NOT NULL, undoes text NOT NULL, written_at timestamptz NOT NULL DEFAULT now());
"""

TABLE = """
CREATE TABLE {name} (
    row_no integer PRIMARY KEY, facility_id text UNIQUE NOT NULL, state_key text NOT NULL, city_key text NOT NULL,
    county_key text NOT NULL, name_key text NOT NULL, last_listed_key text NOT NULL, codes text[] NOT NULL,
    facility_type text NOT NULL, verified_key text NOT NULL, hsda_text text NOT NULL, modified_key text NOT NULL,
    zip_key text NOT NULL, sort_key text NOT NULL, state text NOT NULL, facet_keys text[] NOT NULL,
    latitude double precision, longitude double precision, geog geography(Point, 4326), record jsonb NOT NULL,
    base_record jsonb NOT NULL)
"""
#: The columns :func:`row_keys` computes from a record, in order (a load writes them; a correction
#: rewrites all but the id and the point).
KEY_COLUMNS = (
    "facility_id",
    "state_key",
    "city_key",
    "county_key",
    "name_key",
    "last_listed_key",
    "codes",
    "facility_type",
    "verified_key",
    "hsda_text",
    "modified_key",
    "zip_key",
    "sort_key",
    "state",
    "facet_keys",
    "latitude",
    "longitude",
)
#: A filter on service codes, as the codes' GIN index answers it (a search with no place)...
CODES_MATCH = "codes && %s::text[]"
#: ... and as a test of each candidate the point's index found: the same answer, but the planner cannot
#: use the GIN index for it (it would otherwise AND the index's tens of thousands of matches of a common
#: code with the few hundred sites near the place, at several times the cost).
CODES_TEST = "(codes && %s::text[]) IS TRUE"
#: ``last_listed_key`` of a site a maintainer verified closed: before every date, so a search's
#: "listed since" test (never below :data:`OPEN`) leaves it out, as the in-memory store does.
CLOSED_KEY = ""
OPEN = "0001-01-01"


def load(dsn: str, data: str | Path | None = None) -> dict[str, object]:
    """Create or migrate the schema and load a facilities file atomically; returns the load's row
    (id, rows, file). Rows are checked as they stream in: a bad one stops the load and nothing changes."""
    from ...core.schema import read_facilities

    path = Path(data or paths.FACILITIES_CSV)
    frame = read_facilities(path)
    columns = list(frame.columns)
    with _connect(dsn) as conn:
        conn.execute(SCHEMA)
        conn.commit()
        with conn.transaction():
            conn.execute("DROP TABLE IF EXISTS facilities_loading")
            conn.execute(TABLE.format(name="facilities_loading"))
            fields = ", ".join(("row_no", *KEY_COLUMNS, "geog", "record", "base_record"))
            records = frame.to_dict("records")
            with conn.cursor() as cur, cur.copy(f"COPY facilities_loading ({fields}) FROM STDIN") as copy:
                # Written near to near (a search reads a few pages, not one page per site); row_no keeps
                # the file's order, which results are ordered by.
                for row_no in spatial_order(frame):
                    copy.write_row(_load_row(int(row_no), records[row_no], path))
            from .corrections import reapply_all

            reapply_all(conn, "facilities_loading")  # corrections written to the database survive a reload
            for column, method in (
                ("geog", "gist"),
                ("codes", "gin"),
                ("facility_id", "btree"),
                ("state_key", "btree"),
                ("city_key", "btree"),
                ("county_key", "btree"),
            ):
                conn.execute(f"CREATE INDEX ON facilities_loading USING {method} ({column})")
            # HSDA's lists run by id, in code-point order (Python's, the in-memory store's).
            conn.execute('CREATE INDEX ON facilities_loading (facility_id COLLATE "C")')
            conn.execute("DROP TABLE IF EXISTS facilities")
            conn.execute("ALTER TABLE facilities_loading RENAME TO facilities")
            load_id = conn.execute(
                "INSERT INTO directory_loads (source_file, row_count, columns) VALUES (%s, %s, %s) RETURNING id",
                (str(path.resolve()), len(frame), columns),
            ).fetchone()[0]
        # Statistics for the planner, and the visibility map, so a list read off the id index (HSDA's
        # pages) never visits the table (VACUUM runs outside a transaction).
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE) facilities")
    return {"id": load_id, "rows": len(frame), "file": str(path)}


def _load_row(row_no: int, row: dict[str, str], path: Path) -> tuple:
    try:
        record = Facility.from_row(row)
    except ValueError as exc:
        raise InputFileError(
            f"{path}: row {row_no + 2}: {exc}; nothing was loaded (the database is unchanged)"
        ) from None
    text = json.dumps(row, ensure_ascii=False)
    point = None
    if record.latitude is not None and record.longitude is not None:
        point = f"SRID=4326;POINT({record.longitude!r} {record.latitude!r})"
    return (row_no, *row_keys(record, row), point, text, text)


def spatial_order(frame: pd.DataFrame) -> np.ndarray:
    """The rows' numbers along a Z-order curve of their points (rows with no point last, in file order):
    sites near each other land on the same pages of the table.

    >>> spatial_order(pd.DataFrame({"latitude": ["40.7", "", "40.71", "25.8"],
    ...                             "longitude": ["-74.0", "", "-74.01", "-80.2"]})).tolist()
    [3, 2, 0, 1]
    """
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(lat) | np.isnan(lon)

    def spread(v: np.ndarray) -> np.ndarray:
        v = v.astype(np.uint64)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    y = np.clip(np.nan_to_num((lat + 90) / 180 * 65535), 0, 65535)
    x = np.clip(np.nan_to_num((lon + 180) / 360 * 65535), 0, 65535)
    key = spread(x) | (spread(y) << np.uint64(1))
    return np.lexsort((np.arange(len(frame)), key, missing))


def row_keys(record: Facility, row: dict[str, str]) -> tuple:
    """The search keys of a record, in :data:`KEY_COLUMNS` order."""
    from ...hsds.mapping import modified_key, search_text

    return (
        record.facility_id,
        str(row.get("state", "")).upper(),
        norm_city(row["city"]),
        norm_county(row["county"]),
        norm_name(f"{row['name']} {row['name2']}"),
        CLOSED_KEY if record.closed else str(record.open_as_of or ""),
        sorted(record.service_codes),
        facility_type(record.type_facility),
        record.verified_on.isoformat() if record.verified_on else "",
        search_text(row["name"], row["name2"], row["service_codes"], row["city"], row["state"], _taxonomy()),
        modified_key(row["last_listed"], row.get("verified_on", ""), row.get("details_as_of", "")),
        str(row.get("zip", "")),
        str(row["name"]).lower(),  # sorted by code point (COLLATE "C"), as Python sorts the in-memory store's
        str(row.get("state", "")),  # as written: the state facet's names (the record is not read per candidate)
        facet_keys(_taxonomy(), frozenset(record.service_codes)),
        record.latitude,
        record.longitude,
    )


def _taxonomy() -> Taxonomy:
    return Taxonomy.load()


@lru_cache(maxsize=65536)
def facet_keys(taxonomy: Taxonomy, codes: frozenset[str]) -> list[str]:
    """What a site counts towards in a search's facets: ``family:group`` for each group it lists a code
    of, ``listed:family`` for each family it lists anything in. Stored with the site, so a search counts
    its facets in one pass over its rows (``unnest``) instead of testing every row against every group.

    >>> facet_keys(Taxonomy.load(), frozenset({"dt", "md"}))[:3]
    ['service:detox', 'listed:service', 'payment:medicaid']
    """
    keys = []
    for f in GROUP_FILTERS:
        keys += [f"{f.family}:{g.name}" for g in taxonomy.groups_in(f.family) if codes & g.codes]
        if codes & taxonomy.family_codes(f.family):
            keys.append(f"listed:{f.family}")
    return keys


def status(dsn: str) -> dict[str, object]:
    """The loads so far (newest first) and how many facilities are served."""
    with _connect(dsn) as conn:
        has = conn.execute(
            "SELECT to_regclass('directory_loads') IS NOT NULL, to_regclass('facilities') IS NOT NULL"
        ).fetchone()
        if not has[0]:
            return {"loads": [], "facilities": 0}
        loads = [
            {"id": i, "loaded_at": at.isoformat(), "file": f, "rows": n}
            for i, at, f, n in conn.execute(
                "SELECT id, loaded_at, source_file, row_count FROM directory_loads ORDER BY id DESC"
            )
        ]
        served = conn.execute("SELECT count(*) FROM facilities").fetchone()[0] if has[1] else 0
    return {"loads": loads, "facilities": served}


# -- the store -----------------------------------------------------------------------------------


class PostgisStore:
    """A :class:`~directory.store.Store` over a loaded database (see the module docstring)."""

    def __init__(
        self, dsn: str, *, taxonomy: Taxonomy | None = None, geocoder: object | None = None, pool_size: int = 4
    ) -> None:
        from psycopg_pool import ConnectionPool

        self.dsn = dsn
        self.taxonomy = taxonomy or Taxonomy.load()
        self.geocoder = geocoder
        # A connection idle for a while is checked before use, so a restarted database is used again at
        # once; one in use a moment ago is not asked again (a round trip per search otherwise).
        self._returned: dict[int, float] = {}
        self.pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            timeout=POOL_WAIT_SECONDS,
            open=False,
            check=self._check,
            reset=self._reset,
            # Read-only statements, each its own transaction (autocommit: no COMMIT round trip); a plan for
            # each statement's own values, never a generic one (a radius or a code list changes the best plan).
            kwargs={
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c plan_cache_mode=force_custom_plan",
                "connect_timeout": 10,
                "autocommit": True,
            },
        )
        try:
            self.pool.open(wait=True, timeout=POOL_WAIT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - psycopg_pool.PoolTimeout carries the cause
            self.pool.close()
            raise _connect_error(dsn, exc) from None
        with self._conn() as conn:
            found = conn.execute("SELECT columns FROM directory_loads ORDER BY id DESC LIMIT 1").fetchone()
            have = {
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'facilities' "
                    "AND table_schema = current_schema()"
                ).fetchall()
            }
        if found is None:
            raise DatabaseUnavailable(f"no facilities loaded in {_where(self.dsn)}; run: directory db load DSN")
        if not set(KEY_COLUMNS) <= have:
            raise DatabaseUnavailable(
                f"the facilities in {_where(self.dsn)} were loaded by an earlier version of the directory; "
                "run: directory db load DSN"
            )
        self.columns: list[str] = found[0]
        self._listed: tuple[int, ...] = ()
        self._listed_at = -math.inf

    def _check(self, conn) -> None:
        from psycopg_pool import ConnectionPool

        if time.monotonic() - self._returned.get(id(conn), -math.inf) > RECHECK_AFTER_SECONDS:
            ConnectionPool.check_connection(conn)

    def _reset(self, conn) -> None:
        if len(self._returned) > 256:  # connections replaced over the hours: forget them (each is checked once)
            self._returned.clear()
        self._returned[id(conn)] = time.monotonic()

    @contextmanager
    def _conn(self) -> Iterator:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise _connect_error(self.dsn, exc) from None

    def close(self) -> None:
        self.pool.close()

    def ping(self) -> bool:
        with self._conn() as conn:
            return conn.execute("SELECT 1").fetchone()[0] == 1

    # -- the interface ---------------------------------------------------------------------------
    def count(self) -> int:
        with self._conn() as conn:
            return conn.execute("SELECT count(*) FROM facilities").fetchone()[0]

    def listed_years(self) -> tuple[int, ...]:
        """Asked of the database at most once a minute (a load may bring a newer source). While it is
        unreachable, the years it last gave: a list of choices does not fail a page whose search says
        the database is unreachable."""
        now = time.monotonic()
        if now - self._listed_at > YEARS_TTL_SECONDS:
            self._listed_at = now
            try:
                with self._conn() as conn:
                    found = conn.execute("SELECT DISTINCT left(last_listed_key, 4) FROM facilities").fetchall()
            except DatabaseUnavailable:
                if not self._listed:
                    raise
            else:
                self._listed = tuple(sorted(int(year) for (year,) in found if year.isdigit()))
        return self._listed

    def facility(self, facility_id: str) -> Facility | None:
        with self._conn() as conn:
            found = conn.execute("SELECT record FROM facilities WHERE facility_id = %s", (facility_id,)).fetchone()
        return Facility.from_row(found[0]) if found else None

    def facilities(self, facility_ids: list[str]) -> list[Facility]:
        """The facilities with these ids, in that order (unknown ids left out): one query."""
        if not facility_ids:
            return []
        with self._conn() as conn:
            found = dict(
                conn.execute(
                    "SELECT facility_id, record FROM facilities WHERE facility_id = ANY(%s)", (list(facility_ids),)
                ).fetchall()
            )
        return [Facility.from_row(found[i]) for i in facility_ids if i in found]

    def codes_in_use(self) -> frozenset[str]:
        """Every service code some site lists (kept as long as the years of its listings)."""
        now = time.monotonic()
        if now - getattr(self, "_codes_at", -math.inf) > YEARS_TTL_SECONDS:
            with self._conn() as conn:
                found = conn.execute("SELECT DISTINCT unnest(codes) FROM facilities").fetchall()
            self._codes, self._codes_at = frozenset(c for (c,) in found), now
        return self._codes

    @staticmethod
    def _selection_where(s: Selection) -> tuple[list[str], list[object]]:
        """A selection's conditions as SQL (AND-ed) and their values."""
        where, params = [], []
        if s.codes is not None:
            where.append("codes && %s::text[]")
            params.append(sorted(s.codes))
        if s.ids is not None:
            where.append("facility_id = ANY(%s)")
            params.append(sorted(s.ids))
        for word in s.words:
            where.append("strpos(hsda_text, %s) > 0")
            params.append(word)
        if s.modified_since is not None:
            where.append("modified_key >= %s")
            params.append(s.modified_since.isoformat())
        if s.zip_code is not None:
            where.append("zip_key = %s")
            params.append(s.zip_code)
        if s.near is not None:
            where.append("geog IS NOT NULL")
            if s.metres is not None:
                where.append("ST_DWithin(geog, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, false)")
                params += [s.near[1], s.near[0], s.metres * SLACK + 1]
        return where, params

    def select_page(self, selection: Selection, start: int, size: int) -> tuple[list[str], int]:
        """A window of :meth:`select`'s ids, and how many it holds: one statement that counts and takes
        the window by the id index (nearest first: the window of :meth:`select`'s measured order)."""
        if selection.near is not None:
            ids, _metres = self.select(selection)
            return ids[start : start + size], len(ids)
        where, params = self._selection_where(selection)
        # Every site: counted, and the window read in id order off the id index. With conditions: the
        # matching ids found once (one scan), then counted and the window sorted out of them.
        source = "facilities" if not where else "m"
        sql = (
            ("" if not where else f"WITH m AS MATERIALIZED (SELECT facility_id FROM facilities{self._sql(where)}) ")
            + f"SELECT (SELECT count(*) FROM {source}), "
            "(SELECT coalesce(array_agg(facility_id ORDER BY facility_id COLLATE \"C\"), '{}') FROM "
            f'(SELECT facility_id FROM {source} ORDER BY facility_id COLLATE "C" LIMIT %s OFFSET %s) w)'
        )
        with self._conn() as conn:
            total, ids = conn.execute(sql, [*params, size, start]).fetchone()
        return list(ids), int(total)

    def select(self, selection: Selection) -> tuple[list[str], list[float] | None]:
        """The ids of every site ``selection`` matches, by id (or nearest first, with metres): one query;
        distances measured as the in-memory store does."""
        s = selection
        where, params = self._selection_where(s)
        columns = "facility_id" if s.near is None else "facility_id, latitude, longitude"
        sql = f"SELECT {columns} FROM facilities" + self._sql(where) + ' ORDER BY facility_id COLLATE "C"'
        with self._conn() as conn:
            found = conn.execute(sql, params).fetchall()
        ids = [r[0] for r in found]
        if s.near is None:
            return ids, None
        metres = great_circle(
            s.near[0],
            s.near[1],
            np.array([r[1] for r in found], dtype=float),
            np.array([r[2] for r in found], dtype=float),
            radius=EARTH_RADIUS_KM * 1000,
        )
        keep = np.flatnonzero(metres <= (s.metres if s.metres is not None else np.inf))
        order = keep[np.lexsort((np.array(ids, dtype=str)[keep], metres[keep]))] if len(keep) else keep
        return [ids[i] for i in order], [float(metres[i]) for i in order]

    def resolve(self, near: str | tuple[float, float]) -> Place:
        """As the in-memory store: the geocoder, then the directory's own "City, ST" (mean of its facilities)."""
        return resolve_place(near, self.geocoder, self._own_city)

    def _own_city(self, city: str, state: str) -> tuple[str, float, float] | None:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT record->>'city', latitude, longitude FROM facilities WHERE city_key = %s "
                "AND state_key = %s AND latitude IS NOT NULL ORDER BY row_no",
                (city, state.upper()),
            ).fetchall()
        if not rows:
            return None
        return (
            f"{rows[0][0]}, {state.upper()}",
            float(np.mean([r[1] for r in rows])),
            float(np.mean([r[2] for r in rows])),
        )

    def search(self, query: Query) -> SearchResult:
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
            # The great-circle formula of directory.geo, operation for operation (the in-memory store's).
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
            f"facility_type AS ft, state AS st, sort_key, {miles} AS miles "
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
            "count(*) FILTER (WHERE lk = '')::text, count(*)::text] FROM older)"
        )
        values += [*inside_values, *shown_values, *older_values, query.limit]
        total, page, counts, types, states, ages = conn.execute(sql, values).fetchone()
        if center is not None and not nearest and not total and query.radius_miles < query.nearest_within_miles:
            return None  # the nearest are shown instead
        frame = self._records_frame([record for _miles, record in page])
        distances = np.array([m for m, _record in page], dtype=float) if center is not None else None
        facets, listed = self._group_facets(counts)
        for f in FILTERS:
            if f.kind == "choice":
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
            elif f.kind == "choice":  # the only one: the facility type, a column of its own
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
        for f in FILTERS:
            if f.kind == "choice":
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

"""The directory in PostgreSQL + PostGIS: a second store behind the store interface.

:func:`load` puts a facilities file into a database in one transaction (the new table is built,
indexed and swapped in at commit; an interrupted load leaves the old data served), and records
the load in ``directory_loads``. :class:`PostgisStore` answers every :class:`~directory.search.Query`
the way the in-memory :class:`~directory.stores.memory.Directory` does — the same ids in the same
order, the same distances (the same great-circle formula, applied to candidates PostGIS finds
with ``ST_DWithin`` and KNN on a GiST-indexed geography), the same facets (SQL aggregates) —
so the two can serve side by side.

Selected by a DSN wherever a facilities file is accepted (``--data postgresql://…``,
``DIRECTORY_FACILITIES``). Connections come from a pool; statements time out; an unreachable
database raises :class:`~directory.core.errors.DatabaseUnavailable` (one line; the API answers 503).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ...core.errors import DatabaseUnavailable
from ...core.facility import Facility
from ...core.geo import EARTH_RADIUS_KM, Place, great_circle
from ...core.taxonomy import Taxonomy
from ...search.rules import resolve_place
from ...search.selection import Selection
from .connect import connect_error, where_of
from .corrections import DatabaseCorrections
from .live import DatabaseAvailabilityLog
from .schema import KEY_COLUMNS, SLACK
from .search import SearchSQL

__all__ = ["PostgisStore"]

#: How long the years of its listings (:meth:`PostgisStore.listed_years`) are kept before they are asked again.
YEARS_TTL_SECONDS = 60
#: Statement timeout of every query (milliseconds).
STATEMENT_TIMEOUT_MS = 10_000
#: How long a request waits for a connection before the database counts as unreachable (seconds).
POOL_WAIT_SECONDS = 3.0
#: A pooled connection idle longer than this is checked (a round trip) before it is used again.
RECHECK_AFTER_SECONDS = 2.0


class PostgisStore(SearchSQL):
    """A :class:`~directory.stores.Store` over a loaded database (see the module docstring)."""

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
        self._build: tuple[float, str] = (-1e9, "")
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
            raise connect_error(dsn, exc) from None
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
            raise DatabaseUnavailable(f"no facilities loaded in {where_of(self.dsn)}; run: directory db load DSN")
        if not set(KEY_COLUMNS) <= have:
            raise DatabaseUnavailable(
                f"the facilities in {where_of(self.dsn)} were loaded by an earlier version of the directory; "
                "run: directory db load DSN"
            )
        self.columns: list[str] = found[0]
        #: Providers' reports, from the database every replica shares (asked at most once a second).
        self.live = DatabaseAvailabilityLog(dsn, connection=self._conn)
        self.corrections = DatabaseCorrections(dsn, connection=self._conn)
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
            raise connect_error(self.dsn, exc) from None

    def close(self) -> None:
        self.pool.close()

    def ping(self) -> bool:
        with self._conn() as conn:
            return conn.execute("SELECT 1").fetchone()[0] == 1

    # -- the interface ---------------------------------------------------------------------------
    def build_id(self) -> str:
        """The newest load's number, time and size (``directory_loads``), asked again at most once a second:
        a new ``directory db load`` changes it for every replica."""
        now = time.monotonic()
        if now - self._build[0] > 1.0:
            with self._conn() as conn:
                row = conn.execute(
                    "SELECT id, loaded_at, row_count FROM directory_loads ORDER BY id DESC LIMIT 1"
                ).fetchone()
            self._build = (now, f"db-{row[0]}-{int(row[1].timestamp())}-{row[2]}" if row else "db-none")
        return self._build[1]

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

    def fields(self, facility_ids: list[str], names: tuple[str, ...]) -> list[dict[str, str]]:
        """The named columns of these sites as stored text, in that order (unknown ids left out): one query."""
        if not facility_ids:
            return []
        picks = ", ".join("coalesce(record->>%s, '')" for _ in names)
        with self._conn() as conn:
            found = {
                r[0]: dict(zip(names, r[1:], strict=True))
                for r in conn.execute(
                    f"SELECT facility_id, {picks} FROM facilities WHERE facility_id = ANY(%s)",
                    (*names, list(facility_ids)),
                ).fetchall()
            }
        return [found[i] for i in facility_ids if i in found]

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
        for column, value in (("state_key", s.state), ("county_key", s.county), ("city_key", s.city)):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
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

    def availability(self, facility_ids: list[str]) -> dict:
        """The newest provider report of each of these sites that has one (current or not)."""
        latest = self.live.latest()
        return {i: latest[i] for i in facility_ids if i in latest}

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

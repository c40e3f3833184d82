"""The store interface: what every screen (app, view, map, API, CLI, exports) may ask of a directory.

A store answers a :class:`~directory.search.Query` with a
:class:`~directory.search.SearchResult` (ids, distances, records, facets), finds one
:class:`~directory.core.facility.Facility` by id, resolves a place, and counts its facilities.
:class:`~directory.stores.memory.Directory` (the facilities file loaded into memory) is today's
implementation; another (a database) only has to implement this protocol, and
:func:`open_store` is where a front end's ``--data`` / ``DIRECTORY_FACILITIES`` picks one.

>>> store = open_store()
>>> isinstance(store, Store), store.count() > 20_000
(True, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from ..core.errors import DatabaseUnavailable
from ..core.facility import Facility
from ..core.geo import Place
from ..core.taxonomy import Taxonomy
from ..search import Query, SearchResult
from ..search.selection import Selection


@runtime_checkable
class Store(Protocol):
    """A searchable directory of facilities."""

    #: The vocabulary the store's filters resolve names with.
    taxonomy: Taxonomy

    def search(self, query: Query) -> SearchResult:
        """Every facility matching ``query``, in its order, with facets over all matches."""
        ...

    def facility(self, facility_id: str) -> Facility | None:
        """One facility by id, or None."""
        ...

    def resolve(self, near: str | tuple[float, float]) -> Place:
        """Where a search for ``near`` is centred (raises :class:`~directory.core.errors.LocationNotFound`)."""
        ...

    def count(self) -> int:
        """How many facilities the store holds."""
        ...

    def listed_years(self) -> tuple[int, ...]:
        """The years in which a source last listed some of its facilities, ascending: what a "listed
        since" choice can mean in this store."""
        ...

    def facilities(self, facility_ids: list[str]) -> list[Facility]:
        """The facilities with these ids, in that order (unknown ids left out): one look-up for a page."""
        ...

    def select(self, selection: Selection) -> tuple[list[str], list[float] | None]:
        """The ids of every site the selection matches, by id — or, with ``near``, nearest first (ties
        by id) with their distances in metres."""
        ...

    def select_page(self, selection: Selection, start: int, size: int) -> tuple[list[str], int]:
        """The ids ``start`` to ``start + size`` of :meth:`select`'s answer, and how many it holds: a
        page of a list without every id crossing a connection."""
        ...

    def codes_in_use(self) -> frozenset[str]:
        """Every service code some site lists."""
        ...

    def fields(self, facility_ids: list[str], names: tuple[str, ...]) -> list[dict[str, str]]:
        """The named columns of these sites as stored text, in that order (unknown ids left out): what a
        list of thousands reads without making a record of each."""
        ...

    def build_id(self) -> str:
        """A short text naming the data loaded (the same in every process serving the same load; a new
        load changes it): what an HTTP answer's ``ETag`` starts with."""
        ...

    def availability(self, facility_ids: list[str]) -> dict:
        """The newest provider report (:class:`~directory.live.availability.Availability`) of each of
        these sites that has one, current or not: live state, seen without a rebuild."""
        ...


def open_store(
    data: str | Path | None = None, *, geocoder: object | None = None, router: object = "environment"
) -> Store:
    """The store for ``data``: a PostgreSQL DSN (``postgresql://…``: the PostGIS store) or a facilities
    file (default: ``$DIRECTORY_FACILITIES`` or the shipped one). Its searches ask ``router`` for drive
    times (default: the engine ``$DIRECTORY_ROUTING`` names, if any; None: never)."""
    from ..core import paths
    from ..live.availability import AvailabilityLog
    from ..pipeline.corrections import CorrectionsFile
    from ..routing import from_environment
    from .memory import Directory
    from .postgis.connect import is_dsn
    from .postgis.store import PostgisStore

    if router == "environment":
        router = from_environment()
    data = data or paths.facilities_file()
    if is_dsn(str(data)):
        store = PostgisStore(str(data), geocoder=geocoder)
        store.router = router  # type: ignore[assignment]
        return store
    return Directory.load(
        data,
        geocoder=geocoder,
        live=AvailabilityLog(),
        corrections=CorrectionsFile(),
        router=router,  # type: ignore[arg-type]
    )


def open_live(store: Store):
    """Where ``store``'s live state is written and read: ``(availability log, provider links)`` — the
    database's tables for the PostGIS store, else the files of ``$DIRECTORY_REPORTS_DIR``."""
    from ..live.availability import AvailabilityLog
    from ..live.links import ProviderLinks
    from .postgis.store import PostgisStore

    if isinstance(store, PostgisStore):
        from .postgis.live import DatabaseProviderLinks

        return store.live, DatabaseProviderLinks(store.dsn)
    log = getattr(store, "live", None)
    return (log if log is not None else AvailabilityLog()), ProviderLinks()


def live_version(store: Store) -> tuple[int, int]:
    """Numbers that change whenever the store's live state does — providers' reports, maintainers'
    corrections: what a cache of searches keys on, so a kept search is never older than the newest
    report or correction."""
    log = getattr(store, "live", None)
    corrections = open_corrections(store)
    try:
        if log is not None:
            log.latest()  # read again if it changed (the database: at most once a second)
        corrections.lines()
    except DatabaseUnavailable:  # the versions last read; the search that follows says why, in one line
        pass
    return (log.version if log is not None else 0, corrections.version)


def open_corrections(store: Store):
    """Where ``store``'s corrections are written and read, live: the database's table for the PostGIS
    store, else the corrections file the in-memory store applies as it changes."""
    from ..pipeline.corrections import CorrectionsFile
    from .postgis.store import PostgisStore

    if isinstance(store, PostgisStore):
        return store.corrections
    overlay = getattr(store, "overlay", None)
    return overlay.file if overlay is not None else CorrectionsFile()

"""Each facility's public JSON, serialised once per load, and the API's JSON bodies assembled from it.

A search answer is mostly the same facility objects again and again. :class:`PublicRecords` keeps, for
every facility an answer has held, its JSON object as bytes in two pieces — ``{"facility_id":"…"`` and
the rest of its fields — so a result row is those bytes with the row's miles between them and the
provider's current report after them, and a body is one ``orjson.dumps`` of the envelope around
:class:`orjson.Fragment` rows. The pieces are made by :func:`~directory.exports.tabular.records` (the
one owner of the record's JSON shape) for the facilities not yet kept, all of an answer's at once; a
maintainer's correction (a new corrections version) forgets them all, so no answer is older than the
newest correction. Facility fields are the same in every language; the words around them (the
description, notes) are made per request.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping

import orjson

from ..core.facility import Facility
from ..search.drive import COLUMNS as DRIVE_COLUMNS
from .tabular import facility_json, json_body, records

#: Every facility of a national file, twice over, before the kept pieces are dropped and made again.
MAX_KEPT = 70_000


def dumps(value: object) -> bytes:
    """JSON bytes as the API sends them: UTF-8, compact (what ``JSONResponse`` gave, much faster)."""
    return orjson.dumps(value)


class PublicRecords:
    """Facility id → its public JSON in two pieces, for one store, valid for one corrections version."""

    def __init__(self) -> None:
        self._version: Hashable = None
        self._pieces: dict[str, tuple[bytes, bytes]] = {}
        self._lock = threading.Lock()

    def refresh(self, version: Hashable) -> None:
        """Forget every kept record when ``version`` (the store's corrections version) changed."""
        if version != self._version or len(self._pieces) > MAX_KEPT:
            with self._lock:
                self._pieces = {}
                self._version = version

    def warm(self, frame, version: Hashable) -> None:
        """Serialise every facility of ``frame`` (a store's records in storage form) now, at load, so no
        answer waits for it (0.9 s and 37 MB for the national file)."""
        self.refresh(version)
        self._keep(records(frame))

    def _keep(self, rows: list[dict[str, object]]) -> None:
        for row in rows:
            rest = dict(row)
            for measured in ("distance_miles", *DRIVE_COLUMNS):  # the search's, not the facility's
                rest.pop(measured, None)
            fid = str(rest.pop("facility_id"))
            tail = orjson.dumps(rest)[1:-1]
            self._pieces[fid] = (orjson.dumps({"facility_id": fid})[:-1], b"," + tail if tail else b"")

    def row(
        self, fid: str, miles: float | None, report: Mapping | None, drive: Mapping | None = None
    ) -> orjson.Fragment:
        """One result row as JSON: the record, ``distance_miles`` second when there is a place (as
        :func:`~directory.exports.tabular.records` orders it) and the ``drive`` fields after it,
        ``availability`` last."""
        head, tail = self._pieces[fid]
        between = b',"distance_miles":' + orjson.dumps(miles) if miles is not None else b""
        if drive is not None:
            between += b"," + orjson.dumps(drive)[1:-1]
        return orjson.Fragment(head + between + tail + b',"availability":' + orjson.dumps(report) + b"}")

    def search_body(self, result, reports: Mapping[str, Mapping], *, page: int, page_size: int, query: dict) -> bytes:
        """The API's search answer (the shape of :func:`~directory.exports.tabular.json_body`), with each
        row's ``availability`` from ``reports`` (id → the report's public form)."""
        start, stop = (page - 1) * page_size, page * page_size
        ids = result.ids[start:stop]
        distances = result.distances
        miles = [None] * len(ids) if distances is None else [float(d) for d in distances[start:stop]]
        missing = [i for i, fid in enumerate(ids) if fid not in self._pieces]
        if missing:  # only these rows' records are read (the frame is made if the store has not made it)
            self._keep(records(result.frame.iloc[[start + i for i in missing]]))
        drive = result.drive
        trips = [None] * len(ids) if drive is None else [drive.fields(i) for i in range(start, start + len(ids))]
        rows = [self.row(fid, m, reports.get(fid), trip) for fid, m, trip in zip(ids, miles, trips, strict=True)]
        return dumps(json_body(result, page=page, page_size=page_size, query=query, rows=rows))

    def facility_body(self, fid: str, facility: Facility | None, report: Mapping | None) -> bytes:
        """One facility's answer (``facility``: its record, read only when it is not kept yet)."""
        if fid not in self._pieces:
            if facility is None:
                raise KeyError(fid)
            self._keep([facility_json(facility)])
        return orjson.dumps(self.row(fid, None, report))

    def __contains__(self, fid: object) -> bool:
        return fid in self._pieces

"""Live state in the PostGIS store's database, for every replica: providers' availability reports
(``availability_reports``, one INSERT each, never updated; ``availability_now`` holds each site's
latest state and until when it is current, which a search joins in its one statement) and
provider-link events (``provider_link_events``). The same interfaces as the files of :mod:`directory.live`."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from ...live.availability import Availability, current_days
from ...live.links import ProviderLinks
from .connect import SCHEMA, connect

#: How long the newest reports are kept before the table is asked again (seconds): a report is seen by
#: every replica's next search within this time.
READ_EVERY_SECONDS = 1.0


def _connect_ready(self):
    """A connection to ``self.dsn``; the tables are made once, for a database no load has prepared."""
    conn = connect(self.dsn)
    if not self._ready:
        conn.execute(SCHEMA)
        conn.commit()
        self._ready = True
    return conn


class DatabaseAvailabilityLog:
    """:class:`~directory.live.availability.AvailabilityLog` over the ``availability_reports`` table."""

    def __init__(self, dsn: str, connection=None) -> None:
        """``connection``: a store's pooled connections (a context manager, as ``PostgisStore._conn``);
        else a connection of its own for each call (the CLI, a test)."""
        self.dsn = dsn
        self._pooled = connection
        self.path = "the database's availability_reports table"
        self.version = 0
        self._latest: dict[str, Availability] = {}
        self._read_at = -1e9
        self._ready = False

    def _connect(self):
        return self._pooled() if self._pooled is not None and self._ready else _connect_ready(self)

    def add(self, report: Availability) -> Availability:
        import uuid
        from dataclasses import replace

        report = replace(report, report_id=report.report_id or uuid.uuid4().hex[:12])
        with self._connect() as conn, conn.transaction():  # the report, and the site's state searches read
            conn.execute(
                "INSERT INTO availability_reports (facility_id, received_at, link_id, report) VALUES (%s, %s, %s, %s)",
                (report.facility_id, report.received_at, report.link_id, report.to_json()),
            )
            conn.execute(
                "INSERT INTO availability_now (facility_id, accepting, beds, until) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (facility_id) DO UPDATE SET accepting = EXCLUDED.accepting, beds = EXCLUDED.beds, "
                "until = EXCLUDED.until WHERE availability_now.until <= EXCLUDED.until",
                (
                    report.facility_id,
                    report.accepting_new_patients == "yes",
                    report.open_beds > 0,
                    report.received_at + timedelta(days=current_days()),
                ),
            )
        self._read_at = -1e9  # this replica sees its own write at once
        return report

    def _rows(self, sql: str, params: tuple = ()) -> list[Availability]:
        with self._connect() as conn:
            return [Availability.from_json(json.dumps(r[0])) for r in conn.execute(sql, params).fetchall()]

    def latest(self) -> dict[str, Availability]:
        now = time.monotonic()
        if now - self._read_at > READ_EVERY_SECONDS:
            found = self._rows(
                "SELECT DISTINCT ON (facility_id) report FROM availability_reports ORDER BY facility_id, id DESC"
            )
            latest = {r.facility_id: r for r in found}
            if latest != self._latest:
                self._latest, self.version = latest, self.version + 1
            self._read_at = now
        return self._latest

    def history(self, facility_id: str | None = None) -> list[Availability]:
        if facility_id is None:
            return self._rows("SELECT report FROM availability_reports ORDER BY id")
        return self._rows("SELECT report FROM availability_reports WHERE facility_id = %s ORDER BY id", (facility_id,))

    def sent_since(self, link_id: int, since: datetime) -> list[datetime]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT received_at FROM availability_reports WHERE link_id = %s AND received_at >= %s",
                (link_id, since),
            ).fetchall()
        return [r[0] for r in rows]


class DatabaseProviderLinks(ProviderLinks):
    """:class:`~directory.live.links.ProviderLinks` with its events in ``provider_link_events`` (ids
    numbered under a table lock, so two maintainers never issue the same one)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.path = "the database's provider_link_events table"
        self._ready = False

    _connect = _connect_ready

    def _events(self, fh=None) -> list[dict]:
        with self._connect() as conn:
            return [r[0] for r in conn.execute("SELECT event FROM provider_link_events ORDER BY id").fetchall()]

    def _locked(self, write):
        with self._connect() as conn:
            conn.execute("LOCK TABLE provider_link_events IN EXCLUSIVE MODE")
            events = [r[0] for r in conn.execute("SELECT event FROM provider_link_events ORDER BY id").fetchall()]
            result, line = write(events)
            conn.execute("INSERT INTO provider_link_events (event) VALUES (%s)", (line,))
        return result

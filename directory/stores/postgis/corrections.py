"""Maintainers' corrections kept in the PostGIS store's database (``directory correct --data postgresql://…``).

Every replica serves one table, so a closure written here is out of every replica's next search: the
correction's line and the site's row change in **one transaction**. The row is recomputed from the
record as it was loaded (``base_record``) with every correction the database holds for the site, in
order — the same :func:`directory.pipeline.corrections.apply` a rebuild runs — so the database answers as a
file rebuilt with those corrections would. ``directory db load`` re-applies them to a new file as it
loads it, so a reload loses none.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from ...core.facility import Facility
from ...pipeline.corrections import COLUMNS, Correction, apply, check


def _rows(conn, facility_id: str | None = None) -> list[Correction]:
    sql = f"SELECT {', '.join(COLUMNS)} FROM corrections" + (" WHERE facility_id = %s" if facility_id else "")
    found = conn.execute(sql + " ORDER BY id", (facility_id,) if facility_id else ()).fetchall()
    return [Correction(int(r[0]), *(str(v) for v in r[1:])) for r in found]


def read(dsn: str) -> list[Correction]:
    """Every correction the database holds, in order."""
    from .connect import SCHEMA, connect

    with connect(dsn) as conn:
        conn.execute(SCHEMA)
        return _rows(conn)


def _recompute(conn, table: str, facility_id: str, corrections: list[Correction]) -> None:
    """Set a site's row to its loaded record with ``corrections`` applied (the undone ones skipped)."""
    from .schema import KEY_COLUMNS, row_keys

    found = conn.execute(f"SELECT base_record FROM {table} WHERE facility_id = %s", (facility_id,)).fetchone()
    if found is None:
        return
    row = {k: "" if v is None else str(v) for k, v in found[0].items()}
    (record,), _ = apply([Facility.from_row(row)], corrections)
    text = {**row, **record.to_row()}
    keys = dict(zip(KEY_COLUMNS, row_keys(record, text), strict=True))
    changed = [c for c in KEY_COLUMNS if c not in ("facility_id", "latitude", "longitude")]
    conn.execute(
        f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in changed)}, record = %s WHERE facility_id = %s",
        (*(keys[c] for c in changed), json.dumps(text, ensure_ascii=False), facility_id),
    )


def reapply_all(conn, table: str) -> int:
    """Apply every stored correction to ``table`` (a load's new table, before it is swapped in); how many
    sites changed."""
    corrections = _rows(conn)
    undone = {c.undoes for c in corrections if c.action == "undo"}
    sites = {c.facility_id for c in corrections if c.action != "undo" and str(c.id) not in undone}
    for facility_id in sorted(sites):
        _recompute(conn, table, facility_id, corrections)
    return len(sites)


def add(dsn: str, correction: Correction) -> Correction:
    """Check and store a correction, and correct the site's row, in one transaction (concurrent writers
    wait for the table lock, so every line keeps its own number); returns it numbered."""
    from .connect import SCHEMA, connect

    with connect(dsn) as conn:
        conn.execute(SCHEMA)
        conn.commit()
        with conn.transaction():
            conn.execute("LOCK TABLE corrections IN EXCLUSIVE MODE")
            existing = _rows(conn)
            numbered = replace(
                correction,
                id=max((c.id for c in existing), default=0) + 1,
                recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            if numbered.action == "undo":
                target = next((c for c in existing if str(c.id) == numbered.undoes), None)
                if target is not None:
                    numbered = replace(numbered, facility_id=target.facility_id)

            def known(facility_id: str) -> bool:
                return (
                    conn.execute("SELECT 1 FROM facilities WHERE facility_id = %s", (facility_id,)).fetchone()
                    is not None
                )

            check(numbered, existing, known)
            conn.execute(
                f"INSERT INTO corrections ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})",
                [numbered.id, *numbered.row()[1:]],
            )
            # An undo line carries the site of the line it undoes: the site's lines are all it needs.
            _recompute(conn, "facilities", numbered.facility_id, _rows(conn, numbered.facility_id))
    return numbered


class DatabaseCorrections:
    """The corrections table as a live store reads it (the interface of
    :class:`~directory.pipeline.corrections.CorrectionsFile`): its lines, read again when a new one is
    written (asked at most once a second), and a ``version`` that counts the changes."""

    #: How long the lines are kept before the table is asked again (seconds).
    READ_EVERY_SECONDS = 1.0

    def __init__(self, dsn: str, connection=None) -> None:
        """``connection``: a store's pooled connections (as ``PostgisStore._conn``), else one of its own."""
        self.dsn = dsn
        self._pooled = connection
        self.path = "the database's corrections table"
        self.version = 0
        self._lines: list[Correction] = []
        self._newest: int | None = -1
        self._read_at = -1e9

    def lines(self) -> list[Correction]:
        import time

        from .connect import SCHEMA, connect

        now = time.monotonic()
        if now - self._read_at > self.READ_EVERY_SECONDS:
            first = self._newest == -1
            with self._pooled() if self._pooled is not None and not first else connect(self.dsn) as conn:
                if first:
                    conn.execute(SCHEMA)
                newest = conn.execute("SELECT max(id) FROM corrections").fetchone()[0]
                if newest != self._newest:
                    self._lines, self._newest = _rows(conn), newest
                    self.version += 1
            self._read_at = now
        return self._lines

    def add(self, correction: Correction, known=None) -> Correction:  # noqa: ARG002 - the table knows its sites
        """Check and store a line, correcting the site's row (:func:`add`); this replica sees it at once."""
        numbered = add(self.dsn, correction)
        self._read_at = -1e9
        return numbered

"""Loading a facilities file into the PostGIS store (one transaction: the new table is built, indexed
and swapped in at commit; an interrupted load leaves the old data served), and what has been loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

from ...core import paths
from ...core.errors import InputFileError
from ...core.facility import Facility
from .connect import SCHEMA, connect
from .schema import KEY_COLUMNS, TABLE, row_keys, spatial_order


def load(dsn: str, data: str | Path | None = None) -> dict[str, object]:
    """Create or migrate the schema and load a facilities file atomically; returns the load's row
    (id, rows, file). Rows are checked as they stream in: a bad one stops the load and nothing changes."""
    from ...core.schema import read_facilities

    path = Path(data or paths.FACILITIES_CSV)
    frame = read_facilities(path)
    columns = list(frame.columns)
    with connect(dsn) as conn:
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


def status(dsn: str) -> dict[str, object]:
    """The loads so far (newest first) and how many facilities are served."""
    with connect(dsn) as conn:
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

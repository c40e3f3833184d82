"""The HSDS package: the Open Referral tables of a set of sites as CSV files and a Frictionless
``datapackage.json`` (a folder, or one zip), built from :mod:`.mapping`'s one mapping of a site.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..core.facility import Facility
from ..core.tables import atomic_writer
from ..core.taxonomy import Taxonomy

#: The namespace of every id this export makes (uuid5 of our project's name under the URL namespace).
from ..live.availability import Availability
from .mapping import ATTRIBUTION, TABLES, _resource, build_tables, field_names, spec
from .mapping import uid as hsds_uid

#: HSDS 3.1's tables for a provider's reported capacity, carried beside the 3.0 tables (a 3.0 reader
#: ignores resources it does not know): ``unit`` ("Bed") and ``service_capacity``.
CAPACITY_RESOURCES = (
    {
        "name": "unit",
        "path": "unit.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "profile": "tabular-data-resource",
        "title": "Unit (HSDS 3.1)",
        "description": "The unit a service's capacity is counted in.",
        "schema": {
            "primaryKey": "id",
            "fields": [
                {"name": "id", "type": "string", "format": "uuid", "constraints": {"required": True, "unique": True}},
                {"name": "name", "type": "string", "constraints": {"required": True}},
                {"name": "scheme", "type": "string"},
                {"name": "identifier", "type": "string"},
                {"name": "uri", "type": "string", "format": "uri"},
            ],
        },
    },
    {
        "name": "service_capacity",
        "path": "service_capacity.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "profile": "tabular-data-resource",
        "title": "Service capacity (HSDS 3.1)",
        "description": "Open beds or slots a provider reported, with when it reported them (its word, not ours).",
        "schema": {
            "primaryKey": "id",
            "fields": [
                {"name": "id", "type": "string", "format": "uuid", "constraints": {"required": True, "unique": True}},
                {"name": "service_id", "type": "string", "format": "uuid", "constraints": {"required": True}},
                {"name": "unit_id", "type": "string", "format": "uuid", "constraints": {"required": True}},
                {"name": "available", "type": "number", "constraints": {"required": True}},
                {"name": "maximum", "type": "number"},
                {"name": "description", "type": "string"},
                {"name": "updated", "type": "datetime", "constraints": {"required": True}},
            ],
            "foreignKeys": [
                {"fields": "service_id", "reference": {"resource": "service", "fields": "id"}},
                {"fields": "unit_id", "reference": {"resource": "unit", "fields": "id"}},
            ],
        },
    },
)


def capacity_tables(availability: Mapping[str, Availability]) -> dict[str, list[dict[str, str]]]:
    """The ``unit`` and ``service_capacity`` rows of the providers' reports (sites in id order)."""
    unit = hsds_uid("unit", "bed")
    rows = []
    for fid in sorted(availability):
        report = availability[fid]
        for b in report.beds:
            rows.append(
                {
                    "id": hsds_uid("service_capacity", f"{fid}:{b.level}"),
                    "service_id": hsds_uid("service", fid),
                    "unit_id": unit,
                    "available": str(b.available),
                    "maximum": "" if b.maximum is None else str(b.maximum),
                    "description": f"{b.level}: beds or slots open, as reported by the provider",
                    "updated": report.received_at.isoformat(timespec="seconds"),
                }
            )
    units = [{"id": unit, "name": "Bed", "scheme": "", "identifier": "bed", "uri": ""}] if rows else []
    return {"unit": units, "service_capacity": rows}


def descriptor(tables: Iterable[str] = TABLES) -> dict:
    """The package descriptor for the tables written: the spec's resources, foreign keys to
    tables the package does not hold left out."""
    names = set(tables)
    resources = []
    for name in TABLES:
        if name not in names:
            continue
        resource = json.loads(json.dumps(_resource(name)))
        keys = [k for k in resource["schema"].get("foreignKeys", []) if k["reference"]["resource"] in names]
        if keys:
            resource["schema"]["foreignKeys"] = keys
        else:
            resource["schema"].pop("foreignKeys", None)
        resources.append(resource)
    resources += [json.loads(json.dumps(r)) for r in CAPACITY_RESOURCES if r["name"] in names]
    base = spec()
    return {
        "name": "substance-use-treatment-directory",
        "title": "US substance-use treatment facilities (HSDS 3.0)",
        "description": ATTRIBUTION,
        "profile": base.get("profile", "tabular-data-package"),
        "licenses": base.get("licenses", []),
        "resources": resources,
    }


def to_csv_text(table: str, rows: list[dict[str, str]]) -> str:
    """One table as CSV, in the spec's column order (text cells that look like formulas are kept as
    text: HSDS is a data exchange, not a spreadsheet, so nothing is prefixed)."""
    out = io.StringIO()
    capacity = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in CAPACITY_RESOURCES}
    names = capacity[table] if table in capacity else field_names(table)
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_package(
    records: Iterable[Facility],
    output: str | Path,
    taxonomy: Taxonomy | None = None,
    availability: Mapping[str, Availability] | None = None,
) -> dict[str, int]:
    """Write the package into folder ``output`` (created; each file atomically); rows per table.
    ``availability``: providers' reports, whose beds go to HSDS 3.1's ``service_capacity`` and ``unit``."""
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    rows = build_tables(records, taxonomy or Taxonomy.load())
    capacity = capacity_tables(availability or {})
    rows.update(capacity)
    package = descriptor([*TABLES, *(name for name, found in capacity.items() if found)])
    for resource in package["resources"]:
        with atomic_writer(folder / resource["path"], "w", encoding="utf-8", newline="") as fh:
            fh.write(to_csv_text(resource["name"], rows[resource["name"]]))
    with atomic_writer(folder / "datapackage.json", "w", encoding="utf-8") as fh:
        json.dump(package, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return {r["name"]: len(rows[r["name"]]) for r in package["resources"]}


def package_zip(
    records: Iterable[Facility],
    taxonomy: Taxonomy | None = None,
    availability: Mapping[str, Availability] | None = None,
) -> bytes:
    """The package as one zip (what the app offers as a download): the same files as
    :func:`write_package`, at the zip's root, with fixed timestamps (byte-identical for one directory).
    ``availability``: providers' reports, whose beds go to HSDS 3.1's ``service_capacity`` and ``unit``."""
    import zipfile

    rows = build_tables(records, taxonomy or Taxonomy.load())
    capacity = capacity_tables(availability or {})
    rows.update(capacity)
    package = descriptor([*TABLES, *(name for name, found in capacity.items() if found)])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = [("datapackage.json", json.dumps(package, indent=2, ensure_ascii=False) + "\n")]
        files += [(r["path"], to_csv_text(r["name"], rows[r["name"]])) for r in package["resources"]]
        for name, text in files:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()

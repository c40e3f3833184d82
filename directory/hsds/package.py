"""The HSDS package: the Open Referral tables of a set of sites as CSV files and a Frictionless
``datapackage.json`` (a folder, or one zip), built from :mod:`.mapping`'s one mapping of a site.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from ..core.facility import Facility
from ..core.tables import atomic_writer
from ..core.taxonomy import Taxonomy

#: The namespace of every id this export makes (uuid5 of our project's name under the URL namespace).
from .mapping import ATTRIBUTION, TABLES, _resource, build_tables, field_names, spec


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
    writer = csv.DictWriter(out, fieldnames=field_names(table), lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_package(records: Iterable[Facility], output: str | Path, taxonomy: Taxonomy | None = None) -> dict[str, int]:
    """Write the package into folder ``output`` (created; each file atomically); rows per table."""
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    rows = build_tables(records, taxonomy or Taxonomy.load())
    package = descriptor()
    for resource in package["resources"]:
        with atomic_writer(folder / resource["path"], "w", encoding="utf-8", newline="") as fh:
            fh.write(to_csv_text(resource["name"], rows[resource["name"]]))
    with atomic_writer(folder / "datapackage.json", "w", encoding="utf-8") as fh:
        json.dump(package, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return {name: len(rows[name]) for name in TABLES}


def package_zip(records: Iterable[Facility], taxonomy: Taxonomy | None = None) -> bytes:
    """The package as one zip (what the app offers as a download): the same files as
    :func:`write_package`, at the zip's root, with fixed timestamps (byte-identical for one directory)."""
    import zipfile

    rows = build_tables(records, taxonomy or Taxonomy.load())
    package = descriptor()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = [("datapackage.json", json.dumps(package, indent=2, ensure_ascii=False) + "\n")]
        files += [(r["path"], to_csv_text(r["name"], rows[r["name"]])) for r in package["resources"]]
        for name, text in files:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()

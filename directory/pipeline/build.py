"""Build the national directory: manifest → import → link → enrich → write → report.

Each step is a call: :func:`read_manifest`, :func:`~directory.pipeline.importers.import_file` per
source, :func:`~directory.pipeline.link.link_sources`, :func:`enrich` (points two signals contradict,
counties from outlines), :func:`~directory.core.schema.write_records`, and the report. Records are
typed :class:`~directory.core.facility.Facility` objects throughout.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from ..core import paths
from ..core.facility import COLUMNS, Facility
from ..core.filters import LISTED_SINCE
from ..core.schema import read_records, write_records
from ..core.tables import atomic_writer
from ..core.taxonomy import Taxonomy
from ..geocode import fill_counties, outside_stated_state
from .importers import Locator, import_file
from .link import duplicate_pairs, link_sources
from .link.assign import ACCREDITATION_SOURCES, OLDER_PHONES, PHONE_AS_OF, PHONE_SOURCE
from .manifest import SourceEntry, read_manifest

__all__ = ["SourceEntry", "build", "enrich", "link_sources", "read_manifest"]


def build(
    manifest: str | Path | None = None,
    output: str | Path | None = None,
    report_path: str | Path | None = None,
    *,
    locate: Locator | None = None,
    progress: bool | None = None,
    previous: str | Path | None = None,
    corrections: str | Path | None = None,
) -> dict[str, object]:
    """Build ``facilities.csv`` and ``build-report.json`` from the manifest; return the report.

    Deterministic: the same inputs give byte-identical outputs (sorted rows, no timestamps).
    ``previous``: a facilities file to compare with; the report gets a ``changes`` section
    (:func:`~directory.pipeline.diff.diff_records`). ``corrections`` (default ``data/corrections.csv``) are
    applied last, as the newest evidence; the report lists every one applied and every one that no
    longer applies.
    """
    from .corrections import apply as apply_corrections
    from .corrections import read as read_corrections

    entries = read_manifest(manifest)
    fixes = read_corrections(corrections)  # a broken file stops the build before anything is written
    taxonomy = Taxonomy.load()
    before = read_records(previous) if previous is not None else None  # read first: it may be the output
    if locate is None:
        from ..geocode import record_locator

        locate = record_locator()  # rows without coordinates are placed offline, from ZIP / city / state
    show = sys.stderr.isatty() if progress is None else progress
    results = []
    for entry in tqdm(entries, desc="importing sources", unit="source", disable=not show):
        results.append(
            import_file(
                list(entry.files),
                adapter=entry.adapter,
                mapping=entry.mapping,
                source_id=entry.id,
                source_date=entry.vintage,
                taxonomy=taxonomy,
                locate=locate,
            )
        )
    members: dict[tuple[str, str], str] = {}
    sites, linked = link_sources(
        results,
        {e.id: e.kind for e in entries},
        progress=show,
        members=members,
        deferred=frozenset(e.id for e in entries if not e.names_sites),
    )
    records, replaced, counties_filled = enrich([sites[fid] for fid in sorted(sites)])
    records, corrected = apply_corrections(records, fixes)
    flagged = sorted(outside_stated_state(records), key=lambda r: r["facility_id"])
    records.sort(key=lambda r: (r.state, r.city.lower(), r.name.lower(), r.facility_id))
    ours = {PHONE_AS_OF, PHONE_SOURCE, OLDER_PHONES, ACCREDITATION_SOURCES}  # the linker's own extra columns
    extra = sorted({c for r in results for c in r.extra_columns if c not in COLUMNS} | ours)
    frame = write_records(records, output or paths.FACILITIES_CSV, extra=extra)
    report = _report(entries, results, linked, frame, records, taxonomy, members)
    report["totals"]["counties_filled_from_outlines"] = counties_filled
    report["coordinates_replaced"] = replaced
    report["outside_stated_state"] = flagged
    report["corrections"] = corrected.report()
    if before is not None:  # what a maintainer reviews before publishing (directory diff)
        from .diff import diff_records

        report["changes"] = diff_records(before, records, taxonomy)
        old = pd.DataFrame([r.to_row() for r in before]) if before else frame.iloc[:0]
        old_coverage, new_coverage = coverage_by_state(old, taxonomy), report["coverage_by_state"]
        report["changes"]["coverage_by_state"] = {
            state: {"before": old_coverage.get(state, {}), "after": new_coverage.get(state, {})}
            for state in sorted(set(old_coverage) | set(new_coverage))
        }
    with atomic_writer(report_path or paths.BUILD_REPORT, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return report


def enrich(records: list[Facility]) -> tuple[list[Facility], list[dict[str, object]], int]:
    """Source points that the record's own ZIP and city both contradict (more than 150 km off, e.g. a
    Houston clinic placed in San Antonio) are replaced by the ZIP point, each reported; empty counties
    are filled from the county outlines. Returns the records, the replacements and the counties filled."""
    from ..geocode import offline

    geocoder = offline()
    replaced = []
    out = []
    for record in records:
        found = geocoder.contradicts(record) if record.geocode_precision == "source" else None
        if found is None:
            out.append(record)
            continue
        lat, lon, precision, km = found
        replaced.append(
            {
                "facility_id": record.facility_id,
                "name": record.name,
                "city": record.city,
                "state": record.state,
                "km_from_zip": round(km, 1),
                "source_point": [record.latitude, record.longitude],
            }
        )
        # Stored with 6 decimals, like every point.
        out.append(replace(record, latitude=round(lat, 6), longitude=round(lon, 6), geocode_precision=precision))
    out, filled = fill_counties(out)
    return out, replaced, filled


def _report(
    entries, results, linked, frame: pd.DataFrame, records: list[Facility], taxonomy: Taxonomy, members=None
) -> dict[str, object]:
    sources = []
    for entry, result in zip(entries, results, strict=True):
        item = result.report()
        item["path"] = " + ".join(f.name for f in entry.files)
        item["kind"] = entry.kind
        item["names_sites"] = entry.names_sites
        item["title"] = entry.title
        item["licence"] = entry.licence
        item["linked_to_existing_site"] = linked[entry.id]["linked"]
        item["new_sites"] = linked[entry.id]["new"]
        item["duplicates_within_source"] = linked[entry.id]["duplicate"]
        item["sites_listing_it"] = int(frame["sources"].map(lambda s, i=entry.id: i in s.split(";")).sum())
        used = Counter(c for site in result.sites.values() for c in site.service_codes)
        item["codes_used"] = len(used)
        item["codes_mapped"] = sum(1 for c in used if taxonomy.in_vocabulary(c))
        item["codes_new"] = dict(sorted(result.unknown_codes.items()))  # counted, never dropped silently
        if members is not None:
            item["repeated_name_and_address"] = repeated_rows(result, members)
        if entry.kind == "listing":
            # Every facility of the listing is a site: linked to one, a repeat of another, or new.
            item["coverage_of_listing"] = round(
                (linked[entry.id]["linked"] + linked[entry.id]["duplicate"] + linked[entry.id]["new"])
                / max(result.accepted, 1),
                4,
            )
            item["sites_linked"] = linked[entry.id]["sites_linked"]
        sources.append(item)
    codes = Counter(c for s in frame["service_codes"] for c in s.split(";") if c)
    unknown = {c: n for c, n in sorted(codes.items()) if not taxonomy.is_known(c)}
    rejected = Counter()
    for result in results:
        rejected.update(result.rejected_by_reason)
    n = len(frame)
    code_sets = [set(s.split(";")) - {""} for s in frame["service_codes"]]
    with_codes = sum(1 for c in code_sets if c)
    beyond_sa = sum(1 for c in code_sets if c - {"sa"})
    mat = taxonomy.group("mat").codes
    with_mat = sum(1 for c in code_sets if c & mat)
    pairs = duplicate_pairs(records)
    return {
        "sources": sources,
        "totals": {
            "sites": n,
            "rows_read": sum(r.rows_read for r in results),
            "accepted": sum(r.accepted for r in results),
            "merged": sum(r.merged for r in results),
            "rejected": sum(r.rejected for r in results),
            "rejected_by_reason": dict(sorted(rejected.items())),
            "linked_to_existing_site": sum(c["linked"] for c in linked.values()),
            "with_service_codes": with_codes,
            "share_with_service_codes": round(with_codes / n, 4) if n else 0.0,
            "share_with_codes_beyond_sa": round(beyond_sa / n, 4) if n else 0.0,
            "with_mat": with_mat,
            "share_with_mat": round(with_mat / n, 4) if n else 0.0,
            "sites_by_services_as_of": {
                k: int(v) for k, v in sorted(frame["services_as_of"].str[:4].value_counts().items())
            },
            "sites_by_last_listed": {k: int(v) for k, v in sorted(frame["last_listed"].str[:4].value_counts().items())},
            "sites_with_several_sources": int((frame["sources"].str.contains(";")).sum()),
            "duplicate_pairs": len(pairs),
            "duplicate_rate": round(len(pairs) / n, 4) if n else 0.0,
            "states": int(frame["state"].nunique()),
            "sites_by_state": {k: int(v) for k, v in sorted(frame["state"].value_counts().items())},
            "sites_by_precision": {k: int(v) for k, v in sorted(frame["geocode_precision"].value_counts().items())},
            "codes_without_public_label": unknown,
        },
        "coverage_by_state": coverage_by_state(frame, taxonomy),
    }


def repeated_rows(result, members: dict[tuple[str, str], str]) -> dict[str, int]:
    """Records of one source that repeat a name and street address in one town (several programs at an
    address, or one program listed twice), and what the linker made of them: one site, or several.
    Rows merged on import (the very same name, program, street and ZIP) are counted apart."""
    from ..core.normalize import norm_name

    groups: dict[tuple[str, str, str], list[str]] = {}
    for fid, site in result.sites.items():
        if site.street1:
            key = (norm_name(site.name), site.street1.lower(), site.city.lower())
            groups.setdefault(key, []).append(fid)
    repeated = [fids for fids in groups.values() if len(fids) > 1]
    one = sum(1 for fids in repeated if len({members.get((result.source_id, f), f) for f in fids}) == 1)
    return {
        "records": sum(len(fids) for fids in repeated),
        "groups": len(repeated),
        "groups_one_site": one,
        "groups_several_sites": len(repeated) - one,
        "rows_merged_on_import": result.merged,
    }


def coverage_by_state(frame: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, dict[str, object]]:
    """Per state: sites, and how many have a phone (or intake phone), any accreditation, services
    beyond the bare ``sa`` code, hours / new patients / accessibility, and were listed since the default
    ``listed_since`` (2021); and sites by the year of their services — what the sources leave unsaid,
    and how old what they say is, by state."""
    recent = f"listed_since_{LISTED_SINCE.year}"
    accredited = taxonomy.family_codes("accreditation")
    codes = frame["service_codes"].map(lambda s: frozenset(c for c in s.split(";") if c))
    has = pd.DataFrame(
        {
            "state": frame["state"],
            "phone": (frame["phone"] != "") | (frame["intake_phone"] != ""),
            "accreditation": codes.map(lambda c: bool(c & accredited)),
            "services": codes.map(lambda c: bool(c - {"sa"})),
            "details": frame.get("details_source", pd.Series("", index=frame.index)) != "",
            recent: frame["last_listed"] >= LISTED_SINCE.isoformat(),
            "as_of": frame["services_as_of"].str[:4].replace("", "unknown"),
        }
    )
    out = {}
    for state, rows in sorted(has.groupby("state")):
        n = len(rows)
        out[state] = {
            "sites": n,
            **{f"with_{k}": int(rows[k].sum()) for k in ("phone", "accreditation", "services", "details", recent)},
        }
        out[state]["share_with_phone"] = round(out[state]["with_phone"] / n, 4)
        out[state]["sites_by_services_as_of"] = {y: int(c) for y, c in sorted(rows["as_of"].value_counts().items())}
    return out

"""Build the national directory from the manifest: import every source, supersede, write, report."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz
from tqdm import tqdm

from . import paths
from .errors import ManifestError
from .geocode import fill_counties, outside_stated_state
from .importers import ADAPTERS, ImportResult, Locator, import_file
from .normalize import norm_name, norm_street
from .schema import COLUMNS, write_facilities
from .tables import atomic_writer
from .taxonomy import Taxonomy

#: Name similarity (rapidfuzz token-set ratio, 0–100) above which two listings at one address are one site.
SAME_SITE_NAME_SCORE = 85


@dataclass(frozen=True)
class SourceEntry:
    """One ``[[source]]`` entry of the manifest."""

    id: str
    path: Path
    adapter: str
    vintage: str
    title: str = ""
    licence: str = ""
    mapping: Path | None = None


def read_manifest(path: str | Path | None = None) -> list[SourceEntry]:
    """Parse and check ``sources.toml``; paths in it are relative to its folder."""
    p = Path(path) if path else paths.MANIFEST
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{p}: no such manifest") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{p}: not valid TOML ({exc})") from None
    entries, seen = [], set()
    for i, item in enumerate(data.get("source", []), start=1):
        missing = {"id", "path", "adapter", "vintage"} - set(item)
        if missing:
            raise ManifestError(f"{p}: source {i} lacks {', '.join(sorted(missing))}")
        if item["id"] in seen:
            raise ManifestError(f"{p}: source id {item['id']!r} appears twice")
        if item["adapter"] not in ADAPTERS:
            raise ManifestError(f"{p}: source {item['id']!r} names unknown adapter {item['adapter']!r}")
        try:
            dt.date.fromisoformat(str(item["vintage"]))
        except ValueError:
            raise ManifestError(f"{p}: source {item['id']!r} vintage {item['vintage']!r} is not an ISO date") from None
        seen.add(item["id"])
        entries.append(SourceEntry(
            item["id"], p.parent / item["path"], item["adapter"], str(item["vintage"]),
            item.get("title", ""), item.get("licence", ""),
            p.parent / item["mapping"] if "mapping" in item else None,
        ))
    if not entries:
        raise ManifestError(f"{p}: no [[source]] entries")
    return entries


def _site_key(record: dict[str, str]) -> tuple[str, str]:
    return norm_street(record["street1"]), record["zip"]


def _same_name(a: dict[str, str], b: dict[str, str]) -> bool:
    # Name and program line together: "Hospital X / Detox" and "Hospital X / Psychiatry"
    # at one address are two programs; an empty program line matches as a subset.
    full_a, full_b = norm_name(f"{a['name']} {a['name2']}"), norm_name(f"{b['name']} {b['name2']}")
    return fuzz.token_set_ratio(full_a, full_b) >= SAME_SITE_NAME_SCORE


def supersede(results: list[ImportResult]) -> tuple[dict[str, dict[str, str]], Counter]:
    """Combine sources, newest first; an older listing of a site a newer source has is superseded.

    The newer record keeps its name, address and phone; it gains the older source
    in ``sources``, and its codes if it had none (``services_as_of`` says which vintage).
    Returns the sites and, per source id, how many of its sites were superseded.
    """
    ordered = sorted(results, key=lambda r: r.source_date, reverse=True)
    sites: dict[str, dict[str, str]] = {}
    by_address: dict[tuple[str, str], list[str]] = {}
    superseded: Counter = Counter()
    for result in ordered:
        added: list[str] = []
        for fid in sorted(result.sites):
            record = result.sites[fid]
            match = sites.get(fid)
            if match is None:
                for other in by_address.get(_site_key(record), []):
                    if _same_name(sites[other], record):
                        match = sites[other]
                        break
            if match is not None:
                superseded[result.source_id] += 1
                match["sources"] = ";".join(sorted(set(match["sources"].split(";")) | {result.source_id}))
                if not match["service_codes"] and record["service_codes"]:
                    match["service_codes"] = record["service_codes"]
                    match["services_as_of"] = record["services_as_of"]
                for column in ("county", "phone", "intake_phone", "website"):
                    if not match[column] and record[column]:
                        match[column] = record[column]
                continue
            sites[fid] = dict(record)
            added.append(fid)
        # Indexed only after the whole source: a source's own separate listings stay separate.
        for fid in added:
            by_address.setdefault(_site_key(sites[fid]), []).append(fid)
    return sites, superseded


def build(
    manifest: str | Path | None = None,
    output: str | Path | None = None,
    report_path: str | Path | None = None,
    *,
    locate: Locator | None = None,
    progress: bool | None = None,
) -> dict[str, object]:
    """Build ``facilities.csv`` and ``build-report.json`` from the manifest; return the report.

    Deterministic: the same inputs give byte-identical outputs (sorted rows, no timestamps).
    """
    entries = read_manifest(manifest)
    taxonomy = Taxonomy.load()
    show = sys.stderr.isatty() if progress is None else progress
    results = []
    for entry in tqdm(entries, desc="importing sources", unit="source", disable=not show):
        results.append(import_file(entry.path, adapter=entry.adapter, mapping=entry.mapping,
                                   source_id=entry.id, source_date=entry.vintage,
                                   taxonomy=taxonomy, locate=locate))
    sites, superseded = supersede(results)
    records = [sites[fid] for fid in sorted(sites)]
    counties_filled = fill_counties(records)
    flagged = sorted(outside_stated_state(records), key=lambda r: r["facility_id"])
    extra = sorted({c for r in results for c in r.extra_columns if c not in COLUMNS})
    frame = pd.DataFrame(list(sites.values()), columns=list(COLUMNS) + extra).fillna("")
    frame = frame.assign(_city=frame["city"].str.lower(), _name=frame["name"].str.lower())
    frame = frame.sort_values(["state", "_city", "_name", "facility_id"], kind="mergesort")
    frame = frame.drop(columns=["_city", "_name"]).reset_index(drop=True)
    write_facilities(frame, output or paths.FACILITIES_CSV)
    report = _report(entries, results, superseded, frame, taxonomy)
    report["totals"]["counties_filled_from_outlines"] = counties_filled
    report["outside_stated_state"] = flagged
    with atomic_writer(report_path or paths.BUILD_REPORT, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return report


def _report(entries, results, superseded, frame: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, object]:
    sources = []
    for entry, result in zip(entries, results):
        item = result.report()
        item["path"] = entry.path.name
        item["title"] = entry.title
        item["licence"] = entry.licence
        item["superseded_by_newer_source"] = superseded.get(entry.id, 0)
        item["sites_kept"] = int((frame["source"] == entry.id).sum())
        sources.append(item)
    codes = Counter(c for s in frame["service_codes"] for c in s.split(";") if c)
    unknown = {c: n for c, n in sorted(codes.items()) if not taxonomy.is_known(c)}
    rejected = Counter()
    for result in results:
        rejected.update(result.rejected_by_reason)
    with_codes = int((frame["service_codes"] != "").sum())
    return {
        "sources": sources,
        "totals": {
            "sites": len(frame),
            "rows_read": sum(r.rows_read for r in results),
            "accepted": sum(r.accepted for r in results),
            "merged": sum(r.merged for r in results),
            "rejected": sum(r.rejected for r in results),
            "rejected_by_reason": dict(sorted(rejected.items())),
            "superseded": sum(superseded.values()),
            "with_service_codes": with_codes,
            "states": int(frame["state"].nunique()),
            "sites_by_state": {k: int(v) for k, v in sorted(frame["state"].value_counts().items())},
            "sites_by_precision": {k: int(v) for k, v in sorted(frame["geocode_precision"].value_counts().items())},
            "codes_without_public_label": unknown,
        },
    }

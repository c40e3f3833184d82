"""Build the national directory from the manifest: import every source, link them, write, report."""

from __future__ import annotations

import datetime as dt
import json
import math
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
from .normalize import norm_name
from .link import SAME_ADDRESS_NAME, SiteIndex, Words, address_key, duplicate_pairs, is_duplicate
from .schema import COLUMNS, write_facilities
from .tables import atomic_writer
from .taxonomy import Taxonomy

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
    #: "full": a complete listing of each site's services at ``vintage``; "partial": specific facts.
    kind: str = "full"


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
        kind = item.get("kind", "full")
        if kind not in ("full", "partial"):
            raise ManifestError(f"{p}: source {item['id']!r} kind must be 'full' or 'partial', not {kind!r}")
        seen.add(item["id"])
        entries.append(SourceEntry(
            item["id"], p.parent / item["path"], item["adapter"], str(item["vintage"]),
            item.get("title", ""), item.get("licence", ""),
            p.parent / item["mapping"] if "mapping" in item else None, kind,
        ))
    if not entries:
        raise ManifestError(f"{p}: no [[source]] entries")
    return entries


@dataclass
class _Site:
    record: dict[str, str]
    #: (vintage, source id, kind, codes) of every source that listed the site, newest first.
    listings: list[tuple[str, str, str, frozenset[str]]]


def link_sources(results: list[ImportResult], kinds: dict[str, str] | None = None,
                 progress: bool = False, members: dict[tuple[str, str], str] | None = None,
                 ) -> tuple[dict[str, dict[str, str]], dict[str, Counter]]:
    """Combine sources into sites, newest vintage first (see :mod:`directory.link`).

    A record an older source lists again joins the newer site: the site keeps the newest
    source's name, address, phone and website (empty fields are filled from the newest source
    that has them), and records every source in ``sources`` (newest first). Its services are the
    union of the codes of its newest *full* listing and of every source at least as new;
    ``services_as_of`` is the oldest vintage among those sources, so an old listing's
    services are never presented as newer than they are. A source's own listings are never
    linked to each other, directly or through a newer site: each site takes at most one record
    of a source (best-scoring pairs first), so five programs one source lists at one address
    stay five sites even when a newer source lists only one of them.

    A source listing one site twice (near-identical names at one address) is merged as a
    ``duplicate``. Returns the sites and, per source id, counts of ``linked``, ``duplicate`` and ``new``.
    """
    kinds = kinds or {}
    ordered = sorted(results, key=lambda r: (r.source_date, r.source_id), reverse=True)
    index = SiteIndex(Words(r for result in results for r in result.sites.values()))
    sites: dict[str, _Site] = {}
    counts: dict[str, Counter] = {r.source_id: Counter() for r in results}
    total = sum(len(r.sites) for r in results)
    with tqdm(total=total, desc="linking sources", unit="record", disable=not progress) as bar:
        for result in ordered:
            kind = kinds.get(result.source_id, "full")
            records = result.sites
            per_address = Counter(address_key(r) for r in records.values())
            # Every (record, site) the linker calls the same, best first; each site takes at most one
            # record of this source and each record one site (greedy one-to-one assignment).
            proposals: list[tuple[float, str, str]] = []
            for fid in sorted(records):
                if fid in sites:  # the very same record id: one site
                    proposals.append((math.inf, fid, fid))
                    continue
                for site_id, verdict in index.matches(records[fid],
                                                      sole_in_source=per_address[address_key(records[fid])] == 1):
                    proposals.append((verdict.score, fid, site_id))
            proposals.sort(key=lambda p: (-p[0], p[1], p[2]))
            assigned: dict[str, str] = {}
            claimed: set[str] = set()
            for _, fid, site_id in proposals:
                if fid not in assigned and site_id not in claimed:
                    assigned[fid] = site_id
                    claimed.add(site_id)
            own = SiteIndex()  # this source's records so far: only true duplicates join them
            own_site: dict[str, str] = {}
            added: list[str] = []
            for fid in sorted(records):
                record = records[fid]
                bar.update()
                site_id = assigned.get(fid)
                if site_id is not None:
                    counts[result.source_id]["linked"] += 1
                else:
                    twin = next((f for f in own.candidates(record) if is_duplicate(own.records[f], record)), None)
                    if twin is not None:
                        site_id = own_site[twin]
                        counts[result.source_id]["duplicate"] += 1
                listing = (result.source_date, result.source_id, kind,
                           frozenset(c for c in record["service_codes"].split(";") if c))
                if site_id is not None:
                    sites[site_id].listings.append(listing)
                    _fill(sites[site_id].record, record)
                else:
                    site_id = fid
                    sites[fid] = _Site(dict(record), [listing])
                    added.append(fid)
                    counts[result.source_id]["new"] += 1
                own.add(fid, record)
                own_site[fid] = site_id
                if members is not None:
                    members[(result.source_id, fid)] = site_id
            # Indexed only after the whole source: a source's own listings stay separate.
            for fid in added:
                index.add(fid, sites[fid].record)
    out = {}
    for fid, site in sites.items():
        out[fid] = _finish(site)
    return out, counts


#: Columns of a site that belong to its identity (name, address, point): never taken from another record.
_IDENTITY = {"facility_id", "name", "name2", "street1", "street2", "city", "state", "zip", "latitude", "longitude",
             "geocode_precision", "service_codes", "source", "source_date", "sources", "services_as_of"}


def _fill(site: dict[str, str], record: dict[str, str]) -> None:
    """Empty contact and extra fields (county, phones, website, licence columns) come from the newest
    source that has them. A site with no program line takes the name an older source knows it by,
    when that name is different ("BHG LXIX, LLC" — "Huntsville Recovery"), so callers recognise it."""
    for column, value in record.items():
        if value and column not in _IDENTITY and not site.get(column):
            site[column] = value
    if not site.get("name2") and record.get("name"):
        known = norm_name(f"{record['name']} {record.get('name2', '')}")
        if fuzz.token_set_ratio(norm_name(site["name"]), known) < SAME_ADDRESS_NAME:
            site["name2"] = record["name"]


def _finish(site: _Site) -> dict[str, str]:
    record = site.record
    listings = sorted(site.listings, key=lambda x: (x[0], x[1]), reverse=True)
    full = next((x for x in listings if x[2] == "full" and x[3]), None)
    used = [x for x in listings if x[3] and (full is None or x[0] >= full[0])]
    codes = sorted(set().union(*(x[3] for x in used))) if used else []
    record["service_codes"] = ";".join(codes)
    record["services_as_of"] = min(x[0] for x in used) if used else ""
    seen: list[str] = []
    for _, source_id, _, _ in listings:
        if source_id not in seen:
            seen.append(source_id)
    record["sources"] = ";".join(seen)
    record["source"], record["source_date"] = listings[0][1], listings[0][0]
    return record


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
    if locate is None:
        from .geocode import record_locator

        locate = record_locator()  # rows without coordinates are placed offline, from ZIP / city / state
    show = sys.stderr.isatty() if progress is None else progress
    results = []
    for entry in tqdm(entries, desc="importing sources", unit="source", disable=not show):
        results.append(import_file(entry.path, adapter=entry.adapter, mapping=entry.mapping,
                                   source_id=entry.id, source_date=entry.vintage,
                                   taxonomy=taxonomy, locate=locate))
    sites, linked = link_sources(results, {e.id: e.kind for e in entries}, progress=show)
    records = [sites[fid] for fid in sorted(sites)]
    replaced = _replace_contradicted_points(records)
    counties_filled = fill_counties(records)
    flagged = sorted(outside_stated_state(records), key=lambda r: r["facility_id"])
    extra = sorted({c for r in results for c in r.extra_columns if c not in COLUMNS})
    frame = pd.DataFrame(list(sites.values()), columns=list(COLUMNS) + extra).fillna("")
    frame = frame.assign(_city=frame["city"].str.lower(), _name=frame["name"].str.lower())
    frame = frame.sort_values(["state", "_city", "_name", "facility_id"], kind="mergesort")
    frame = frame.drop(columns=["_city", "_name"]).reset_index(drop=True)
    write_facilities(frame, output or paths.FACILITIES_CSV)
    report = _report(entries, results, linked, frame, taxonomy)
    report["totals"]["counties_filled_from_outlines"] = counties_filled
    report["coordinates_replaced"] = replaced
    report["outside_stated_state"] = flagged
    with atomic_writer(report_path or paths.BUILD_REPORT, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return report


def _replace_contradicted_points(records: list[dict[str, str]]) -> list[dict[str, object]]:
    """Source coordinates that the record's own ZIP and city both contradict (more than 150 km off,
    e.g. a Houston clinic placed in San Antonio) are replaced by the ZIP point; each is reported."""
    from .geocode import offline

    geocoder = offline()
    replaced = []
    for record in records:
        if record["geocode_precision"] != "source":
            continue
        found = geocoder.contradicts(record)
        if found is None:
            continue
        lat, lon, precision, km = found
        replaced.append({"facility_id": record["facility_id"], "name": record["name"], "city": record["city"],
                         "state": record["state"], "km_from_zip": round(km, 1),
                         "source_point": [float(record["latitude"]), float(record["longitude"])]})
        record["latitude"], record["longitude"] = f"{lat:.6f}", f"{lon:.6f}"
        record["geocode_precision"] = precision
    return replaced


def _report(entries, results, linked, frame: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, object]:
    sources = []
    for entry, result in zip(entries, results):
        item = result.report()
        item["path"] = entry.path.name
        item["kind"] = entry.kind
        item["title"] = entry.title
        item["licence"] = entry.licence
        item["linked_to_existing_site"] = linked[entry.id]["linked"]
        item["new_sites"] = linked[entry.id]["new"]
        item["duplicates_within_source"] = linked[entry.id]["duplicate"]
        item["sites_listing_it"] = int(frame["sources"].map(lambda s, i=entry.id: i in s.split(";")).sum())
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
    pairs = duplicate_pairs(frame)
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
            "sites_by_services_as_of": {k: int(v) for k, v in sorted(frame["services_as_of"].str[:4].value_counts().items())},
            "sites_with_several_sources": int((frame["sources"].str.contains(";")).sum()),
            "duplicate_pairs": len(pairs),
            "duplicate_rate": round(len(pairs) / n, 4) if n else 0.0,
            "states": int(frame["state"].nunique()),
            "sites_by_state": {k: int(v) for k, v in sorted(frame["state"].value_counts().items())},
            "sites_by_precision": {k: int(v) for k, v in sorted(frame["geocode_precision"].value_counts().items())},
            "codes_without_public_label": unknown,
        },
    }

"""Linking sources into sites: which record joins which site (one-to-one per source, best pairs
first), and what a linked site keeps from each record (the merge policy).

:func:`link_sources` is what ``directory build`` runs after importing every source; the
rules that decide whether two records are one site are in :mod:`.rules`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from rapidfuzz import fuzz
from tqdm import tqdm

from ...core.facility import Facility
from ...core.normalize import norm_city
from ..importers import ImportResult
from .address import address_key, parse_address, same_address
from .points import link_listing
from .rules import NO_WORDS, SAME_ADDRESS_NAME, Verdict, Words, compare, is_duplicate, norm_name


def block_keys(record: Facility) -> tuple[tuple[str, str], ...]:
    """The blocks a record is compared within: its ZIP and its city in its state."""
    keys = []
    if record.zip:
        keys.append(("zip", record.zip))
    city = norm_city(record.city)
    if city:
        keys.append(("city", f"{city}|{record.state}"))
    return tuple(keys)


class SiteIndex:
    """Sites by block; :meth:`matches` finds the sites a record may be."""

    def __init__(self, words: Words = NO_WORDS) -> None:
        self.blocks: dict[tuple[str, str], list[str]] = {}
        self.records: dict[str, Facility] = {}
        self.words = words

    def add(self, site_id: str, record: Facility) -> None:
        self.records[site_id] = record
        for key in block_keys(record):
            self.blocks.setdefault(key, []).append(site_id)

    def candidates(self, record: Facility) -> list[str]:
        seen: dict[str, None] = {}
        for key in block_keys(record):
            for site_id in self.blocks.get(key, ()):
                seen.setdefault(site_id)
        return list(seen)

    def matches(self, record: Facility, *, sole_in_source: bool = False) -> list[tuple[str, Verdict]]:
        """Every indexed site :func:`compare` calls the same as ``record``, with the verdicts.

        ``sole_in_source``: the record is its source's only listing at its address; the index must
        also hold a single site there for the address alone to decide.
        """
        candidates = self.candidates(record)
        address = parse_address(record.street1)
        at_address = sum(1 for s in candidates if same_address(parse_address(self.records[s].street1), address))
        sole = sole_in_source and at_address == 1
        found = []
        for site_id in candidates:
            verdict = compare(self.records[site_id], record, sole_at_address=sole, words=self.words)
            if verdict.same:
                found.append((site_id, verdict))
        return found


class _PointIndex:
    """A source's new sites by ~1 km grid cell, to find the same facility listed twice (no address)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[str, Facility]]] = {}

    @staticmethod
    def _cell(record: Facility) -> tuple[int, int]:
        return int(math.floor(record.latitude * 100)), int(math.floor(record.longitude * 100))

    def add(self, fid: str, record: Facility) -> None:
        self.cells.setdefault(self._cell(record), []).append((fid, record))

    def twin(self, record: Facility) -> str | None:
        y, x = self._cell(record)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for fid, other in self.cells.get((y + dy, x + dx), ()):
                    if is_duplicate(other, record):
                        return fid
        return None


@dataclass
class _Site:
    record: Facility
    #: (vintage, source id, kind, codes) of every source that listed the site, newest first.
    listings: list[tuple[str, str, str, frozenset[str]]]


def link_sources(
    results: list[ImportResult],
    kinds: dict[str, str] | None = None,
    progress: bool = False,
    members: dict[tuple[str, str], str] | None = None,
    deferred: frozenset[str] = frozenset(),
) -> tuple[dict[str, Facility], dict[str, Counter]]:
    """Combine sources into sites, newest vintage first.

    ``deferred`` sources do not name sites (their names are legal entities cut short, as in CMS's
    list): they are linked after the others, so they join the sites those name, and name only the
    sites nobody else lists; their newer phones still replace older ones.

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
    listings = sorted(
        (r for r in results if kinds.get(r.source_id) == "listing"),
        key=lambda r: (r.source_date, r.source_id),
        reverse=True,
    )
    ordered = sorted(
        (r for r in results if kinds.get(r.source_id) != "listing"),
        key=lambda r: (r.source_id not in deferred, r.source_date, r.source_id),
        reverse=True,
    )
    index = SiteIndex(Words(r for result in ordered for r in result.sites.values()))
    sites: dict[str, _Site] = {}
    counts: dict[str, Counter] = {r.source_id: Counter() for r in results}
    total = sum(len(r.sites) for r in results)
    with tqdm(total=total, desc="linking sources", unit="record", disable=not progress) as bar:
        for result in ordered:
            source_kind = kinds.get(result.source_id, "full")
            records = result.sites
            assigned = _assign(records, sites, index)
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
                # A row that states only some facts (a locator OTP or BUPREN row) is a partial listing.
                kind = "partial" if fid in result.partial else source_kind
                listing = (result.source_date, result.source_id, kind, record.service_codes)
                if site_id is not None:
                    site = sites[site_id]
                    site.listings.append(listing)
                    site.record = merge(site.record, record, names=result.source_id not in deferred)
                    if site_id in index.records:  # the index compares against the site as it is now
                        index.records[site_id] = site.record
                else:
                    site_id = fid
                    sites[fid] = _Site(record, [listing])
                    added.append(fid)
                    counts[result.source_id]["new"] += 1
                own.add(fid, record)
                own_site[fid] = site_id
                if members is not None:
                    members[(result.source_id, fid)] = site_id
            # Indexed only after the whole source: a source's own listings stay separate.
            for fid in added:
                index.add(fid, sites[fid].record)
        # Name-and-point listings last: they date the sites they list and add the ones nobody else has.
        for result in listings:
            found = link_listing(result.sites, {sid: site.record for sid, site in sites.items()})
            own = _PointIndex()
            for fid in sorted(result.sites):
                bar.update()
                record = result.sites[fid]
                site_ids = found.get(fid, [])
                if site_ids:
                    counts[result.source_id]["linked"] += 1
                    counts[result.source_id]["sites_linked"] += len(site_ids)
                    for site_id in site_ids:
                        sites[site_id].listings.append((result.source_date, result.source_id, "listing", frozenset()))
                elif (twin := own.twin(record)) is not None:  # the listing names one facility twice
                    site_ids = [twin]
                    counts[result.source_id]["duplicate"] += 1
                else:
                    site_ids = [fid]
                    sites[fid] = _Site(
                        record, [(result.source_date, result.source_id, "listing", record.service_codes)]
                    )
                    own.add(fid, record)
                    counts[result.source_id]["new"] += 1
                if members is not None:
                    members[(result.source_id, fid)] = site_ids[0]
    return {fid: _finish(site, deferred) for fid, site in sites.items()}, counts


def _assign(records: dict[str, Facility], sites: dict[str, _Site], index: SiteIndex) -> dict[str, str]:
    """Every (record, site) the linker calls the same, best first; each site takes at most one
    record of this source and each record one site (greedy one-to-one assignment)."""
    per_address = Counter(address_key(r) for r in records.values())
    proposals: list[tuple[float, str, str]] = []
    for fid in sorted(records):
        if fid in sites:  # the very same record id: one site
            proposals.append((math.inf, fid, fid))
            continue
        for site_id, verdict in index.matches(records[fid], sole_in_source=per_address[address_key(records[fid])] == 1):
            proposals.append((verdict.score, fid, site_id))
    proposals.sort(key=lambda p: (-p[0], p[1], p[2]))
    assigned: dict[str, str] = {}
    claimed: set[str] = set()
    for _, fid, site_id in proposals:
        if fid not in assigned and site_id not in claimed:
            assigned[fid] = site_id
            claimed.add(site_id)
    return assigned


#: Extra column: the vintage of the source a site's phone came from, when not the site's own source.
PHONE_AS_OF = "phone_as_of"
#: Extra column: numbers a source gave the site that differ from the one shown (a newer source's), each
#: kept with who gave it and when: ``"813-555-0100 nssats-2015 2015-03-31; …"``. Never shown as current.
OLDER_PHONES = "older_phones"
#: How good a point is, by where it comes from (``geocode_precision``): a site keeps the best its sources give.
PRECISION = {"source": 4, "address": 3, "zip": 2, "city": 1, "state": 0}
#: The codes of accreditation, state licensing and SAMHSA's OTP certification (and being an OTP): signs of quality
#: a person can check, each stated with the source and date that list it.
QUALITY_CODES = frozenset({"jc", "carf", "ncqa", "coa", "hfap", "sotp", "otp", "stag", "stmh", "stdh", "hla"})
#: Extra column: which source (and its vintage) lists each of a site's :data:`QUALITY_CODES`:
#: ``"carf samhsa-directory-2023 2023-06-29; jc …"`` (the newest listing among those its services come from).
ACCREDITATION_SOURCES = "accreditation_sources"
#: Extra column: the source a site's phone came from, when not the site's own source.
PHONE_SOURCE = "phone_source"

#: Fields of a site that are not its identity (name, address, point, services, sources): an older
#: record may fill them when the site has none.
_FILLABLE = ("county", "phone", "intake_phone", "website", "notes", "type_facility")
#: Hours, accepting new patients and accessibility: taken together, with their source and date, from the
#: newest source that states any of them.
_DETAILS = ("hours", "accepting_new_patients", "accessibility", "details_source", "details_as_of")


def merge(site: Facility, record: Facility, *, names: bool = True) -> Facility:
    """The site after an older ``record`` joined it. Empty contact and extra fields (county, phones,
    website, licence columns) come from the newest source that has them. A site with no program line
    takes the name an older source knows it by, when that name is different ("BHG LXIX, LLC" —
    "Huntsville Recovery"), so callers recognise it — unless ``names`` is false (a source whose names
    are legal entities cut short)."""
    changes: dict[str, object] = {
        f: getattr(record, f) for f in _FILLABLE if getattr(record, f) and not getattr(site, f)
    }
    missing = {k: v for k, v in record.extra.items() if v and not site.extra.get(k) and k != OLDER_PHONES}
    phoned = site.extra.get(PHONE_AS_OF) or (site.source_date.isoformat() if site.source_date else "")
    newer = record.source_date is not None and record.source_date.isoformat() > phoned
    older = [e for e in (site.extra.get(OLDER_PHONES), record.extra.get(OLDER_PHONES)) if e]
    if (record.phone or record.intake_phone) and (site.phone or site.intake_phone) and newer:
        # A newer number (from a source linked after older ones: see link_sources' ``deferred``); the
        # number it replaces is kept, with its date.
        if site.phone and _digits(site.phone) != _digits(record.phone):
            older.append(f"{site.phone} {site.extra.get(PHONE_SOURCE) or site.source} {phoned}")
        changes.update(phone=record.phone, intake_phone=record.intake_phone)
        missing[PHONE_AS_OF] = record.source_date.isoformat()
        missing[PHONE_SOURCE] = record.source
        changes["extra"] = {**site.extra, **missing}
    elif record.phone and site.phone and _digits(record.phone) != _digits(site.phone):
        # An older source's other number: not shown as the site's, kept with its date.
        when = record.source_date.isoformat() if record.source_date else ""
        older.append(f"{record.phone} {record.source} {when}")
    if older:
        entries = [e.strip() for part in older for e in part.split(";") if e.strip()]
        shown = _digits(changes.get("phone", site.phone))
        kept = [e for e in dict.fromkeys(entries) if _digits(e.split()[0]) != shown]
        missing[OLDER_PHONES] = "; ".join(kept)
    if "phone" in changes and record.source_date and not site.extra.get(PHONE_AS_OF):
        missing[PHONE_AS_OF] = record.source_date.isoformat()  # another source's number, with its own date
        missing[PHONE_SOURCE] = record.source
    if missing:
        changes["extra"] = {**site.extra, **missing}
    if record.details_source and not site.details_source:
        changes.update({f: getattr(record, f) for f in _DETAILS})
    if (
        record.located
        and not (site.address_withheld or record.address_withheld)
        and PRECISION.get(record.geocode_precision, 0) > PRECISION.get(site.geocode_precision, 0)
    ):
        # The site was placed at its ZIP's or town's point (a source with no coordinates named it); an
        # older source of the same site gives its own point: the better one is kept.
        changes.update(latitude=record.latitude, longitude=record.longitude, geocode_precision=record.geocode_precision)
    if record.address_withheld and not site.address_withheld:
        # The provider asked one source not to show its address: no other source's street shows it either.
        changes.update(address_withheld=True, street1="", street2="")
    if names and not site.name2 and record.name:
        known = norm_name(f"{record.name} {record.name2}")
        if fuzz.token_set_ratio(norm_name(site.name), known) < SAME_ADDRESS_NAME:
            changes["name2"] = record.name
    return replace(site, **changes) if changes else site


def _finish(site: _Site, deferred: frozenset[str] = frozenset()) -> Facility:
    """The site's services (see :func:`link_sources`), its sources newest first, the source its name
    and address come from (the newest that gives an address: a name-and-point listing only when
    nothing else lists the site), and ``last_listed``: the newest vintage of any source listing it."""
    listings = sorted(site.listings, key=lambda x: (x[0], x[1]), reverse=True)
    full = next((x for x in listings if x[2] == "full" and x[3]), None)
    used = [x for x in listings if x[3] and (full is None or x[0] >= full[0])]
    codes = frozenset().union(*(x[3] for x in used)) if used else frozenset()
    seen: list[str] = []
    for _, source_id, _, _ in listings:
        if source_id not in seen:
            seen.append(source_id)
    origin = next((x for x in listings if x[2] != "listing" and x[1] not in deferred), None) or next(
        (x for x in listings if x[2] != "listing"), listings[0]
    )
    stated = "; ".join(
        f"{code} {x[1]} {x[0]}"
        for code in sorted(codes & QUALITY_CODES)
        for x in [next(x for x in used if code in x[3])]
    )
    extra = {**site.record.extra, ACCREDITATION_SOURCES: stated} if stated else site.record.extra
    return replace(
        site.record,
        extra=extra,
        service_codes=codes,
        services_as_of=date.fromisoformat(min(x[0] for x in used)) if used else None,
        sources=tuple(seen),
        source=origin[1],
        source_date=date.fromisoformat(origin[0]),
        last_listed=date.fromisoformat(listings[0][0]),
    )


def _digits(phone: str) -> str:
    """The ten digits of a number (an extension left out): two spellings of one number are one."""
    return "".join(c for c in phone.split(" x")[0] if c.isdigit())[-10:]

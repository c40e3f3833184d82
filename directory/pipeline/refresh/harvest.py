"""Harvest FindTreatment.gov state by state with distance queries, check what comes back, and write
it as a locator export that ``directory import`` reads with no options.

Only distance queries are used (``sAddr="lat,lon"``, ``limitType=2``, ``limitValue`` in metres):
each state's outline is covered by overlapping circles (:func:`cover`), each circle is paged out,
rows are de-duplicated; a state is complete when every one of its circles is paged out. The
state and county query values the site's front end uses are undocumented and not relied on.

Every reply is checked: rows are repaired when their latitude and longitude are swapped (the
swapped point lies in the row's state, the given one does not); placeholder phones
("(999) 999-9999") are dropped; service names map to code-book codes
(:class:`~directory.pipeline.refresh.names.ServiceNames`), the ones that map to nothing are reported with
counts; and when rows fall outside the circle asked for, the locator ignored the location — the
harvest stops with :class:`~directory.core.errors.RefreshError` and writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from tqdm import tqdm

from ...core.errors import RefreshError
from ...core.geo import great_circle_km
from ...core.states import STATES, in_us_bounds, state_code
from ...core.tables import atomic_writer
from ...core.taxonomy import Taxonomy
from ...geocode.boundaries import states as state_outlines
from ...geocode.reverse import OFFSHORE_DEGREES
from ..importers.findtreatment import DESCRIPTIVE
from .client import LocatorClient
from .names import ServiceNames

#: Circle radius (metres) of the harvest; circles overlap so that together they cover the outline.
RADIUS_METRES = 80_000
PAGE_SIZE = 100
#: A row this far beyond the circle asked for (metres, or this share of the radius) is "outside".
OUTSIDE_METRES = 2_000
OUTSIDE_SHARE = 0.05
#: Columns the output gives before the code columns (the locator export's own).
COLUMNS = list(DESCRIPTIVE)


@dataclass(frozen=True)
class Circle:
    state: str
    latitude: float
    longitude: float
    metres: float

    @property
    def s_addr(self) -> str:
        return f'"{self.latitude:.5f},{self.longitude:.5f}"'


def cover(state: str, metres: float = RADIUS_METRES) -> list[Circle]:
    """Circles of radius ``metres`` whose union covers the state's outline: centres on a hexagonal
    grid (spacing radius × √3) in a local projection, kept when the circle reaches the outline.

    >>> len(cover("RI", 20_000)) >= 3 and all(c.state == "RI" for c in cover("RI", 20_000))
    True
    """
    index = state_outlines()
    rows = index.by_state.get(state)
    if not rows:
        raise RefreshError(f"no outline for state {state!r}")
    outline = shapely.union_all(index.geometries[rows])
    min_lon, min_lat, max_lon, max_lat = outline.bounds
    lat0 = (min_lat + max_lat) / 2
    kx, ky = 111.320 * math.cos(math.radians(lat0)), 110.574  # km per degree
    local = shapely.transform(outline, lambda xy: np.column_stack([xy[:, 0] * kx, xy[:, 1] * ky]))
    r = metres / 1000
    step_x, step_y = r * math.sqrt(3), r * 1.5
    x0, y0, x1, y1 = local.bounds
    circles = []
    row = 0
    y = y0 - r
    while y <= y1 + r:
        x = x0 - r + (step_x / 2 if row % 2 else 0)
        while x <= x1 + r:
            if local.distance(shapely.Point(x, y)) < r:
                circles.append(Circle(state, round(y / ky, 5), round(x / kx, 5), metres))
            x += step_x
        y += step_y
        row += 1
    return circles


def lies_in(state: str, lat: float, lon: float) -> bool:
    """The point is inside the state's outline (or within ~3 km of it, for simplified coasts)."""
    if not in_us_bounds(lat, lon):
        return False
    index = state_outlines()
    found = index.locate(np.array([lat]), np.array([lon]), near=OFFSHORE_DEGREES)[0]
    return found >= 0 and index.regions[found].state == state


PLACEHOLDER = re.compile(r"^(\d)\1{9}$")


def clean_phone(text: str) -> tuple[str, bool]:
    """The phone, or '' when it is a placeholder ("(999) 999-9999", "000-000-0000"); and whether it was one."""
    digits = re.sub(r"\D", "", text or "")
    if digits[-10:] and PLACEHOLDER.match(digits[-10:]):
        return "", True
    return (text or "").strip(), False


@dataclass
class Harvest:
    """What a harvest (or a downloaded export) gave: facilities as export rows, and the account.
    Repairs, dropped placeholders and unmapped names are counted per facility, however many
    overlapping circles returned it."""

    rows: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict)
    codes: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    unmapped: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    repaired: dict[tuple[str, ...], str] = field(default_factory=dict)
    placeholders: set[tuple[str, ...]] = field(default_factory=set)
    report: dict[str, object] = field(
        default_factory=lambda: {
            "rows": 0,
            "duplicates": 0,
            "outside_circle": 0,
            "without_coordinates": 0,
            "states": {},
            "type_facility_keys": Counter(),
        }
    )

    def add(self, raw: dict, names: ServiceNames, circle: Circle | None = None, *, codes: Iterable[str] = ()) -> str:
        """Check and keep one row; returns 'kept', 'duplicate' or 'outside'."""
        report = self.report
        report["rows"] += 1
        row = {c: _text(raw.get(c)) for c in COLUMNS}
        for variant in ("type_facility", "typeFacility", "typefacility"):
            if raw.get(variant):
                row["type_facility"] = _text(raw[variant])
                report["type_facility_keys"][variant] += 1
                break
        key = tuple(" ".join(row[c].lower().split()) for c in ("name1", "name2", "street1", "zip"))
        placeholder = False
        for column in ("phone", "intake1", "intake2"):
            row[column], dropped = clean_phone(row[column])
            placeholder |= dropped
        state = state_code(row["state"]) or row["state"].upper()
        point = _point(row)
        repaired = ""
        if point is None:
            report["without_coordinates"] += 1
        else:
            lat, lon = point
            if state and not lies_in(state, lat, lon) and lies_in(state, lon, lat):
                row["latitude"], row["longitude"] = row["longitude"], row["latitude"]
                repaired = f"{row['name1']} ({row['city']}, {state})"
                lat, lon = lon, lat
            if circle is not None:
                km = great_circle_km(circle.latitude, circle.longitude, lat, lon)
                if km * 1000 > circle.metres * (1 + OUTSIDE_SHARE) + OUTSIDE_METRES:
                    report["outside_circle"] += 1
                    return "outside"
        given = set(codes)
        found, unmapped = set(given), set()
        for block in raw.get("services") or []:
            if not isinstance(block, dict):
                continue
            for name in str(block.get("f3") or "").split(";"):
                name = name.strip()
                if not name:
                    continue
                code = names.code(name, str(block.get("f2") or ""))
                if code is None:
                    unmapped.add(name)
                else:
                    found.add(code)
        if not given and row["type_facility"].upper() in ("SA", "SU", "BOTH"):
            found.add("sa")  # the API's substance-use listing (an export says so in its own sa column)
        if placeholder:
            self.placeholders.add(key)
        if repaired:
            self.repaired[key] = repaired
        if key in self.rows:
            report["duplicates"] += 1
            self.codes[key] |= found
            self.unmapped[key] |= unmapped
            return "duplicate"
        self.rows[key] = row
        self.codes[key] = found
        self.unmapped[key] = unmapped
        return "kept"

    def to_csv(self) -> str:
        """The facilities as a locator export: its descriptive columns, then one column per code
        (``1`` where offered), rows in a stable order."""
        codes = sorted(set().union(*self.codes.values())) if self.codes else []
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS + codes)
        for key in sorted(self.rows):
            row, offered = self.rows[key], self.codes[key]
            writer.writerow([row[c] for c in COLUMNS] + ["1" if c in offered else "" for c in codes])
        return out.getvalue()

    def write(self, output: str | Path, report_path: str | Path | None = None) -> dict[str, object]:
        """Write the export and its JSON report, each atomically; return the report."""
        report = self.summary()
        with atomic_writer(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(self.to_csv())
        with atomic_writer(report_path or f"{output}.report.json", "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, ensure_ascii=False, sort_keys=True)
            fh.write("\n")
        return report

    def summary(self) -> dict[str, object]:
        """The JSON report: rows, facilities, per-facility repairs and unmapped service names (with how
        many facilities list each), per-state counts, and the harvest's requests and retries."""
        report = dict(self.report)
        report["facilities"] = len(self.rows)
        unmapped = Counter(name for names in self.unmapped.values() for name in names)
        report["unmapped_service_names"] = dict(sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0])))
        report["repaired_coordinates"] = sorted(self.repaired.values())
        report["placeholder_phones_dropped"] = len(self.placeholders)
        report["type_facility_keys"] = dict(sorted(report["type_facility_keys"].items()))
        by_state = Counter(state_code(r["state"]) or r["state"] for r in self.rows.values())
        report["facilities_by_state"] = dict(sorted(by_state.items()))
        return report


def harvest(
    client: LocatorClient,
    states: Iterable[str],
    *,
    kind: str = "SA",
    metres: float = RADIUS_METRES,
    page_size: int = PAGE_SIZE,
    taxonomy: Taxonomy | None = None,
    progress: bool = False,
) -> Harvest:
    """Page out every circle of every state; see the module docstring."""
    names = ServiceNames(taxonomy or Taxonomy.load())
    result = Harvest()
    plan = [(state, cover(state, metres)) for state in states]
    total = sum(len(circles) for _, circles in plan)
    with tqdm(total=total, desc="harvesting circles", unit="circle", disable=not progress) as bar:
        for state, circles in plan:
            account = {"circles": len(circles), "circles_paged_out": 0, "pages": 0, "rows": 0}
            result.report["states"][state] = account
            for circle in circles:
                page, pages = 1, 1
                while page <= pages:
                    reply = client.get(
                        {
                            "sAddr": circle.s_addr,
                            "limitType": 2,
                            "limitValue": int(circle.metres),
                            "sType": kind,
                            "pageSize": page_size,
                            "page": page,
                            "sort": 0,
                        }
                    )
                    pages = int(reply.get("totalPages") or 0)
                    rows = reply["rows"]
                    account["pages"] += 1
                    account["rows"] += len(rows)
                    outcomes = Counter(result.add(row, names, circle) for row in rows if isinstance(row, dict))
                    if outcomes["outside"] and (outcomes["outside"] >= 3 or outcomes["outside"] > 0.1 * len(rows)):
                        raise RefreshError(
                            f"the locator ignored the location: {outcomes['outside']} of {len(rows)} rows of page "
                            f"{page} for the circle of {circle.metres / 1000:g} km around {circle.latitude}, "
                            f"{circle.longitude} ({state}) lie outside it; nothing was written (the replies so far "
                            "are cached)"
                        )
                    page += 1
                account["circles_paged_out"] += 1
                bar.update()
            account["complete"] = account["circles_paged_out"] == account["circles"]
    result.report["requests"] = client.stats["requests"]
    result.report["cache_hits"] = client.stats["cache_hits"]
    result.report["retries"] = client.stats["retries"]
    result.report["retry_reasons"] = {
        k[len("retry: ") :]: v for k, v in sorted(client.stats.items()) if k.startswith("retry: ")
    }
    result.report["base_url"] = client.base_url
    return result


#: Columns a FindTreatment.gov export must have.
EXPORT_COLUMNS = frozenset({"name1", "street1", "city", "state", "zip", "latitude", "longitude"})


def from_export(path: str | Path, taxonomy: Taxonomy | None = None) -> Harvest:
    """A FindTreatment.gov export a person downloaded (CSV, or the site's XLSX "Facility listing" as it
    comes: header cells padded with spaces, a ``service code reference`` sheet beside the facilities,
    no dimension record) through the same checks: placeholder phones, swapped coordinates,
    de-duplication. A workbook's code reference is read as vocabulary: its codes are the code columns,
    and the report says which of them (and of their names) the directory's vocabulary does not know."""
    from ...core.tables import read_sheets, read_table

    table = read_table(path, lambda header: EXPORT_COLUMNS <= {h.lower() for h in header})
    tax = taxonomy or Taxonomy.load()
    names = ServiceNames(tax)
    result = Harvest()
    lower = [h.lower() for h in table.header]
    missing = EXPORT_COLUMNS - set(lower)
    if missing:
        raise RefreshError(f"{path}: not a FindTreatment.gov export (no {', '.join(sorted(missing))} column)")
    reference = code_reference(read_sheets(path)) if table.sheet else {}
    code_columns = [h for h in lower if h not in DESCRIPTIVE and (h in reference or tax.looks_like_code(h))]
    if reference:
        result.report["code_reference"] = {
            "codes": len(reference),
            "not_in_vocabulary": sorted(c for c in reference if not tax.is_known(c)),
            "names_that_map_to_another_code": {
                name: names.code(name, category)
                for c, (category, name) in sorted(reference.items())
                if names.code(name, category) not in (c, None)
            },
            "names_that_map_to_nothing": sorted(
                name for c, (category, name) in reference.items() if names.code(name, category) is None
            ),
        }
    for _, raw in table.records():
        row = {k.lower(): v for k, v in raw.items()}
        result.add(row, names, codes=[c for c in code_columns if str(row.get(c, "")).strip() == "1"])
    result.report["source_file"] = str(path)
    return result


def code_reference(sheets) -> dict[str, tuple[str, str]]:
    """A workbook's code reference sheet (``service_code``, ``category_code``, ``service_name`` columns) as
    code → (category code, name); empty when no sheet has them."""
    for sheet in sheets:
        header = [h.lower() for h in sheet.header]
        if {"service_code", "category_code", "service_name"} <= set(header):
            rows = (dict(zip(header, cells, strict=False)) for _, cells in sheet.rows)
            return {
                r["service_code"].strip().lower(): (r["category_code"].strip(), r["service_name"].strip())
                for r in rows
                if r.get("service_code", "").strip()
            }
    return {}


def parse_states(text: str) -> list[str]:
    """``FL,GA`` or ``all`` (the 50 states, DC and Puerto Rico) as USPS codes; unknown names raise."""
    if text.strip().lower() == "all":
        return sorted(code for code in STATES if code not in ("AS", "GU", "MP", "VI", "FM", "MH", "PW"))
    codes = []
    for part in text.split(","):
        code = state_code(part.strip())
        if code is None:
            raise RefreshError(f"unknown state {part.strip()!r} in --states")
        codes.append(code)
    return codes


def _point(row: dict[str, str]) -> tuple[float, float] | None:
    try:
        lat, lon = float(row["latitude"]), float(row["longitude"])
    except ValueError:
        return None
    return (lat, lon) if math.isfinite(lat) and math.isfinite(lon) else None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()

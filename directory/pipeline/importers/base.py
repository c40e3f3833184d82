"""What every importer shares: row validation, normalisation, merging and accounting.

An adapter only converts one raw row of its format into a :class:`Candidate`
(facility fields + service-code tokens). :func:`import_table` does the rest, so
every format gets the same rules: each row read ends up accepted, merged into
another site, or rejected with one of :data:`REJECT_REASONS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from ...core.errors import MissingColumnsError
from ...core.facility import Facility
from ...core.normalize import clean_text, clean_website, facility_id, format_phone, norm_name
from ...core.schema import normalize_zip
from ...core.states import in_us_bounds, state_code
from ...core.tables import SourceTable
from ...core.taxonomy import Taxonomy

REJECT_REASONS = (
    "malformed row",
    "missing name",
    "bad state",
    "bad ZIP",
    "coordinates at 0,0",
    "coordinates outside the US",
    "no address and no coordinates",
    "could not geocode",
    "duplicate",
    "licence expired",
    "point outside every state",
    "mental-health only",
    "address withheld, no ZIP",
)
FIELDS = (
    "name",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "county",
    "phone",
    "intake_phone",
    "website",
    "latitude",
    "longitude",
    "notes",
    "type_facility",
    "hours",
    "accepting_new_patients",
    "accessibility",
    "details_as_of",
    "address_withheld",
)
#: Fields that say how to reach a site day to day: a source that states any of them is their ``details_source``.
DETAILS = ("hours", "accepting_new_patients", "accessibility")

#: ``locate(record) -> (latitude, longitude, precision)`` or None; used for rows without coordinates.
Locator = Callable[[dict[str, str]], "tuple[float, float, str] | None"]


@dataclass
class Candidate:
    """One source row converted to facility fields, before validation."""

    fields: dict[str, str]
    codes: list[str] = field(default_factory=list)
    artefacts: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    reject: str | None = None
    #: The row states only some facts (a FindTreatment.gov BUPREN or OTP row), though its source lists
    #: others in full: its codes are linked as a partial listing's.
    partial: bool = False
    #: (column, value) pairs the row states that map to no code: counted in the report.
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    #: Extra columns that hold the source's own id (the source that states the row's other extras).
    source_columns: tuple[str, ...] = ()


class Adapter(ABC):
    """Converts rows of one source format. Subclasses set ``name`` and ``required``."""

    name: ClassVar[str]
    required: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = ""
    #: Rows have no street address: a site is told apart by its name and point instead.
    point_identity: ClassVar[bool] = False

    def prepare(self, rows: Iterable[dict[str, str]]) -> None:  # noqa: B027 - an optional hook, a no-op unless overridden
        """Called once with every raw row (lower-cased keys; short rows lack their last cells) before
        :meth:`convert`: work that is cheaper for all rows at once (finding each point's state and
        ZIP). Nothing by default, and the rows are then never built."""

    @classmethod
    def matches(cls, header: list[str]) -> bool:
        """True when a header looks like this format (used to recognise a file)."""
        return bool(cls.required) and cls.required <= {h.lower() for h in header}

    def required_columns(self) -> frozenset[str]:
        return self.required

    def check(self, table: SourceTable) -> None:
        """Raise :class:`MissingColumnsError` when the file lacks columns this adapter needs."""
        missing = self.required_columns() - {h.lower() for h in table.header}
        if missing:
            raise MissingColumnsError(table.path, missing, self.name)

    def extra_columns(self) -> list[str]:
        """Output columns beyond the schema that this adapter fills."""
        return []

    @abstractmethod
    def convert(self, raw: dict[str, str]) -> Candidate:
        """Convert one raw row (keys are the file's lower-cased column names)."""


@dataclass
class ImportResult:
    """Sites from one source plus a full account of its rows."""

    source_id: str
    adapter: str
    source_date: str
    path: str
    header: list[str]
    sites: dict[str, Facility] = field(default_factory=dict)
    rejects: list[dict[str, str]] = field(default_factory=list)
    rows_read: int = 0
    merged: int = 0
    rejected_by_reason: Counter = field(default_factory=Counter)
    unknown_codes: Counter = field(default_factory=Counter)
    artefacts: Counter = field(default_factory=Counter)
    repairs: Counter = field(default_factory=Counter)
    precision: Counter = field(default_factory=Counter)
    extra_columns: list[str] = field(default_factory=list)
    #: Sites whose rows state only some facts (see :attr:`Candidate.partial`).
    partial: set[str] = field(default_factory=set)
    #: Values a source states that map to no code, by column and value (see the Colorado adapter).
    unmapped_values: Counter = field(default_factory=Counter)

    @property
    def accepted(self) -> int:
        return len(self.sites)

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    def report(self) -> dict[str, object]:
        """The JSON report: rows_read == accepted + merged + rejected."""
        return {
            "source": self.source_id,
            "adapter": self.adapter,
            "path": self.path,
            "source_date": self.source_date,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "merged": self.merged,
            "rejected": self.rejected,
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "unknown_codes": dict(sorted(self.unknown_codes.items())),
            "artefacts_dropped": dict(sorted(self.artefacts.items())),
            "repairs": dict(sorted(self.repairs.items())),
            "geocode_precision": dict(sorted(self.precision.items())),
            "partial_rows": len(self.partial),
            "unmapped_values": {f"{column}: {value}": n for (column, value), n in sorted(self.unmapped_values.items())},
        }

    def reject_rows(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows for a rejects CSV: the source line, the reason, then the original cells."""
        header = ["source_row", "reason", *self.header]
        rows = [[r["source_row"], r["reason"], *(r.get(h, "") for h in self.header)] for r in self.rejects]
        return header, rows


def _coordinates(lat_text: str, lon_text: str) -> tuple[float, float] | None | str:
    """Parsed coordinates, None when absent, or a reject reason."""
    lat_text, lon_text = lat_text.strip(), lon_text.strip()
    if not lat_text and not lon_text:
        return None
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        return None  # unparseable coordinates are treated as missing and geocoded
    if lat != lat or lon != lon:  # NaN
        return None
    if abs(lat) < 1e-6 and abs(lon) < 1e-6:
        return "coordinates at 0,0"
    if not in_us_bounds(lat, lon):
        return "coordinates outside the US"
    return lat, lon


def _normalise(candidate: Candidate, result: ImportResult) -> dict[str, str] | str:
    """A clean facility record, or the reason to reject it."""
    if candidate.reject:
        return candidate.reject
    f = {k: clean_text(candidate.fields.get(k, "")) for k in FIELDS}
    if not f["name"]:
        if not f["name2"]:
            return "missing name"
        f["name"], f["name2"] = f["name2"], ""
    # "Isaiah Robert Logan," — a practitioner's name whose credential the export left out.
    f["name"], f["name2"] = f["name"].rstrip(" ,;"), f["name2"].rstrip(" ,;")
    if f["name2"] and norm_name(f["name2"]) == norm_name(f["name"]):
        f["name2"] = ""  # a legal name that repeats the facility name
    withheld = f["address_withheld"].lower() in ("1", "true", "yes")
    f["address_withheld"] = "1" if withheld else ""
    if withheld:
        # The provider asked that its address not be shown: no street is kept at all (so nothing can show,
        # export or serve it), and the point is its ZIP's or town's, not the source's (which is the street's).
        f["street1"] = f["street2"] = f["latitude"] = f["longitude"] = ""
        if not f["zip"]:
            return "address withheld, no ZIP"
    coords = _coordinates(f["latitude"], f["longitude"])
    if isinstance(coords, str):
        return coords
    if coords is None:
        f["latitude"] = f["longitude"] = ""
        if not f["street1"] and not withheld:
            return "no address and no coordinates"
    else:
        f["latitude"], f["longitude"] = f"{coords[0]:.6f}", f"{coords[1]:.6f}"
    state = state_code(f["state"]) if f["state"] else None
    if state is None:
        return "bad state"
    f["state"] = state
    zip5, repaired = normalize_zip(f["zip"], state)
    if not zip5:
        return "bad ZIP"
    if repaired:
        result.repairs["zip leading zeros restored"] += 1
    f["zip"] = zip5
    f["phone"] = format_phone(f["phone"])
    f["intake_phone"] = format_phone(f["intake_phone"])
    f["website"] = clean_website(f["website"])
    return f


def import_table(
    table: SourceTable,
    adapter: Adapter,
    *,
    source_id: str,
    source_date: str,
    taxonomy: Taxonomy | None = None,
    locate: Locator | None = None,
) -> ImportResult:
    """Import every row of ``table`` with ``adapter``; see the module docstring for the rules.

    ``locate`` gives coordinates to rows that have an address but none of their own;
    without it such rows are rejected as ``could not geocode``.
    """
    tax = taxonomy or Taxonomy.load()
    adapter.check(table)
    result = ImportResult(
        source_id, adapter.name, source_date, table.path, table.header, extra_columns=adapter.extra_columns()
    )
    lower_header = [h.lower() for h in table.header]
    codes_of: dict[str, set[str]] = {}
    only_partial: dict[str, bool] = {}

    def reject(line_no: int, raw: dict[str, str], reason: str) -> None:
        result.rejected_by_reason[reason] += 1
        result.rejects.append({"source_row": str(line_no), "reason": reason, **raw})

    for line_no, raw_text, reason in table.problems:
        result.rows_read += 1
        reject(line_no, {table.header[0]: raw_text} if table.header else {}, reason)

    width = len(table.header)
    adapter.prepare(
        dict(zip(lower_header, cells, strict=False)) for _, cells in table.rows
    )  # lazy: most adapters need none
    for line_no, cells in table.rows:
        result.rows_read += 1
        # Padded (short rows lack their last cells) and cut to the header (extra cells are checked below).
        padded = (cells + [""] * (width - len(cells)))[:width]
        raw = dict(zip(table.header, padded, strict=True))
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            reject(line_no, raw, "malformed row")
            continue
        # From the cells, not raw's values: a header naming a column twice gives raw fewer values.
        candidate = adapter.convert(dict(zip(lower_header, padded, strict=True)))
        for token in candidate.artefacts:
            result.artefacts[token] += 1
        record = _normalise(candidate, result)
        if isinstance(record, str):
            reject(line_no, raw, record)
            continue
        result.unmapped_values.update(candidate.unmapped)  # values of rows kept (a rejected row states nothing)
        if record["latitude"]:
            record["geocode_precision"] = "source"
        else:
            located = locate(record) if locate else None
            if located is None:
                reject(line_no, raw, "could not geocode")
                continue
            lat, lon, precision = located
            record["latitude"], record["longitude"] = f"{lat:.6f}", f"{lon:.6f}"
            record["geocode_precision"] = precision
        codes = set()
        for token in candidate.codes:
            code = token.strip().lower()
            if code:
                codes.add(code)
                if not tax.in_vocabulary(code):
                    result.unknown_codes[code] += 1
        record.update({k: clean_text(v) for k, v in candidate.extra.items()})
        record.update(dict.fromkeys(candidate.source_columns, source_id))
        street = record["street1"]
        if adapter.point_identity and not street:
            street = f"@{record['latitude']},{record['longitude']}"
        fid = facility_id(record["name"], record["name2"], street, record["zip"])
        existing = result.sites.get(fid)
        if existing is None:
            record["facility_id"] = fid
            result.sites[fid] = record
            codes_of[fid] = codes
            only_partial[fid] = candidate.partial
            result.precision[record["geocode_precision"]] += 1
            continue
        if codes <= codes_of[fid] and all(
            existing.get(k, "") == v or not v for k, v in record.items() if k != "facility_id"
        ):
            reject(line_no, raw, "duplicate")
            continue
        # The same site listed again (e.g. its SU and MH listings): one site with both listings' codes.
        codes_of[fid] |= codes
        only_partial[fid] = only_partial[fid] and candidate.partial
        for key, value in record.items():
            if value and not existing.get(key):
                existing[key] = value
        result.merged += 1

    for fid, record in result.sites.items():
        codes = sorted(codes_of[fid])
        if only_partial[fid]:
            result.partial.add(fid)
        stated = any(record.get(k) for k in DETAILS)
        record["details_source"] = source_id if stated else ""
        record["details_as_of"] = (record.get("details_as_of") or source_date) if stated else ""
        record["service_codes"] = ";".join(codes)
        record["source"] = source_id
        record["source_date"] = source_date
        record["sources"] = source_id
        record["services_as_of"] = source_date if codes else ""
        record["last_listed"] = source_date
    # From here on a site is a typed record; the dicts above were rows being cleaned.
    result.sites = {fid: Facility.from_row(record) for fid, record in result.sites.items()}
    return result


def split_codes(text: str, separators: Iterable[str] = ("/", ";", ",")) -> list[str]:
    """Split a code list on any of ``separators``."""
    for sep in separators:
        text = text.replace(sep, " ")
    return text.split()

"""The storage format: reading and writing ``facilities.csv`` (as frames or :class:`~directory.core.facility.Facility`
records), and validation. The columns are :data:`directory.core.facility.COLUMNS`."""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import paths
from .errors import InputFileError, MissingColumnsError
from .facility import COLUMNS, Facility
from .states import STATES, in_us_bounds
from .tables import write_csv
from .taxonomy import Taxonomy

REQUIRED = (
    "facility_id",
    "name",
    "street1",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "geocode_precision",
    "service_codes",
    "source",
    "source_date",
)
PRECISIONS = ("source", "address", "zip", "city", "state")
_ZIP = re.compile(r"^\d{5}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^f[0-9a-f]{12}$")


@lru_cache(maxsize=1)
def zip_prefixes() -> dict[str, frozenset[str]]:
    """State → the 3-digit ZIP prefixes its ZCTAs use (from the shipped Census ZCTA points)."""
    found: dict[str, set[str]] = {}
    with (paths.GAZETTEER_DIR / "census_zcta2020_internal_points.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found.setdefault(row["state"], set()).add(row["zcta"][:3])
    found.setdefault("GU", set()).add("969")
    for territory in ("MP", "FM", "MH", "PW"):  # no ZCTAs; USPS serves them from 969
        found.setdefault(territory, set()).add("969")
    return {state: frozenset(prefixes) for state, prefixes in found.items()}


def normalize_zip(raw: str, state: str) -> tuple[str, bool]:
    """``(zip5, repaired)``; ``zip5`` is ``""`` when the ZIP is unusable.

    ZIP+4 is cut to 5 digits. A ZIP that lost leading zeros in a spreadsheet
    (``2150`` for ``02150``) is padded only when the padded prefix belongs to
    the record's state, so ``1234`` in Texas stays bad.

    >>> normalize_zip("33602-1234", "FL")
    ('33602', False)
    >>> normalize_zip("2150", "MA")
    ('02150', True)
    >>> normalize_zip("1234", "TX")
    ('', False)
    """
    digits = raw.strip()
    match = re.match(r"^(\d{3,5})(?:[-\s]?\d{4})?$", digits)
    if not match:
        return "", False
    zip5 = match.group(1)
    if len(zip5) == 5:
        return zip5, False
    padded = zip5.zfill(5)
    if padded[:3] in zip_prefixes().get(state, frozenset()):
        return padded, True
    return "", False


@dataclass
class ValidationReport:
    """What ``validate`` found: row count and problems as (row, column, reason, value)."""

    path: str
    rows: int = 0
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def counts(self) -> Counter:
        return Counter(f"{col}: {reason}" for _, col, reason, _ in self.problems)


def read_facilities(path: str | Path | None = None) -> pd.DataFrame:
    """Read a facilities file as strings (ZIPs keep leading zeros); raise a clear error if it is not one."""
    p = Path(path) if path else paths.FACILITIES_CSV
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputFileError(f"{p}: not a readable facilities CSV ({type(exc).__name__})") from None
    missing = set(REQUIRED) - set(frame.columns)
    if missing:
        raise MissingColumnsError(str(p), missing)
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    # A file from before `last_listed` existed: each record was last listed by its own source.
    frame["last_listed"] = frame["last_listed"].where(frame["last_listed"] != "", frame["source_date"])
    return frame


def write_facilities(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` in schema column order (extra columns after), atomically."""
    extra = [c for c in frame.columns if c not in COLUMNS]
    columns = list(COLUMNS) + extra
    data = frame.reindex(columns=columns).fillna("").astype(str)
    write_csv(path, columns, data.itertuples(index=False, name=None))


def read_records(path: str | Path | None = None) -> list[Facility]:
    """Every facility of a facilities file as a typed record."""
    return [Facility.from_row(row) for row in read_facilities(path).to_dict("records")]


def write_records(records: list[Facility], path: str | Path, *, extra: list[str] | None = None) -> pd.DataFrame:
    """Write typed records in schema column order, then the ``extra`` columns (default: every extra
    column the records have, in first-seen order), atomically; return the rows written, as text."""
    if extra is None:
        extra = list(dict.fromkeys(k for r in records for k in r.extra))
    blank = dict.fromkeys(extra, "")  # a column no record fills is empty text, not NaN
    frame = pd.DataFrame([{**blank, **r.to_row()} for r in records], columns=list(COLUMNS) + extra)
    write_facilities(frame, path)
    return frame


def validate(path: str | Path, taxonomy: Taxonomy | None = None) -> ValidationReport:
    """Check a facilities file against the schema; collect every problem rather than stop at the first."""
    frame = read_facilities(path)
    tax = taxonomy or Taxonomy.load()
    report = ValidationReport(str(path), len(frame))
    add = report.problems.append
    seen: dict[str, int] = {}
    for i, row in enumerate(frame.to_dict("records"), start=2):
        fid = row["facility_id"]
        if not _ID.match(fid):
            add((i, "facility_id", "malformed id", fid))
        elif fid in seen:
            add((i, "facility_id", f"duplicate of row {seen[fid]}", fid))
        else:
            seen[fid] = i
        if not row["name"].strip():
            add((i, "name", "empty", ""))
        if row["state"] not in STATES:
            add((i, "state", "not a USPS state or territory code", row["state"]))
        if not _ZIP.match(row["zip"]):
            add((i, "zip", "not 5 digits", row["zip"]))
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
            if not in_us_bounds(lat, lon):
                add((i, "latitude", "coordinates outside the US", f"{lat},{lon}"))
        except ValueError:
            add((i, "latitude", "missing or not a number", f"{row['latitude']},{row['longitude']}"))
        if row["geocode_precision"] not in PRECISIONS:
            add((i, "geocode_precision", f"not one of {', '.join(PRECISIONS)}", row["geocode_precision"]))
        codes = [c for c in row["service_codes"].split(";") if c]
        if codes != sorted(set(codes)) or any(c != c.lower() for c in codes):
            add((i, "service_codes", "not sorted, unique and lower-case", row["service_codes"]))
        for code in codes:
            if not tax.in_vocabulary(code):
                add((i, "service_codes", "code has no label", code))
        for column in ("source_date", "services_as_of", "last_listed"):
            if row[column] and not _ISO_DATE.match(row[column]):
                add((i, column, "not an ISO date", row[column]))
        if not row["source_date"]:
            add((i, "source_date", "empty", ""))
    return report

"""A facility as a typed record.

:class:`Facility` is what the library hands around once a record is stored: codes as a
frozenset, sources as a tuple, dates as dates, coordinates as floats. ``facilities.csv``
is only its storage format: :func:`Facility.from_row` and :meth:`Facility.to_row` are the
one place a CSV row (every value a string) becomes a record and back, and
:mod:`directory.schema` reads and writes the file.

>>> f = Facility.from_row({"facility_id": "f000000000001", "name": "Example", "latitude": "27.950000",
...                        "longitude": "-82.460000", "service_codes": "dt;sa", "sources": "sut-2021;nssats-2015",
...                        "source_date": "2021-05-01", "license_number": "191198AP"})
>>> sorted(f.service_codes), f.sources, f.source_date.year, f.extra["license_number"]
(['dt', 'sa'], ('sut-2021', 'nssats-2015'), 2021, '191198AP')
>>> f.to_row()["latitude"], f.to_row()["service_codes"]
('27.950000', 'dt;sa')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date

#: Columns of ``facilities.csv``, in file order, with what each holds (docs/data.md documents the same).
COLUMNS: dict[str, str] = {
    "facility_id": "stable id: 'f' + 12 hex digits of a hash of normalised name, name2, street and ZIP",
    "name": "facility name",
    "name2": "program or second name line",
    "street1": "street address",
    "street2": "suite, building or second address line",
    "city": "city",
    "state": "USPS state or territory code",
    "zip": "5-digit ZIP code, leading zeros kept",
    "county": "county name",
    "phone": "main phone, NNN-NNN-NNNN (x extension)",
    "intake_phone": "intake phone when the source lists one",
    "website": "website URL",
    "latitude": "WGS84 latitude, 6 decimals",
    "longitude": "WGS84 longitude, 6 decimals",
    "geocode_precision": "where the coordinates come from: source, address, zip, city or state",
    "service_codes": "';'-separated lower-case SAMHSA service codes, sorted and unique",
    "source": "id of the source the record's name, address and phone come from",
    "source_date": "vintage of that source (ISO date)",
    "sources": "';'-separated ids of every source that listed the site",
    "services_as_of": "vintage of the source the service codes come from (ISO date)",
    "last_listed": "vintage of the newest source that lists the site, whatever it says about it (ISO date)",
    "notes": "free-text notes from the source (e.g. 'Methadone Clients Only')",
}
_FLOATS = ("latitude", "longitude")
_DATES = ("source_date", "services_as_of", "last_listed")


@dataclass(frozen=True)
class Facility:
    """One site of the directory."""

    facility_id: str
    name: str
    name2: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    county: str = ""
    phone: str = ""
    intake_phone: str = ""
    website: str = ""
    latitude: float | None = None
    longitude: float | None = None
    geocode_precision: str = ""
    service_codes: frozenset[str] = frozenset()
    source: str = ""
    source_date: date | None = None
    #: Every source that listed the site, newest first.
    sources: tuple[str, ...] = ()
    services_as_of: date | None = None
    #: The newest vintage of any source that lists the site (a name-and-point listing counts).
    last_listed: date | None = None
    notes: str = ""
    #: Columns a source adds beyond :data:`COLUMNS` (``license_number``, ``capacity`` …), as text.
    extra: Mapping[str, str] = field(default_factory=dict, hash=False, compare=True)

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Facility:
        """A record from a storage row (strings; missing or NaN values count as empty). Columns that
        are not storage columns go to :attr:`extra`, except ``distance_miles`` (a search's, not the site's)."""
        text = {k: _text(v) for k, v in row.items()}
        values: dict[str, object] = {}
        for name in COLUMNS:
            value = text.get(name, "")
            if name in _FLOATS:
                values[name] = float(value) if value else None
            elif name in _DATES:
                values[name] = date.fromisoformat(value) if value else None
            elif name == "service_codes":
                values[name] = frozenset(c for c in value.split(";") if c)
            elif name == "sources":
                values[name] = tuple(s for s in value.split(";") if s)
            else:
                values[name] = value
        values["extra"] = {k: v for k, v in text.items() if k not in COLUMNS and k != "distance_miles"}
        return cls(**values)  # type: ignore[arg-type]

    def to_row(self) -> dict[str, str]:
        """The storage row: every :data:`COLUMNS` value as text (6-decimal coordinates, sorted codes,
        ISO dates), then the extra columns."""
        row: dict[str, str] = {}
        for name in COLUMNS:
            value = getattr(self, name)
            if name in _FLOATS:
                row[name] = "" if value is None else f"{value:.6f}"
            elif name in _DATES:
                row[name] = value.isoformat() if value else ""
            elif name == "service_codes":
                row[name] = ";".join(sorted(value))
            elif name == "sources":
                row[name] = ";".join(value)
            else:
                row[name] = value
        row.update(self.extra)
        return row

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


assert [f.name for f in fields(Facility)][:-1] == list(COLUMNS), "Facility fields follow the storage columns"

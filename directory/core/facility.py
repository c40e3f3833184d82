"""A facility as a typed record.

:class:`Facility` is what the library hands around once a record is stored: codes as a
frozenset, sources as a tuple, dates as dates, coordinates as floats. ``facilities.csv``
is only its storage format: :func:`Facility.from_row` and :meth:`Facility.to_row` are the
one place a CSV row (every value a string) becomes a record and back, and
:mod:`directory.core.schema` reads and writes the file.

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

from .i18n import N_

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
    "type_facility": "the locator's listing type where a FindTreatment.gov export gives it: SU (substance use), "
    "MH (mental health), OTP (opioid treatment program) or BUPREN (an individual buprenorphine practitioner)",
    "hours": "opening hours by weekday as the source states them, 24-hour clock: 'mon 08:00-17:00; tue …' "
    "(00:00-24:00: open all day); a day not named is not listed",
    "accepting_new_patients": "'yes' or 'no' where a source says; empty where none does",
    "accessibility": "';'-separated: wheelchair, deaf-hard-of-hearing, visually-impaired",
    "details_source": "id of the source that states hours, accepting new patients and accessibility",
    "details_as_of": "the date that source gives for them (ISO date)",
    "address_withheld": "'1' when the provider asked that its street address not be shown: none is kept, and the "
    "point is its ZIP or town",
    "status": "'closed' when a maintainer verified that the site closed (it is then in no search); empty otherwise",
    "verified_on": "when a maintainer last verified the record (ISO date), from data/corrections.csv",
    "verified_by_method": "how: phone, website, visit or provider",
    "corrected_fields": "fields a maintainer corrected, each with its date and method: 'phone 2026-11-30 phone; …'",
}
_FLOATS = ("latitude", "longitude")
_DATES = ("source_date", "services_as_of", "last_listed", "details_as_of", "verified_on")
#: Weekdays as ``hours`` names them, in order.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: What ``accessibility`` may hold.
ACCESSIBILITY = ("wheelchair", "deaf-hard-of-hearing", "visually-impaired")
#: How a person reads them (marked for translation; translated where shown).
DAY_NAMES = dict(
    zip(WEEKDAYS, (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun")), strict=True)
)
ACCESSIBILITY_LABELS = {
    "wheelchair": N_("Wheelchair accessible"),
    "deaf-hard-of-hearing": N_("Deaf or hard of hearing"),
    "visually-impaired": N_("Visually impaired"),
}


#: Columns a search adds to a result's rows: how far each is from the searched place (straight line;
#: by road when a routing engine measured it). They are the search's, not the site's.
MEASURED = ("distance_miles", "drive_minutes", "road_miles", "route_status")


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
    type_facility: str = ""
    #: (weekday, "08:00-17:00") pairs in weekday order; a day not named is not listed in the sources.
    hours: tuple[tuple[str, str], ...] = ()
    #: True or False where a source says; None where none does ("not listed in the sources").
    accepting_new_patients: bool | None = None
    accessibility: frozenset[str] = frozenset()
    details_source: str = ""
    details_as_of: date | None = None
    address_withheld: bool = False
    #: "closed" when a maintainer verified that the site closed; "" otherwise.
    status: str = ""
    verified_on: date | None = None
    verified_by_method: str = ""
    #: (field, date, method) of every field a maintainer corrected.
    corrected_fields: tuple[tuple[str, date, str], ...] = ()
    #: Columns a source adds beyond :data:`COLUMNS` (``license_number``, ``capacity`` …), as text.
    extra: Mapping[str, str] = field(default_factory=dict, hash=False, compare=True)

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Facility:
        """A record from a storage row (strings; missing or NaN values count as empty). Columns that
        are not storage columns go to :attr:`extra`, except :data:`MEASURED` (a search's, not the site's)."""
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
            elif name == "hours":
                values[name] = parse_hours(value)
            elif name == "accepting_new_patients":
                values[name] = {"yes": True, "no": False}.get(value.strip().lower())
            elif name == "accessibility":
                values[name] = frozenset(a for a in value.split(";") if a)
            elif name == "address_withheld":
                values[name] = value.strip() in ("1", "true", "yes")
            elif name == "corrected_fields":
                values[name] = parse_corrected(value)
            else:
                values[name] = value
        values["extra"] = {k: v for k, v in text.items() if k not in COLUMNS and k not in MEASURED}
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
            elif name == "hours":
                row[name] = "; ".join(f"{day} {text}" for day, text in value)
            elif name == "accepting_new_patients":
                row[name] = "" if value is None else ("yes" if value else "no")
            elif name == "accessibility":
                row[name] = ";".join(sorted(value, key=_accessibility_order))
            elif name == "address_withheld":
                row[name] = "1" if value else ""
            elif name == "corrected_fields":
                row[name] = "; ".join(f"{f} {d.isoformat()} {how}" for f, d, how in value)
            else:
                row[name] = value
        row.update(self.extra)
        return row

    @property
    def closed(self) -> bool:
        """A maintainer verified that the site closed."""
        return self.status == "closed"

    @property
    def open_as_of(self) -> date | None:
        """The newest evidence that the site is open — when a source last listed it or, if later, when a
        maintainer verified it — which ``listed_since`` compares (None when closed, or never dated)."""
        if self.closed:
            return None
        dates = [d for d in (self.last_listed, self.verified_on) if d is not None]
        return max(dates) if dates else None

    def corrected_on(self, field: str) -> tuple[date, str] | None:
        """When and how a maintainer last corrected ``field`` (None when no one did)."""
        found = [(d, how) for f, d, how in self.corrected_fields if f == field]
        return found[-1] if found else None

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def parse_hours(text: str) -> tuple[tuple[str, str], ...]:
    """The ``hours`` column as (weekday, hours) pairs in weekday order.

    >>> parse_hours("tue 08:00-17:00; mon 08:00-12:00, 13:00-17:00")
    (('mon', '08:00-12:00, 13:00-17:00'), ('tue', '08:00-17:00'))
    """
    found = {}
    for part in text.split(";"):
        day, _, hours = part.strip().partition(" ")
        if day in WEEKDAYS and hours.strip():
            found[day] = hours.strip()
    return tuple((day, found[day]) for day in WEEKDAYS if day in found)


def parse_corrected(text: str) -> tuple[tuple[str, date, str], ...]:
    """The ``corrected_fields`` column as (field, date, method) triples.

    >>> parse_corrected("phone 2026-11-30 phone; website 2026-12-01 website")
    (('phone', datetime.date(2026, 11, 30), 'phone'), ('website', datetime.date(2026, 12, 1), 'website'))
    """
    found = []
    for part in text.split(";"):
        bits = part.split()
        if len(bits) == 3:
            found.append((bits[0], date.fromisoformat(bits[1]), bits[2]))
    return tuple(found)


def _accessibility_order(value: str) -> tuple[int, str]:
    return (ACCESSIBILITY.index(value) if value in ACCESSIBILITY else len(ACCESSIBILITY), value)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


assert [f.name for f in fields(Facility)][:-1] == list(COLUMNS), "Facility fields follow the storage columns"

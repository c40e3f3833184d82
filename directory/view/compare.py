"""A shortlist's facilities side by side: the one builder the app, the API and the CLI share.

:func:`compare` takes facility ids (and, optionally, the place a person searched from) and returns a
:class:`Comparison`: the facilities in the order given, their distances, and the rows a person
compares them on — phone and intake, address and directions, website, hours, new patients, treatment
types, medications, payment, accreditation, populations, languages, accessibility, how current the
listing is, and its sources. Each row says whether the facilities differ on it, and a fact the
sources do not give reads "not listed in the sources" (once for the row, when none of them has it).

>>> from directory import open_store
>>> store = open_store()
>>> ids = store.search(Query(near="Tampa, FL", services=("detox",))).ids[:3]
>>> comparison = compare(store, ids, near="Tampa, FL")
>>> [r.key for r in comparison.rows][:4]
['name', 'distance', 'phone', 'intake']
>>> comparison.row("treatment").label, len(comparison.row("treatment").cells)
('Treatment types', 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ..core.errors import DirectoryError
from ..core.facility import Facility
from ..core.geo import Place, great_circle
from ..core.i18n import _, day, decimal, month, ngettext, number
from ..search import Query
from ..search.drive import Drive, measure, row_words
from ..stores.base import Store
from .detail import FacilityDetail, sources_text
from .facts import how_verified, not_listed

#: A shortlist holds at most this many facilities (a case manager compares two to five; ten is plenty).
MAX_SHORTLIST = 10


class UnknownFacilities(DirectoryError, LookupError):
    """Facility ids that are not in the directory (the API answers 404 naming them)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = list(ids)
        many = "facilities" if len(self.ids) != 1 else "facility"
        super().__init__(f"no {many} with id {', '.join(repr(i) for i in self.ids)} in this directory")


class TooMany(DirectoryError, ValueError):
    """More ids than a shortlist holds."""


@dataclass(frozen=True)
class Cell:
    """One facility's value in a row: text (raw; renderers escape it), an optional link (``tel:``, the
    validated website, directions), and whether the sources give it at all."""

    text: str
    link: str | None = None
    listed: bool = True


@dataclass(frozen=True)
class Row:
    """One thing the facilities are compared on."""

    key: str
    label: str
    cells: tuple[Cell, ...]
    #: The facilities do not all have the same value (differences are what a person looks for).
    differs: bool
    #: No source gives it for any of them: a renderer says so once.
    unknown: bool
    #: A sentence under the row (how well the sources cover it), or ''.
    note: str = ""


@dataclass
class Comparison:
    """Facilities side by side (see the module docstring)."""

    records: list[Facility]
    details: list[FacilityDetail]
    #: Miles from :attr:`center` per facility (None without a place).
    distances: list[float | None]
    center: Place | None
    rows: list[Row] = field(default_factory=list)
    #: Minutes and road miles from :attr:`center`, when a routing engine measured them.
    drive: Drive | None = None
    #: Why drive times are missing though a routing engine is set up ('' when they are not).
    routing_note: str = ""
    #: Ids asked for that the directory no longer has (only when built with ``drop_unknown``).
    dropped: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [r.facility_id for r in self.records]

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def dropped_note(self) -> str:
        """ "1 facility in this link is no longer in the directory" ('' when none was dropped)."""
        if not self.dropped:
            return ""
        n = len(self.dropped)
        return ngettext(
            "{n} facility in this link is no longer in the directory.",
            "{n} facilities in this link are no longer in the directory.",
            n,
        ).format(n=number(n))

    def closed_note(self) -> str:
        """ "1 facility on this shortlist has closed ..." ('' when none has)."""
        closed = [d for d in self.details if d.closed]
        if not closed:
            return ""
        n = len(closed)

        def named(d: FacilityDetail) -> str:
            if not d.verified_on:
                return d.name
            when = day(date.fromisoformat(d.verified_on))
            verified = _("verified {how} on {date}").format(how=how_verified(d.verified_how), date=when)
            return f"{d.name} ({verified})"

        names = "; ".join(named(d) for d in closed)
        return ngettext(
            "{n} facility on this shortlist has closed: {names}. Remove it before handing the list over.",
            "{n} facilities on this shortlist have closed: {names}. Remove them before handing the list over.",
            n,
        ).format(n=number(n), names=names)

    def to_json(self) -> dict[str, object]:
        """The comparison as the API and the CLI give it: facilities in order (every column, with the
        distance), then the rows with one value per facility."""
        from ..exports.tabular import facility_json

        return {
            "center": self.center.to_dict() if self.center else None,
            "facilities": [
                {**facility_json(r), "distance_miles": d, **(self.drive.fields(i) if self.drive is not None else {})}
                for i, (r, d) in enumerate(zip(self.records, self.distances, strict=True))
            ],
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    "differs": row.differs,
                    "listed_for_none": row.unknown,
                    "note": row.note,
                    "values": [{"text": c.text, "link": c.link, "listed": c.listed} for c in row.cells],
                }
                for row in self.rows
            ],
        }


def compare(
    store: Store,
    ids: list[str] | tuple[str, ...],
    *,
    near: str | tuple[float, float] | Place | None = None,
    today: date | None = None,
    drop_unknown: bool = False,
) -> Comparison:
    """The facilities ``ids`` (in that order, repeats once) side by side, with distances from ``near``.

    Unknown ids raise :class:`UnknownFacilities`, naming them — or, with ``drop_unknown`` (a link a
    person opens), are left out and listed in :attr:`Comparison.dropped`. More than
    :data:`MAX_SHORTLIST` ids raise :class:`TooMany`.
    """
    wanted = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
    if len(wanted) > MAX_SHORTLIST:
        raise TooMany(f"a shortlist holds at most {MAX_SHORTLIST} facilities, not {len(wanted)}")
    found = {i: store.facility(i) for i in wanted}
    missing = [i for i, r in found.items() if r is None]
    if missing and not drop_unknown:
        raise UnknownFacilities(missing)
    records = [r for r in found.values() if r is not None]
    center = near if isinstance(near, Place) or near is None else store.resolve(near)
    distances = [
        round(float(great_circle(center.latitude, center.longitude, r.latitude, r.longitude)), 2)
        if center is not None and r.located
        else None
        for r in records
    ]
    drive, routing_note = None, ""
    if center is not None and records:
        drive, routing_note = measure(
            getattr(store, "router", None),
            (center.latitude, center.longitude),
            np.array([r.latitude if r.located else np.nan for r in records], dtype=float),
            np.array([r.longitude if r.located else np.nan for r in records], dtype=float),
        )
    reports = store.availability([r.facility_id for r in records])
    details = [
        FacilityDetail.from_record(
            r, store.taxonomy, today=today, distance_miles=d, availability=reports.get(r.facility_id)
        )
        for r, d in zip(records, distances, strict=True)
    ]
    comparison = Comparison(
        records, details, distances, center, dropped=missing, drive=drive, routing_note=routing_note
    )
    comparison.rows = _rows(store, comparison)
    return comparison


def _listed(values: list[str]) -> Cell:
    return Cell(", ".join(values)) if values else Cell(not_listed(), listed=False)


def _fact(text: str) -> Cell:
    return Cell(text or not_listed(), listed=bool(text) and text != not_listed())


def _rows(store: Store, comparison: Comparison) -> list[Row]:
    details = comparison.details
    columns: list[tuple[str, str, list[Cell]]] = [
        (
            "name",
            _("Name"),
            [
                Cell(" — ".join(p for p in (d.name, d.program, d.kind, _("CLOSED") if d.closed else "") if p))
                for d in details
            ],
        ),
    ]
    if comparison.center is not None:
        where = comparison.center.label
        columns.append(
            (
                "distance",
                _("Miles from {place}").format(place=where),
                [
                    Cell(_("{miles} mi").format(miles=decimal(m)))
                    if m is not None
                    else Cell(not_listed(), listed=False)
                    for m in comparison.distances
                ],
            )
        )
        drive = comparison.drive
        if drive is not None:
            columns.append(
                (
                    "drive",
                    _("Drive time from {place}").format(place=where),
                    [Cell(row_words(drive, i), listed=not drive.missing[i]) for i in range(len(details))],
                )
            )
    columns += [
        (
            "phone",
            _("Phone"),
            [
                Cell(d.closed)  # its old number is not a way to reach care: the sheet and the message say so
                if d.closed
                else Cell(d.phone + d.phone_dated, d.phone_url)
                if d.phone
                else Cell(not_listed(), listed=False)
                for d in details
            ],
        ),
        (
            "intake",
            _("Intake phone"),
            [
                Cell(_("closed"))
                if d.closed
                else Cell(d.intake_phone + d.intake_dated, d.intake_phone_url)
                if d.intake_phone and d.intake_phone != d.phone
                else Cell(_("same as the phone") if d.intake_phone else not_listed(), listed=bool(d.intake_phone))
                for d in details
            ],
        ),
        (
            "address",
            _("Address and directions"),
            [
                Cell(
                    ", ".join(d.address_lines)
                    + (" " + _("(address withheld at the provider's request)") if d.address_withheld else ""),
                    None if d.closed else d.directions,
                )
                for d in details
            ],
        ),
        (
            "website",
            _("Website"),
            [Cell(d.website, d.website) if d.website else Cell(not_listed(), listed=False) for d in details],
        ),
        ("hours", _("Hours"), [_fact(d.hours) for d in details]),
        (
            "availability",
            _("Availability, as the provider reports it"),
            [
                Cell("; ".join(d.availability[:-1]) + f" ({d.availability[-1]})")
                if d.availability
                else Cell(_("no report from the provider"), listed=False)
                for d in details
            ],
        ),
        ("accepting", _("Accepting new patients"), [_fact(d.accepting) for d in details]),
        (
            "treatment",
            _("Treatment types"),
            [
                _listed([g.label for g in store.taxonomy.groups_in("service") if g.codes & r.service_codes])
                for r in comparison.records
            ],
        ),
        (
            "medications",
            _("Medications"),
            [
                _listed([g.label for g in store.taxonomy.groups_in("medication") if g.codes & r.service_codes])
                for r in comparison.records
            ],
        ),
        ("payment", _("Payment"), [_listed(d.payment) for d in details]),
        ("accreditation", _("Accreditation"), [_listed(d.accreditation) for d in details]),
        (
            "quality",
            _("Signs of quality a person can check"),
            [Cell("; ".join(d.quality)) if d.quality else Cell(not_listed(), listed=False) for d in details],
        ),
        ("populations", _("Populations served"), [_listed(d.populations) for d in details]),
        ("languages", _("Languages"), [_listed(d.languages) for d in details]),
        ("accessibility", _("Accessibility"), [_fact(d.accessibility) for d in details]),
        (
            "verified",
            _("Verified by a maintainer"),
            [Cell(d.verified) if d.verified else Cell(_("not in the last 12 months"), listed=False) for d in details],
        ),
        ("listed", _("Last listed; services as of"), [Cell(_currency(d)) for d in details]),
        ("sources", _("Sources"), [Cell(sources_text(d)) for d in details]),
    ]
    rows = []
    for key, label, cells in columns:
        texts = {c.text for c in cells}
        unknown = all(not c.listed for c in cells)
        note = _coverage(store, comparison, key) if key == "accreditation" else ""
        rows.append(Row(key, label, tuple(cells), differs=len(texts) > 1, unknown=unknown, note=note))
    return rows


def _currency(detail: FacilityDetail) -> str:
    def when(iso: str) -> str:
        return month(date.fromisoformat(iso)) if iso else _("unknown")

    return _("last listed {listed}; services as of {services}").format(
        listed=when(detail.last_listed), services=when(detail.services_as_of)
    )


def _coverage(store: Store, comparison: Comparison, key: str) -> str:
    """How well the sources cover accreditation, said when they list it for none of the facilities:
    per state of the shortlist, how many of its sites the sources list any accreditation for."""
    row_cells = [d.accreditation for d in comparison.details]
    if any(row_cells) or not comparison.records:
        return ""
    parts = []
    for state in dict.fromkeys(r.state for r in comparison.records):
        result = store.search(Query(state=state, listed_since=None, limit=1))
        parts.append(
            _("in {state} for {n} of {total} sites").format(
                state=state, n=number(result.listed.get("accreditation", 0)), total=number(result.total)
            )
        )
    n = len(comparison.records)
    if n == 1:
        return _("The sources list no accreditation for this facility; they list accreditation {where}.").format(
            where=", ".join(parts)
        )
    if n == 2:
        return _("The sources list no accreditation for either of these two; they list accreditation {where}.").format(
            where=", ".join(parts)
        )
    return _("The sources list no accreditation for any of these {n}; they list accreditation {where}.").format(
        n=n, where=", ".join(parts)
    )

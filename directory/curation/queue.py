"""The verification queue: which records are due a call, in the order a team should make them.

A site is **due** when no maintainer has verified it, or the last verification is older than
:data:`DUE_AFTER_DAYS` (the AIRS standard: every record re-verified at least once a year); sites verified
closed are out. The queue orders what most needs a call first:

1. an open problem report about it, or :data:`SURFACE_AFTER` calls in a row with no answer (it needs
   another way: its website, a visit, a colleague's contact);
2. a provider's report that contradicts the record;
3. no phone listed;
4. the oldest services (``services_as_of``);
5. the oldest "last listed";

and a site someone called today without verifying it (no answer, a wrong number) goes to the end, so a
calling session moves on. Ties by name, then id: the order is the same for everyone working the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ..core.i18n import N_, _, ngettext, number
from ..core.normalize import norm_city, norm_county
from ..core.states import STATES
from ..live.availability import Availability
from ..pipeline.corrections import Correction
from ..search.selection import Selection
from .availability import contradictions
from .reports import Report, Resolution

#: A verification older than this is due again.
DUE_AFTER_DAYS = 365
#: Unanswered calls in a row (since the last verification) that move a site to the top.
SURFACE_AFTER = 3


@dataclass(frozen=True)
class Area:
    """Where a maintainer works: a state, county or city (each optional), and a type of care (a group
    of the code book, such as ``detox``)."""

    state: str = ""
    county: str = ""
    city: str = ""
    group: str = ""

    def selection(self, taxonomy) -> Selection:
        codes = taxonomy.group(self.group).codes if self.group else None
        return Selection(
            codes=codes,
            state=self.state.upper() or None,
            county=norm_county(self.county) or None,
            city=norm_city(self.city) or None,
        )

    def label(self) -> str:
        """The area in words: "Tampa, Hillsborough County, Florida" (or "the whole directory")."""
        parts = [self.city, f"{self.county} County" if self.county else "", STATES.get(self.state.upper(), "")]
        return ", ".join(p for p in parts if p) or _("the whole directory")


#: The columns a queue reads of every site in its area (stored text; a record is made only for the one
#: being worked).
QUEUE_FIELDS = (
    "facility_id",
    "name",
    "phone",
    "intake_phone",
    "street1",
    "city",
    "state",
    "zip",
    "county",
    "status",
    "verified_on",
    "services_as_of",
    "last_listed",
)


@dataclass(frozen=True)
class Due:
    """A site due a call (its :data:`QUEUE_FIELDS`), with what makes it due."""

    site: Mapping[str, str]
    open_reports: tuple[Report, ...] = ()
    contradictions: tuple[str, ...] = ()
    unanswered: int = 0
    called_today: bool = False

    @property
    def facility_id(self) -> str:
        return self.site["facility_id"]

    def key(self) -> tuple:
        s = self.site
        return (
            self.called_today,
            not (self.open_reports or self.unanswered >= SURFACE_AFTER),
            not self.contradictions,
            bool(s["phone"] or s["intake_phone"]),
            s["services_as_of"],
            s["last_listed"],
            s["name"].lower(),
            s["facility_id"],
        )


@dataclass(frozen=True)
class Queue:
    """The due sites of an area, in order, and their counts."""

    area: Area
    items: tuple[Due, ...]
    #: Sites in the area that are not closed (due or not).
    open_sites: int

    @property
    def with_reports(self) -> int:
        return sum(1 for d in self.items if d.open_reports)

    def summary(self) -> str:
        """ "Florida: 612 due, 38 with open reports"."""
        due = ngettext("{n} due", "{n} due", len(self.items)).format(n=number(len(self.items)))
        reports = ngettext("{n} with open reports", "{n} with open reports", self.with_reports).format(
            n=number(self.with_reports)
        )
        return f"{self.area.label()}: {due}, {reports}"

    def next_after(self, facility_id: str | None) -> Due | None:
        """The due site after ``facility_id`` (the record just worked) in the queue's order — the first when
        it is not in the queue, None when nothing else is due."""
        ids = [d.facility_id for d in self.items]
        start = ids.index(facility_id) + 1 if facility_id in ids else 0
        rest = [d for d in self.items[start:] + self.items[:start] if d.facility_id != facility_id]
        return rest[0] if rest else None

    def rows(self) -> list[list[object]]:
        """The queue as a calling sheet's rows (:data:`CSV_COLUMNS`), in order."""
        rows: list[list[object]] = []
        for rank, d in enumerate(self.items, 1):
            s = d.site
            rows.append(
                [rank, *(s[c] for c in CSV_COLUMNS[1:-3]), len(d.open_reports), d.unanswered, "; ".join(why(d))]
            )
        return rows


#: The calling sheet's columns: its rank, what the queue read of each site (but its status: a due site is
#: open), and why it is due.
CSV_COLUMNS = ("rank", *(f for f in QUEUE_FIELDS if f != "status"), "open_reports", "unanswered_calls", "why")

#: What a call confirms, in the order it is asked.
TO_CONFIRM = (
    N_("the phone number"),
    N_("the address"),
    N_("the services (detox, medication, outpatient, residential)"),
    N_("whether it is accepting new patients"),
    N_("the hours"),
)


def is_due(site: Mapping[str, str], today: date) -> bool:
    """Whether a site (its stored ``status`` and ``verified_on``) is due a verification call on ``today``."""
    if site.get("status") == "closed":
        return False
    verified = site.get("verified_on", "")[:10]
    return not verified or verified < (today - timedelta(days=DUE_AFTER_DAYS)).isoformat()


def attempts_since_verified(lines: Iterable[Correction]) -> dict[str, tuple[int, str]]:
    """Per site: calls with no answer since its last verification (undone lines left out), and the day of
    the last attempt of any kind."""
    lines = list(lines)
    undone = {c.undoes for c in lines if c.action == "undo"}
    found: dict[str, tuple[int, str]] = {}
    for c in lines:
        if c.action == "undo" or str(c.id) in undone:
            continue
        count, last = found.get(c.facility_id, (0, ""))
        if c.action == "attempt":
            found[c.facility_id] = (count + (c.field == "no_answer"), c.verified_on)
        else:  # any verified evidence starts the count again
            found[c.facility_id] = (0, last)
    return found


def build(
    store,
    area: Area,
    *,
    reports: Iterable[tuple[Report, Resolution | None]] = (),
    latest: Mapping[str, Availability] | None = None,
    lines: Iterable[Correction] = (),
    today: date | None = None,
) -> Queue:
    """The queue of ``area`` in ``store``: ``reports`` with their resolutions (:func:`.reports.review`),
    the providers' ``latest`` reports, the corrections' ``lines``."""
    today = today or date.today()
    ids, _ = store.select(area.selection(store.taxonomy))
    sites = store.fields(ids, QUEUE_FIELDS)
    open_by_site: dict[str, list[Report]] = {}
    for report, resolution in reports:
        if resolution is None:
            open_by_site.setdefault(report.facility_id, []).append(report)
    attempts = attempts_since_verified(lines)
    latest = latest or {}
    reported = {r.facility_id: r for r in store.facilities(sorted(set(ids) & set(latest)))}
    items = []
    open_sites = 0
    for site in sites:
        if site["status"] == "closed":
            continue
        open_sites += 1
        if not is_due(site, today):
            continue
        fid = site["facility_id"]
        unanswered, last_attempt = attempts.get(fid, (0, ""))
        against = tuple(contradictions(reported[fid], latest[fid], store.taxonomy)) if fid in reported else ()
        mine = tuple(open_by_site.get(fid, ()))
        items.append(Due(site, mine, against, unanswered, last_attempt == today.isoformat()))
    items.sort(key=Due.key)
    return Queue(area, tuple(items), open_sites)


def why(item: Due) -> list[str]:
    """What makes a site due, in words (the queue's list and its calling sheet)."""
    s = item.site
    found = [
        _("last verified {date}").format(date=s["verified_on"][:10])
        if s["verified_on"]
        else _("never verified by a maintainer")
    ]
    if item.open_reports:
        n = len(item.open_reports)
        found.append(ngettext("{n} open problem report", "{n} open problem reports", n).format(n=n))
    if item.contradictions:
        found.append(_("a provider's report contradicts the record"))
    if item.unanswered:
        n = item.unanswered
        found.append(ngettext("{n} call with no answer", "{n} calls with no answer", n).format(n=n))
    if not (s["phone"] or s["intake_phone"]):
        found.append(_("no phone listed"))
    if s["services_as_of"]:
        found.append(_("services as of {year}").format(year=s["services_as_of"][:4]))
    if s["last_listed"]:
        found.append(_("last listed {date}").format(date=s["last_listed"][:10]))
    return found

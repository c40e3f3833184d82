"""What maintainers review of providers' availability: which sites report (current or stale), which
links were never used, and which reports contradict the record — a level of care it does not list, a
note saying it no longer offers something, a report for a site verified closed. Those go to the review
queue beside problem reports."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from ..core.facility import Facility
from ..core.taxonomy import Taxonomy
from ..live.availability import Availability, current_days
from ..live.links import ProviderLink

_NO_LONGER = re.compile(r"\b(no longer|not any more|anymore|stopped|closed|closing)\b", re.IGNORECASE)


def contradictions(record: Facility, report: Availability, taxonomy: Taxonomy) -> list[str]:
    """How ``report`` contradicts ``record`` (empty when it does not).

    >>> from datetime import datetime, UTC
    >>> r = Availability("f1", datetime(2026, 12, 1, tzinfo=UTC), 1, note="We no longer offer detox.")
    >>> contradictions(Facility("f1", "Clinic", service_codes=frozenset({"op"})), r, Taxonomy.load())
    ['the note says something stopped: "We no longer offer detox."']
    """
    found = []
    if record.closed:
        found.append("a report for a site a maintainer verified closed")
    for beds in report.beds:
        if not (taxonomy.group(beds.level).codes & record.service_codes):
            found.append(f"beds reported for {beds.level}, which the record does not list")
    if report.note and _NO_LONGER.search(report.note):
        found.append(f'the note says something stopped: "{report.note}"')
    return found


def contradicting(store, latest: Mapping[str, Availability]) -> list[str]:
    """One line per site whose latest report contradicts its record (the review queue's, beside problem
    reports), newest first."""
    records = {r.facility_id: r for r in store.facilities(sorted(latest))}
    lines = []
    for fid, report in sorted(latest.items(), key=lambda kv: kv[1].received_at, reverse=True):
        if fid in records:
            when = f"{report.received_at:%Y-%m-%d %H:%M} UTC"
            for why in contradictions(records[fid], report, store.taxonomy):
                lines.append(f"{fid}\t{records[fid].name}\t{why} (report {report.report_id}, {when})")
    return lines


#: The heading of :func:`contradicting`'s lines wherever they are listed.
CONTRADICTING = "Reports that contradict the record (to review beside problem reports)"


def review(
    store,
    latest: Mapping[str, Availability],
    links: Iterable[ProviderLink],
    history: Iterable[Availability],
    now: datetime | None = None,
) -> dict[str, list[str]]:
    """The status maintainers read (``directory providers status``), by heading, each line one site or link."""
    now = now or datetime.now(UTC)
    records = {r.facility_id: r for r in store.facilities(sorted(latest))}
    current, stale = [], []
    for fid, report in sorted(latest.items(), key=lambda kv: kv[1].received_at, reverse=True):
        name = records[fid].name if fid in records else "(not in this directory)"
        when = f"{report.received_at:%Y-%m-%d %H:%M} UTC"
        (current if report.current(now) else stale).append(f"{fid}\t{name}\treported {when}")
    used = {r.link_id for r in history}
    never = [
        f"link {link.id}\t{link.facility_id}\t{link.contact}\tissued {link.created:%Y-%m-%d}"
        for link in links
        if link.id not in used and link.state(now) == "active"
    ]
    return {
        f"Sites with a current report (the last {current_days()} days)": current,
        "Sites whose last report is stale": stale,
        "Links never used": never,
        CONTRADICTING: contradicting(store, latest),
    }

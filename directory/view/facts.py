"""The facts that decide where to go, as a detail, a comparison and a list show them: what kind of
place it is, its hours, whether it takes new patients, its accessibility — each with the source and
date that state it — and a way to the current federal listing.

Only some sources state hours, "accepting new patients" and accessibility (Colorado's directory, in the
shipped data); everywhere else these read "not listed in the sources", never "no".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..facility import WEEKDAYS, Facility
from .text import findtreatment_url

#: Said for a fact the sources do not state — never "no".
NOT_LISTED = "not listed in the sources"
DAY_NAMES = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
ACCESSIBILITY_LABELS = {
    "wheelchair": "Wheelchair accessible",
    "deaf-hard-of-hearing": "Deaf or hard of hearing",
    "visually-impaired": "Visually impaired",
}
#: How a kind of listing is named to people (the locator's type; a facility says nothing extra).
KIND_LABELS = {"BUPREN": "Individual practitioner (prescribes buprenorphine)"}
WITHHELD = "Address withheld at the provider's request — call for the location. The map shows its ZIP area."


def kind_label(record: Facility) -> str:
    """``"Individual practitioner (prescribes buprenorphine)"`` for a locator BUPREN listing, else ''."""
    return KIND_LABELS.get(record.type_facility, "")


def hours_text(hours: tuple[tuple[str, str], ...]) -> str:
    """Opening hours in one line, days with the same hours together; :data:`NOT_LISTED` for none.

    >>> hours_text((("mon", "08:00-17:00"), ("tue", "08:00-17:00"), ("wed", "08:00-12:00")))
    'Mon–Tue 08:00–17:00; Wed 08:00–12:00 (other days not listed)'
    >>> hours_text(tuple((d, "00:00-24:00") for d in WEEKDAYS))
    'Mon–Sun open 24 hours'
    """
    if not hours:
        return NOT_LISTED
    runs: list[tuple[list[str], str]] = []
    previous = None
    for day, text in hours:
        adjacent = previous is not None and WEEKDAYS.index(day) == WEEKDAYS.index(previous) + 1
        if runs and runs[-1][1] == text and adjacent:
            runs[-1][0].append(day)
        else:
            runs.append(([day], text))
        previous = day
    parts = []
    for days, text in runs:
        span = DAY_NAMES[days[0]] + (f"–{DAY_NAMES[days[-1]]}" if len(days) > 1 else "")
        shown = "open 24 hours" if text == "00:00-24:00" else text.replace("-", "–")
        parts.append(f"{span} {shown}")
    missing = "" if len(hours) == len(WEEKDAYS) else " (other days not listed)"
    return "; ".join(parts) + missing


def accepting_text(accepting: bool | None) -> str:
    """'Yes', 'No', or :data:`NOT_LISTED`."""
    return NOT_LISTED if accepting is None else ("Yes" if accepting else "No")


def accessibility_text(accessibility: frozenset[str]) -> str:
    """The accessibility a source states, as labels; :data:`NOT_LISTED` for none."""
    labels = [ACCESSIBILITY_LABELS.get(a, a) for a in ACCESSIBILITY_LABELS if a in accessibility]
    return ", ".join(labels) if labels else NOT_LISTED


def stated_by(record: Facility) -> str:
    """Who states the hours, intake and accessibility, and when ("Colorado BHA provider directory, as of
    28 Jun 2022"); '' when no source does."""
    from ..manifest import source_label

    if not record.details_source:
        return ""
    name = source_label(record.details_source).rsplit(", ", 1)[0]
    when = record.details_as_of.strftime("%-d %b %Y") if record.details_as_of else "an unknown date"
    return f"{name}, as of {when}"


@dataclass(frozen=True)
class LiveListing:
    """The link to the current federal listing, and why it is offered."""

    text: str
    url: str


def live_listing(record: Facility, today: date | None = None) -> LiveListing:
    """FindTreatment.gov: the facility's own page when a source gave the locator's id for it, else the
    locator's search near its point — with why ("services as listed in 2015 — see the current federal
    listing")."""
    from .detail import stale_note

    as_of = record.services_as_of.isoformat() if record.services_as_of else ""
    why = stale_note(as_of, today).removesuffix(" — call to confirm.").removesuffix(" — call to confirm")
    page = "its page" if record.extra.get("locator_id") else "search near it"
    lead = f"{why} — " if why else ""
    return LiveListing(
        f"{lead}see the current federal listing on FindTreatment.gov ({page})",
        findtreatment_url(record.latitude or 0.0, record.longitude or 0.0, record.extra.get("locator_id", "")),
    )


def verified_text(record: Facility, today: date | None = None) -> str:
    """``"Verified by phone, Nov 2026"`` when a maintainer verified the record within the last 12 months;
    '' otherwise (an older verification is history, shown in the provenance only)."""
    from ..corrections import SHOWN_FOR_DAYS

    if record.verified_on is None or record.closed:
        return ""
    if ((today or date.today()) - record.verified_on).days > SHOWN_FOR_DAYS:
        return ""
    return f"Verified by {record.verified_by_method}, {record.verified_on.strftime('%b %Y')}"


#: Said under a closed site's name: where to turn instead.
CLOSED_HELP = "For other places, call SAMHSA's National Helpline, 1-800-662-4357 (free, confidential, 24/7)."


def closed_text(record: Facility) -> str:
    """``"Closed, as verified by phone on 30 Nov 2026"`` for a site a maintainer verified closed, else ''."""
    if not record.closed:
        return ""
    when = record.verified_on
    on = f" on {when.day} {when.strftime('%b %Y')}" if when else ""
    how = f" by {record.verified_by_method}" if record.verified_by_method else ""
    return f"Closed, as verified{how}{on}."


def corrected_label(record: Facility, field: str) -> str:
    """``" (verified by phone, Nov 2026)"`` for a field a maintainer corrected, else ''."""
    found = record.corrected_on(field)
    return f" (verified by {found[1]}, {found[0].strftime('%b %Y')})" if found else ""

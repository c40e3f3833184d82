"""The facts that decide where to go, as a detail, a comparison and a list show them: what kind of
place it is, its hours, whether it takes new patients, its accessibility — each with the source and
date that state it — and a way to the current federal listing.

Only some sources state hours, "accepting new patients" and accessibility (Colorado's directory, in the
shipped data); everywhere else these read "not listed in the sources", never "no".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..core.facility import ACCESSIBILITY_LABELS, DAY_NAMES, WEEKDAYS, Facility
from ..core.i18n import N_, _, day, month
from .text import findtreatment_url

#: Said for a fact the sources do not state — never "no" (translated where shown: ``_(NOT_LISTED)``).
NOT_LISTED = N_("not listed in the sources")
#: A record's services are "old" when their release is this many years before today.
STALE_AFTER_YEARS = 3
#: How a kind of listing is named to people (the locator's type; a facility says nothing extra).
KIND_LABELS = {"BUPREN": N_("Individual practitioner (prescribes buprenorphine)")}
WITHHELD = N_("Address withheld at the provider's request — call for the location. The map shows its ZIP area.")
#: How a maintainer verified a record, as it reads after "Verified" (correction ``verified_how`` values).
VERIFIED_HOW = {
    "phone": N_("by phone"),
    "website": N_("by website"),
    "visit": N_("by visit"),
    "provider": N_("by provider"),
}


def not_listed() -> str:
    """:data:`NOT_LISTED` in the current language."""
    return _(NOT_LISTED)


def how_verified(method: str) -> str:
    """``"by phone"``, in the current language ('' for no method)."""
    return _(VERIFIED_HOW[method]) if method in VERIFIED_HOW else method


def kind_label(record: Facility) -> str:
    """``"Individual practitioner (prescribes buprenorphine)"`` for a locator BUPREN listing, else ''."""
    found = KIND_LABELS.get(record.type_facility)
    return _(found) if found else ""


def hours_text(hours: tuple[tuple[str, str], ...]) -> str:
    """Opening hours in one line, days with the same hours together; :data:`NOT_LISTED` for none.

    >>> hours_text((("mon", "08:00-17:00"), ("tue", "08:00-17:00"), ("wed", "08:00-12:00")))
    'Mon–Tue 08:00–17:00; Wed 08:00–12:00 (other days not listed)'
    >>> hours_text(tuple((d, "00:00-24:00") for d in WEEKDAYS))
    'Mon–Sun open 24 hours'
    """
    if not hours:
        return not_listed()
    runs: list[tuple[list[str], str]] = []
    previous = None
    for weekday, text in hours:
        adjacent = previous is not None and WEEKDAYS.index(weekday) == WEEKDAYS.index(previous) + 1
        if runs and runs[-1][1] == text and adjacent:
            runs[-1][0].append(weekday)
        else:
            runs.append(([weekday], text))
        previous = weekday
    parts = []
    for days, text in runs:
        span = _(DAY_NAMES[days[0]]) + (f"–{_(DAY_NAMES[days[-1]])}" if len(days) > 1 else "")
        shown = _("open 24 hours") if text == "00:00-24:00" else text.replace("-", "–")
        parts.append(f"{span} {shown}")
    missing = "" if len(hours) == len(WEEKDAYS) else " " + _("(other days not listed)")
    return "; ".join(parts) + missing


def accepting_text(accepting: bool | None) -> str:
    """'Yes', 'No', or :data:`NOT_LISTED`."""
    return not_listed() if accepting is None else (_("Yes") if accepting else _("No"))


def accessibility_text(accessibility: frozenset[str]) -> str:
    """The accessibility a source states, as labels; :data:`NOT_LISTED` for none."""
    labels = [_(ACCESSIBILITY_LABELS[a]) for a in ACCESSIBILITY_LABELS if a in accessibility]
    return ", ".join(labels) if labels else not_listed()


def stated_by(record: Facility) -> str:
    """Who states the hours, intake and accessibility, and when ("Colorado BHA provider directory, as of
    28 Jun 2022"); '' when no source does."""
    from ..pipeline.manifest import source_label

    if not record.details_source:
        return ""
    name = source_label(record.details_source).rsplit(", ", 1)[0]
    if not record.details_as_of:
        return _("{source}, as of an unknown date").format(source=name)
    return _("{source}, as of {date}").format(source=name, date=day(record.details_as_of))


@dataclass(frozen=True)
class LiveListing:
    """The link to the current federal listing, and why it is offered."""

    text: str
    url: str


def live_listing(record: Facility, today: date | None = None) -> LiveListing:
    """FindTreatment.gov: the facility's own page when a source gave the locator's id for it, else the
    locator's search near its point — with why ("services as listed in 2015 — see the current federal
    listing")."""

    as_of = record.services_as_of.isoformat() if record.services_as_of else ""
    year = stale_year(as_of, today)
    page = _("its page") if record.extra.get("locator_id") else _("search near it")
    if year is None:
        text = _(
            "the date of these services is unknown — see the current federal listing on FindTreatment.gov ({page})"
        )
    elif year:
        text = _("services as listed in {year} — see the current federal listing on FindTreatment.gov ({page})")
    else:
        text = _("see the current federal listing on FindTreatment.gov ({page})")
    return LiveListing(
        text.format(year=year, page=page),
        findtreatment_url(record.latitude or 0.0, record.longitude or 0.0, record.extra.get("locator_id", "")),
    )


def verified_text(record: Facility, today: date | None = None) -> str:
    """``"Verified by phone, Nov 2026"`` when a maintainer verified the record within the last 12 months;
    '' otherwise (an older verification is history, shown in the provenance only)."""
    from ..pipeline.corrections import SHOWN_FOR_DAYS

    if record.verified_on is None or record.closed:
        return ""
    if ((today or date.today()) - record.verified_on).days > SHOWN_FOR_DAYS:
        return ""
    return _("Verified {how}, {month}").format(
        how=how_verified(record.verified_by_method), month=month(record.verified_on)
    )


#: Said under a closed site's name: where to turn instead.
CLOSED_HELP = N_("For other places, call SAMHSA's National Helpline, 1-800-662-4357 (free, confidential, 24/7).")


def closed_help() -> str:
    return _(CLOSED_HELP)


def closed_text(record: Facility) -> str:
    """``"Closed, as verified by phone on 30 Nov 2026."`` for a site a maintainer verified closed, else ''."""
    if not record.closed:
        return ""
    when = record.verified_on
    if when is None:
        return _("Closed, as a maintainer verified.")
    if not record.verified_by_method:
        return _("Closed, as verified on {date}.").format(date=day(when))
    return _("Closed, as verified {how} on {date}.").format(how=how_verified(record.verified_by_method), date=day(when))


def corrected_label(record: Facility, field: str) -> str:
    """``" (verified by phone, Nov 2026)"`` for a field a maintainer corrected, else ''."""
    found = record.corrected_on(field)
    if not found:
        return ""
    return " " + _("(verified {how}, {month})").format(how=how_verified(found[1]), month=month(found[0]))


def stale_year(services_as_of: str, today: date | None = None) -> int | None:
    """The year of a record's services when they are old (:data:`STALE_AFTER_YEARS`), 0 when they are
    recent, None when their date is unknown."""
    match = re.match(r"(\d{4})", services_as_of or "")
    if not match:
        return None
    year = int(match.group(1))
    return year if (today or date.today()).year - year >= STALE_AFTER_YEARS else 0

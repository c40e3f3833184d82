"""A provider's report as people read it: what it says, and how old it is ("reported 2 days ago"), in
the session's language. Current for 14 days (a setting); after that it reads "last reported 3 weeks
ago" and never as current. Every text is plain: renderers escape it."""

from __future__ import annotations

from datetime import UTC, datetime

from ..core.i18n import N_, _, ngettext, number
from ..core.taxonomy import Taxonomy
from ..live.availability import ACCEPTING_LABELS, Availability

#: Who states it: a provider's word is the provider's, never the directory's.
BY_PROVIDER = N_("reported by the provider")


def age(when: datetime, now: datetime | None = None) -> str:
    """How long ago, in words: "today", "yesterday", "3 days ago", "2 weeks ago", "4 months ago".

    >>> age(datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 6, 10, tzinfo=UTC))
    '5 days ago'
    """
    days = ((now or datetime.now(UTC)) - when).days
    if days <= 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    if days < 14:
        return ngettext("{n} day ago", "{n} days ago", days).format(n=number(days))
    if days < 60:
        weeks = days // 7
        return ngettext("{n} week ago", "{n} weeks ago", weeks).format(n=number(weeks))
    months = days // 30
    return ngettext("{n} month ago", "{n} months ago", months).format(n=number(months))


def facts(report: Availability, taxonomy: Taxonomy, *, note: bool = True) -> list[str]:
    """What the report says, one fact a line, in words (nothing it leaves unsaid; its note last, unless
    ``note`` is false)."""
    out = []
    if report.accepting_new_patients:
        line = _(ACCEPTING_LABELS[report.accepting_new_patients])
        if report.wait_days is not None:
            line += " — " + ngettext("about {n} day", "about {n} days", report.wait_days).format(
                n=number(report.wait_days)
            )
        out.append(line)
    for beds in report.beds:
        level = taxonomy.group(beds.level).label
        line = ngettext("{level}: {n} bed or slot open", "{level}: {n} beds or slots open", beds.available).format(
            level=level, n=number(beds.available)
        )
        if beds.maximum is not None:
            line += " " + _("(of {max})").format(max=number(beds.maximum))
        out.append(line)
    if report.same_day_intake is not None:
        said = _("Same-day or walk-in intake") if report.same_day_intake else _("No same-day intake")
        out.append(said + (f": {report.intake_hours}" if report.intake_hours else ""))
    elif report.intake_hours:
        out.append(_("Intake hours: {hours}").format(hours=report.intake_hours))
    if report.same_day_buprenorphine is not None:
        out.append(
            _("Same-day buprenorphine start") if report.same_day_buprenorphine else _("No same-day buprenorphine start")
        )
    if note and report.note:
        out.append(_("Note: {note}").format(note=report.note))
    return out


def dated(report: Availability, now: datetime | None = None) -> str:
    """Its age and who said it: "reported 2 days ago by the provider" / "last reported 3 weeks ago by
    the provider — no longer current"."""
    if report.current(now):
        return _("reported {age} by the provider").format(age=age(report.received_at, now))
    return _("last reported {age} by the provider — no longer current").format(age=age(report.received_at, now))


def summary(report: Availability | None, taxonomy: Taxonomy, now: datetime | None = None) -> str:
    """One line for a list row, a tooltip or a comparison cell: "Waitlist — about 10 days · Detox: 2
    beds or slots open · reported 2 days ago by the provider"; '' when there is no report."""
    if report is None:
        return ""
    return " · ".join([*facts(report, taxonomy, note=False)[:2], dated(report, now)])

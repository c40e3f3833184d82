"""The detail of one facility, as the detail view and the printed list show it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from ..core.crisis import HELPLINE_NUMBER, HELPLINE_TEL, helpline_name
from ..core.facility import Facility
from ..core.i18n import N_, _, month
from ..core.taxonomy import Taxonomy
from ..live.availability import Availability
from . import availability as said_by_provider
from .facts import (
    WITHHELD,
    LiveListing,
    accepting_text,
    accessibility_text,
    closed_text,
    corrected_label,
    hours_text,
    how_verified,
    kind_label,
    live_listing,
    not_listed,
    stale_year,
    stated_by,
    verified_text,
)
from .quality import NO_PAYMENT, licence_text, older_phones, point_note, signs
from .text import directions_url, md_escape, md_link, tel_url, website_url


@dataclass
class FacilityDetail:
    """A facility as the detail view and the printed list show it. All text is raw:
    renderers escape it."""

    facility_id: str
    name: str
    program: str
    address_lines: list[str]
    phone: str
    phone_url: str | None
    intake_phone: str
    intake_phone_url: str | None
    website: str | None
    directions: str
    latitude: float
    longitude: float
    #: Category name → service labels, in code-book order.
    services: dict[str, list[str]]
    types: list[str]
    accreditation: list[str]
    payment: list[str]
    populations: list[str]
    sources: list[str]
    source_date: str
    services_as_of: str
    stale_note: str
    distance_miles: float | None = None
    #: "State licence 191198AP, expires 2027-10-31; capacity 6" when a licence list knows the site.
    licence: str = ""
    #: The vintage of the newest source listing the site (ISO date; '' when unknown).
    last_listed: str = ""
    #: Said when no source gives a street address (a name-and-point listing): what the address lines are.
    address_note: str = ""
    #: The vintage of an older source the phone numbers come from ('' when from the record's own source).
    phone_as_of: str = ""
    #: "Individual practitioner (prescribes buprenorphine)" for a locator BUPREN listing, else ''.
    kind: str = ""
    #: Opening hours, "accepting new patients" and accessibility in words (:data:`NOT_LISTED` when absent).
    hours: str = ""
    accepting: str = ""
    accessibility: str = ""
    #: Who states those three, and when ('' when no source does).
    stated_by: str = ""
    #: The provider asked that its street address not be shown (none is kept).
    address_withheld: bool = False
    #: The link to the current federal listing, with why it is offered.
    live: LiveListing | None = None
    #: The provider's latest report, one fact a line, then its age and who sent it (empty when none).
    availability: list[str] = field(default_factory=list)
    #: Signs of quality a person can check, each with its source and date (:mod:`.quality`).
    quality: list[str] = field(default_factory=list)
    #: Other numbers older sources gave, with their source and date: "813-555-0100 (N-SSATS …, Mar 2015)".
    older_phones: list[str] = field(default_factory=list)
    #: How the map point was found when no source gives one ("Map point: the centre of ZIP 33602 …").
    point_note: str = ""
    #: The language groups its codes name (Spanish …).
    languages: list[str] = field(default_factory=list)
    #: Service label → what the code book says it means (the help a person reads under the services).
    descriptions: dict[str, str] = field(default_factory=dict)
    #: "Closed, as verified by phone on 30 Nov 2026." for a site a maintainer verified closed, else ''.
    closed: str = ""
    #: "Verified by phone, Nov 2026" when a maintainer verified it in the last 12 months, else ''.
    verified: str = ""
    #: When and how a maintainer last verified it (ISO date and a ``verified_how`` value; '' when never).
    verified_on: str = ""
    verified_how: str = ""
    #: How the phone and the intake phone are dated, when not by the record's own source: a maintainer's
    #: correction (" (verified by phone, Nov 2026)") or an older source (" (as listed in 2015)").
    phone_dated: str = ""
    intake_dated: str = ""

    @classmethod
    def from_record(
        cls,
        record: Facility | Mapping[str, object],
        taxonomy: Taxonomy,
        *,
        today: date | None = None,
        distance_miles: float | None = None,
        availability: Availability | None = None,
    ) -> FacilityDetail:
        """The detail of a :class:`~directory.core.facility.Facility` (or of a storage row, whose
        ``distance_miles`` is kept)."""
        if not isinstance(record, Facility):
            distance = str(record.get("distance_miles", "") or "")
            if distance and distance != "nan" and distance_miles is None:
                distance_miles = float(distance)
            record = Facility.from_row(record)
        f = record
        by_category: dict[str, list[str]] = {}
        descriptions: dict[str, str] = {}
        order = list(taxonomy.categories().values())
        for code in sorted(f.service_codes):
            service = taxonomy.get(code)
            if not service.known:
                continue
            by_category.setdefault(service.category, []).append(service.label)
            if service.description:
                descriptions[service.label] = service.description
        services = {
            c: sorted(set(by_category[c]), key=str.lower)
            for c in sorted(by_category, key=lambda c: order.index(c) if c in order else len(order))
        }
        code_set = f.service_codes

        def groups(family: str) -> list[str]:
            return [g.label for g in taxonomy.groups_in(family) if g.codes & code_set]

        street = ", ".join(p for p in (f.street1, f.street2) if p)
        town = f"{f.city}, {f.state} {f.zip}".strip(", ")
        address_note = ""
        if f.address_withheld:
            address_note = _(WITHHELD)
        elif not street:
            from ..pipeline.manifest import source_kind

            found = source_kind(f.source) == "listing"
            address_note = (
                _(
                    "Street address and phone not in the sources (a name and a map point only); "
                    "the town and ZIP are the nearest to that point."
                )
                if found
                else _("Street address not in the sources.")
            )
        lat, lon = float(f.latitude or 0.0), float(f.longitude or 0.0)
        as_of = f.services_as_of.isoformat() if f.services_as_of else ""
        return cls(
            facility_id=f.facility_id,
            name=f.name,
            program=f.name2,
            address_lines=[line for line in (street, town) if line],
            phone=f.phone,
            phone_url=tel_url(f.phone),
            intake_phone=f.intake_phone,
            intake_phone_url=tel_url(f.intake_phone),
            website=website_url(f.website),
            directions=directions_url(lat, lon),
            latitude=lat,
            longitude=lon,
            services=services,
            types=[g.label for g in taxonomy.groups_in("service") if g.codes & code_set] + groups("medication"),
            accreditation=groups("accreditation"),
            payment=groups("payment"),
            populations=groups("population"),
            sources=list(f.sources) or ([f.source] if f.source else []),
            source_date=f.source_date.isoformat() if f.source_date else "",
            services_as_of=as_of,
            stale_note=stale_note(as_of, today),
            distance_miles=distance_miles,
            licence=licence_text(f.extra),
            last_listed=f.last_listed.isoformat() if f.last_listed else "",
            address_note=address_note,
            phone_as_of=f.extra.get("phone_as_of", ""),
            kind=kind_label(f),
            hours=hours_text(f.hours),
            accepting=accepting_text(f.accepting_new_patients),
            accessibility=accessibility_text(f.accessibility),
            stated_by=stated_by(f),
            address_withheld=f.address_withheld,
            live=live_listing(f, today),
            languages=groups("language"),
            quality=signs(f, taxonomy),
            availability=[*said_by_provider.facts(availability, taxonomy), said_by_provider.dated(availability)]
            if availability
            else [],
            older_phones=older_phones(f),
            point_note=point_note(f),
            descriptions=dict(sorted(descriptions.items(), key=lambda kv: kv[0].lower())),
            closed=closed_text(f),
            verified=verified_text(f, today),
            verified_on=f.verified_on.isoformat() if f.verified_on else "",
            verified_how=f.verified_by_method,
            phone_dated=_dated(f, "phone"),
            intake_dated=_dated(f, "intake_phone"),
        )


NO_PHONE = N_("No phone in the sources")


def helpline() -> tuple[str, str, str]:
    """Who to call when the sources give a facility no phone: (name, what to dial, link)."""
    return helpline_name(), _("{number} (free, 24/7)").format(number=HELPLINE_NUMBER), HELPLINE_TEL


def contacts(detail: FacilityDetail) -> list[tuple[str, str, str | None]]:
    """The detail's contact lines as (label, text, link): phone, intake (when it differs), website,
    directions. A number an older source gave says its year ("Phone (as listed in 2015)"). Without a
    phone in the sources, the national helpline (so every result offers a way to reach someone). A site
    verified closed offers the helpline first, and its old numbers as text, not as a call to make."""
    lines: list[tuple[str, str, str | None]] = []
    if detail.closed:
        lines.append(helpline())
        if detail.phone:
            lines.append((_("Phone before it closed"), detail.phone, None))
        if detail.intake_phone and detail.intake_phone != detail.phone:
            lines.append((_("Intake before it closed"), detail.intake_phone, None))
        if detail.live is not None:
            lines.append(("", detail.live.text[:1].upper() + detail.live.text[1:], detail.live.url))
        return lines
    if detail.phone:
        lines.append((_("Phone") + detail.phone_dated, detail.phone, detail.phone_url))
    if detail.intake_phone and detail.intake_phone != detail.phone:
        lines.append((_("Intake") + detail.intake_dated, detail.intake_phone, detail.intake_phone_url))
    if not lines:
        name, dial, link = helpline()
        lines.append((f"{_(NO_PHONE)}; {name}", dial, link))
    if detail.website:
        lines.append((_("Website"), detail.website, detail.website))
    lines.append(("", _("Directions (OpenStreetMap)"), detail.directions))
    if detail.live is not None:
        lines.append(("", detail.live.text[:1].upper() + detail.live.text[1:], detail.live.url))
    return lines


def highlights(detail: FacilityDetail) -> list[tuple[str, list[str]]]:
    """The headline facts: treatment, accreditation, payment, populations, languages, hours, accepting new
    patients and accessibility; a fact the sources do not state reads as :data:`NOT_LISTED`."""
    return [
        (heading, values or [not_listed()])
        for heading, values in (
            (_("Treatment"), detail.types),
            (_("Accreditation"), detail.accreditation),
            (_("Payment"), detail.payment),
            (_("Populations"), detail.populations),
            (_("Languages"), detail.languages),
            (_("Hours"), [detail.hours or not_listed()]),
            # With a provider's report, the sources' silence is not the last word: the report above says.
            (
                _("Accepting new patients"),
                [
                    _("see the provider's report above")
                    if detail.availability and detail.accepting in ("", not_listed())
                    else detail.accepting or not_listed()
                ],
            ),
            (_("Accessibility"), [detail.accessibility or not_listed()]),
        )
    ]


def provenance(detail: FacilityDetail) -> str:
    """Where the record comes from and how old it is, in one sentence (sources by readable name)."""
    from ..pipeline.manifest import source_label

    names = "; ".join(source_label(s) for s in detail.sources)
    unknown = _("unknown")
    return _(
        "Source: {sources}; record as of {record}; services as of {services}; last listed {listed}. Facility id {id}."
    ).format(
        sources=names,
        record=detail.source_date or unknown,
        services=detail.services_as_of or unknown,
        listed=detail.last_listed or unknown,
        id=detail.facility_id,
    )


def sources_text(detail: FacilityDetail) -> str:
    """The sources by readable name, with their dates ("N-SSATS national directory, Mar 2015; …")."""
    from ..pipeline.manifest import source_label

    return "; ".join(source_label(s) for s in detail.sources)


@dataclass(frozen=True)
class DetailMarkdown:
    """A detail as a few blocks of escaped Markdown, each drawn as one element: the heading (name and
    program), the address, the contact lines with the headline facts and the licence, and every service
    by category. Few elements make a selection quicker to draw (about 40 ms of 280 in Chromium)."""

    heading: str
    address: str
    contact: str
    services: str
    #: What each listed service means, in the code book's words ('' when it describes none).
    glossary: str = ""

    @property
    def services_and_glossary(self) -> str:
        """The services, then what they mean, as one block (one element draws quicker than three)."""
        if not self.glossary:
            return self.services
        title = md_escape(_("What these services mean (SAMHSA's code book):"))
        return f"{self.services}\n\n---\n\n*{title}*\n\n{self.glossary}"


def detail_markdown(detail: FacilityDetail) -> DetailMarkdown:
    """The blocks of :class:`DetailMarkdown`; every text from the data is escaped, and the only links
    are those of :func:`contacts` (``tel:``, the validated website, directions)."""
    heading = f"### {md_escape(detail.name)}" + (f"\n\n*{md_escape(detail.program)}*" if detail.program else "")
    if detail.kind:
        heading += f"\n\n**{md_escape(detail.kind)}**"
    lines = [(f"{md_escape(label)}: " if label else "") + md_link(text, link) for label, text, link in contacts(detail)]
    facts = [
        f"**{md_escape(name)}:** " + ", ".join(md_escape(v) for v in values) for name, values in highlights(detail)
    ]
    contact = "  \n".join(lines) + "\n\n" + "  \n".join(facts)
    if detail.availability:  # the provider's word, with its age: first among the facts that decide
        *said, when = detail.availability
        said_heading = md_escape(_("Availability ({when})").format(when=when))
        contact = (
            "  \n".join(lines)
            + f"\n\n**{said_heading}:**  \n"
            + "  \n".join(md_escape(x) for x in said)
            + "\n\n"
            + "  \n".join(facts)
        )
    if detail.stated_by:
        contact += "\n\n" + md_escape(
            _("Hours, new patients and accessibility as stated by {source}.").format(source=detail.stated_by)
        )
    if detail.older_phones:
        contact += "\n\n" + md_escape(
            _("Other numbers older sources gave: {numbers}").format(numbers="; ".join(detail.older_phones))
        )
    quality = [md_escape(line) for line in detail.quality] or [md_escape(not_listed())]
    signs_heading = md_escape(_("Signs of quality a person can check"))
    contact += (
        f"\n\n**{signs_heading}:**  \n"
        + "  \n".join(f"• {line}" for line in quality)
        + f"  \n*{md_escape(_(NO_PAYMENT))}*"
    )
    services = "\n\n".join(
        f"**{md_escape(category)}**  \n" + ", ".join(md_escape(v) for v in labels)
        for category, labels in detail.services.items()
    )
    glossary = "\n\n".join(f"**{md_escape(label)}**: {md_escape(text)}" for label, text in detail.descriptions.items())
    return DetailMarkdown(
        heading,
        "  \n".join(md_escape(line) for line in detail.address_lines)
        + (f"  \n*{md_escape(detail.point_note)}*" if detail.point_note else ""),
        contact,
        services or md_escape(_("Services: {what}").format(what=not_listed())),
        glossary,
    )


def listing_note(detail: FacilityDetail) -> tuple[str, bool]:
    """When a source last listed the site, in words, and whether that is a warning: listed before the
    date default searches start at (the registry's ``listed_since``), the same line every front end
    draws between current and older listings.

    >>> d = FacilityDetail.__new__(FacilityDetail); d.last_listed = "2015-03-31"; d.sources = ["nssats-2015"]
    >>> print(*listing_note(d))  # doctest: +NORMALIZE_WHITESPACE
    No source has listed this facility since 2015 (N-SSATS national directory, Mar 2015): it may have closed —
    call before going. True
    >>> d.verified, d.verified_on, d.verified_how = "Verified by phone, Dec 2026", "2026-12-03", "phone"
    >>> print(*listing_note(d))  # doctest: +NORMALIZE_WHITESPACE
    No source has listed this facility since 2015 (N-SSATS national directory, Mar 2015); a maintainer
    verified it by phone, Dec 2026. False
    >>> d.last_listed, d.sources = "2021-07-28", ["sut-2021"]
    >>> listing_note(d)
    ('Last listed by SAMHSA treatment locator list, Jul 2021.', False)
    """
    from ..core.filters import by_param
    from ..pipeline.manifest import source_label

    if not detail.last_listed:
        return _("When a source last listed this facility is unknown — call before going."), True
    when = date.fromisoformat(detail.last_listed)
    label = source_label(detail.sources[0]) if detail.sources else ""
    by = f" ({label})" if label else ""
    if when < by_param("listed_since").default and detail.verified and not detail.closed:
        return _(
            "No source has listed this facility since {year}{by}; a maintainer verified it {how}, {month}."
        ).format(
            year=when.year,
            by=by,
            how=how_verified(detail.verified_how),
            month=month(date.fromisoformat(detail.verified_on)),
        ), False
    if when < by_param("listed_since").default:
        return (
            _("No source has listed this facility since {year}{by}: it may have closed — call before going.").format(
                year=when.year, by=by
            ),
            True,
        )
    if label:
        return _("Last listed by {source}.").format(source=label), False
    return _("Last listed {month}.").format(month=month(when)), False


def _dated(record: Facility, field_name: str) -> str:
    """How a phone field is dated: by a maintainer's correction, else by the older source it came from."""
    corrected = corrected_label(record, field_name)
    if corrected:
        return corrected
    as_of = record.extra.get("phone_as_of", "")
    return " " + _("(as listed in {year})").format(year=as_of[:4]) if as_of else ""


def stale_note(services_as_of: str, today: date | None = None) -> str:
    """A warning when a record's services come from an old release.

    >>> stale_note("2015-03-31", date(2026, 11, 26))
    'Services as listed in 2015 — call to confirm.'
    >>> stale_note("2025-06-01", date(2026, 11, 26))
    ''
    """
    year = stale_year(services_as_of, today)
    if year is None:
        return _("The date of these services is unknown — call to confirm.")
    if year:
        return _("Services as listed in {year} — call to confirm.").format(year=year)
    return ""

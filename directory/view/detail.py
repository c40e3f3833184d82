"""The detail of one facility, as the detail view and the printed list show it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from ..crisis import HELPLINE_NAME, HELPLINE_NUMBER, HELPLINE_TEL
from ..facility import Facility
from ..taxonomy import Taxonomy
from .facts import (
    NOT_LISTED,
    WITHHELD,
    LiveListing,
    accepting_text,
    accessibility_text,
    closed_text,
    corrected_label,
    hours_text,
    kind_label,
    live_listing,
    stated_by,
    verified_text,
)
from .text import directions_url, md_escape, md_link, tel_url, website_url

#: A record's services are "old" when their release is this many years before today.
STALE_AFTER_YEARS = 3


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
    hours: str = NOT_LISTED
    accepting: str = NOT_LISTED
    accessibility: str = NOT_LISTED
    #: Who states those three, and when ('' when no source does).
    stated_by: str = ""
    #: The provider asked that its street address not be shown (none is kept).
    address_withheld: bool = False
    #: The link to the current federal listing, with why it is offered.
    live: LiveListing | None = None
    #: The language groups its codes name (Spanish …).
    languages: list[str] = field(default_factory=list)
    #: Service label → what the code book says it means (the help a person reads under the services).
    descriptions: dict[str, str] = field(default_factory=dict)
    #: "Closed, as verified by phone on 30 Nov 2026." for a site a maintainer verified closed, else ''.
    closed: str = ""
    #: "Verified by phone, Nov 2026" when a maintainer verified it in the last 12 months, else ''.
    verified: str = ""
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
    ) -> FacilityDetail:
        """The detail of a :class:`~directory.facility.Facility` (or of a storage row, whose
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
            address_note = WITHHELD
        elif not street:
            from ..manifest import source_kind

            found = source_kind(f.source) == "listing"
            address_note = (
                "Street address and phone not in the sources (a name and a map point only); "
                "the town and ZIP are the nearest to that point."
                if found
                else "Street address not in the sources."
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
            licence=_licence(f.extra),
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
            descriptions=dict(sorted(descriptions.items(), key=lambda kv: kv[0].lower())),
            closed=closed_text(f),
            verified=verified_text(f, today),
            phone_dated=_dated(f, "phone"),
            intake_dated=_dated(f, "intake_phone"),
        )


#: Who to call when the sources give a facility no phone.
HELPLINE = (HELPLINE_NAME, HELPLINE_NUMBER, HELPLINE_TEL)
NO_PHONE = "No phone in the sources"


def contacts(detail: FacilityDetail) -> list[tuple[str, str, str | None]]:
    """The detail's contact lines as (label, text, link): phone, intake (when it differs), website,
    directions. A number an older source gave says its year ("Phone (as listed in 2015)"). Without a
    phone in the sources, the national helpline (so every result offers a way to reach someone). A site
    verified closed offers the helpline first, and its old numbers as text, not as a call to make."""
    lines: list[tuple[str, str, str | None]] = []
    if detail.closed:
        lines.append((HELPLINE[0], f"{HELPLINE[1]} (free, 24/7)", HELPLINE[2]))
        for label, number in (("Phone", detail.phone), ("Intake", detail.intake_phone)):
            if number and (label == "Phone" or number != detail.phone):
                lines.append((f"{label} before it closed", number, None))
        if detail.live is not None:
            lines.append(("", detail.live.text[:1].upper() + detail.live.text[1:], detail.live.url))
        return lines
    if detail.phone:
        lines.append((f"Phone{detail.phone_dated}", detail.phone, detail.phone_url))
    if detail.intake_phone and detail.intake_phone != detail.phone:
        lines.append((f"Intake{detail.intake_dated}", detail.intake_phone, detail.intake_phone_url))
    if not lines:
        lines.append((f"{NO_PHONE}; {HELPLINE[0]}", f"{HELPLINE[1]} (free, 24/7)", HELPLINE[2]))
    if detail.website:
        lines.append(("Website", detail.website, detail.website))
    lines.append(("", "Directions (OpenStreetMap)", detail.directions))
    if detail.live is not None:
        lines.append(("", detail.live.text[:1].upper() + detail.live.text[1:], detail.live.url))
    return lines


def highlights(detail: FacilityDetail) -> list[tuple[str, list[str]]]:
    """The headline facts: treatment, accreditation, payment, populations, languages, hours, accepting new
    patients and accessibility; a fact the sources do not state reads as :data:`NOT_LISTED`."""
    return [
        (heading, values or [NOT_LISTED])
        for heading, values in (
            ("Treatment", detail.types),
            ("Accreditation", detail.accreditation),
            ("Payment", detail.payment),
            ("Populations", detail.populations),
            ("Languages", detail.languages),
            ("Hours", [detail.hours]),
            ("Accepting new patients", [detail.accepting]),
            ("Accessibility", [detail.accessibility]),
        )
    ]


def provenance(detail: FacilityDetail) -> str:
    """Where the record comes from and how old it is, in one sentence (sources by readable name)."""
    from ..manifest import source_label

    names = "; ".join(source_label(s) for s in detail.sources)
    return (
        f"Source: {names}; record as of {detail.source_date}; "
        f"services as of {detail.services_as_of or 'unknown'}; last listed {detail.last_listed or 'unknown'}. "
        f"Facility id {detail.facility_id}."
    )


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
        return f"{self.services}\n\n---\n\n*What these services mean (SAMHSA's code book):*\n\n{self.glossary}"


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
    if detail.stated_by:
        contact += "\n\n" + md_escape(f"Hours, new patients and accessibility as stated by {detail.stated_by}.")
    if detail.licence:
        contact += "\n\n" + md_escape(detail.licence)
    services = "\n\n".join(
        f"**{md_escape(category)}**  \n" + ", ".join(md_escape(v) for v in labels)
        for category, labels in detail.services.items()
    )
    glossary = "\n\n".join(f"**{md_escape(label)}**: {md_escape(text)}" for label, text in detail.descriptions.items())
    return DetailMarkdown(
        heading,
        "  \n".join(md_escape(line) for line in detail.address_lines),
        contact,
        services or md_escape(f"Services: {NOT_LISTED}"),
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
    >>> d.verified = "Verified by phone, Dec 2026"; print(*listing_note(d))  # doctest: +NORMALIZE_WHITESPACE
    No source has listed this facility since 2015 (N-SSATS national directory, Mar 2015); a maintainer
    verified it by phone, Dec 2026. False
    >>> d.last_listed, d.sources = "2021-07-28", ["sut-2021"]
    >>> listing_note(d)
    ('Last listed by SAMHSA treatment locator list, Jul 2021.', False)
    """
    from ..filters import by_param
    from ..manifest import source_label

    if not detail.last_listed:
        return "When a source last listed this facility is unknown — call before going.", True
    when = date.fromisoformat(detail.last_listed)
    label = source_label(detail.sources[0]) if detail.sources else ""
    by = f" ({label})" if label else ""
    if when < by_param("listed_since").default and detail.verified and not detail.closed:
        how = detail.verified.removeprefix("Verified ")
        return f"No source has listed this facility since {when.year}{by}; a maintainer verified it {how}.", False
    if when < by_param("listed_since").default:
        return (
            f"No source has listed this facility since {when.year}{by}: it may have closed — call before going.",
            True,
        )
    return (f"Last listed by {label}." if label else f"Last listed {when.strftime('%b %Y')}."), False


def _dated(record: Facility, field_name: str) -> str:
    """How a phone field is dated: by a maintainer's correction, else by the older source it came from."""
    corrected = corrected_label(record, field_name)
    if corrected:
        return corrected
    as_of = record.extra.get("phone_as_of", "")
    return f" (as listed in {as_of[:4]})" if as_of else ""


def _licence(text: Mapping[str, str]) -> str:
    number = text.get("license_number", "")
    if not number:
        return ""
    parts = [f"State licence {number}"]
    if text.get("license_expiration"):
        parts[0] += f", expires {text['license_expiration']}"
    if text.get("capacity") and text["capacity"] != "0":
        parts.append(f"capacity {text['capacity']}")
    return "; ".join(parts)


def stale_note(services_as_of: str, today: date | None = None) -> str:
    """A warning when a record's services come from an old release.

    >>> stale_note("2015-03-31", date(2026, 11, 26))
    'Services as listed in 2015 — call to confirm.'
    >>> stale_note("2025-06-01", date(2026, 11, 26))
    ''
    """
    match = re.match(r"(\d{4})", services_as_of or "")
    if not match:
        return "The date of these services is unknown — call to confirm."
    year = int(match.group(1))
    if (today or date.today()).year - year >= STALE_AFTER_YEARS:
        return f"Services as listed in {year} — call to confirm."
    return ""

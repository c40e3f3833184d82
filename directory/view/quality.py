"""Signs of quality a person can check: only what a public source states, each with that source and
its date — SAMHSA's certification of an opioid treatment program, accreditation by body, a state
licence, Medicare enrollment. No stars, no score, no "vetted" badge: the directory rates no one, and
takes no payment for listing or placement.

Which source is the register of what is data (the manifest's ``certifies``), as is which source lists
each accreditation code (the build's ``accreditation_sources``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..core.facility import Facility
from ..core.i18n import N_, _, month
from ..core.taxonomy import Taxonomy

#: Said under the signs, wherever they are shown (translated where shown).
NO_PAYMENT = N_(
    "Only what public sources state, with their dates. This directory rates no one and takes no payment "
    "for listing or placement."
)
#: The codes whose listing is an accreditation by a named body (the rest of the build's quality codes
#: are state licensing and SAMHSA's OTP certification as a survey states them).
ACCREDITORS = ("jc", "carf", "ncqa", "coa", "hfap")
STATE_AGENCIES = ("stag", "stmh", "stdh", "hla")


def _label(source_id: str) -> str:
    from ..pipeline.manifest import source_label

    return source_label(source_id)


def _month(text: str) -> str:
    try:
        return month(dt.date.fromisoformat(text[:10]))
    except ValueError:
        return ""


def stated_codes(record: Facility) -> dict[str, str]:
    """Code → the source that lists it, for the codes the build records (``accreditation_sources``)."""
    found = {}
    for part in record.extra.get("accreditation_sources", "").split(";"):
        bits = part.split()
        if len(bits) >= 2:
            found[bits[0]] = bits[1]
    return found


def otp_sign(record: Facility) -> str:
    """The OTP line: certified or provisionally certified in SAMHSA's newest OTP directory, or (a site
    older sources list as an OTP) absent from it; '' for a site no source calls an OTP."""
    from ..pipeline.manifest import register_of

    status = record.extra.get("otp_certification", "").strip().lower()
    directory = record.extra.get("otp_directory", "")
    register = register_of("otp")
    when = _month(register.vintage) if register else ""
    if directory:
        when = _label(directory).rpartition(", ")[2] or when
    if status == "certified":
        first = _month(record.extra.get("otp_first_certified", ""))
        if first:
            return _(
                "Certified opioid treatment program (SAMHSA, first certified {first}; OTP directory of {when})"
            ).format(first=first, when=when)
        return _("Certified opioid treatment program (SAMHSA OTP directory of {when})").format(when=when)
    if status == "provisional":
        return _("Provisionally certified opioid treatment program (SAMHSA OTP directory of {when})").format(when=when)
    if "otp" in record.service_codes and register is not None:
        by = stated_codes(record).get("otp")
        if by:
            return _(
                "Listed as an opioid treatment program by {source}; not in SAMHSA's OTP directory of {when}"
            ).format(source=_label(by), when=when)
        return _("Not in SAMHSA's OTP directory of {when}").format(when=when)
    return ""


def signs(record: Facility, taxonomy: Taxonomy) -> list[str]:
    """Every sign of quality the sources state for ``record``, in words, each with its source and date.
    Empty when they state none (shown as "not listed in the sources")."""
    from ..pipeline.manifest import source_entry

    out: list[str] = []
    otp = otp_sign(record)
    if otp:
        out.append(otp)
    by = stated_codes(record)
    for code in ACCREDITORS:
        if code in record.service_codes:
            body = taxonomy.get(code).label
            source = _label(by[code]) if code in by else ""
            out.append(
                _("Accredited by {body} (as listed in {source})").format(body=body, source=source)
                if source
                else _("Accredited by {body}").format(body=body)
            )
    certified = record.extra.get("otp_certification", "").strip().lower() in ("certified", "provisional")
    if "sotp" in record.service_codes and not certified:
        source = _label(by["sotp"]) if "sotp" in by else ""
        out.append(
            _("SAMHSA certification as an opioid treatment program (as listed in {source})").format(source=source)
        )
    agencies = [taxonomy.get(c).label for c in STATE_AGENCIES if c in record.service_codes]
    if agencies:
        first = next(c for c in STATE_AGENCIES if c in record.service_codes)
        source = _label(by[first]) if first in by else ""
        out.append(
            _("Licensed or certified by: {agencies} (as listed in {source})").format(
                agencies="; ".join(agencies), source=source
            )
        )
    for source_id in record.sources:
        entry = source_entry(source_id)
        if entry is None:
            continue
        if entry.certifies == "state-licence":
            licence = licence_text(record.extra)
            out.append(
                f"{licence} ({_label(source_id)})"
                if licence
                else _("On the state's licensed-provider list ({source})").format(source=_label(source_id))
            )
        elif entry.certifies == "medicare-otp":
            since = _month(record.extra.get("medicare_enrolled_since", ""))
            out.append(
                _("Enrolled in Medicare as an opioid treatment program since {since} ({source})").format(
                    since=since, source=_label(source_id)
                )
                if since
                else _("Enrolled in Medicare as an opioid treatment program ({source})").format(
                    source=_label(source_id)
                )
            )
    return out


def licence_text(text: Mapping[str, str]) -> str:
    """A licence list's facts about a site: "State licence 191198AP, expires 2027-10-31; capacity 6"."""
    number = text.get("license_number", "")
    if not number:
        return ""
    if text.get("license_expiration"):
        parts = [_("State licence {number}, expires {date}").format(number=number, date=text["license_expiration"])]
    else:
        parts = [_("State licence {number}").format(number=number)]
    if text.get("capacity") and text["capacity"] != "0":
        parts.append(_("capacity {n}").format(n=text["capacity"]))
    return "; ".join(parts)


def older_phones(record: Facility) -> list[str]:
    """Numbers older sources gave that differ from the one shown, each with its source and date (the
    build's ``older_phones``): "813-555-0100 (N-SSATS national directory, Mar 2015)"."""
    out = []
    for part in record.extra.get("older_phones", "").split(";"):
        bits = part.split()  # "813-555-0100 [x12] nssats-2015 2015-03-31"
        if len(bits) >= 3:
            out.append(f"{' '.join(bits[:-2])} ({_label(bits[-2])})")
    return out


#: How a point was found when no source gives one (``geocode_precision``), as a person reads it.
POINT_NOTES = {
    "zip": N_("Map point: the centre of ZIP {zip} (the sources give no coordinates) — the address is what counts."),
    "city": N_("Map point: the centre of {city} (the sources give no coordinates) — the address is what counts."),
    "state": N_("Map point: somewhere in {state} (the sources give no coordinates) — the address is what counts."),
}


def point_note(record: Facility) -> str:
    """Said under the address when the map point is only the ZIP's, the town's or the state's."""
    note = POINT_NOTES.get(record.geocode_precision)
    if note is None or record.address_withheld:
        return ""
    return _(note).format(zip=record.zip, city=record.city, state=record.state)

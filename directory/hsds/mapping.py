"""Open Referral HSDS 3.0 export: the directory, or a search's result, as a Tabular Data Package.

What 211s and referral platforms load. One organization, service, location and
service_at_location per site; its address (when a source gives a street), its phones; the
SAMHSA service codes as a taxonomy of our own (never the licensed AIRS taxonomy), each site's
codes as ``attribute`` rows; languages where the codes say; and ``metadata`` saying when a
source last listed the site and how old its services are. Every required field is filled from
the data; a row HSDS would need invented data for (an address without a street) is not written.

The same mapping serves the live API (:mod:`directory.hsds.hsda`): :func:`site_tables` gives one site's rows,
:func:`typed` turns a row's text into the JSON types the spec's schemas ask for.

Tables, fields, their order, types, required flags and foreign keys are the spec's own
(``data/hsds/datapackage.json``, HSDS 3.0.0, CC BY-SA 4.0, an Open Referral resource). Ids are
UUIDs derived from our facility ids and codes, so two exports of one directory are byte-identical and
ids stay stable across rebuilds: a site's organization, service, location and service_at_location ids
carry its facility id (:func:`entity_id`, read back by :func:`parse_id`, so the API finds a site from
any of them in one look-up); every other row's id is a uuid5 under :data:`NAMESPACE`.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from functools import lru_cache

from ..core import paths
from ..core.facility import ACCESSIBILITY_LABELS, DAY_NAMES, WEEKDAYS, Facility
from ..core.i18n import DEFAULT, using
from ..core.taxonomy import Taxonomy
from ..pipeline.manifest import source_label

#: The namespace of every id this export makes (uuid5 of our project's name under the URL namespace).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/treatment-directory/hsds")
_NAMESPACE_BYTES = NAMESPACE.bytes
SPEC = paths.DATA_DIR / "hsds" / "datapackage.json"
#: Tables written, in the spec's order.
TABLES = (
    "organization",
    "service",
    "attribute",
    "service_at_location",
    "location",
    "phone",
    "address",
    "schedule",
    "language",
    "accessibility",
    "taxonomy_term",
    "metadata",
    "taxonomy",
)
#: RFC 5545 weekdays, as HSDS's ``byday`` names them.
BYDAY = dict(zip(WEEKDAYS, ("MO", "TU", "WE", "TH", "FR", "SA", "SU"), strict=True))
_HOURS = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
TAXONOMY_NAME = "SAMHSA treatment locator service codes"
ATTRIBUTION = (
    "Human Services Data Specification 3.0: an Open Referral resource (https://openreferral.org/), "
    "CC BY-SA 4.0. Facility data: see the directory's docs/data.md."
)
#: ISO 639-1 codes of the language groups that name one language.
LANGUAGE_CODES = {"spanish": "es"}
_EXTENSION = re.compile(r"^(?P<number>.+?) x(?P<ext>\d+)$")


#: The tables with one row per site, and the number each one's ids carry (:func:`entity_id`).
ENTITIES = {"organization": 1, "service": 2, "location": 3, "service_at_location": 4}
#: The first field of every entity id: says the id is this directory's.
ENTITY_TAG = "7d1ec70e"
_FACILITY_ID = re.compile(r"^f[0-9a-f]{12}$")
_ENTITY_ID = re.compile(rf"^{ENTITY_TAG}-00(0[1-4])-8000-8000-([0-9a-f]{{12}})$")


def entity_id(kind: str, facility_id: str) -> str:
    """The UUID of a site's organization, service, location or service_at_location: a version-8 UUID
    (RFC 9562, "custom") holding the kind and the facility id, so it reads back (:func:`parse_id`).

    >>> entity_id("service", "f0bc8cf7596cd")
    '7d1ec70e-0002-8000-8000-0bc8cf7596cd'
    >>> parse_id("7d1ec70e-0002-8000-8000-0bc8cf7596cd"), parse_id("nonsense")
    (('service', 'f0bc8cf7596cd'), None)
    """
    if not _FACILITY_ID.match(facility_id):
        raise ValueError(f"not a facility id: {facility_id!r}")
    return f"{ENTITY_TAG}-{ENTITIES[kind]:04x}-8000-8000-{facility_id[1:]}"


def parse_id(value: str) -> tuple[str, str] | None:
    """``(kind, facility id)`` of an id made by :func:`entity_id`, else None."""
    found = _ENTITY_ID.match(str(value).lower())
    if not found:
        return None
    kind = next(k for k, n in ENTITIES.items() if n == int(found[1]))
    return kind, "f" + found[2]


def uid(kind: str, key: str) -> str:
    """A stable UUID for one record of one table (:func:`entity_id` for a site's own entities).

    >>> uid("location", "f0bc8cf7596cd") == uid("location", "f0bc8cf7596cd") != uid("service", "f0bc8cf7596cd")
    True
    >>> uid("taxonomy_term", "dt") == str(uuid.uuid5(NAMESPACE, "taxonomy_term:dt"))
    True
    """
    if kind in ENTITIES and _FACILITY_ID.match(key):
        return entity_id(kind, key)
    return _uuid5(f"{kind}:{key}")


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(NAMESPACE, name))``, without building UUID objects (a site has some 60 ids)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=1)
def spec() -> dict:
    """The HSDS 3.0 data package descriptor (every table of the spec)."""
    return json.loads(SPEC.read_text(encoding="utf-8"))


def _resource(name: str) -> dict:
    return next(r for r in spec()["resources"] if r["name"] == name)


def field_names(table: str) -> list[str]:
    return [f["name"] for f in _resource(table)["schema"]["fields"]]


def build_tables(records: Iterable[Facility], taxonomy: Taxonomy) -> dict[str, list[dict[str, str]]]:
    """The package's rows by table (values as text, '' for empty), sites in the order given. Always in
    English, the code book's own words (a data exchange, whatever language the person reads)."""
    with using(DEFAULT):
        return _build_tables(records, taxonomy)


def _build_tables(records: Iterable[Facility], taxonomy: Taxonomy) -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = {t: [] for t in TABLES}
    used: set[str] = set()
    for f in records:
        for table, found in site_tables(f, taxonomy).items():
            rows[table] += found
        used.update(c for c in f.service_codes if taxonomy.is_known(c))
    rows["taxonomy_term"] = [term_row(code, taxonomy) for code in sorted(used)]
    rows["taxonomy"] = [taxonomy_row()]
    return rows


def site_tables(f: Facility, taxonomy: Taxonomy) -> dict[str, list[dict[str, str]]]:
    """One site's rows, by table (no taxonomy or taxonomy_term rows: those are the directory's), in
    English whatever the current language."""
    with using(DEFAULT):
        return _site_tables(f, taxonomy)


def _site_tables(f: Facility, taxonomy: Taxonomy) -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = {t: [] for t in TABLES if t not in ("taxonomy", "taxonomy_term")}
    languages = taxonomy.groups_in("language")
    service_groups, accreditation_groups = taxonomy.groups_in("service"), taxonomy.groups_in("accreditation")
    key = f.facility_id
    org, service, location = uid("organization", key), uid("service", key), uid("location", key)
    at = uid("service_at_location", key)
    labels = [g.label_en for g in service_groups if g.codes & f.service_codes]
    accreditations = [g.label_en for g in accreditation_groups if g.codes & f.service_codes]
    place = ", ".join(p for p in (f.city, f.state) if p)
    sources = "; ".join(source_label(s) for s in f.sources)
    rows["organization"].append(
        {
            "id": org,
            "name": f.name,
            "description": f"Substance-use treatment facility in {place}, as listed by {sources}.",
            "website": f.website,
        }
    )
    as_of = f.services_as_of.isoformat() if f.services_as_of else "an unknown date"
    rows["service"].append(
        {
            "id": service,
            "organization_id": org,
            "name": f.name2 or f.name,
            "alternate_name": f.name if f.name2 else "",
            "description": (
                f"Treatment as listed on {as_of}: {', '.join(labels)}."
                if labels
                else f"Substance-use treatment; the sources list no treatment types (as of {as_of})."
            ),
            "url": f.website,
            "status": "defunct" if f.closed else "active",
            "accreditations": ", ".join(accreditations),
            # When the information was last checked: a maintainer's verification, else the newest listing.
            "assured_date": (f.verified_on or f.last_listed).isoformat() if (f.verified_on or f.last_listed) else "",
            "licenses": _licence(f),
        }
    )
    for code in sorted(f.service_codes):
        if not taxonomy.is_known(code):
            continue
        rows["attribute"].append(
            {
                "id": uid("attribute", f"{key}:{code}"),
                "link_id": service,
                "taxonomy_term_id": uid("taxonomy_term", code),
                "link_type": "service",
                "link_entity": "service",
            }
        )
    rows["service_at_location"].append({"id": at, "service_id": service, "location_id": location})
    rows["location"].append(
        {
            "id": location,
            "location_type": "physical",
            "organization_id": org,
            "name": f.name,
            "latitude": _number(f.latitude),
            "longitude": _number(f.longitude),
            "external_identifier": key,
            "external_identifier_type": "treatment-directory facility_id",
        }
    )
    for kind, number in (("phone", f.phone), ("intake", f.intake_phone)):
        if not number or (kind == "intake" and number == f.phone):
            continue
        match = _EXTENSION.match(number)
        rows["phone"].append(
            {
                "id": uid("phone", f"{key}:{kind}"),
                "location_id": location,
                "service_id": service,
                "organization_id": org,
                "service_at_location_id": at,
                "number": match["number"] if match else number,
                "extension": match["ext"] if match else "",
                "type": "voice",
                "description": "intake" if kind == "intake" else "",
            }
        )
    if f.street1 and f.city and f.state and f.zip:
        rows["address"].append(
            {
                "id": uid("address", key),
                "location_id": location,
                "address_1": f.street1,
                "address_2": f.street2,
                "city": f.city,
                "region": f.county,
                "state_province": f.state,
                "postal_code": f.zip,
                "country": "US",
                "address_type": "physical",
            }
        )
    stated = f"as stated by {source_label(f.details_source)}" if f.details_source else ""
    for day, text in f.hours:
        rows["schedule"].append(schedule_row(key, day, text, service, location, at, stated))
    for item in sorted(f.accessibility):
        rows["accessibility"].append(
            {
                "id": uid("accessibility", f"{key}:{item}"),
                "location_id": location,
                "description": ACCESSIBILITY_LABELS.get(item, item),
                "details": stated,
                "url": "",
            }
        )
    for group in languages:
        if group.codes & f.service_codes:
            rows["language"].append(
                {
                    "id": uid("language", f"{key}:{group.name}"),
                    "service_id": service,
                    "location_id": location,
                    "name": group.label_en,
                    "code": LANGUAGE_CODES.get(group.name, ""),
                }
            )
    for name, when, source in (
        ("details_as_of", f.details_as_of, f.details_source),
        ("verified_on", f.verified_on, "corrections" if f.verified_on else ""),
        ("last_listed", f.last_listed, f.sources[0] if f.sources else ""),
        ("services_as_of", f.services_as_of, ""),
    ):
        if when is None:
            continue
        rows["metadata"].append(
            {
                "id": uid("metadata", f"{key}:{name}"),
                "resource_id": service,
                "resource_type": "service",
                "last_action_date": when.isoformat(),
                "last_action_type": "update",
                "field_name": name,
                "previous_value": "not recorded",
                "replacement_value": when.isoformat(),
                "updated_by": source_label(source) if source else "treatment-directory build (see sources)",
            }
        )
    return rows


@lru_cache(maxsize=4096)
def term_row(code: str, taxonomy: Taxonomy) -> dict[str, str]:
    """A service code as a ``taxonomy_term`` row (the code book's English; the same dict each time: do
    not change it)."""
    service = taxonomy.get(code)
    return {
        "id": uid("taxonomy_term", code),
        "code": code,
        "name": service.label_en,
        "description": service.description_en or f"{service.category_en}: {service.label_en}",
        "taxonomy": TAXONOMY_NAME,
        "language": "en",
        "taxonomy_id": uid("taxonomy", TAXONOMY_NAME),
    }


def taxonomy_row() -> dict[str, str]:
    """The one taxonomy of the package and the API: SAMHSA's service codes."""
    return {
        "id": uid("taxonomy", TAXONOMY_NAME),
        "name": TAXONOMY_NAME,
        "description": "Service codes of SAMHSA's treatment locator (FindTreatment.gov) and the N-SSATS directory, "
        "with their published labels; a public-domain U.S. federal vocabulary.",
        "uri": "https://findtreatment.gov/",
        "version": "2021",
    }


def typed(table: str, row: dict[str, str]) -> dict[str, object]:
    """A row as the JSON the spec's schemas describe: empty cells left out, numbers as numbers, booleans as
    booleans; dates and times stay text (ISO)."""
    types = _field_types(table)
    out: dict[str, object] = {}
    for name, value in row.items():
        if value == "" or value is None:
            continue
        kind = types.get(name, "string")
        if kind == "number":
            out[name] = float(value)
        elif kind == "integer":
            out[name] = int(value)
        elif kind == "boolean":
            out[name] = str(value).lower() in ("true", "1", "yes")
        else:
            out[name] = value
    return out


@lru_cache(maxsize=32)
def _field_types(table: str) -> dict[str, str]:
    return {f["name"]: f.get("type", "string") for f in _resource(table)["schema"]["fields"]}


def schedule_row(key: str, day: str, text: str, service: str, location: str, at: str, stated: str) -> dict[str, str]:
    """One weekday's hours as an HSDS ``schedule`` row (weekly, ``byday``); hours that are not a plain
    range ("By appointment") go in ``description`` only; "00:00-24:00" is open all day (closes 23:59:59).

    >>> row = schedule_row("f1", "mon", "08:00-17:00", "s", "l", "a", "")
    >>> row["byday"], row["opens_at"], row["closes_at"], row["freq"]
    ('MO', '08:00:00', '17:00:00', 'WEEKLY')
    """
    match = _HOURS.match(text)
    opens = closes = ""
    if match:
        opens = f"{match[1]}:{match[2]}:00"
        closes = "23:59:59" if (match[3], match[4]) == ("24", "00") else f"{match[3]}:{match[4]}:00"
    return {
        **dict.fromkeys(field_names("schedule"), ""),
        "id": uid("schedule", f"{key}:{day}"),
        "service_id": service,
        "location_id": location,
        "service_at_location_id": at,
        "freq": "WEEKLY",
        "wkst": "MO",
        "byday": BYDAY[day],
        "opens_at": opens,
        "closes_at": closes,
        "description": f"{DAY_NAMES[day]} {text}" + (f", {stated}" if stated else ""),
        "attending_type": "in person",
    }


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _licence(f: Facility) -> str:
    number = f.extra.get("license_number", "")
    if not number:
        return ""
    expires = f.extra.get("license_expiration", "")
    return f"California DHCS licence {number}" + (f", expires {expires}" if expires else "")

"""Open Referral HSDS 3.0 export: the directory, or a search's result, as a Tabular Data Package.

What 211s and referral platforms load. One organization, service, location and
service_at_location per site; its address (when a source gives a street), its phones; the
SAMHSA service codes as a taxonomy of our own (never the licensed AIRS taxonomy), each site's
codes as ``attribute`` rows; languages where the codes say; and ``metadata`` saying when a
source last listed the site and how old its services are. Every required field is filled from
the data; a row HSDS would need invented data for (an address without a street) is not written.

Tables, fields, their order, types, required flags and foreign keys are the spec's own
(``data/hsds/datapackage.json``, HSDS 3.0.0, CC BY-SA 4.0, an Open Referral resource). Ids are
UUIDs derived from our facility ids and codes (uuid5 under :data:`NAMESPACE`), so two exports of
one directory are byte-identical and ids stay stable across rebuilds.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from . import paths
from .facility import WEEKDAYS, Facility
from .i18n import DEFAULT, using
from .manifest import source_label
from .tables import atomic_writer
from .taxonomy import Taxonomy
from .view.facts import ACCESSIBILITY_LABELS, DAY_NAMES

#: The namespace of every id this export makes (uuid5 of our project's name under the URL namespace).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/treatment-directory/hsds")
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


def uid(kind: str, key: str) -> str:
    """A stable UUID for one record of one table.

    >>> uid("location", "f0bc8cf7596cd") == uid("location", "f0bc8cf7596cd") != uid("service", "f0bc8cf7596cd")
    True
    """
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


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
    taxonomy_id = uid("taxonomy", TAXONOMY_NAME)
    used: set[str] = set()
    languages = taxonomy.groups_in("language")
    service_groups, accreditation_groups = taxonomy.groups_in("service"), taxonomy.groups_in("accreditation")
    for f in records:
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
                "assured_date": (f.verified_on or f.last_listed).isoformat()
                if (f.verified_on or f.last_listed)
                else "",
                "licenses": _licence(f),
            }
        )
        for code in sorted(f.service_codes):
            if not taxonomy.is_known(code):
                continue
            used.add(code)
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
    for code in sorted(used):
        service = taxonomy.get(code)
        rows["taxonomy_term"].append(
            {
                "id": uid("taxonomy_term", code),
                "code": code,
                "name": service.label_en,
                "description": service.description_en or f"{service.category_en}: {service.label_en}",
                "taxonomy": TAXONOMY_NAME,
                "language": "en",
                "taxonomy_id": taxonomy_id,
            }
        )
    rows["taxonomy"].append(
        {
            "id": taxonomy_id,
            "name": TAXONOMY_NAME,
            "description": "Service codes of SAMHSA's treatment locator (FindTreatment.gov) and the N-SSATS directory, "
            "with their published labels; a public-domain U.S. federal vocabulary.",
            "uri": "https://findtreatment.gov/",
            "version": "2021",
        }
    )
    return rows


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


def descriptor(tables: Iterable[str] = TABLES) -> dict:
    """The package descriptor for the tables written: the spec's resources, foreign keys to
    tables the package does not hold left out."""
    names = set(tables)
    resources = []
    for name in TABLES:
        if name not in names:
            continue
        resource = json.loads(json.dumps(_resource(name)))
        keys = [k for k in resource["schema"].get("foreignKeys", []) if k["reference"]["resource"] in names]
        if keys:
            resource["schema"]["foreignKeys"] = keys
        else:
            resource["schema"].pop("foreignKeys", None)
        resources.append(resource)
    base = spec()
    return {
        "name": "substance-use-treatment-directory",
        "title": "US substance-use treatment facilities (HSDS 3.0)",
        "description": ATTRIBUTION,
        "profile": base.get("profile", "tabular-data-package"),
        "licenses": base.get("licenses", []),
        "resources": resources,
    }


def to_csv_text(table: str, rows: list[dict[str, str]]) -> str:
    """One table as CSV, in the spec's column order (text cells that look like formulas are kept as
    text: HSDS is a data exchange, not a spreadsheet, so nothing is prefixed)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=field_names(table), lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_package(records: Iterable[Facility], output: str | Path, taxonomy: Taxonomy | None = None) -> dict[str, int]:
    """Write the package into folder ``output`` (created; each file atomically); rows per table."""
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    rows = build_tables(records, taxonomy or Taxonomy.load())
    package = descriptor()
    for resource in package["resources"]:
        with atomic_writer(folder / resource["path"], "w", encoding="utf-8", newline="") as fh:
            fh.write(to_csv_text(resource["name"], rows[resource["name"]]))
    with atomic_writer(folder / "datapackage.json", "w", encoding="utf-8") as fh:
        json.dump(package, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return {name: len(rows[name]) for name in TABLES}


def package_zip(records: Iterable[Facility], taxonomy: Taxonomy | None = None) -> bytes:
    """The package as one zip (what the app offers as a download): the same files as
    :func:`write_package`, at the zip's root, with fixed timestamps (byte-identical for one directory)."""
    import zipfile

    rows = build_tables(records, taxonomy or Taxonomy.load())
    package = descriptor()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = [("datapackage.json", json.dumps(package, indent=2, ensure_ascii=False) + "\n")]
        files += [(r["path"], to_csv_text(r["name"], rows[r["name"]])) for r in package["resources"]]
        for name, text in files:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _licence(f: Facility) -> str:
    number = f.extra.get("license_number", "")
    if not number:
        return ""
    expires = f.extra.get("license_expiration", "")
    return f"California DHCS licence {number}" + (f", expires {expires}" if expires else "")

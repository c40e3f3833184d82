"""Open Referral HSDA 3.0: the directory as the live API 211s and referral platforms call.

The objects are the HSDS export's rows (:func:`directory.hsds.site_tables`: the same ids, fields and
mapping), typed for JSON (:func:`directory.hsds.typed`) and nested as the spec's compiled schemas
describe (``data/hsds/schema/compiled/``): a service with its organization, phones, schedules,
languages, attributes → taxonomy_term, metadata and service_at_locations → location (address, phones,
schedules, accessibility, languages, coordinates). The lists are paged exactly as the spec's ``Page``.
Which sites a list holds is asked of the store (:class:`~directory.search.selection.Selection`), so both
stores give the same bodies. :mod:`directory.http.hsda` serves all this under ``/hsda/``.

>>> from directory import open_store
>>> store = open_store()
>>> f = store.facilities(store.select(Selection(words=("detox", "tampa")))[0][:1])[0]
>>> s = service(f, store.taxonomy)
>>> s["id"] == hsds.uid("service", f.facility_id), s["organization"]["name"] == f.name
(True, True)
>>> s["service_at_locations"][0]["location"]["latitude"] == f.latitude
True
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from functools import lru_cache
from typing import Any

from ..core import keys, paths
from ..core.facility import Facility
from ..core.taxonomy import Taxonomy
from ..live.availability import Availability
from ..search.selection import Selection
from . import mapping as hsds

#: The HSDS version the API speaks.
VERSION = "3.0"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
#: How many sites an ndjson stream asks the store for at a time (its memory stays bounded).
STREAM_CHUNK = 500
SCHEMA_DIR = paths.DATA_DIR / "hsds" / "schema"
#: Where the spec's own files live, as its OpenAPI names them.
SPEC_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


# -- the objects -----------------------------------------------------------------------------------


def _rows(f: Facility, taxonomy: Taxonomy) -> dict[str, list[dict[str, Any]]]:
    return {table: [hsds.typed(table, r) for r in rows] for table, rows in hsds.site_tables(f, taxonomy).items()}


def last_modified(f: Facility) -> str | None:
    """The site's newest date (:func:`directory.core.keys.modified_key`) as an HSDS ``last_modified``."""
    key = keys.modified_key(
        f.last_listed.isoformat() if f.last_listed else "",
        f.verified_on.isoformat() if f.verified_on else "",
        f.details_as_of.isoformat() if f.details_as_of else "",
    )
    return f"{key}T00:00:00Z" if key else None


@lru_cache(maxsize=8)
def _terms(taxonomy: Taxonomy) -> dict[str, str]:
    """Taxonomy-term id → service code, for every labelled code."""
    return {hsds.uid("taxonomy_term", code): code for code in taxonomy.services if taxonomy.is_known(code)}


def term_code(term_id: str, taxonomy: Taxonomy) -> str | None:
    return _terms(taxonomy).get(str(term_id).lower())


@lru_cache(maxsize=4096)
def taxonomy_term(code: str, taxonomy: Taxonomy) -> dict[str, Any]:
    """A code's ``taxonomy_term`` (the same dict each time: do not change it)."""
    return hsds.typed("taxonomy_term", hsds.term_row(code, taxonomy))


def taxonomy() -> dict[str, Any]:
    return hsds.typed("taxonomy", hsds.taxonomy_row())


def _service_fields(rows: dict[str, list[dict[str, Any]]], f: Facility) -> dict[str, Any]:
    service = dict(rows["service"][0])
    modified = last_modified(f)
    if modified:
        service["last_modified"] = modified
    return service


def location(rows: dict[str, list[dict[str, Any]]], *, full: bool) -> dict[str, Any]:
    place = dict(rows["location"][0])
    if full:
        place["addresses"] = rows["address"]
        place["phones"] = rows["phone"]
        place["schedules"] = rows["schedule"]
        place["accessibility"] = rows["accessibility"]
        place["languages"] = rows["language"]
    return place


def service_capacity(report: Availability | None, service_id: str) -> list[dict[str, Any]]:
    """A provider's reported beds as HSDS 3.1 ``service_capacity`` (unit "Bed", ``available``,
    ``maximum``, ``updated``: when the provider reported it). HSDS 3.0's compiled service schema does not
    forbid other properties, so a 3.0 body carrying it stays valid (docs/api.md)."""
    if report is None:
        return []
    unit = {"id": hsds.uid("unit", "bed"), "name": "Bed", "identifier": "bed"}
    return [
        {
            "id": hsds.uid("service_capacity", f"{report.facility_id}:{b.level}"),
            "service_id": service_id,
            "unit": unit,
            "available": b.available,
            **({"maximum": b.maximum} if b.maximum is not None else {}),
            "description": f"{b.level}: beds or slots open, as reported by the provider",
            "updated": report.received_at.isoformat(timespec="seconds"),
        }
        for b in report.beds
    ]


def service(
    f: Facility,
    taxonomy: Taxonomy,
    *,
    full: bool = True,
    minimal: bool = False,
    availability: Availability | None = None,
) -> dict[str, Any]:
    """A site's service: fully nested (``compiled/service.json``), its one-to-one fields with its
    organization (``compiled/service_list.json``: ``full=False``), or just id, name, status and
    last_modified (``minimal``: the spec asks for "id and modified date"; its schema also requires name
    and status)."""
    rows = _rows(f, taxonomy)
    found = _service_fields(rows, f)
    if minimal:
        return {k: found[k] for k in ("id", "name", "status", "last_modified") if k in found}
    found["organization"] = rows["organization"][0]
    if not full:
        return found
    terms = _terms(taxonomy)
    found["phones"] = rows["phone"]
    found["schedules"] = rows["schedule"]
    found["languages"] = rows["language"]
    at = dict(rows["service_at_location"][0])
    at["location"] = location(rows, full=True)
    found["service_at_locations"] = [at]
    found["attributes"] = [
        {**a, "taxonomy_term": taxonomy_term(terms[a["taxonomy_term_id"]], taxonomy)} for a in rows["attribute"]
    ]
    found["metadata"] = rows["metadata"]
    capacity = service_capacity(availability, found["id"])
    if capacity:
        found["service_capacity"] = capacity
    return found


def organization(f: Facility, taxonomy: Taxonomy, *, full: bool = True, full_service: bool = False) -> dict:
    """A site's organization: with its location and its service (``compiled/organization.json``; the
    service in full with ``full_service``), or its one-to-one fields (``organization_list.json``)."""
    rows = _rows(f, taxonomy)
    found = dict(rows["organization"][0])
    if not (full or full_service):
        return found
    found["locations"] = [location(rows, full=True)]
    if full_service:
        found["services"] = [service(f, taxonomy)]
    else:
        found["services"] = [{k: v for k, v in _service_fields(rows, f).items() if k in ("id", "name", "status")}]
    return found


def service_at_location(f: Facility, taxonomy: Taxonomy, *, full: bool = True) -> dict[str, Any]:
    """A site's service at its location: nested in full (``compiled/service_at_location.json``), or
    with the location's and the service's one-to-one fields (``service_at_location_list.json``)."""
    rows = _rows(f, taxonomy)
    found = dict(rows["service_at_location"][0])
    found["location"] = location(rows, full=full)
    if full:
        found["phones"] = rows["phone"]
        found["schedules"] = rows["schedule"]
        found["service"] = service(f, taxonomy)
    else:
        found["service"] = _service_fields(rows, f)
    return found


# -- pages ------------------------------------------------------------------------------------------


def page(total: int, number: int, per_page: int, contents: list) -> dict[str, Any]:
    """The spec's ``Page`` around ``contents`` (page ``number`` of ``per_page``).

    >>> found = page(120, 3, 50, [0] * 20)
    >>> found["total_pages"], found["size"], found["first_page"], found["last_page"], found["empty"]
    (3, 20, False, True, False)
    """
    pages = math.ceil(total / per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": number,
        "size": len(contents),
        "first_page": number == 1,
        "last_page": number >= pages,
        "empty": total == 0,
        "contents": contents,
    }


def window(ids: list, number: int, per_page: int) -> list:
    """The part of ``ids`` page ``number`` holds."""
    start = (number - 1) * per_page
    return ids[start : start + per_page]


def modified_since(after: dt.datetime) -> dt.date:
    """The first day whose sites count as modified on or after ``after`` (a site's date is midnight UTC)."""
    when = after.astimezone(dt.UTC) if after.tzinfo else after
    day = when.date()
    return day if when.time() == dt.time(0) else day + dt.timedelta(days=1)


# -- the OpenAPI this API serves: the spec's own, said of this server ----------------------------------

#: What the served document changes in the spec's ``openapi.json``, and why (also in docs/api.md).
DELTAS = (
    "info and servers: this server's title, version, licence and base URL, not the placeholders",
    "the spec's $refs to its GitHub files point at the same schemas, included under components/schemas",
    "the operationIds of GET /taxonomy_terms and GET /taxonomy_terms/{id} are swapped back",
    "GET /service_at_locations/{id} answers compiled/service_at_location.json (the spec names service.json; "
    "its own example is a service_at_location)",
    "parameters say what the API accepts: page and per_page any integer (page below 1 is the first; per_page is "
    "held to 1-500), format json or ndjson, modified_after a "
    "date-time (RFC 3339; the spec writes 'datetime'), proximity a number of metres; an empty value "
    "(format=) means the parameter is not given (allowEmptyValue), as the spec's own document allows",
    "list endpoints document their application/x-ndjson stream",
    "every operation documents 404 (an id or a postcode that names nothing) and 422 (a parameter it cannot "
    "use, or one its operation does not declare: a misspelt filter is refused, never ignored), with the error body",
    "extension: GET /service_at_locations takes lat and lon (together) as the point proximity is measured from",
    "extension: GET /profile describes this API's profile (the URL GET / gives as profile)",
)

_ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        }
    },
}
_SCHEMA_FILES = {
    "compiled/service.json": "service",
    "compiled/service_list.json": "service_list",
    "compiled/organization.json": "organization",
    "compiled/organization_list.json": "organization_list",
    "compiled/service_at_location.json": "service_at_location",
    "compiled/service_at_location_list.json": "service_at_location_list",
    "taxonomy.json": "taxonomy",
    "taxonomy_term.json": "taxonomy_term",
    "metadata.json": "metadata",
}


def schema_file(name: str) -> dict:
    """One of the spec's schema files (``compiled/service.json``, ``taxonomy_term.json`` …)."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def _local_refs(node: Any) -> Any:
    """The spec's references to its own files, as references into components/schemas."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                name = value.removeprefix(SPEC_URL)
                out[key] = f"#/components/schemas/{_SCHEMA_FILES[name]}"
            else:
                out[key] = _local_refs(value)
        return out
    if isinstance(node, list):
        return [_local_refs(v) for v in node]
    return node


@lru_cache(maxsize=4)
def _spec() -> dict:
    return schema_file("openapi.json")


def openapi_document(base_url: str, version: str = "1") -> dict:
    """The spec's ``openapi.json`` as this server serves it (:data:`DELTAS`), at ``base_url``. Built once
    (reading the spec and its schemas takes ~0.1 s); each call gets its own top level, sharing the rest:
    do not change what lies below it."""
    return {**_document(version), "servers": [{"url": base_url.rstrip("/")}]}


def published_document(base_url: str) -> dict:
    """The spec's own document as published, with nothing changed but what reading it offline needs: its
    references to its GitHub files point at the same schemas under components, and its server is
    ``base_url``. What an integrator's tools generate requests from; every request it calls valid, this
    server must take."""
    return {**copy.deepcopy(_published()), "servers": [{"url": base_url.rstrip("/")}]}


@lru_cache(maxsize=1)
def _published() -> dict:
    doc = _local_refs(copy.deepcopy(_spec()))
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for file, name in _SCHEMA_FILES.items():
        schemas[name] = _local_refs(_absolute(schema_file(file), file))
    return doc


@lru_cache(maxsize=4)
def _document(version: str) -> dict:
    doc = copy.deepcopy(_published())
    doc["info"] = {
        "title": "Treatment facility directory — Open Referral HSDA 3.0",
        "version": version,
        "summary": "US substance-use treatment facilities as HSDS 3.0 services (SAMHSA sources), read-only.",
        "description": (
            "The HSDA 3.0 API of the treatment facility directory: every site a service of its own organization "
            "at its location, SAMHSA's service codes as the taxonomy. Differences from the spec's document: "
            + "; ".join(DELTAS)
            + "."
        ),
        "license": {
            "name": "Facility data: public domain (SAMHSA, CMS) and CC-BY 4.0 (California DHCS); HSDS: "
            "CC BY-SA 4.0, an Open Referral resource",
            "url": "https://openreferral.org/",
        },
    }
    components = doc["components"]
    components["schemas"]["Error"] = _ERROR
    paths_ = doc["paths"]
    terms, term = paths_["/taxonomy_terms"]["get"], paths_["/taxonomy_terms/{id}"]["get"]
    terms["operationId"], term["operationId"] = "getPaginatedListOfTaxonomyTerms", "getTaxonomyTermById"
    at = paths_["/service_at_locations/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    at["schema"] = {"$ref": "#/components/schemas/service_at_location"}
    params = components["parameters"]
    params["page"]["description"] += " Below 1: the first page."
    params["per_page"]["description"] += f" Held to 1-{MAX_PER_PAGE}: fewer is 1, more is {MAX_PER_PAGE}."
    params["format"]["schema"] = {"type": "string", "enum": ["json", "ndjson"]}
    params["modified_after"]["schema"] = {"type": "string", "format": "date-time"}
    params["proximity"]["schema"] = {"type": "number", "minimum": 0}
    params["proximity"]["description"] += " (a number of metres; from `postcode`'s point, or from lat and lon)"
    for param in params.values():  # the spec's document admits "" for its strings: it means "not given"
        if param.get("in") == "query":
            param["allowEmptyValue"] = True
            param["description"] = param.get("description", "") + " An empty value means the parameter is not given."
    point = {
        "name": "point",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "description": "Extension: the point (latitude and longitude, together) `proximity` is measured from, "
        "instead of a postcode.",
        "schema": {
            "type": "object",
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
            },
            "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
            "additionalProperties": False,
        },
    }
    paths_["/service_at_locations"]["get"]["parameters"].append(point)
    paths_["/profile"] = {
        "get": {
            "operationId": "getProfile",
            "summary": "Extension: this API's HSDS profile (the profile URL GET / gives).",
            "responses": {
                "200": {
                    "description": "The profile.",
                    "content": {
                        "application/json": {"schema": {"type": "object", "required": ["name", "description"]}}
                    },
                }
            },
        }
    }
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for item in paths_.values():
        for method, operation in item.items():
            if method != "get":
                continue
            responses = operation["responses"]
            responses["422"] = {"description": "A parameter this API cannot use, named in the body.", **error}
            responses["404"] = {"description": "An id, or a postcode, that names nothing here.", **error}
            if any(p.get("$ref", "").endswith("/format") for p in operation.get("parameters", [])):
                responses["200"]["content"]["application/x-ndjson"] = {
                    "schema": {"type": "string"},
                    "description": "format=ndjson: every result, one JSON object per line, unpaged.",
                }
    return doc


def _absolute(schema: dict, file: str) -> dict:
    """A schema file's relative references (``taxonomy.json``) as the spec's absolute URLs, which
    :func:`_local_refs` then maps to components."""
    folder = file.rsplit("/", 1)[0] + "/" if "/" in file else ""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (
                    SPEC_URL + folder + v
                    if k == "$ref" and isinstance(v, str) and not v.startswith(("#", "http"))
                    else walk(v)
                )
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def selection_of(
    taxonomy: Taxonomy,
    codes_in_use: frozenset[str],
    *,
    search: str | None = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: dt.datetime | None = None,
) -> Selection:
    """The :class:`Selection` a list's filters ask for (every one AND-ed; an id that names nothing
    here selects nothing)."""
    codes: frozenset[str] | None = None
    if taxonomy_term_id is not None:
        code = term_code(taxonomy_term_id, taxonomy)
        codes = frozenset({code}) if code else frozenset()
    if taxonomy_id is not None and taxonomy_id.lower() != hsds.uid("taxonomy", hsds.TAXONOMY_NAME):
        codes = frozenset()
    elif taxonomy_id is not None and codes is None:
        codes = codes_in_use
    ids = None
    if organization_id is not None:
        found = hsds.parse_id(organization_id)
        ids = frozenset({found[1]}) if found and found[0] == "organization" else frozenset()
    return Selection(
        codes=codes,
        ids=ids,
        words=keys.search_words(search) if search else (),
        modified_since=modified_since(modified_after) if modified_after else None,
    )

"""Open Referral HSDA 3.0 under /hsda, as a 211 platform's integration sees it: a crawler in the spirit
of Open Referral's validators (every list at its first, a middle and its last page, then /{id} for ids
taken from the lists; every body validated against the spec's own compiled JSON Schemas, its references
mapped onto the local copies — nothing fetched); schemathesis against the served document with every
check; the HSDS package's services round-trip through the ndjson stream; and the PostGIS store gives
byte-identical bodies. The test directory is cut from the shipped file (Tampa Bay, Denver for hours and
accessibility) and holds a verified correction and a closure."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from directory import hsds
from directory.core import keys
from directory.core.schema import read_facilities, write_records
from directory.hsds import hsda
from directory.http.api import create_app
from directory.pipeline.corrections import apply, new
from directory.stores.memory import Directory

from .conftest import REPO, national_directory
from .pg import cluster, needs_postgis

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCHEMAS = REPO / "data" / "hsds" / "schema"
CITIES = {("FL", "Tampa"), ("FL", "Clearwater"), ("FL", "Saint Petersburg"), ("CO", "Denver")}


def cut_directory():
    """The test directory: real rows of the shipped file; one site closed and one verified by a
    maintainer (the corrections a build would apply)."""
    frame = read_facilities()
    keep = [(s, c) in CITIES for s, c in zip(frame["state"], frame["city"], strict=True)]
    records = [r for r in national_directory().facilities(frame[keep]["facility_id"].tolist())]
    closing, verified = records[0].facility_id, records[1].facility_id
    fixes = [
        replace(new(closing, "closed", by="T", verified_how="phone", verified_on="2026-11-30"), id=1),
        replace(new(verified, "verified", by="T", verified_how="visit", verified_on="2026-12-02"), id=2),
    ]
    corrected, _ = apply(records, fixes)
    return corrected, closing, verified


RECORDS, CLOSED, VERIFIED = cut_directory()
DATA_FILE = Path(tempfile.mkdtemp(prefix="hsda-")) / "facilities.csv"
write_records(RECORDS, DATA_FILE)
STORE = Directory.load(DATA_FILE)
APP = create_app(STORE)


@pytest.fixture(scope="module")
def data_file():
    return DATA_FILE


@pytest.fixture(scope="module")
def store():
    return STORE


@pytest.fixture(scope="module")
def client():
    return TestClient(APP, raise_server_exceptions=False)


# -- the spec's schemas, as a validator reads them ----------------------------------------------------


def registry() -> Registry:
    resources = []
    for path in [*SCHEMAS.glob("*.json"), *(SCHEMAS / "compiled").glob("*.json")]:
        if path.name in ("openapi.json",):
            continue
        relative = path.relative_to(SCHEMAS).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((hsda.SPEC_URL + relative, Resource.from_contents(contents, default_specification=_dialect())))
    return Registry().with_resources(resources)


def _dialect():
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


REGISTRY = registry()
SPEC = json.loads((SCHEMAS / "openapi.json").read_text(encoding="utf-8"))


def validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker())


def response_schema(path: str) -> dict:
    """The spec's own schema of a GET's 200 body (its service_at_locations/{id} slip corrected)."""
    if path == "/service_at_locations/{id}":
        return {"$ref": hsda.SPEC_URL + "compiled/service_at_location.json"}
    schema = SPEC["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    if "allOf" in schema:  # a list: the Page, then contents
        schema = {**schema, "allOf": [SPEC["components"]["schemas"]["Page"]]}
    return schema


def assert_valid(path: str, body: dict) -> None:
    errors = sorted(validator(response_schema(path)).iter_errors(body), key=str)
    assert errors == [], f"{path}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_the_validator_would_catch_a_broken_body(client):
    """The checks can fail: a service without its required status, a bad uuid, are reported."""
    body = client.get("/hsda/services", params={"per_page": 1}).json()
    sid = body["contents"][0]["id"]
    good = client.get(f"/hsda/services/{sid}").json()
    assert_valid("/services/{id}", good)
    broken = {k: v for k, v in good.items() if k != "status"}
    assert list(validator(response_schema("/services/{id}")).iter_errors(broken))
    assert list(validator(response_schema("/services/{id}")).iter_errors({**good, "id": "not-a-uuid"}))


# -- the crawler -------------------------------------------------------------------------------------

LISTS = {
    "/services": "/services/{id}",
    "/organizations": "/organizations/{id}",
    "/service_at_locations": "/service_at_locations/{id}",
    "/taxonomies": "/taxonomies/{id}",
    "/taxonomy_terms": "/taxonomy_terms/{id}",
}


def test_a_crawler_validates_every_list_and_every_record_it_reaches(client):
    root = client.get("/hsda/")
    assert root.status_code == 200
    meta = root.json()
    assert meta["version"] == "3.0" and meta["openapi_url"].endswith("/hsda/openapi.json")
    document = client.get(meta["openapi_url"]).json()
    assert document["info"]["title"].startswith("Treatment facility directory")
    assert "REQUIRED" not in json.dumps(document["info"]) and document["servers"][0]["url"].endswith("/hsda")
    assert set(LISTS) | set(LISTS.values()) <= set(document["paths"])
    reached = 0
    for listing, one in LISTS.items():
        first = client.get(f"/hsda{listing}", params={"per_page": 7})
        assert first.status_code == 200, first.text
        body = first.json()
        assert_valid(listing, body)
        pages = body["total_pages"]
        assert pages == math.ceil(body["total_items"] / 7) and body["first_page"] and not body["empty"]
        ids = [item["id"] for item in body["contents"]]
        for number in sorted({max(1, pages // 2), pages}):
            found = client.get(f"/hsda{listing}", params={"per_page": 7, "page": number}).json()
            assert_valid(listing, found)
            assert found["page_number"] == number and found["last_page"] == (number == pages)
            assert found["size"] == len(found["contents"]) <= 7
            ids += [item["id"] for item in found["contents"]]
        for item_id in ids[:12]:
            answer = client.get(f"/hsda{one.replace('{id}', item_id)}")
            assert answer.status_code == 200, (one, item_id, answer.text)
            assert_valid(one, answer.json())
            assert answer.json()["id"] == item_id
            reached += 1
    assert reached >= 30


def test_lists_filter_as_and_and_say_what_they_refused(client, store):
    ids, _ = store.select(hsda.Selection())
    assert client.get("/hsda/services").json()["total_items"] == len(ids) == len(RECORDS)
    # AND: a term and words; the same result by hand from the records.
    detox = hsds.uid("taxonomy_term", "dt")
    both = client.get("/hsda/services", params={"taxonomy_term_id": detox, "search": "tampa", "per_page": 500}).json()
    expected = sorted(
        hsds.uid("service", r.facility_id)
        for r in RECORDS
        if "dt" in r.service_codes and "tampa" in keys.search_words(f"{r.name} {r.name2} {r.city}")
    )
    assert sorted(s["id"] for s in both["contents"]) == expected and expected
    org = hsds.uid("organization", RECORDS[3].facility_id)
    mine = client.get("/hsda/services", params={"organization_id": org}).json()
    assert [s["id"] for s in mine["contents"]] == [hsds.uid("service", RECORDS[3].facility_id)]
    recent = client.get("/hsda/services", params={"modified_after": "2026-12-01T12:00:00Z"}).json()
    assert [s["id"] for s in recent["contents"]] == [hsds.uid("service", VERIFIED)]
    # The closure and the verification, as HSDS says them.
    closed = client.get(f"/hsda/services/{hsds.uid('service', CLOSED)}").json()
    assert closed["status"] == "defunct"
    verified = client.get(f"/hsda/services/{hsds.uid('service', VERIFIED)}").json()
    assert verified["assured_date"] == "2026-12-02" and verified["last_modified"] == "2026-12-02T00:00:00Z"
    # Nearest first from a ZIP's point, within the proximity; the lat/lon extension the same.
    near = client.get("/hsda/service_at_locations", params={"postcode": "33602", "proximity": 8000}).json()
    point = client.get(
        "/hsda/service_at_locations", params={"lat": 27.953704, "lon": -82.45631, "proximity": 8000}
    ).json()
    assert near["contents"] == point["contents"] and near["total_items"] > 3
    from directory.core.geo import great_circle_km

    metres = [
        1000 * great_circle_km(27.953704, -82.45631, s["location"]["latitude"], s["location"]["longitude"])
        for s in near["contents"]
    ]
    assert metres == sorted(metres) and max(metres) <= 8000
    # Refused, and named.
    for params, name in (
        ({"page": "first"}, "page"),
        ({"per_page": "2.5"}, "per_page"),
        ({"full": "yes"}, "full"),
        ({"modified_after": "2026-02-30T00:00:00Z"}, "modified_after"),
        ({"format": "xml"}, "format"),
        ({"page": ["2", "3"]}, "page"),  # a parameter given twice is a mistake, whichever value is good
        ({"taxonomy_term": detox}, "taxonomy_term"),  # misspelt: ignoring it would answer every service
        ({"lat": "27.9"}, "lat"),  # the point is an extension of /service_at_locations only
    ):
        answer = client.get("/hsda/services", params=params)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", name], params
    # Any integer is a page the spec's document allows: below 1 is the first, per_page is held to 1-500.
    first = client.get("/hsda/services", params={"page": "0", "per_page": "0"}).json()
    assert first["page_number"] == 1 and first["size"] == 1
    assert client.get("/hsda/services", params={"per_page": "501", "page": "-3"}).json()["size"] == 285
    answer = client.get("/hsda/service_at_locations", params={"postcode": "00000", "proximity": 10})
    assert answer.status_code == 404 and answer.json()["detail"][0]["loc"] == ["query", "postcode"]
    assert client.get("/hsda/service_at_locations", params={"lat": 27.9}).status_code == 422
    # Found by schemathesis: the point is an exploded object allowing no other property, so any name the
    # document does not declare is refused — also beside a good lat and lon, and on an id's path.
    answer = client.get("/hsda/service_at_locations", params={"lat": 27.9, "lon": -82.4, "\x0e\u00bf": "1"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "\x0e\u00bf"]
    answer = client.get(f"/hsda/services/{hsds.uid('service', VERIFIED)}", params={"full": "true"})
    assert answer.status_code == 422 and "takes no parameters" in answer.json()["detail"][0]["msg"]
    assert client.get("/hsda/openapi.json", params={"v": "1"}).status_code == 200  # not an operation of it
    for path in ("services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms"):
        answer = client.get(f"/hsda/{path}/{hsds.uid('service', 'f000000000000')}")
        assert answer.status_code == 404 and answer.json()["detail"][0]["type"] == "not_found"
    # The same headers as the rest of the API.
    answer = client.get("/hsda/services")
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["referrer-policy"] == "no-referrer"


def test_the_package_round_trips_through_the_ndjson_stream(client, store):
    """What `directory search --format hsds` writes as services is what /hsda/services streams."""
    records = store.facilities(store.select(hsda.Selection())[0])
    package = hsds.build_tables(records, store.taxonomy)["service"]
    stream = client.get("/hsda/services", params={"format": "ndjson"})
    assert stream.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in stream.text.splitlines()]
    one_to_one = [{k: v for k, v in s.items() if k not in ("organization", "last_modified")} for s in lines]
    assert one_to_one == [hsds.typed("service", row) for row in package]
    assert len(lines) == len(RECORDS)
    full = client.get("/hsda/services", params={"format": "ndjson", "full": "true"}).text.splitlines()
    for line in full[:20]:
        assert_valid("/services/{id}", json.loads(line))


def test_the_served_document_changes_the_spec_only_as_it_says():
    """Every path, operation and parameter of the spec's document is served; the differences are the
    ones DELTAS lists (and the docs)."""
    document = hsda.openapi_document("http://example.org/hsda")
    assert set(SPEC["paths"]) | {"/profile"} == set(document["paths"])
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method != "get":
                continue
            served = document["paths"][path]["get"]
            names = [p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in operation.get("parameters", [])]
            served_names = [p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in served.get("parameters", [])]
            assert served_names[: len(names)] == names, path
            assert {"200", "404", "422"} <= set(served["responses"])
    assert document["paths"]["/taxonomy_terms"]["get"]["operationId"] == "getPaginatedListOfTaxonomyTerms"
    assert "https://raw.githubusercontent" not in json.dumps(document)  # every reference is local
    assert len(hsda.DELTAS) == 9
    assert all(p.get("allowEmptyValue") for p in document["components"]["parameters"].values())


# -- schemathesis against the served document --------------------------------------------------------

import schemathesis  # noqa: E402

small = schemathesis.openapi.from_asgi("/hsda/openapi.json", APP)


@small.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_hsda_conforms_to_its_document(case):
    """Every check: no server error, the documented status codes and bodies, schema-valid requests
    accepted and schema-violating ones refused."""
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, excluded_checks=_integral_floats(case))


def _integral_floats(case) -> list:
    """schemathesis generates an integral number written as a float (``per_page=25.0``) both as a valid
    integer (JSON Schema: 25.0 is an integer; the server takes it) and, in its negative cases, as an
    invalid one: such a case cannot be judged "schema-violating"."""
    query = case.query or {}
    floats = any(
        isinstance(v, float) or (isinstance(v, str) and re.fullmatch(r"[+-]?\d+\.0*", v)) for v in query.values()
    )
    return [schemathesis.checks.negative_data_rejection] if floats else []


def _published_app():
    """The API with the spec's own document, as published (references made local), served beside it: what an
    integrator's tools read."""
    from fastapi import FastAPI

    document = hsda.published_document("/hsda")
    params = document["components"]["parameters"]
    # Three strings whose values the spec's own words give where its schema does not: format "json" or
    # "ndjson" (its description), proximity a number of metres, modified_after a date-time (it writes the
    # unknown format "datetime"). Their empty value, and everything else, is left as the spec has it.
    params["format"]["schema"] = {"type": "string", "enum": ["json", "ndjson", ""]}
    params["proximity"]["schema"] = {"anyOf": [{"type": "number", "minimum": 0}, {"const": ""}]}
    params["modified_after"]["schema"] = {"anyOf": [{"type": "string", "format": "date-time"}, {"const": ""}]}
    outer = FastAPI()
    outer.get("/published.json")(lambda: document)
    outer.mount("/", APP)
    return outer


published = schemathesis.openapi.from_asgi("/published.json", _published_app())
published.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])


@published.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_request_the_specs_own_document_calls_valid_is_taken(case):
    """Requests the spec's own document says are valid — an empty ``format=`` or ``modified_after=``, a
    page of 0, a per_page of 10,000, among them — are not refused: no "schema-valid request rejected", no
    server error. (The three strings whose values only the spec's words give are read as its words say,
    see above; the response bodies are checked against our own, stricter document above.)"""
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=[schemathesis.checks.positive_data_acceptance])


def test_an_empty_value_means_the_parameter_was_not_given():
    client = TestClient(APP)
    plain = client.get("/hsda/services", params={"per_page": 3})
    for name in ("format", "modified_after", "search", "taxonomy_term_id", "page", "minimal"):
        empty = client.get("/hsda/services", params={"per_page": 3, name: ""})
        assert empty.status_code == 200 and empty.json() == plain.json(), name


national = schemathesis.openapi.from_asgi("/hsda/openapi.json", create_app(national_directory()))


@pytest.mark.slow
@national.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_hsda_conforms_on_the_national_directory(case):
    """The same on the shipped national directory, a page at a time: an example asking for the ndjson
    stream asks for a JSON page instead (the stream of every site in full is 790 MB and 34 s here, and
    its records are the pages' records; the stream itself is tested on the national file's detox sites in
    test_http_cache.py and against the sample above)."""
    if case.query and case.query.get("format") == "ndjson":
        case.query["format"] = "json"
    response = case.call(timeout=120)
    assert response.status_code < 500, response.text
    case.validate_response(response, excluded_checks=_integral_floats(case))


# -- both stores ---------------------------------------------------------------------------------------

REQUESTS = [
    ("/hsda/services", {"per_page": 20, "page": 2}),
    ("/hsda/services", {"search": "detox", "full": "true"}),
    ("/hsda/services", {"taxonomy_term_id": hsds.uid("taxonomy_term", "md"), "minimal": "true"}),
    ("/hsda/services", {"modified_after": "2026-01-01T00:00:00Z"}),
    ("/hsda/services", {"format": "ndjson"}),
    ("/hsda/organizations", {"full_service": "true", "per_page": 5}),
    ("/hsda/service_at_locations", {"postcode": "80202", "proximity": 15000}),
    ("/hsda/service_at_locations", {"postcode": "33602"}),
    ("/hsda/service_at_locations", {"lat": 27.77, "lon": -82.64, "proximity": 20000, "full": "true"}),
    ("/hsda/taxonomy_terms", {"search": "detoxification"}),
    ("/hsda/taxonomies", {}),
]


@needs_postgis
def test_both_stores_give_the_same_bodies(client, data_file):
    from directory.stores.postgis import PostgisStore, load

    with cluster() as c:
        load(c.dsn, data_file)
        pg = PostgisStore(c.dsn)
        try:
            database = TestClient(create_app(pg), raise_server_exceptions=False)
            ids = [s["id"] for s in client.get("/hsda/services", params={"per_page": 5}).json()["contents"]]
            one = [f"/hsda/services/{i}" for i in ids] + [
                f"/hsda/service_at_locations/{i.replace('-0002-', '-0004-')}" for i in ids
            ]
            for path, params in [*REQUESTS, *((p, {}) for p in one)]:
                memory, db = client.get(path, params=params), database.get(path, params=params)
                assert (memory.status_code, memory.content) == (db.status_code, db.content), (path, params)
        finally:
            pg.close()


@functools.cache
def every_site() -> list[tuple[str, str, set[str], str]]:
    """Each site of the national file read on its own: id, search text, codes, newest date."""
    from directory.core.taxonomy import Taxonomy

    taxonomy = Taxonomy.load()
    return [
        (
            r["facility_id"],
            keys.search_text(r["name"], r["name2"], r["service_codes"], r["city"], r["state"], taxonomy),
            set(filter(None, str(r["service_codes"]).split(";"))),
            keys.modified_key(r["last_listed"], r["verified_on"], r["details_as_of"]),
        )
        for r in national_directory().frame.to_dict("records")
    ]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_selection_is_what_a_brute_force_reading_of_every_site_finds(data):
    """The in-memory store's fast path (vectorised substring search, code masks, id order) against
    reading every site of the national file one by one."""
    from directory.core.taxonomy import Taxonomy
    from directory.search.selection import Selection

    memory = national_directory()
    taxonomy = Taxonomy.load()
    i = data.draw(st.integers(0, memory.n - 1))
    row = memory.frame.iloc[i]
    text = keys.search_text(row["name"], row["name2"], row["service_codes"], row["city"], row["state"], taxonomy)
    words = text.split()
    # words of a real site, cut anywhere (a substring), plus one that may match nothing
    chosen = data.draw(st.lists(st.sampled_from(words), min_size=0, max_size=2, unique=True))
    chosen = [w[data.draw(st.integers(0, max(len(w) - 2, 0))) :] for w in chosen]
    chosen += data.draw(st.lists(st.sampled_from(["zzq", "detox", "county", "recovery"]), max_size=1))
    codes = data.draw(st.one_of(st.none(), st.sets(st.sampled_from(["dt", "md", "op", "bu", "mm", "xx"]), max_size=2)))
    since = data.draw(st.one_of(st.none(), st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31))))
    selection = Selection(
        codes=frozenset(codes) if codes is not None else None,
        words=tuple(dict.fromkeys(chosen)),
        modified_since=since,
    )
    expected = [
        facility_id
        for facility_id, site_text, site_codes, newest in every_site()
        if all(w in site_text for w in selection.words)
        and (codes is None or site_codes & set(codes))
        and (since is None or newest >= since.isoformat())
    ]
    assert memory.select(selection) == (sorted(expected), None)

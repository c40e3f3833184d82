"""HTTP caching, compression and CORS of both APIs (directory.http.caching), and the fast JSON path
(directory.exports.public) against the reference it replaced: the same bodies, a 304 on a match, a new
ETag after a report or a correction, compressed bodies that decompress to the same bytes."""

from __future__ import annotations

import gzip
import json
import warnings

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory import Query, hsds
from directory.exports import tabular as exports
from directory.exports.public import PublicRecords
from directory.http.api import create_app
from directory.live.availability import AvailabilityLog, parse_report
from directory.live.links import ProviderLinks
from directory.pipeline.corrections import CorrectionsFile, new
from directory.stores.memory import Directory
from directory.stores.tag import StateTag

from .conftest import REPO, national_directory

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DIRECTORY = national_directory()
CLIENT = TestClient(create_app(DIRECTORY))
TAMPA = {"near": "Tampa, FL", "service": "detox"}
WARM = PublicRecords()
WARM.warm(DIRECTORY.frame, 0)


@pytest.fixture()
def live(tmp_path, monkeypatch):
    """The shipped file with a live folder and a corrections file of its own, an API over it, a link for a
    Tampa detox site."""
    monkeypatch.setenv("DIRECTORY_REPORTS_DIR", str(tmp_path))
    corrections = CorrectionsFile(tmp_path / "corrections.csv")
    store = Directory.load(REPO / "data" / "facilities.csv", live=AvailabilityLog(tmp_path), corrections=corrections)
    site = store.search(Query(near="Tampa, FL", services=("detox",))).ids[0]
    _, secret = ProviderLinks(tmp_path).issue(site, "intake@example.org")
    return store, TestClient(create_app(store)), site, secret, corrections


def reference_body(store, query: Query, page: int, page_size: int, echo: dict) -> dict:
    """What the API answered before the fast path: the envelope and rows of ``json_body`` from the frame."""
    result = store.search(query)
    body = exports.json_body(result, page=page, page_size=page_size, query=echo)
    for row in body["results"]:
        row["availability"] = None
    return body


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    near=st.sampled_from([None, "Tampa, FL", "Washington, IN", "10001", "Anchorage, AK"]),
    service=st.sampled_from([(), ("detox",), ("mat",), ("residential", "outpatient")]),
    page=st.integers(1, 3),
    page_size=st.sampled_from([1, 7, 50]),
    warm=st.booleans(),
)
def test_the_fast_body_is_the_reference_body(near, service, page, page_size, warm):
    query = Query(near=near, services=service, limit=page * page_size)
    kept = WARM if warm else PublicRecords()  # every record made at load, or each as an answer first needs it
    echo = {"near": near}
    fast = json.loads(kept.search_body(DIRECTORY.search(query), {}, page=page, page_size=page_size, query=echo))
    assert fast == reference_body(DIRECTORY, query, page, page_size, echo)
    assert list(fast) == list(reference_body(DIRECTORY, query, page, page_size, echo))  # and the key order
    for row in fast["results"]:
        keys = list(row)
        assert keys[0] == "facility_id" and keys[-1] == "availability"
        assert (keys[1] == "distance_miles") == (near is not None)


def test_a_detail_is_the_search_row_without_distance():
    row = CLIENT.get("/v1/facilities", params=TAMPA).json()["results"][0]
    detail = CLIENT.get(f"/v1/facilities/{row['facility_id']}").json()
    row.pop("distance_miles")
    assert detail == row and list(detail) == list(row)
    assert CLIENT.get("/v1/facilities/fnotasite").status_code == 404


@pytest.mark.parametrize(
    "path, params",
    [
        ("/v1/facilities", TAMPA),
        ("/v1/facilities", {**TAMPA, "format": "geojson"}),
        ("/v1/locate", {"q": "Washington, IN"}),
        ("/v1/services", {}),
        ("/hsda/services", {"per_page": 5}),
        ("/openapi.json", {}),
    ],
)
def test_a_repeated_get_is_a_304_with_the_same_etag(path, params):
    first = CLIENT.get(path, params=params)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    again = CLIENT.get(path, params=params, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    other = CLIENT.get(path, params=params, headers={"If-None-Match": tag, "Accept-Language": "es"})
    assert other.status_code == 200 and other.headers["etag"] != tag  # another language, another answer
    stale = CLIENT.get(path, params=params, headers={"If-None-Match": '"0000", "1111"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_cache_control_says_how_long():
    assert CLIENT.get("/v1/facilities", params=TAMPA).headers["cache-control"] == "public, max-age=60"
    assert CLIENT.get("/v1/services").headers["cache-control"] == "public, max-age=3600"
    assert CLIENT.get("/hsda/openapi.json").headers["cache-control"] == "public, max-age=3600"
    health = CLIENT.get("/healthz")
    assert health.headers["cache-control"] == "no-store" and "etag" not in health.headers
    refused = CLIENT.get("/v1/facilities", params={"near": "Tampa, FL", "servce": "detox"})
    assert refused.status_code == 422 and "etag" not in refused.headers
    assert refused.headers["cache-control"] == "no-store"


def test_a_report_and_a_correction_change_the_etag_of_what_they_change(live):
    store, client, site, secret, corrections = live
    before = client.get("/v1/facilities", params=TAMPA)
    detail = client.get(f"/v1/facilities/{site}")
    elsewhere = client.get("/v1/facilities", params={"near": "Washington, IN"})
    tag_of = {"search": before.headers["etag"], "detail": detail.headers["etag"]}
    sent = client.put(
        f"/v1/facilities/{site}/availability",
        content=json.dumps({"accepting_new_patients": "waitlist", "wait_days": 10}),
        headers={"Authorization": f"Bearer {secret}", "Origin": "https://211.example.org"},
    )
    assert sent.status_code == 200 and sent.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in sent.headers  # the write is never answered "*"
    after = client.get("/v1/facilities", params=TAMPA, headers={"If-None-Match": tag_of["search"]})
    assert after.status_code == 200 and after.headers["etag"] != tag_of["search"]
    assert after.json()["results"][0]["availability"]["accepting_new_patients"] == "waitlist"
    new_detail = client.get(f"/v1/facilities/{site}", headers={"If-None-Match": tag_of["detail"]})
    assert new_detail.status_code == 200 and new_detail.json()["availability"]["wait_days"] == 10
    # a maintainer's correction: the record itself changes, and so does every tag
    corrections.add(
        new(site, "set", field="name2", value="Intake in the rear building", by="m@example.org", verified_how="phone")
    )
    corrected = client.get(f"/v1/facilities/{site}", headers={"If-None-Match": new_detail.headers["etag"]})
    assert corrected.status_code == 200 and corrected.json()["name2"] == "Intake in the rear building"
    again = client.get(f"/v1/facilities/{site}", headers={"If-None-Match": corrected.headers["etag"]})
    assert again.status_code == 304
    unchanged = client.get("/v1/facilities", params={"near": "Washington, IN"})
    assert unchanged.json() == elsewhere.json()  # the body of what it does not change stays the same


def test_the_state_tag_is_made_of_content_the_same_in_every_replica(tmp_path):
    file = REPO / "data" / "facilities.csv"
    site = DIRECTORY.search(Query(near="Tampa, FL")).ids[0]
    one = Directory.load(file, live=AvailabilityLog(tmp_path), corrections=CorrectionsFile(tmp_path / "c.csv"))
    empty = StateTag(one)()
    for answer in ("waitlist", "yes"):  # one replica reads the log after each report
        AvailabilityLog(tmp_path).add(parse_report({"accepting_new_patients": answer}, site, 1))
        one.live.latest()
    two = Directory.load(file, live=AvailabilityLog(tmp_path), corrections=CorrectionsFile(tmp_path / "c.csv"))
    two.live.latest()  # the other reads it once: their counters differ, their state does not
    assert one.live.version != two.live.version
    assert StateTag(one)() == StateTag(two)() != empty
    assert one.build_id() == two.build_id() == DIRECTORY.build_id()  # the same file, the same load


@pytest.mark.parametrize("encoding, decode", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_compressed_answers_decompress_to_the_same_bytes(encoding, decode):
    params = {"near": "Tampa, FL", "page_size": 100}
    plain = CLIENT.get("/v1/facilities", params=params, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) > 1024
    packed = CLIENT.stream("GET", "/v1/facilities", params=params, headers={"Accept-Encoding": encoding})
    with packed as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == encoding and int(r.headers["content-length"]) == len(raw)
        assert "Accept-Encoding" in r.headers.get_list("vary") or "Accept-Encoding" in r.headers["vary"]
        tag = r.headers["etag"]
    assert decode(raw) == plain.content and len(raw) < len(plain.content) / 3
    assert tag != plain.headers["etag"] and tag.strip('"').split(".")[0] == plain.headers["etag"].strip('"')
    revalidated = CLIENT.get(
        "/v1/facilities", params=params, headers={"Accept-Encoding": encoding, "If-None-Match": tag}
    )
    assert revalidated.status_code == 304 and revalidated.headers["etag"] == tag
    small = CLIENT.get("/v1/locate", params={"q": "Washington, IN"}, headers={"Accept-Encoding": encoding})
    assert len(small.content) < 1024 and "content-encoding" not in small.headers


def test_the_ndjson_stream_is_compressed_as_it_streams():
    detox = {"format": "ndjson", "taxonomy_term_id": hsds.uid("taxonomy_term", "dt")}  # a few thousand sites
    plain = CLIENT.get("/hsda/services", params=detox, headers={"Accept-Encoding": "identity"})
    lines = plain.content.splitlines()
    assert len(lines) == DIRECTORY.search(Query(services=("dt",), listed_since=None)).total > 1000
    with CLIENT.stream("GET", "/hsda/services", params=detox, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["content-encoding"] == "gzip" and "content-length" not in r.headers
        chunks = list(r.iter_raw())
    assert len(chunks) > 1  # sent as it was made, not gathered first
    assert gzip.decompress(b"".join(chunks)) == plain.content


def test_other_origins_may_read_but_never_write_by_default():
    origin = {"Origin": "https://211.example.org"}
    read = CLIENT.get("/v1/facilities", params=TAMPA, headers=origin)
    assert read.headers["access-control-allow-origin"] == "*"
    assert "ETag" in read.headers["access-control-expose-headers"]
    hsda = CLIENT.get("/hsda/services", params={"per_page": 1}, headers=origin)
    assert hsda.headers["access-control-allow-origin"] == "*"
    preflight = CLIENT.options(
        "/hsda/services",
        headers={**origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match"},
    )
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert "If-None-Match" in preflight.headers["access-control-allow-headers"]
    write = CLIENT.options("/v1/facilities/x/availability", headers={**origin, "Access-Control-Request-Method": "PUT"})
    assert write.status_code == 403 and "access-control-allow-origin" not in write.headers
    with_credentials = CLIENT.get("/v1/services", headers={**origin, "Authorization": "Bearer x"})
    assert "access-control-allow-origin" not in with_credentials.headers


def test_a_named_origin_may_send_the_providers_write():
    client = TestClient(create_app(DIRECTORY, cors_origins=["https://211.example.org"]))
    preflight = client.options(
        "/v1/facilities/x/availability",
        headers={"Origin": "https://211.example.org", "Access-Control-Request-Method": "PUT"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://211.example.org"
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    other = client.options(
        "/v1/facilities/x/availability",
        headers={"Origin": "https://elsewhere.example.com", "Access-Control-Request-Method": "PUT"},
    )
    assert other.status_code == 403


def test_records_are_the_same_in_every_language_and_the_words_around_them_are_not():
    english = CLIENT.get("/v1/facilities", params=TAMPA).json()
    spanish = CLIENT.get("/v1/facilities", params={**TAMPA, "lang": "es"}).json()
    assert spanish["results"] == english["results"]  # why one serialised record serves every language
    assert spanish["description"] != english["description"] and spanish["description"].startswith("Desintox")

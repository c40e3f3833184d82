"""Providers report availability through the API with their link's key, and every search sees it at once:
the one write route, refused updates that write nothing, the "Available now" filter with its counts, and
the same answers from the PostGIS store (whose replicas read the database)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from directory import Query
from directory.http.api import create_app
from directory.live.availability import AvailabilityLog, parse_report
from directory.live.links import PER_HOUR, ProviderLinks
from directory.stores.memory import Directory

from .conftest import REPO
from .pg import cluster, needs_postgis


@pytest.fixture()
def live(tmp_path, monkeypatch):
    """The shipped directory with a live folder of its own, an API over it, and a link for a Tampa detox site."""
    monkeypatch.setenv("DIRECTORY_REPORTS_DIR", str(tmp_path))
    store = Directory.load(REPO / "data" / "facilities.csv", live=AvailabilityLog(tmp_path))
    site = store.search(Query(near="Tampa, FL", services=("detox",))).records[0]
    link, secret = ProviderLinks(tmp_path).issue(site.facility_id, "intake@example.org")
    return store, TestClient(create_app(store)), site, secret, tmp_path


def put(client, facility_id, body, secret=None, raw=None):
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    content = raw if raw is not None else json.dumps(body)
    return client.put(f"/v1/facilities/{facility_id}/availability", content=content, headers=headers)


def test_a_provider_reports_and_the_next_search_sees_it(live):
    store, client, site, secret, folder = live
    near = Query(near="Tampa, FL", services=("detox",))
    before = store.search(near.with_(available_now="beds"))
    assert before.total == 0 and store.search(near).facets["available_now"] == {"accepting": 0, "beds": 0}
    answer = put(
        client,
        site.facility_id,
        {"accepting_new_patients": "waitlist", "wait_days": 10, "beds": [{"level": "detox", "available": 2}]},
        secret,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["capacity_status"] == "waitlist" and body["current"] and body["reported_by"] == "the provider"
    assert answer.headers["cache-control"] == "no-store" and secret not in answer.text
    after = store.search(near.with_(available_now="beds"))
    assert after.ids == [site.facility_id]
    assert store.search(near).facets["available_now"] == {"accepting": 0, "beds": 1}
    assert store.search(near.with_(available_now="accepting")).total == 0  # a waitlist is not "accepting"
    found = client.get("/v1/facilities", params={"near": "Tampa, FL", "service": "detox", "available_now": "beds"})
    assert [r["facility_id"] for r in found.json()["results"]] == [site.facility_id]
    assert found.json()["results"][0]["availability"]["beds"] == [{"level": "detox", "available": 2, "maximum": None}]
    detail = client.get(f"/v1/facilities/{site.facility_id}").json()
    assert detail["availability"]["wait_days"] == 10
    assert len((folder / "availability.jsonl").read_text().splitlines()) == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"accepting_new_patients": "maybe"}, 422, "accepting_new_patients"),
        ({"accepting_new_patients": "yes", "color": "red"}, 422, "color"),
        ({"beds": [{"level": "detox", "available": 5, "maximum": 3}]}, 422, "beds"),
        ({"beds": [{"level": "detox", "available": -1}]}, 422, "beds"),
        ({"note": "<b>x</b>" * 40}, 422, "note"),
    ],
)
def test_a_bad_report_writes_nothing_and_names_its_field(live, body, status, field):
    store, client, site, secret, folder = live
    answer = put(client, site.facility_id, body, secret)
    assert answer.status_code == status and answer.json()["detail"][0]["loc"][-1] == field
    assert not (folder / "availability.jsonl").exists()


def test_keys_that_may_not_write_are_refused_in_one_line(live):
    store, client, site, secret, folder = live
    other = store.search(Query(near="Miami, FL")).records[0]
    cases = [
        (put(client, site.facility_id, {"accepting_new_patients": "yes"}), 401),  # no key
        (put(client, site.facility_id, {"accepting_new_patients": "yes"}, "tdp_forged"), 401),
        (put(client, other.facility_id, {"accepting_new_patients": "yes"}, secret), 403),  # another site's
        (put(client, site.facility_id, None, secret, raw="{not json"), 422),
    ]
    for answer, status in cases:
        assert answer.status_code == status, answer.text
        message = answer.json()["detail"][0]["msg"]
        assert "\n" not in message and secret not in answer.text
    links = ProviderLinks(folder)
    links.revoke(links.list()[0].id)
    revoked = put(client, site.facility_id, {"accepting_new_patients": "yes"}, secret)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"][0]["msg"]
    assert not (folder / "availability.jsonl").exists()


def test_thirty_updates_an_hour_then_429_with_retry_after(live):
    store, client, site, secret, folder = live
    log = AvailabilityLog(folder)
    now = datetime.now(UTC)
    for i in range(PER_HOUR):
        log.add(parse_report({"beds": [{"level": "detox", "available": i}]}, site.facility_id, 1, received_at=now))
    answer = put(client, site.facility_id, {"accepting_new_patients": "yes"}, secret)
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    assert len(log.history()) == PER_HOUR


def test_an_old_report_is_not_current(live):
    store, client, site, secret, folder = live
    AvailabilityLog(folder).add(
        parse_report(
            {"accepting_new_patients": "yes"}, site.facility_id, 1, received_at=datetime.now(UTC) - timedelta(days=15)
        )
    )
    near = Query(near="Tampa, FL", services=("detox",), available_now="accepting")
    assert store.search(near).total == 0
    assert store.availability([site.facility_id])[site.facility_id].current() is False


def test_the_api_writes_only_availability(live):
    store, client, site, secret, folder = live
    app = create_app(store)
    writes = {(r.path, m) for r in app.routes for m in getattr(r, "methods", set()) if m not in ("GET", "HEAD")}
    assert writes == {("/v1/facilities/{facility_id}/availability", "PUT")}


@needs_postgis
def test_the_postgis_store_sees_the_same_reports_at_once(tmp_path):
    """Reports written to the database (one INSERT each) change every replica's next search within a
    second: the same ids and counts as the in-memory store over the same reports; the API writes there."""
    from directory.stores.postgis import PostgisStore, load
    from directory.stores.postgis.live import READ_EVERY_SECONDS, DatabaseAvailabilityLog, DatabaseProviderLinks

    with cluster() as c:
        load(c.dsn, REPO / "data/facilities.csv")
        replica_a, replica_b = PostgisStore(c.dsn), PostgisStore(c.dsn)
        memory = Directory.load(REPO / "data" / "facilities.csv", live=AvailabilityLog(tmp_path))
        near = Query(near="Tampa, FL", services=("detox",))
        sites = memory.search(near).ids[:3]
        for i, fid in enumerate(sites):
            body = {"accepting_new_patients": "yes"} if i != 1 else {"beds": [{"level": "detox", "available": 3}]}
            for log in (memory.live, DatabaseAvailabilityLog(c.dsn)):
                log.add(parse_report(body, fid, 1))
        time.sleep(READ_EVERY_SECONDS + 0.1)
        for value in ("accepting", "beds"):
            expected = memory.search(near.with_(available_now=value))
            for replica in (replica_a, replica_b):
                found = replica.search(near.with_(available_now=value))
                assert found.ids == expected.ids and found.facets == expected.facets
        named = Query(near="Tampa, FL", name="recovery", available_now="accepting")  # the steps path
        assert replica_a.search(named).ids == memory.search(named).ids
        # Through the API over the database: the key's link is in the database too.
        link, secret = DatabaseProviderLinks(c.dsn).issue(sites[2], "intake@example.org")
        client = TestClient(create_app(replica_b))
        answer = put(client, sites[2], {"accepting_new_patients": "no"}, secret)
        assert answer.status_code == 200, answer.text
        time.sleep(READ_EVERY_SECONDS + 0.1)
        assert sites[2] not in replica_a.search(near.with_(available_now="accepting")).ids
        assert replica_a.availability([sites[2]])[sites[2]].accepting_new_patients == "no"
        replica_a.close()
        replica_b.close()


def test_hsda_carries_reported_beds_as_hsds_31_service_capacity(live):
    """The provider's beds as HSDS 3.1 service_capacity on /hsda/services/{id}, and the body still valid
    against the HSDA 3.0 compiled schema the crawler uses."""
    from directory import hsds

    from .test_hsda import SCHEMAS, validator

    store, client, site, secret, folder = live
    put(client, site.facility_id, {"beds": [{"level": "detox", "available": 2, "maximum": 12}]}, secret)
    body = client.get(f"/hsda/services/{hsds.uid('service', site.facility_id)}").json()
    capacity = body["service_capacity"]
    assert capacity[0]["unit"]["name"] == "Bed" and (capacity[0]["available"], capacity[0]["maximum"]) == (2, 12)
    assert capacity[0]["updated"].startswith(datetime.now(UTC).strftime("%Y-%m-%d"))
    schema = json.loads((SCHEMAS / "compiled" / "service.json").read_text(encoding="utf-8"))
    assert list(validator(schema).iter_errors(body)) == []


def test_the_detail_says_the_report_first_with_its_age(live):
    from directory import view

    store, client, site, secret, folder = live
    put(client, site.facility_id, {"accepting_new_patients": "yes", "note": "[x](https://evil.example) <b>"}, secret)
    report = store.availability([site.facility_id])[site.facility_id]
    detail = view.FacilityDetail.from_record(site, store.taxonomy, availability=report)
    blocks = view.detail_markdown(detail)
    assert blocks.heading.startswith(f"### {view.md_escape(site.name)}")
    # The sources' silence on new patients points to the report instead of reading as the last word.
    assert dict(view.highlights(detail))["Accepting new patients"] == ["see the provider's report above"]
    assert "**Availability \\(reported today by the provider\\):**" in blocks.contact
    assert "](https://evil" not in blocks.contact and "<b>" not in blocks.contact
    row = view.text_list(store, store.search(Query(near="Tampa, FL", services=("detox",))))[0]
    assert row.availability == "Accepting new patients · reported today by the provider"


def test_the_hsds_package_carries_reported_beds_and_stays_valid(live, tmp_path):
    """The package's HSDS 3.1 unit and service_capacity tables, beside the 3.0 ones: frictionless finds
    it valid (types, keys, the foreign keys to service and unit); without reports, nothing is added."""
    from frictionless import validate

    from directory.hsds.package import write_package

    store, client, site, secret, folder = live
    put(client, site.facility_id, {"beds": [{"level": "detox", "available": 2, "maximum": 12}]}, secret)
    result = store.search(Query(near="Tampa, FL", services=("detox",)))
    counts = write_package(result.records, tmp_path / "with", store.taxonomy, store.availability(result.ids))
    assert counts["service_capacity"] == 1 and counts["unit"] == 1
    report = validate(str(tmp_path / "with" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    capacity = (tmp_path / "with" / "service_capacity.csv").read_text().splitlines()
    assert capacity[0] == "id,service_id,unit_id,available,maximum,description,updated" and ",2,12," in capacity[1]
    plain = write_package(result.records, tmp_path / "without", store.taxonomy, {})
    assert "service_capacity" not in plain and not (tmp_path / "without" / "service_capacity.csv").exists()

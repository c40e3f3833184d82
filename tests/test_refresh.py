"""Refresh from FindTreatment.gov against a stand-in locator on 127.0.0.1 (never the internet):
covering states with circles, paging, checks and repairs, retries, resuming from the cache, the
ignored-location stop, the downloaded-export path, registering for the build, and `directory diff`."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from directory.cli import cli
from directory.diff import diff_records
from directory.errors import RefreshError
from directory.geo import great_circle_km
from directory.geocode.boundaries import states as outlines
from directory.importers import import_file
from directory.refresh import LocatorClient, cover, from_export, harvest
from directory.schema import read_records

from .conftest import REPO
from .locator_stub import DRIFTED, UNKNOWN_NAME, LocatorStub

STATES = ("RI", "DE")


@pytest.fixture(scope="module")
def shipped():
    return [r for r in read_records(REPO / "data/facilities.csv") if r.state in STATES and r.street1]


@pytest.fixture()
def stub(shipped):
    stub = LocatorStub(shipped)
    server, url = stub.serve()
    stub.url = url
    yield stub
    server.shutdown()


def client(stub, cache, **kwargs) -> LocatorClient:
    sleeps: list[float] = []
    c = LocatorClient(stub.url, cache=cache, rate=1000, sleep=sleeps.append, **kwargs)
    c.sleeps = sleeps
    return c


@pytest.mark.parametrize("state", ["RI", "DE", "FL", "CO"])
def test_the_circles_cover_the_whole_state(state):
    """5,000 random points inside the outline: each lies in some circle (brute force, no index)."""
    circles = cover(state, 40_000)
    index = outlines()
    outline = shapely.union_all(index.geometries[index.by_state[state]])
    rng = random.Random(state)
    x0, y0, x1, y1 = outline.bounds
    inside = []
    while len(inside) < 5000:
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if outline.contains(shapely.Point(lon, lat)):
            inside.append((lat, lon))
    lats = np.array([c.latitude for c in circles])
    lons = np.array([c.longitude for c in circles])
    for lat, lon in inside:
        nearest = min(great_circle_km(lat, lon, y, x) for y, x in zip(lats, lons, strict=True))
        assert nearest * 1000 <= 40_000 * 1.001, (state, lat, lon)


def test_a_harvest_gets_every_facility_checked_and_mapped(stub, shipped, tmp_path):
    locator = client(stub, tmp_path / "cache")
    result = harvest(locator, STATES, metres=30_000, page_size=25)
    report = result.write(tmp_path / "refresh.csv")
    expected = {(r.name.lower(), r.name2.lower(), r.street1.lower(), r.zip) for r in shipped}
    assert (
        report["facilities"] == len(expected)
        and report["states"]["RI"]["complete"]
        and report["states"]["DE"]["complete"]
    )
    assert report["requests"] == sum(s["pages"] for s in report["states"].values()) and report["retries"] == 0
    # Quirks, counted per facility: swapped points repaired, placeholder phones dropped, both spellings
    # of type_facility read, drifted names mapped, the unknown name kept in the report.
    assert len(report["repaired_coordinates"]) == len(range(4, len(shipped), 11))
    assert report["placeholder_phones_dropped"] == len(range(6, len(shipped), 13))
    assert set(report["type_facility_keys"]) == {"type_facility", "typeFacility"}
    with_unknown = [n for n in range(len(shipped)) if n % 7 == 3 and n % 17 != 9]  # (n % 17 == 9: services null)
    assert report["unmapped_service_names"] == {UNKNOWN_NAME: len(with_unknown)}
    # The file imports with no options, every facility accepted, at its true point.
    imported = import_file(tmp_path / "refresh.csv", source_id="refresh", source_date="2026-11-26")
    assert imported.adapter == "findtreatment" and imported.accepted + imported.merged == len(expected)
    truth = {(r.name, r.street1): r for r in shipped}
    for site in imported.sites.values():
        record = truth[(site.name, site.street1)]
        assert great_circle_km(site.latitude, site.longitude, record.latitude, record.longitude) < 0.01
        assert "9999" not in site.phone
        with_drifted = {c for c in DRIFTED if c in record.service_codes}
        assert with_drifted <= site.service_codes  # "Residential/24-hour residential" is still res
    # A second run over the complete cache sends no request and writes the same file.
    again = client(stub, tmp_path / "cache")
    harvest(again, STATES, metres=30_000, page_size=25).write(tmp_path / "again.csv")
    assert again.stats["requests"] == 0 and again.stats["cache_hits"] == report["requests"]
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "refresh.csv").read_bytes()


def test_faults_are_retried_with_backoff_and_retry_after(stub, tmp_path):
    stub.faults = [
        (429, {"Retry-After": "7"}, b""),
        (503, {}, b"busy"),
        (200, {"Content-Type": "application/json"}, b'{"page": 1, "totalPa'),
    ]
    locator = client(stub, tmp_path / "cache", backoff=0.5)
    report = harvest(locator, ["RI"], metres=30_000, page_size=25).summary()
    assert report["retries"] == 3
    assert report["retry_reasons"] == {"HTTP 429": 1, "HTTP 503": 1, "malformed JSON": 1}
    assert 7.0 in locator.sleeps  # Retry-After honoured (more than the 0.5 s backoff)
    clean = client(LocatorStubAgain(stub), tmp_path / "clean-cache")
    assert harvest(clean, ["RI"], metres=30_000, page_size=25).summary()["facilities"] == report["facilities"]


def LocatorStubAgain(stub):  # noqa: N802 - the same stub, faults used up
    assert stub.faults == []
    return stub


def test_an_interrupted_harvest_resumes_without_repeating_a_request(stub, tmp_path):
    stub.fail_after = 6
    first = client(stub, tmp_path / "cache", retries=1, backoff=0)
    with pytest.raises(RefreshError, match="run the same command again later to resume"):
        harvest(first, STATES, metres=30_000, page_size=25)
    assert not (tmp_path / "out.csv").exists()
    answered = stub.requests[:6]
    stub.fail_after = None
    stub.requests.clear()
    second = client(stub, tmp_path / "cache")
    harvest(second, STATES, metres=30_000, page_size=25).write(tmp_path / "out.csv")
    assert second.stats["cache_hits"] == 6 and not set(answered) & set(stub.requests)
    assert len(stub.requests) == len(set(stub.requests))


def test_a_locator_that_ignores_the_location_stops_the_harvest_and_nothing_is_written(stub, tmp_path):
    stub.ignore_location = True
    out = tmp_path / "refresh.csv"
    result = CliRunner().invoke(
        cli,
        [
            "refresh",
            "findtreatment",
            "--states",
            "RI,DE",
            "--output",
            str(out),
            "--base-url",
            stub.url,
            "--rate",
            "1000",
            "--radius-km",
            "30",
        ],
    )
    assert result.exit_code == 2 and "the locator ignored the location" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_the_cli_harvests_into_a_file_and_a_report(stub, tmp_path):
    out = tmp_path / "refresh.csv"
    result = CliRunner().invoke(
        cli,
        [
            "refresh",
            "findtreatment",
            "--states",
            "RI",
            "--output",
            str(out),
            "--base-url",
            stub.url,
            "--rate",
            "1000",
            "--radius-km",
            "30",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "refresh.csv.report.json").read_text())
    assert report["facilities"] > 10 and report["facilities_by_state"] == {"RI": report["facilities"]}
    assert report["base_url"] == stub.url and (tmp_path / "refresh.csv.cache").is_dir()


def test_a_downloaded_export_goes_through_the_same_checks(tmp_path):
    export = REPO / "data/sources/findtreatment_export_sample_2025_MA.csv"
    result = from_export(export)
    report = result.write(tmp_path / "from-file.csv")
    original = import_file(export, source_id="a", source_date="2025-08-19")
    again = import_file(tmp_path / "from-file.csv", source_id="b", source_date="2025-08-19")
    assert report["rows"] == original.rows_read and report["facilities"] == len(again.sites) == len(original.sites)
    assert {s.facility_id: s.service_codes for s in again.sites.values()} == {
        s.facility_id: s.service_codes for s in original.sites.values()
    }


def test_a_registered_refresh_is_the_newest_full_listing_of_the_build(stub, shipped, tmp_path):
    from directory.build import build
    from directory.manifest import register_source

    locator = client(stub, tmp_path / "cache")
    harvest(locator, ["RI"], metres=30_000, page_size=25).write(tmp_path / "refresh.csv")
    manifest = tmp_path / "sources.toml"
    nssats = REPO / "data/sources/nssats_national_directory_2015_geocoded.csv"
    manifest.write_text(
        f'[[source]]\nid = "nssats-2015"\npath = "{nssats}"\nadapter = "nssats"\n'
        'vintage = "2015-03-31"\nkind = "full"\n',
        encoding="utf-8",
    )
    register_source(tmp_path / "refresh.csv", "2026-11-26", manifest)
    register_source(tmp_path / "refresh.csv", "2026-11-27", manifest)  # replaces, never duplicates
    assert manifest.read_text().count('id = "findtreatment-refresh"') == 1
    build(manifest, tmp_path / "out.csv", tmp_path / "report.json", progress=False)
    sites = [r for r in read_records(tmp_path / "out.csv") if r.state == "RI"]
    both = [r for r in sites if set(r.sources) == {"findtreatment-refresh", "nssats-2015"}]
    assert len(both) >= 10
    for site in both:  # the refresh's own facts win: its date, its source, its services
        assert site.source == "findtreatment-refresh" and site.services_as_of.isoformat() == "2026-11-27"
        assert site.last_listed.isoformat() == "2026-11-27"


def test_diff_counts_each_kind_of_change_by_state(shipped):
    old = shipped[:60]
    taken = old[1:]
    moved = replace(taken[0], latitude=taken[0].latitude + 0.01)
    rephoned = replace(taken[1], phone="401-555-0100")
    extra = next(c for c in ("hh", "ct", "gh") if c not in taken[2].service_codes)
    served = replace(taken[2], service_codes=taken[2].service_codes | {extra})
    assert "carf" not in taken[3].service_codes
    accredited = replace(taken[3], service_codes=taken[3].service_codes | {"carf"})
    new = [moved, rephoned, served, accredited, *taken[4:], shipped[60]]
    report = diff_records(old, new)
    # Accreditation is a service code too: that change counts under both.
    expected = Counter(added=1, no_longer_listed=1, moved=1, phone=1, accreditation=1, services=2)
    assert report["totals"] == {k: expected[k] for k in report["totals"]}
    assert sum(sum(v.values()) for v in report["by_state"].values()) == sum(expected.values())
    result = CliRunner().invoke(
        cli,
        [
            "diff",
            str(REPO / "tests/data/facilities_chelsea.csv"),
            str(REPO / "tests/data/facilities_chelsea.csv"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0 and json.loads(result.output)["totals"]["added"] == 0

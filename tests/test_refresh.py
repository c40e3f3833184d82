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
from directory.core.errors import RefreshError
from directory.core.geo import great_circle_km
from directory.core.schema import read_records
from directory.geocode.boundaries import states as outlines
from directory.pipeline.diff import diff_records
from directory.pipeline.importers import import_file
from directory.pipeline.refresh import LocatorClient, cover, from_export, harvest

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
    without_services = {(r.name, r.street1) for n, r in enumerate(shipped) if n % 17 == 9}  # services: null
    for site in imported.sites.values():
        record = truth[(site.name, site.street1)]
        assert great_circle_km(site.latitude, site.longitude, record.latitude, record.longitude) < 0.01
        assert "9999" not in site.phone
        if (site.name, site.street1) not in without_services:
            with_drifted = {c for c in DRIFTED if c in record.service_codes}
            assert with_drifted <= site.service_codes  # "State Substance use treatment agency" is still stag
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
    assert report["rows"] == original.rows_read and report["facilities"] == again.rows_read
    assert len(again.sites) == len(original.sites)  # its mental-health-only listings are rejected on import
    assert again.rejected_by_reason["mental-health only"] == original.rejected_by_reason["mental-health only"] > 0
    assert {s.facility_id: s.service_codes for s in again.sites.values()} == {
        s.facility_id: s.service_codes for s in original.sites.values()
    }


def test_the_sites_own_download_is_read_as_the_site_gives_it(tmp_path):
    """FindTreatment.gov's "Facility listing" workbook, unchanged: a padded first header ("    name1"), the
    facilities on a sheet found by its columns beside a code reference, no dimension record (openpyxl's
    streaming reader sees 1 x 1), and rows of four kinds."""
    from directory.core.tables import read_sheets

    workbook = REPO / "data/sources/findtreatment_export_2023_TX.xlsx"
    sheets = read_sheets(workbook)
    assert [s.sheet for s in sheets] == ["Facilities with service detail", "service code reference"]
    assert sheets[0].header[0] == "name1" and len(sheets[0].header) == 333 and len(sheets[0].rows) == 2492
    result = from_export(workbook)
    report = result.write(tmp_path / "tx.csv")
    assert report["rows"] == 2492
    reference = report["code_reference"]
    assert reference["codes"] == 314 and reference["not_in_vocabulary"] == []
    assert reference["names_that_map_to_another_code"] == {} and reference["names_that_map_to_nothing"] == []
    imported = import_file(tmp_path / "tx.csv", source_id="tx", source_date="2023-11-07")
    direct = import_file(workbook, source_id="tx", source_date="2023-11-07")
    assert {s.facility_id: s.service_codes for s in imported.sites.values()} == {
        s.facility_id: s.service_codes for s in direct.sites.values()
    }
    kinds = Counter(s.type_facility for s in direct.sites.values())
    assert set(kinds) == {"SU", "MH", "OTP", "BUPREN"} and kinds["BUPREN"] > 1500
    # MH listings without substance-use treatment are rejected, with their reason.
    assert direct.rejected_by_reason["mental-health only"] == 110
    # OTP and BUPREN rows set every code column: what they state is their type alone, as a partial listing.
    # (A program listed both as an OTP and as an SU facility has the SU listing's codes too: not partial.)
    otp_only = [s for s in direct.sites.values() if s.type_facility == "OTP" and s.facility_id in direct.partial]
    assert len(otp_only) > 50 and all(s.service_codes == {"otp", "mu"} for s in otp_only)
    for site in direct.sites.values():
        if site.type_facility == "BUPREN":
            assert site.service_codes == {"bu"} and site.facility_id in direct.partial
    assert direct.artefacts["every code column set on a row of type BUPREN (export artefact)"] == 1621
    # jc and carf on SU rows are real accreditation.
    assert any({"jc", "carf"} & s.service_codes for s in direct.sites.values() if s.type_facility == "SU")


def test_a_registered_refresh_is_the_newest_full_listing_of_the_build(stub, shipped, tmp_path):
    from directory.pipeline.build import build
    from directory.pipeline.manifest import register_source

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


def test_service_names_of_a_2025_shaped_pull_map_to_codes():
    """A synthetic pull in the shape of the 2025 locator's JSON (named so: it is built here, not fetched):
    every name of the 2023 code list, as often as the real Texas download's SU and MH rows offer each
    service, written as the locator has written them — the 2023 name, the 2021 name, a slash with spaces, a
    parenthesised code, capitals — and two names no book has. At least 98 % of the name mentions map, among
    them the drifted "Opioids detoxification", "Telemedicine/telehealth therapy" and "Lofexidine or
    Clonidine detoxification"; what does not map is reported with its count."""
    import csv as csv_module

    from directory.core.tables import read_sheets
    from directory.core.taxonomy import Taxonomy
    from directory.pipeline.refresh.harvest import Harvest
    from directory.pipeline.refresh.names import ServiceNames

    taxonomy = Taxonomy.load()
    with (REPO / "data/codebook/samhsa_locator_service_codes_2023.csv").open(encoding="utf-8") as fh:
        book = list(csv_module.DictReader(fh))
    facilities = read_sheets(REPO / "data/sources/findtreatment_export_2023_TX.xlsx")[0]
    header = [h.lower() for h in facilities.header]
    rows = [dict(zip(header, cells, strict=False)) for _, cells in facilities.rows]
    rows = [r for r in rows if r["type_facility"] in ("SU", "MH")]  # OTP and BUPREN rows set every code
    mentions: list[tuple[str, str, str]] = []  # (category code, name as written, code it stands for)
    for entry in book:
        code, name, category = entry["service_code"], entry["service_name"], entry["category_code"]
        older = taxonomy.get(code).aliases
        for i in range(max(1, sum(1 for r in rows if r.get(code) == "1"))):
            written = name
            if i % 10 == 0 and older:
                written = older[0]
            elif i % 10 == 1:
                written = name.replace("/", " / ") if "/" in name else f"{name} ({code.upper()})"
            elif i % 10 == 2:
                written = name.upper()
            mentions.append((category, written, code))
    unknown = [("AS", "Xylazine wound care", "")] * 40 + [("TAP", "Recovery coaching by text message", "")] * 25
    mentions += unknown
    names = ServiceNames(taxonomy)
    mapped = sum(1 for category, written, code in mentions if names.code(written, category) == code and code)
    rate = mapped / len(mentions)
    print(f"\n{len(mentions):,} name mentions of {len(book)} services: {rate:.1%} map to their code")
    assert rate >= 0.98
    for drifted, code in (
        ("Opioids detoxification", "odtx"),
        ("Telemedicine/telehealth therapy", "tele"),
        ("Lofexidine or Clonidine detoxification", "dlc"),
    ):
        assert names.code(drifted) == code
    # Through the harvest: one row per facility, its names in blocks; the unmapped are counted, never dropped.
    harvest = Harvest()
    for n, (category, written, _) in enumerate(mentions):
        row = {
            "name1": f"Facility {n}",
            "street1": f"{n} Main St",
            "city": "Austin",
            "state": "TX",
            "zip": "78701",
            "latitude": "",
            "longitude": "",
            "type_facility": "SU",
            "services": [{"f1": "", "f2": category, "f3": written}],
        }
        harvest.add(row, names)
    assert harvest.summary()["unmapped_service_names"] == {
        "Xylazine wound care": 40,
        "Recovery coaching by text message": 25,
    }

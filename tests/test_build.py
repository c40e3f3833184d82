from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from directory import Facility
from directory.core.errors import ManifestError
from directory.core.schema import COLUMNS, read_facilities, read_records, validate, write_facilities, write_records
from directory.pipeline.build import build, read_manifest

from .conftest import REPO, built_once


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: The one correction the test build applies (a verification of the shipped file's first site), so that
#: the build's last step — corrections as the newest evidence — is part of the byte-for-byte comparison.
CORRECTIONS = (
    "id,facility_id,action,field,value,reason,verified_how,verified_on,by,report_id,undoes,recorded_at\n"
    "1,{site},verified,,,,phone,2026-11-30,AB,,,2026-11-30T15:00:00+00:00\n"
)


def _first_site() -> str:
    with open(REPO / "data/facilities.csv", encoding="utf-8") as fh:
        fh.readline()
        return fh.readline().split(",", 1)[0]


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    def make(out):
        (out / "corrections.csv").write_text(CORRECTIONS.format(site=_first_site()), encoding="utf-8")
        build(
            output=out / "facilities.csv",
            report_path=out / "report.json",
            progress=False,
            corrections=out / "corrections.csv",
        )

    out = built_once(tmp_path_factory, "national", make)
    return out, json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_build_reproduces_the_shipped_directory_byte_for_byte(rebuilt, tmp_path):
    """The build gives the shipped file with the corrections applied last, byte for byte: the shipped file
    with the same line applied (the in-memory store's and test_curate's way) is the same bytes."""
    out, report = rebuilt
    from directory.pipeline.corrections import apply, read

    shipped = read_records(REPO / "data/facilities.csv")
    corrected, applied = apply(shipped, read(out / "corrections.csv"))
    extra = list(read_facilities(REPO / "data/facilities.csv").columns[len(COLUMNS) :])
    write_records(corrected, tmp_path / "expected.csv", extra=extra)
    assert _digest(out / "facilities.csv") == _digest(tmp_path / "expected.csv")
    assert _digest(out / "facilities.csv") != _digest(REPO / "data/facilities.csv")  # the line did apply
    assert report["corrections"] == applied.report() and [a["id"] for a in applied.applied] == [1]
    shipped_report = json.loads((REPO / "data/build-report.json").read_text(encoding="utf-8"))
    assert {**report, "corrections": None} == {**shipped_report, "corrections": None}


def test_build_report_accounts_for_every_row(rebuilt):
    _, report = rebuilt
    for source in report["sources"]:
        assert source["rows_read"] == source["accepted"] + source["merged"] + source["rejected"]
        assert source["accepted"] == (
            source["linked_to_existing_site"] + source["duplicates_within_source"] + source["new_sites"]
        )
    totals = report["totals"]
    assert totals["sites"] == sum(s["new_sites"] for s in report["sources"])
    assert totals["sites"] == sum(totals["sites_by_state"].values())


def test_coverage_by_state_counts_what_the_file_holds(rebuilt):
    """Per state, the report's phone, accreditation and listed-since counts are the file's (brute force
    over the code book's accreditation rows, not the code that made the report)."""
    import csv

    out, report = rebuilt
    accreditation = {
        row["includes"]
        for row in csv.DictReader(open(REPO / "data/codebook/groups.csv", encoding="utf-8"))
        if row["family"] == "accreditation"
    }
    accredited = {c for codes in accreditation for c in codes.split(";")}
    frame = read_facilities(out / "facilities.csv")
    for state in ("MA", "CA", "FL"):
        rows = frame[frame["state"] == state]
        codes = [set(s.split(";")) for s in rows["service_codes"]]
        got = report["coverage_by_state"][state]
        assert got["sites"] == len(rows)
        assert got["with_accreditation"] == sum(1 for c in codes if c & accredited)
        assert got["with_phone"] == int(((rows["phone"] != "") | (rows["intake_phone"] != "")).sum())
        assert got["with_listed_since_2021"] == int((rows["last_listed"] >= "2021-01-01").sum())
    assert report["coverage_by_state"]["MA"]["with_accreditation"] > 0


def test_linked_sites_keep_the_newest_source_and_say_where_every_fact_came_from(rebuilt):
    out, report = rebuilt
    frame = read_facilities(out / "facilities.csv")
    vintages = {s["source"]: s["source_date"] for s in report["sources"]}
    kinds = {s["source"]: s["kind"] for s in report["sources"]}
    naming = {s["source"] for s in report["sources"] if s["names_sites"]}
    for record in frame.to_dict("records"):
        # (A maintainer's verification is listed last, as "corrections": evidence, not a listing.)
        sources = [s for s in record["sources"].split(";") if s != "corrections"]
        dates = [vintages[s] for s in sources]
        assert dates == sorted(dates, reverse=True)  # newest first
        assert record["last_listed"] == dates[0]  # by any source
        # Name and address come from the newest source that gives an address and names sites (CMS's legal
        # names cut short do not); a name-and-point listing is the source only of the sites nobody else lists.
        addressed = [s for s in sources if kinds[s] != "listing"]
        naming_ones = [s for s in addressed if s in naming]
        origin = (naming_ones or addressed or sources)[0]
        assert record["source"] == origin and record["source_date"] == vintages[origin]
        if not addressed:
            assert record["street1"] == "" and record["phone"] == "" and record["service_codes"] == "sa"
        full = [vintages[s] for s in sources if kinds[s] == "full"]
        if record["service_codes"]:
            assert record["services_as_of"] in dates
            if full:  # never newer than the newest full listing its codes rest on
                assert record["services_as_of"] <= max(full)
    both = frame[frame["sources"].str.contains("findtreatment-2025-ma") & frame["sources"].str.contains("nssats-2015")]
    # Named by the 2025 export, or by the OTP directory of 2026 where it lists the site too (newer).
    assert len(both) > 0 and both["source"].isin(["findtreatment-2025-ma", "otp-2026-05"]).all()
    assert (both["services_as_of"] == "2025-08-19").all()  # 2015 services do not join a 2025 listing
    only_2015 = frame[frame["sources"] == "nssats-2015"]
    assert len(only_2015) > 0 and (only_2015["services_as_of"] == "2015-03-31").all()
    # Listed again in 2026 says nothing about services: 2015 services stay dated 2015.
    relisted = frame[frame["sources"] == "findtreatment-2026-listing;nssats-2015"]
    assert len(relisted) > 0 and (relisted["services_as_of"] == "2015-03-31").all()
    assert (relisted["last_listed"] == "2026-01-09").all() and (relisted["source"] == "nssats-2015").all()


def test_the_linked_directory_meets_its_targets():
    """Issue targets, measured on the shipped file: size, coordinates, codes, provenance, duplicates."""
    from directory.pipeline.link import duplicate_pairs

    frame = read_facilities(REPO / "data/facilities.csv")
    n = len(frame)
    assert n >= 14_000
    assert (frame["latitude"] != "").all() and frame["geocode_precision"].isin(
        ["source", "address", "zip", "city", "state"]
    ).all()
    assert (frame["service_codes"] != "").mean() >= 0.90
    assert ((frame["sources"] != "") & (frame["source_date"] != "") & (frame["services_as_of"] != "")).all()
    pairs = duplicate_pairs(read_records(REPO / "data/facilities.csv"))
    print(
        f"\n{n} sites; with codes {(frame['service_codes'] != '').mean():.1%}; "
        f"beyond 'sa' {frame['service_codes'].map(lambda s: bool(set(s.split(';')) - {'sa', ''})).mean():.1%}; "
        f"duplicate pairs {len(pairs)} ({len(pairs) / n:.2%})"
    )
    assert len(pairs) / n <= 0.01


def test_shipped_directory_is_valid_and_complete():
    report = validate(REPO / "data/facilities.csv")
    assert report.valid, report.counts()
    frame = read_facilities(REPO / "data/facilities.csv")
    assert frame["facility_id"].is_unique
    assert (frame["geocode_precision"] != "").all()
    assert frame["zip"].str.fullmatch(r"\d{5}").all()


def test_facilities_round_trip(tmp_path):
    frame = read_facilities(REPO / "data/facilities.csv").head(200)
    frame.loc[frame.index[0], "name"] = 'Quote "test", comma; and ñ'
    write_facilities(frame, tmp_path / "f.csv")
    back = read_facilities(tmp_path / "f.csv")
    pd.testing.assert_frame_equal(back[list(COLUMNS)], frame[list(COLUMNS)].reset_index(drop=True))
    assert back["zip"].str.startswith("0").sum() == frame["zip"].str.startswith("0").sum()


def test_validate_reports_each_problem(tmp_path):
    frame = read_facilities(REPO / "data/facilities.csv").head(5).copy()
    frame.loc[0, "zip"] = "1234"
    frame.loc[1, "service_codes"] = "zzq;dt"
    frame.loc[2, "facility_id"] = frame.loc[3, "facility_id"]
    frame.loc[4, "latitude"] = "0"
    frame.loc[4, "longitude"] = "0"
    write_facilities(frame, tmp_path / "bad.csv")
    report = validate(tmp_path / "bad.csv")
    reasons = {(column, reason.split(" of row")[0]) for _, column, reason, _ in report.problems}
    assert ("zip", "not 5 digits") in reasons
    assert ("service_codes", "not sorted, unique and lower-case") in reasons
    assert ("service_codes", "code has no label") in reasons
    assert ("facility_id", "duplicate") in reasons
    assert ("latitude", "coordinates outside the US") in reasons


def test_manifest_errors_are_clear(tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nid = "a"\npath = "x.csv"\nadapter = "nope"\nvintage = "2020-01-01"\n')
    with pytest.raises(ManifestError, match="unknown adapter 'nope'"):
        read_manifest(bad)
    bad.write_text('[[source]]\nid = "a"\npath = "x.csv"\n')
    with pytest.raises(ManifestError, match="lacks adapter, vintage"):
        read_manifest(bad)


def test_adding_a_source_is_a_manifest_entry(tmp_path):
    """A mapped CSV joins the build with one manifest entry and no code."""
    shutil.copy(REPO / "tests/data/ca_dhcs_sample.csv", tmp_path / "ca.csv")
    shutil.copy(REPO / "tests/data/ca_dhcs.toml", tmp_path / "ca.toml")
    shutil.copy(REPO / "tests/data/nssats_sample.csv", tmp_path / "ns.csv")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "ca"\npath = "ca.csv"\nadapter = "mapped"\nmapping = "ca.toml"\nvintage = "2026-08-21"\n'
        '[[source]]\nid = "ns"\npath = "ns.csv"\nadapter = "nssats"\nvintage = "2015-03-31"\n'
    )
    report = build(tmp_path / "sources.toml", tmp_path / "out.csv", tmp_path / "report.json", progress=False)
    frame = read_facilities(tmp_path / "out.csv")
    assert set(frame["source"]) == {"ca", "ns"}
    assert "license_number" in frame.columns
    assert json.loads((tmp_path / "report.json").read_text())["totals"]["sites"] == report["totals"]["sites"]


def test_points_the_zip_and_city_both_contradict_are_replaced(rebuilt):
    """A source point far from where the record's ZIP and city agree (a Houston clinic placed in
    San Antonio by the source's geocoder) is replaced by the ZIP point and reported."""
    from directory.geocode import offline

    out, report = rebuilt
    frame = read_facilities(out / "facilities.csv").set_index("facility_id")
    assert report["coordinates_replaced"], "the shipped sources hold such points"
    for item in report["coordinates_replaced"]:
        assert item["km_from_zip"] > 150
        record = frame.loc[item["facility_id"]]
        assert record["geocode_precision"] == "zip"
        # The ZIP's point (a PO-box ZIP without a ZCTA: its 3-digit area's), as the geocoder gives it.
        zip_point = offline()._zip(record["zip"], record["state"])
        assert (float(record["latitude"]), float(record["longitude"])) == (
            round(zip_point.latitude, 6),
            round(zip_point.longitude, 6),
        )
    # Alaska's large ZIPs put ZIP points far from true facilities: without the city agreeing, nothing changes
    record = {"state": "TX", "zip": "77011", "city": "Houston", "latitude": "29.427119", "longitude": "-98.520655"}
    record = Facility.from_row(record)
    assert offline().contradicts(record)[3] > 300  # synthetic record: the reported San Antonio point
    assert offline().contradicts(replace(record, city="Nowhere Special")) is None
    assert offline().contradicts(replace(record, latitude=29.74, longitude=-95.33)) is None

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

from directory.build import build, read_manifest
from directory.errors import ManifestError
from directory.schema import COLUMNS, read_facilities, validate, write_facilities

from .conftest import REPO


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    report = build(output=out / "facilities.csv", report_path=out / "report.json", progress=False)
    return out, report


def test_build_reproduces_the_shipped_directory_byte_for_byte(rebuilt):
    out, _ = rebuilt
    assert _digest(out / "facilities.csv") == _digest(REPO / "data/facilities.csv")
    assert _digest(out / "report.json") == _digest(REPO / "data/build-report.json")


def test_build_report_accounts_for_every_row(rebuilt):
    _, report = rebuilt
    for source in report["sources"]:
        assert source["rows_read"] == source["accepted"] + source["merged"] + source["rejected"]
        assert source["sites_kept"] == source["accepted"] - source["superseded_by_newer_source"]
    totals = report["totals"]
    assert totals["sites"] == sum(s["sites_kept"] for s in report["sources"])
    assert totals["sites"] > 12000 and totals["states"] >= 54


def test_newer_source_supersedes_the_same_site_in_an_older_one(rebuilt):
    out, report = rebuilt
    frame = read_facilities(out / "facilities.csv")
    both = frame[frame["sources"] == "findtreatment-2025-ma;nssats-2015"]
    ma = next(s for s in report["sources"] if s["source"] == "nssats-2015")
    assert 0 < len(both) <= ma["superseded_by_newer_source"]  # a site may absorb two old listings
    assert (both["source"] == "findtreatment-2025-ma").all()
    assert (both["source_date"] == "2025-08-19").all()


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

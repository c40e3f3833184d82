"""The sources of 2023 in the shipped directory: Colorado's licensing directory (hours, new patients,
accessibility, withheld addresses, every value mapped or reported), CMS's Medicare OTP list (linked by
address, its phones dated, its cut-short legal names never naming a site), and the Texas download's
individual practitioners (a facility type of their own, never merged into a facility)."""

from __future__ import annotations

import csv
import dataclasses
import json
import tomllib
from datetime import date

import pytest

from directory import Query, hsds
from directory.core.filters import FACILITY_TYPES
from directory.exports import tabular as exports
from directory.geocode import offline, record_locator
from directory.pipeline.importers import import_file
from directory.view import FacilityDetail, detail_markdown, mapview, result_table

from .conftest import REPO, national_directory, read_rows, write_rows

COLORADO = REPO / "data/sources/colorado_bha_ladders_2023.csv"
VALUES = REPO / "data/sources/colorado_bha.toml"


@pytest.fixture(scope="module")
def colorado():
    return import_file(
        COLORADO, adapter="colorado-bha", source_id="co", source_date="2023-05-16", locate=record_locator()
    )


def test_every_colorado_value_is_mapped_or_reported(colorado):
    """Each value a row states in a mapped column is in the value map, or counted as unmapped; none lost."""
    tables = {k.lower(): {v.lower() for v in t} for k, t in tomllib.loads(VALUES.read_text()).items()}
    report = colorado.report()
    unmapped = {tuple(k.split(": ", 1)): n for k, n in report["unmapped_values"].items()}
    seen: dict[tuple[str, str], int] = {}
    rejected = {int(r["source_row"]) for r in colorado.rejects}
    with COLORADO.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            if line in rejected:
                continue
            for column in (
                "SubstanceUseServices",
                "MentalHealthSettings",
                "Fees",
                "PopulationServed",
                "LanguagesSpoken",
                "Accessibility",
            ):
                for value in filter(None, (v.strip() for v in row[column].split(";"))):
                    if value.lower() not in tables[column.lower()]:
                        seen[(column, value)] = seen.get((column, value), 0) + 1
    assert seen == unmapped and ("PopulationServed", "Homeless") in unmapped
    assert report["rows_read"] == 729 == report["accepted"] + report["merged"] + report["rejected"]
    assert report["rejected_by_reason"] == {"address withheld, no ZIP": 13, "mental-health only": 69}


def test_colorado_hours_new_patients_and_accessibility_with_their_date(colorado):
    """P2P Recovery Resources, Colfax: the row as the source states it."""
    site = next(s for s in colorado.sites.values() if s.extra["colorado_account_id"] == "0014M00001e7cwwQAA")
    assert (site.name, site.name2, site.street1, site.street2, site.zip) == (
        "P2P Recovery Resources, LLC",
        "Colfax",
        "1245 East Colfax Avenue",
        "Suite 203",
        "80218",
    )
    assert site.hours == tuple((d, "09:00-17:00") for d in ("mon", "tue", "wed", "thu", "fri"))
    assert site.accessibility == {"wheelchair", "deaf-hard-of-hearing", "visually-impaired"}
    assert site.accepting_new_patients is None  # the row leaves it empty: not listed, never "no"
    assert (site.details_source, site.details_as_of) == ("co", date(2022, 6, 28))  # ProviderDirectoryFormModifiedDate
    assert {"op", "sa", "md", "pi", "sf", "ss", "sp", "stag", "cj"} <= site.service_codes
    open_all_day = [s for s in colorado.sites.values() if ("mon", "00:00-24:00") in s.hours]
    assert len(open_all_day) > 50  # "12:00AM - 12:00AM"
    rejected = {int(r["source_row"]) for r in colorado.rejects}
    with COLORADO.open(encoding="utf-8", newline="") as fh:
        yes = sum(1 for n, r in enumerate(csv.DictReader(fh), 2) if n not in rejected and r["AcceptingNewPatients"])
    assert sum(1 for s in colorado.sites.values() if s.accepting_new_patients) == yes > 100


def test_a_withheld_address_is_never_kept_shown_exported_or_served(tmp_path):
    """A synthetic Colorado row (named so: the shipped rows that withhold an address give no ZIP either) that
    asks for its address not to be shown: no street is kept, its point is its ZIP's, the detail, the map and
    every export say so and carry no street."""
    header, rows = read_rows(COLORADO)
    row = dict(zip(header, next(r for r in rows if r[header.index("AccountID")] == "0014M00001e7cwwQAA"), strict=True))
    row.update(
        HideAddress="1",
        AccountID="synthetic-withheld",
        DisplayName="Synthetic Withheld Clinic",
        AccountName="Synthetic Withheld Clinic",
    )
    path = write_rows(tmp_path / "co.csv", header, [[row[h] for h in header]])
    result = import_file(
        path, adapter="colorado-bha", source_id="co", source_date="2023-05-16", locate=record_locator()
    )
    (site,) = result.sites.values()
    assert site.address_withheld and site.street1 == site.street2 == ""
    assert site.geocode_precision == "zip"
    zip_point = offline()._zip("80218", "CO")
    assert (round(site.latitude, 4), round(site.longitude, 4)) == (
        round(zip_point.latitude, 4),
        round(zip_point.longitude, 4),
    )
    detail = FacilityDetail.from_record(site, national_directory().taxonomy)
    assert "Address withheld at the provider's request" in detail.address_note
    assert "Colfax" not in "".join(dataclasses.astuple(detail_markdown(detail)))
    frame = __import__("pandas").DataFrame([site.to_row()])
    for text in (exports.to_csv(frame), exports.geojson_text(frame), json.dumps(exports.records(frame))):
        assert "Colfax" not in text and "1245" not in text
    tables = hsds.build_tables([site], national_directory().taxonomy)
    assert tables["address"] == [] and "Colfax" not in json.dumps(tables)
    points = mapview.map_points(national_directory(), frame)
    assert "address withheld at the provider's request" in points["c"][0]


def test_cms_otps_join_the_programs_other_sources_name_and_bring_their_phones():
    """CMS's names are legal entities cut at 35 characters ("BHG XLII LLC", "… Treatment IN"): linked after
    the others, a CMS record joins the OTP the directory already knows, which keeps its own name and gains
    CMS's phone, dated 2023 — unless SAMHSA's OTP directory of 2026 gives the site a newer number, which
    is shown, CMS's differing one then kept as an older number with its date."""
    frame = national_directory().frame
    cms = frame[frame["sources"].str.contains("cms-otp-2023")]
    in_2026 = cms["sources"].str.contains("otp-2026-05")
    with_otp = cms[cms["sources"].str.contains("otp-2022") & ~in_2026]
    assert len(cms) > 1400 and len(with_otp) > 80
    assert (cms["source"] != "cms-otp-2023").sum() > 1300  # the name and address are another source's
    dated = with_otp[with_otp["phone_as_of"] == "2023-08-28"]
    assert len(dated) > 0.9 * len(with_otp) and (dated["phone"] != "").all()
    newer = cms[in_2026]
    # (CMS fills in only where the 2026 directory gives no number.)
    assert len(newer) > 1100 and (newer["phone_source"] == "cms-otp-2023").sum() < 0.01 * len(newer)
    assert newer["older_phones"].str.contains("cms-otp-2023 2023-08-28").sum() > 100
    only = cms[cms["sources"] == "cms-otp-2023"]
    assert 50 < len(only) < 200 and (only["geocode_precision"].isin(["zip", "city"])).all()


def test_practitioners_are_a_facility_type_of_their_own():
    directory = national_directory()
    houston = directory.search(Query(near="Houston, TX", services=("mat",)))
    counts = houston.facets["facility_type"]
    assert set(counts) == set(FACILITY_TYPES) and counts["practitioner"] > 100 and counts["facility"] > 20
    only = directory.search(Query(near="Houston, TX", services=("mat",), facility_type="practitioner"))
    assert only.total == counts["practitioner"] and set(only.frame["type_facility"]) == {"BUPREN"}
    assert "(individual practitioners only)" in only.describe()
    assert set(only.frame["service_codes"]) == {"bu"}  # what a BUPREN row states: buprenorphine, nothing else
    table = result_table(directory, only)
    assert all(badges[0] == "Individual practitioner" for badges in table["services"])
    detail = FacilityDetail.from_record(only.records[0], directory.taxonomy)
    assert detail.kind == "Individual practitioner (prescribes buprenorphine)"
    # No practitioner is merged into a facility: each site of a practitioner is that practitioner's alone.
    practitioners = directory.frame[directory.frame["type_facility"] == "BUPREN"]
    assert (practitioners["sources"].str.split(";").map(lambda s: "findtreatment-2023-tx" in s)).all()
    assert not practitioners["sources"].str.contains("findtreatment-2026-listing").any()
    with pytest.raises(ValueError, match="facility_type must be one of facility, practitioner"):
        Query(facility_type="doctor")

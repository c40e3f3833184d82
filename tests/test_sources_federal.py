"""The newest federal files in the shipped directory: SAMHSA's 2023 National Directory (services of the
2022 survey decoded with its own code reference, a phone for every facility, linked by address with no
coordinates of its own) and SAMHSA's OTP directory of May 2026 (certification and its date), and the
signs of quality a person can check that they feed — each with the source and date that state it."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from directory import Query
from directory.core.normalize import format_phone, phones
from directory.core.taxonomy import Taxonomy
from directory.geocode import record_locator
from directory.pipeline.importers import import_file
from directory.pipeline.importers.mapped import us_date
from directory.pipeline.manifest import register_of, source_entry
from directory.view import FacilityDetail, compare, detail_markdown

from .conftest import REPO

SOURCES = REPO / "data" / "sources"
DIRECTORY_2023 = SOURCES / "samhsa_national_directory_su_2023.xlsx"
OTP_2026 = SOURCES / "samhsa_otp_directory_2026_05.csv"
TAXONOMY = Taxonomy.load()


@pytest.fixture(scope="module")
def workbook() -> dict[str, list[list[str]]]:
    book = CalamineWorkbook.from_path(str(DIRECTORY_2023))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


@pytest.fixture(scope="module")
def directory_2023():
    return import_file(
        DIRECTORY_2023,
        mapping=SOURCES / "samhsa_directory_2023.toml",
        source_id="samhsa-directory-2023",
        source_date="2023-06-29",
        locate=record_locator(),
    )


@pytest.fixture(scope="module")
def otp_2026():
    return import_file(
        OTP_2026,
        mapping=SOURCES / "otp_2026.toml",
        source_id="otp-2026-05",
        source_date="2026-05-25",
        locate=record_locator(),
    )


def test_every_code_of_the_2023_reference_is_in_the_vocabulary(workbook):
    """The directory's own code reference (224 codes): each maps to the code book, case folded, with a
    label — none is dropped, and none needs a label of ours."""
    reference = workbook["Service Code Reference"]
    assert reference[0] == ["category_code", "category_name", "service_code", "service_name", "service_description"]
    codes = {row[2].strip().lower() for row in reference[1:]}
    assert len(codes) == 224
    assert [c for c in sorted(codes) if not (TAXONOMY.in_vocabulary(c) and TAXONOMY.is_known(c))] == []


def test_the_2023_directory_is_read_whole(directory_2023, workbook):
    """Every row accounted for; every code of a row's coded string kept (lower case, '*' never a code);
    every row placed offline (no coordinates in the file), its precision said."""
    rows = workbook["Facilities List"][1:]
    report = directory_2023.report()
    assert report["rows_read"] == len(rows) == 12_744
    assert report["rows_read"] == report["accepted"] + report["merged"] + report["rejected"]
    assert report["unknown_codes"] == {} and report["rejected"] == 0
    assert set(report["geocode_precision"]) <= {"zip", "city"}
    stated = {c.lower() for row in rows for c in str(row[12]).split() if c != "*"}
    kept = {c for site in directory_2023.sites.values() for c in site.service_codes}
    assert kept == stated and "*" not in kept
    # One row as the file gives it: its codes and phones, exactly.
    row = next(r for r in rows if r[0] == "Shelby County Treatment Center")
    site = next(s for s in directory_2023.sites.values() if s.name == row[0])
    assert site.service_codes == {c.lower() for c in row[12].split() if c != "*"}
    assert site.phone == format_phone(row[7]) and site.geocode_precision == "zip" and site.zip == row[6]


def test_the_otp_directory_states_certification_and_its_date(otp_2026):
    with OTP_2026.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    report = otp_2026.report()
    assert report["rows_read"] == len(rows) == report["accepted"] + report["merged"] + report["rejected"]
    by_name = {(s.name, s.street1, s.zip): s for s in otp_2026.sites.values()}
    for row in rows[:200]:
        site = by_name.get((row["Program Name"], row["Street"], row["Zip Code"].zfill(5)[:5]))
        if site is None:  # merged into a twin row of the same program
            continue
        assert site.extra["otp_certification"] == row["Certification"]
        assert site.extra["otp_first_certified"] == us_date(row["First Full Certification Date/CMS Use"])
        assert site.extra["otp_directory"] == "otp-2026-05"
        assert ("sotp" in site.service_codes) == (row["Certification"] == "Certified")
        assert "otp" in site.service_codes and "mu" not in site.service_codes  # it names no medication
    assert us_date("09/30/2010") == "2010-09-30" and us_date("") == ""


@pytest.fixture(scope="module")
def report():
    return json.loads((REPO / "data" / "build-report.json").read_text(encoding="utf-8"))


def test_the_build_report_accounts_for_both_sources(report):
    sources = {s["source"]: s for s in report["sources"]}
    for source_id, rows in (("samhsa-directory-2023", 12_744), ("otp-2026-05", 2_105)):
        s = sources[source_id]
        assert s["rows_read"] == rows == s["accepted"] + s["merged"] + s["rejected"]
        assert s["codes_new"] == {} and s["codes_mapped"] == s["codes_used"]
        assert s["linked_to_existing_site"] + s["new_sites"] + s["duplicates_within_source"] == s["accepted"]
    repeated = sources["samhsa-directory-2023"]["repeated_name_and_address"]
    assert repeated["groups"] == repeated["groups_one_site"] + repeated["groups_several_sites"] > 100


def test_newest_evidence_wins_with_its_date(national):
    """Near Tampa, detox programs the 2023 directory lists show its services, dated by it; a number an
    older source gave differently is kept as an older number, never shown as the site's."""
    result = national.search(Query(near="Tampa, FL", services=("detox",)))
    listed = [r for r in result.records if "samhsa-directory-2023" in r.sources]
    assert len(listed) >= 10
    for record in listed:
        assert record.services_as_of is not None and record.services_as_of >= date(2023, 6, 29)
        assert record.phone  # the directory gives every facility a phone
    frame = national.frame
    older = frame[frame["older_phones"] != ""]
    assert len(older) > 100
    for _, row in older.head(300).iterrows():
        shown = "".join(c for c in row["phone"] if c.isdigit())
        for entry in row["older_phones"].split(";"):
            number, source_id, when = entry.split()[0], entry.split()[-2], entry.split()[-1]
            assert "".join(c for c in number if c.isdigit()) != shown
            assert source_id in row["sources"].split(";") and source_entry(source_id) is not None
            assert when <= (row["phone_as_of"] or row["source_date"])  # older than the number shown


def test_an_older_number_is_the_one_its_source_gave(national):
    """One site's kept older number, checked against the older source's own file."""
    frame = national.frame
    row = frame[frame["older_phones"].str.contains("nssats-2015")].iloc[0]
    number = row["older_phones"].split(";")[0].split()[0]
    with (SOURCES / "nssats_national_directory_2015_geocoded.csv").open(encoding="utf-8", newline="") as fh:
        contacts = [r["contact"] for r in csv.DictReader(fh) if r["zip"].zfill(5)[:5] == row["zip"]]
    assert any(number in (format_phone(p) for p in phones(c)) for c in contacts)
    detail = FacilityDetail.from_record(row.to_dict(), TAXONOMY)
    assert detail.older_phones and detail.older_phones[0].startswith(number)
    assert "N-SSATS national directory, Mar 2015" in detail.older_phones[0]
    assert number not in (detail.phone, detail.intake_phone)


def test_otp_certification_in_the_detail(national):
    frame = national.frame
    register = register_of("otp")
    assert register is not None and register.id == "otp-2026-05"
    certified = frame[(frame["otp_certification"] == "Certified") & (frame["otp_first_certified"] != "")].iloc[0]
    first = date.fromisoformat(certified["otp_first_certified"])
    detail = FacilityDetail.from_record(certified.to_dict(), TAXONOMY)
    assert detail.quality[0] == (
        f"Certified opioid treatment program (SAMHSA, first certified {first:%b %Y}; OTP directory of May 2026)"
    )
    provisional = frame[frame["otp_certification"] == "Provisional"].iloc[0]
    assert FacilityDetail.from_record(provisional.to_dict(), TAXONOMY).quality[0] == (
        "Provisionally certified opioid treatment program (SAMHSA OTP directory of May 2026)"
    )
    codes = frame["service_codes"].str.split(";")
    absent = frame[codes.map(lambda c: "otp" in c) & (frame["otp_certification"] == "")].iloc[0]
    line = FacilityDetail.from_record(absent.to_dict(), TAXONOMY).quality[0]
    assert line.endswith("not in SAMHSA's OTP directory of May 2026") and absent["services_as_of"]


def test_signs_of_quality_say_who_states_them(national):
    """Accreditation by body with its source and date, the section in the detail's Markdown with the
    no-payment line, and a row of the comparison; a site whose sources state none says so, never 'no'."""
    frame = national.frame
    carf = frame[frame["service_codes"].str.split(";").map(lambda c: "carf" in c)].iloc[0]
    detail = FacilityDetail.from_record(carf.to_dict(), TAXONOMY)
    source_id = dict(e.split()[:2] for e in carf["accreditation_sources"].split(";"))["carf"]
    from directory.pipeline.manifest import source_label

    assert f"Accredited by {TAXONOMY.get('carf').label} (as listed in {source_label(source_id)})" in detail.quality
    contact = detail_markdown(detail).contact
    assert "Signs of quality a person can check" in contact and "takes no payment for listing or placement" in contact
    bare = frame[(frame["accreditation_sources"] == "") & (frame["otp_certification"] == "")]
    bare = bare[~bare["sources"].str.contains("ca-dhcs|colorado|cms", regex=True)].iloc[0]
    plain = FacilityDetail.from_record(bare.to_dict(), TAXONOMY)
    assert plain.quality == [] and "not listed in the sources" in detail_markdown(plain).contact
    comparison = compare(national, [carf["facility_id"], bare["facility_id"]])
    row = comparison.row("quality")
    assert row.differs and row.cells[1].text == "not listed in the sources" and not row.cells[1].listed


def test_the_certified_otp_filter_is_a_group_of_the_registry(national):
    """SAMHSA-certified OTPs as a filter every front end derives from the registry, with counts."""
    near = national.search(Query(near="Baltimore, MD", accreditations=("samhsa-otp",)))
    assert near.total > 10
    assert all("sotp" in r.service_codes for r in near.records)
    assert near.facets["accreditation"]["samhsa-otp"] == near.total


def test_a_point_from_a_zip_says_so(national):
    frame = national.frame
    row = frame[(frame["geocode_precision"] == "zip") & (frame["address_withheld"] == "")].iloc[0]
    detail = FacilityDetail.from_record(row.to_dict(), TAXONOMY)
    assert detail.point_note.startswith(f"Map point: the centre of ZIP {row['zip']}")
    assert detail.point_note in detail_markdown(detail).address.replace("\\", "")

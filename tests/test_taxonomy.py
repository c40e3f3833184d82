from __future__ import annotations

import csv

import pytest

from directory.core.errors import UnknownNameError
from directory.core.schema import read_facilities
from directory.core.taxonomy import clean_legend_label

from .conftest import REPO


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Buprenorphine, detoxi˝cation", "Buprenorphine detoxification"),
        ("Military, insurance, (e.g.,, VA,, TRICARE)", "Military insurance (e.g., VA, TRICARE)"),
        ("˜e, Joint, Commission", "The Joint Commission"),
        ("National Committee for ˚uality Assurance", "National Committee for Quality Assurance"),
        ("Aˆercare/continuing care", "Aftercare/continuing care"),
        ("Tohono, O™odham", "Tohono O'odham"),
        ("Local, county, or community government", "Local, county, or community government"),
        ("Family counseling o˙ered", "Family counseling offered"),
    ],
)
def test_legend_artefacts_are_cleaned(raw, clean):
    assert clean_legend_label(raw) == clean


def test_every_code_book_code_is_present_with_its_category(taxonomy):
    """The 2023 book's names, categories and descriptions win; a 2021 name it changed is kept as an alias
    (so old sources still map); codes only the 2021 book has keep its label."""
    with (REPO / "data/codebook/samhsa_locator_service_codes_2023.csv").open(encoding="utf-8") as fh:
        newer = {r["service_code"]: r for r in csv.DictReader(fh)}
    with (REPO / "data/codebook/samhsa_locator_service_codes_2021.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 225 and len(newer) == 314
    for code, row in newer.items():
        service = taxonomy.get(code)
        assert (service.label, service.category_code, service.label_source) == (
            row["service_name"],
            row["category_code"],
            "codebook-2023",
        )
    for row in rows:
        service = taxonomy.get(row["service_code"])
        assert service.known, row["service_code"]
        name = row["service_name"].strip()
        if not name:
            continue
        if row["service_code"] in newer:
            assert name.lower() == service.label.lower() or name in service.aliases  # case alone is no rename
        else:
            assert (service.label, service.category_code) == (name, row["category_code"])
    renamed = [c for c in newer if taxonomy.get(c).aliases]
    assert len(renamed) == 46  # e.g. stag: "State Substance Abuse agency" -> "State Substance use treatment agency"
    assert taxonomy.get("stag").aliases == ("State Substance Abuse agency",)


def test_the_2023_code_book_is_the_workbook_sheet_as_the_site_gave_it():
    """data/codebook/samhsa_locator_service_codes_2023.csv is the "service code reference" sheet of the
    shipped FindTreatment.gov download, cells stripped and codes lower-cased, nothing else."""
    from directory.core.tables import read_sheets

    sheet = read_sheets(REPO / "data/sources/findtreatment_export_2023_TX.xlsx")[1]
    header = [h.lower() for h in sheet.header]
    expected = [
        {**dict(zip(header, [c.strip() for c in cells], strict=True)), "service_code": cells[2].strip().lower()}
        for _, cells in sheet.rows
    ]
    with (REPO / "data/codebook/samhsa_locator_service_codes_2023.csv").open(encoding="utf-8") as fh:
        shipped = list(csv.DictReader(fh))
    assert shipped == expected


def test_codes_the_2023_book_labels_are_no_longer_unlabelled(taxonomy):
    for code in ("sotp", "dea", "samf", "mhpa", "tod", "vapn", "vapp", "vppd", "oudo", "mws", "mmd", "mpep", "dlc"):
        assert taxonomy.get(code).label_source == "codebook-2023", code
    assert taxonomy.get("dlc").label == "Lofexidine or Clonidine detoxification"
    assert "dlc" in taxonomy.group("detox").codes  # a detox service, so a detox search finds it


@pytest.mark.parametrize(
    ("code", "label", "source"),
    [
        ("ubn", "Prescribes/administers buprenorphine and/or naltrexone", "legend-2017"),  # book has no label
        ("mh", "Mental health treatment", "codebook-2023"),  # the 2021 book lacks the code, 2023 has it
        ("ipsy", "Separate inpatient psychiatric unit of a general hospital", "codebook-2023"),
        ("saf", "Substance Abuse Treatment Services", "legend-2017"),  # 2015 facility-focus code
        ("f48", "Lao", "legend-2017"),  # "LaoF49, Latvian" was two entries run together
        ("f49", "Latvian", "legend-2017"),
        ("dt", "Detoxification", "codebook-2023"),
        ("odtx", "Opioids detoxification", "codebook-2023"),  # the 2021 book said "Opioid Detoxification"
        ("n13", "Hopi", "codebook-2021"),  # only the 2021 book has it
    ],
)
def test_labels_come_from_the_right_source(taxonomy, code, label, source):
    service = taxonomy.get(code)
    assert (service.label, service.label_source) == (label, source)


def test_unknown_code_is_labelled_unknown_not_dropped(taxonomy):
    service = taxonomy.get("zzq")
    assert not service.known and "ZZQ" in service.label and service.category == "Unknown"


def test_language_code_without_a_legend_name_gets_a_pattern_label(taxonomy):
    service = taxonomy.get("F16")
    assert service.category_code == "OL" and taxonomy.in_vocabulary("f16") and "F16" in service.label


@pytest.mark.parametrize(
    ("group", "must_have"),
    [
        ("detox", {"dt", "hid", "od", "rd", "adtx", "bdtx", "cdtx", "odtx", "mdtx", "db", "dm"}),
        ("buprenorphine", {"bu", "bum", "bmw", "db", "bwn", "bwon", "beri", "bsdm", "ub"}),
        ("methadone", {"mu", "mm", "mmw", "dm", "meth", "otp"}),
        ("naltrexone", {"nu", "nxn", "vtrl", "un", "rpn"}),
        ("outpatient", {"op", "ort", "oit", "odt", "od", "omb"}),
        ("intensive-outpatient", {"oit"}),
        ("residential", {"res", "rs", "rl", "rd"}),
        ("inpatient", {"hi", "hid", "hit"}),
        ("telehealth", {"tele"}),
        ("state-licensed", {"stag", "stmh", "stdh", "hla"}),
        ("military-insurance", {"mi"}),
        ("free", {"np"}),
    ],
)
def test_groups_hold_the_issue_codes(taxonomy, group, must_have):
    assert must_have <= taxonomy.group(group).codes


def test_mat_is_the_union_of_the_three_medications(taxonomy):
    meds = [taxonomy.group(m).codes for m in ("buprenorphine", "methadone", "naltrexone")]
    assert taxonomy.group("mat").codes == meds[0] | meds[1] | meds[2]


def test_every_group_code_has_a_label(taxonomy):
    for group in taxonomy.groups.values():
        for code in group.codes:
            assert taxonomy.is_known(code), (group.name, code)


def test_unknown_group_suggests_close_names(taxonomy):
    with pytest.raises(UnknownNameError) as err:
        taxonomy.resolve("detx", "service")
    assert "detox" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_resolve_accepts_raw_codes(taxonomy):
    assert taxonomy.resolve("VTRL").codes == {"vtrl"}


def test_every_code_in_the_shipped_directory_has_a_label(taxonomy):
    """Fails when a rebuild brings a code that is neither labelled nor acknowledged in unlabelled_codes.csv."""
    frame = read_facilities(REPO / "data/facilities.csv")
    codes = {c for s in frame["service_codes"] for c in s.split(";") if c}
    assert len(codes) > 200
    missing = sorted(c for c in codes if not taxonomy.in_vocabulary(c))
    assert missing == []
    unlabelled = sorted(c for c in codes if not taxonomy.is_known(c) and taxonomy.get(c).label_source != "pattern")
    with (REPO / "data/codebook/unlabelled_codes.csv").open(encoding="utf-8") as fh:
        acknowledged = {row["service_code"] for row in csv.DictReader(fh)}
    assert set(unlabelled) <= acknowledged

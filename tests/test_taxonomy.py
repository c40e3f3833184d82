from __future__ import annotations

import csv

import pytest

from directory.errors import UnknownNameError
from directory.schema import read_facilities
from directory.taxonomy import clean_legend_label

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
    with (REPO / "data/codebook/samhsa_locator_service_codes_2021.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 225
    for row in rows:
        service = taxonomy.get(row["service_code"])
        assert service.known, row["service_code"]
        if row["service_name"]:
            assert service.label == row["service_name"].strip()
            assert service.category_code == row["category_code"]


@pytest.mark.parametrize(
    ("code", "label", "source"),
    [
        ("ubn", "Prescribes/administers buprenorphine and/or naltrexone", "legend-2017"),  # book has no label
        ("mh", "Mental health treatment", "locator-filters"),  # book lacks the code
        ("saf", "Substance Abuse Treatment Services", "legend-2017"),  # 2015 facility-focus code
        ("f48", "Lao", "legend-2017"),  # "LaoF49, Latvian" was two entries run together
        ("f49", "Latvian", "legend-2017"),
        ("dt", "Detoxification", "codebook-2021"),
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

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.core.errors import InputFileError, MappingError, MissingColumnsError
from directory.pipeline.importers import import_file

from .conftest import DATA, read_rows, write_rows

NSSATS = DATA / "nssats_sample.csv"
FINDTREATMENT = DATA / "findtreatment_sample.csv"
CA = DATA / "ca_dhcs_sample.csv"
CA_MAPPING = DATA / "ca_dhcs.toml"


@pytest.mark.parametrize(
    ("path", "adapter", "mapping"),
    [(NSSATS, "nssats", None), (FINDTREATMENT, "findtreatment", None), (CA, "mapped", CA_MAPPING)],
)
def test_every_row_is_accounted_for(path, adapter, mapping):
    result = import_file(path, mapping=mapping, source_date="2020-01-01")
    assert result.adapter == adapter  # recognised from the header (or implied by the mapping)
    _, rows = read_rows(path)
    report = result.report()
    assert report["rows_read"] == len(rows)
    assert report["rows_read"] == report["accepted"] + report["merged"] + report["rejected"]
    assert len(result.rejects) == report["rejected"]


def site_rows(result) -> list[dict[str, str]]:
    """An import's sites as storage rows (every value text), what these tests read."""
    return [site.to_row() for site in result.sites.values()]


def test_findtreatment_su_and_mh_listings_collapse_into_one_site():
    result = import_file(FINDTREATMENT, source_date="2025-08-19")
    _, rows = read_rows(FINDTREATMENT)
    header, _ = read_rows(FINDTREATMENT)
    chelsea = [r for r in rows if r[1] == "Chelsea Counseling Center"]
    assert len(chelsea) == 2 and {r[header.index("type_facility")] for r in chelsea} == {"SU", "MH"}
    sites = [s for s in site_rows(result) if s["name2"] == "Chelsea Counseling Center"]
    assert len(sites) == 1
    expected = set()
    for row in chelsea:
        expected |= {h for h, v in zip(header[17:], row[17:], strict=False) if v == "1"}
    assert set(sites[0]["service_codes"].split(";")) == expected
    assert "mh" in expected and "bu" in expected  # one listing's MH codes, the other's SU codes
    assert result.merged == 2  # two such pairs in the fixture


def test_nssats_fields_and_artefacts():
    result = import_file(NSSATS, source_date="2015-03-31")
    by_name = {s["name"]: s for s in site_rows(result)}
    # "Methadone/and/Buprenorphine/Clients/Only/SAF/..." keeps codes, reports the words
    assert result.artefacts == {"Methadone": 1, "and": 1, "Buprenorphine": 1, "Clients": 1, "Only": 1}
    assert all(c == c.lower() for s in site_rows(result) for c in s["service_codes"].split(";"))
    # a building name in address1 is not the street
    potomac = next(s for s in site_rows(result) if "Potomac" in s["street1"])
    assert potomac["street1"] == "1330 South Potomac Street"
    assert potomac["street2"] == "Potomac Street Center, Suite 104-A"
    # intake phones are split from the main phone
    with_intake = [s for s in site_rows(result) if s["intake_phone"]]
    assert with_intake and all(s["phone"] != s["intake_phone"] for s in with_intake)
    # ZIPs that lost their leading zero in a spreadsheet are restored when the state agrees
    assert result.repairs["zip leading zeros restored"] == 2
    assert all(len(s["zip"]) == 5 for s in site_rows(result))
    # Yap (FM) geocoded to Mexico by the source: rejected, not moved
    assert result.rejected_by_reason == {"coordinates outside the US": 1}
    assert "Yap Memorial Hospital" not in by_name


def test_mapped_csv_maps_columns_codes_and_extras():
    result = import_file(CA, mapping=CA_MAPPING, source_date="2026-08-21")
    sites = list(site_rows(result))
    assert all("stag" in s["service_codes"].split(";") for s in sites)
    detox = [s for s in sites if "dt" in s["service_codes"].split(";")]
    assert len(detox) == 2
    assert all(s["license_number"] for s in sites)
    chrysalis = next(s for s in sites if s["name"] == "CHRYSALIS")
    assert chrysalis["phone"] == "510-450-1190" and "res" in chrysalis["service_codes"]
    # two rows lack coordinates: one with no address at all, one with an address (geocoded when a locator is given)
    assert result.rejected_by_reason["no address and no coordinates"] == 1
    assert result.rejected_by_reason["could not geocode"] == 1


def test_rows_without_coordinates_use_the_locator():
    calls = []

    def locate(record):
        calls.append(record["zip"])
        return (34.05, -117.75, "zip")

    result = import_file(CA, mapping=CA_MAPPING, source_date="2026-08-21", locate=locate)
    pomona = next(s for s in site_rows(result) if s["city"] == "POMONA")
    assert calls == ["91766"]
    assert (pomona["latitude"], pomona["geocode_precision"]) == ("34.050000", "zip")


# ---- hostile input ---------------------------------------------------------------------------------------


def _good_row() -> tuple[list[str], list[str]]:
    header, rows = read_rows(NSSATS)
    tampa = next(r for r in rows if r[header.index("city")] == "Tampa")
    return header, tampa


def _with(header: list[str], row: list[str], **changes: str) -> list[str]:
    row = list(row)
    for key, value in changes.items():
        row[header.index(key)] = value
    return row


HOSTILE = {
    "missing name": dict(name1="", name2=""),
    "bad ZIP": dict(zip="1234"),  # Florida: no leading zero can fix it
    "coordinates at 0,0": dict(latitude="0", longitude="0"),
    "coordinates outside the US": dict(latitude="51.5", longitude="-0.12"),
    "bad state": dict(state="XX"),
    "no address and no coordinates": dict(address1="", address2="", address3="", city="", latitude="", longitude=""),
}


@pytest.mark.parametrize("reason", sorted(HOSTILE))
def test_hostile_rows_are_rejected_with_a_reason(tmp_path, reason):
    header, good = _good_row()
    bad = _with(header, good, **{"name1": "Another Place", **HOSTILE[reason]})
    path = write_rows(tmp_path / "in.csv", header, [good, bad])
    result = import_file(path, adapter="nssats")
    assert result.accepted == 1
    assert result.rejected_by_reason == {reason: 1}
    assert result.rejects[0]["source_row"] == "3" and result.rejects[0]["reason"] == reason


def test_exact_duplicate_is_rejected_as_duplicate(tmp_path):
    header, good = _good_row()
    path = write_rows(tmp_path / "in.csv", header, [good, good])
    result = import_file(path, adapter="nssats")
    assert (result.accepted, result.merged, result.rejected_by_reason) == (1, 0, {"duplicate": 1})


@pytest.mark.parametrize("variant", ["bom", "crlf", "latin1"])
def test_encodings_and_line_endings(tmp_path, variant):
    header, good = _good_row()
    row = _with(header, good, name1="Peñuelas Centro de Tratamiento")
    path = tmp_path / "in.csv"
    if variant == "bom":
        write_rows(path, header, [row], encoding="utf-8-sig")
    elif variant == "crlf":
        write_rows(path, header, [row], newline="\r\n")
    else:
        write_rows(path, header, [row], encoding="latin-1")
    result = import_file(path, adapter="nssats")
    site = site_rows(result)[0]
    assert site["name"] == "Peñuelas Centro de Tratamiento"
    assert site["latitude"] and "\r" not in site["notes"]


def test_stray_quote_does_not_swallow_the_following_rows(tmp_path):
    header, good = _good_row()
    rows = [
        _with(header, good, name1="First Place"),
        _with(header, good, name1='"Unclosed quote Place'),
        _with(header, good, name1="Third Place"),
    ]
    text = ",".join(header) + "\n"
    for row in rows:
        text += ",".join(f'"{c}"' if ("," in c and not c.startswith('"')) else c for c in row) + "\n"
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    result = import_file(path, adapter="nssats")
    assert result.rows_read == 3
    assert result.rows_read == result.accepted + result.merged + result.rejected
    assert {"First Place", "Third Place"} <= {s["name"] for s in site_rows(result)}


def test_structurally_wrong_files_raise_one_clear_error(tmp_path):
    header, good = _good_row()
    path = write_rows(
        tmp_path / "in.csv",
        [h for h in header if h != "service_codes"],
        [[c for h, c in zip(header, good, strict=True) if h != "service_codes"]],
    )
    with pytest.raises(MissingColumnsError, match="service_codes"):
        import_file(path, adapter="nssats")
    unknown = write_rows(tmp_path / "other.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(InputFileError, match="could not recognise"):
        import_file(unknown)
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(InputFileError, match="binary"):
        import_file(binary)
    with pytest.raises(InputFileError, match="no such file"):
        import_file(tmp_path / "missing.csv")


def test_bad_mapping_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('[columns]\nstreet1 = "a"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="facility name"):
        import_file(CA, mapping=bad)


def test_xlsx_export_reads_like_the_csv(tmp_path):
    from openpyxl import Workbook

    header, rows = read_rows(FINDTREATMENT)
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    xlsx = tmp_path / "export.xlsx"
    wb.save(xlsx)
    from_xlsx = import_file(xlsx, source_id="ft", source_date="2025-08-19")
    from_csv = import_file(FINDTREATMENT, source_id="ft", source_date="2025-08-19")
    assert from_xlsx.adapter == "findtreatment"
    assert from_xlsx.sites == from_csv.sites
    assert from_xlsx.report()["rows_read"] == from_csv.report()["rows_read"] == len(rows)


# ---- property: accounting holds for any mixture -------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["good", "dup", *sorted(HOSTILE), "other"]), min_size=0, max_size=25))
def test_rows_read_equals_accepted_plus_merged_plus_rejected(tmp_path_factory, kinds):
    header, good = _good_row()
    rows = []
    for i, kind in enumerate(kinds):
        if kind == "good":
            rows.append(_with(header, good, name1=f"Place {i}"))
        elif kind == "dup":
            rows.append(good)
        elif kind == "other":
            rows.append(_with(header, good, service_codes=f"SA/DT/F{i}/"))  # same site, different codes: merged
        else:
            rows.append(_with(header, good, **{"name1": f"Bad {i}", **HOSTILE[kind]}))
    path = write_rows(tmp_path_factory.mktemp("prop") / "in.csv", header, rows)
    result = import_file(path, adapter="nssats")
    report = result.report()
    assert report["rows_read"] == len(rows)
    assert report["rows_read"] == report["accepted"] + report["merged"] + report["rejected"]
    assert sum(report["rejected_by_reason"].values()) == report["rejected"]
    assert len({r["source_row"] for r in result.rejects}) == report["rejected"]

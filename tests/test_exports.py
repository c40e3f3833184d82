from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from directory.exports import tabular as exports
from directory.search import Query
from directory.stores.memory import Directory

from .conftest import DATA, national_directory

CHELSEA = DATA / "facilities_chelsea.csv"
PAYLOADS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture()
def chelsea():
    return Directory.load(CHELSEA).search(Query(near=(42.3918, -71.0328), radius_miles=5, listed_since="any"))


def test_csv_export_is_exactly_the_expected_file(chelsea):
    assert exports.to_csv(chelsea.frame) == (DATA / "expected_chelsea_export.csv").read_text(encoding="utf-8")


@pytest.fixture()
def hostile(chelsea):
    """The Chelsea result with injection payloads in its text columns (straight into the exporters)."""
    frame = chelsea.frame.copy()
    for i, payload in enumerate(PAYLOADS[:3]):
        frame.loc[i, "name"] = payload
    for i, payload in enumerate(PAYLOADS[3:]):
        frame.loc[i, "name2"] = payload
    chelsea.frame = frame
    return chelsea


def test_csv_neutralises_formulas_but_keeps_numbers_and_phones(hostile):
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(hostile.frame), newline="")))
    cells = [r["name"] for r in rows] + [r["name2"] for r in rows]
    for cell in cells:
        assert cell.startswith("'"), cell
    assert len(rows) == 3  # a carriage return inside a cell does not split its row
    assert sorted(c[1:] for c in cells) == sorted(p.replace("\r", "\n") for p in PAYLOADS)
    assert all(r["longitude"].startswith("-7") for r in rows)  # a negative number is not a formula
    assert all(r["zip"] == "02150" for r in rows)
    assert all(r["phone"][:3].isdigit() for r in rows)


def test_xlsx_writes_text_as_text_never_a_formula(hostile):
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(hostile.frame)))
    ws = workbook.active
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width > 10
    names = {ws.cell(row=r, column=header.index("name") + 1).value for r in range(2, ws.max_row + 1)}
    assert names == set(PAYLOADS[:3])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    zips = {ws.cell(row=r, column=header.index("zip") + 1).value for r in range(2, ws.max_row + 1)}
    assert zips == {"02150"}
    distance = ws.cell(row=2, column=header.index("distance_miles") + 1).value
    assert isinstance(distance, float)


def test_geojson_is_rfc7946(chelsea):
    data = json.loads(exports.geojson_text(chelsea.frame, area=chelsea.area))
    assert data["type"] == "FeatureCollection" and "crs" not in data
    points = [f for f in data["features"] if f["geometry"]["type"] == "Point"]
    assert len(points) == len(chelsea.frame)
    for feature, row in zip(points, chelsea.frame.to_dict("records"), strict=True):
        lon, lat = feature["geometry"]["coordinates"]
        assert (lon, lat) == (round(float(row["longitude"]), 6), round(float(row["latitude"]), 6))
        assert -180 <= lon <= 180 and -90 <= lat <= 90 and lon < 0 < lat  # lon/lat order
        assert set(row) <= set(feature["properties"])
    area = data["features"][-1]
    assert area["properties"] == {"role": "search-area"} and area["geometry"]["type"] == "Polygon"
    ring = area["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 4


@pytest.mark.parametrize(
    ("query", "name"),
    [
        (Query(near="Tampa, FL", services=("detox",)), "detox_tampa-fl_25mi.csv"),
        (
            Query(near="Tampa, FL", services=("detox", "mat"), payments=("medicaid",)),
            "detox-mat_medicaid_tampa-fl_25mi.csv",
        ),
        (Query(state="VT", medications=("buprenorphine",)), "facilities_buprenorphine_vt.csv"),
    ],
)
def test_filename_is_derived_from_the_query(query, name):
    result = national().search(query)
    assert exports.result_filename(result, "csv") == name


def national() -> Directory:
    return national_directory()

"""Open Referral HSDS 3.0 export: a valid data package (frictionless: types, required fields, foreign
keys), records that the spec's JSON Schemas accept, every site once with its point, phones and codes,
exactly a search's sites, and byte-identical twice."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile

import pytest
from click.testing import CliRunner

from directory import Query, hsds
from directory.cli import cli

from .conftest import REPO, national_directory

SCHEMAS = REPO / "data/hsds/schema"


@pytest.fixture(scope="module")
def tampa():
    """A search as a person makes it: every facility within 25 miles of Tampa, of any listing date."""
    return national_directory().search(Query(near="Tampa, FL", radius_miles=25, listed_since="any"))


@pytest.fixture(scope="module")
def package(tampa, tmp_path_factory):
    out = tmp_path_factory.mktemp("hsds")
    counts = hsds.write_package(tampa.records, out, national_directory().taxonomy)
    return out, counts


def read(folder, name) -> list[dict[str, str]]:
    return list(csv.DictReader((folder / name).open(encoding="utf-8", newline="")))


def test_frictionless_finds_the_package_valid(package):
    from frictionless import validate

    folder, _ = package
    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_frictionless_catches_a_broken_foreign_key(package, tmp_path):
    """The validation above can fail: an attribute pointing at a term the package lacks is reported."""
    from frictionless import validate

    folder, _ = package
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    text = (broken / "attributes.csv").read_text(encoding="utf-8")
    first_term = read(folder, "attributes.csv")[0]["taxonomy_term_id"]
    (broken / "attributes.csv").write_text(
        text.replace(first_term, hsds.uid("taxonomy_term", "no-such-code"), 1), encoding="utf-8"
    )
    report = validate(str(broken / "datapackage.json"))
    assert not report.valid and "foreign-key" in {row[0] for row in report.flatten(["type"])}


def test_tables_follow_the_spec_columns_and_package(package):
    folder, counts = package
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in descriptor["resources"]] == list(hsds.TABLES)
    for resource in descriptor["resources"]:
        with (folder / resource["path"]).open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert header == hsds.field_names(resource["name"])  # the spec's columns, its order, nothing extra
        assert [f["name"] for f in resource["schema"]["fields"]] == header
        assert len(read(folder, resource["path"])) == counts[resource["name"]]


def test_every_site_once_with_its_point_phones_and_codes(package, tampa):
    folder, _ = package
    taxonomy = national_directory().taxonomy
    locations = {row["external_identifier"]: row for row in read(folder, "locations.csv")}
    assert sorted(locations) == sorted(tampa.ids)  # exactly the search's sites, each once
    phones: dict[str, set[str]] = {}
    for row in read(folder, "phones.csv"):
        phones.setdefault(row["location_id"], set()).add(
            row["number"] + (f" x{row['extension']}" if row["extension"] else "")
        )
    terms = {row["id"]: row["code"] for row in read(folder, "taxonomy_terms.csv")}
    codes: dict[str, set[str]] = {}
    for row in read(folder, "attributes.csv"):
        codes.setdefault(row["link_id"], set()).add(terms[row["taxonomy_term_id"]])
    addresses = {row["location_id"] for row in read(folder, "addresses.csv")}
    for record in tampa.records:
        location = locations[record.facility_id]
        assert location["id"] == hsds.uid("location", record.facility_id)
        assert (float(location["latitude"]), float(location["longitude"])) == (record.latitude, record.longitude)
        assert phones.get(location["id"], set()) == {p for p in (record.phone, record.intake_phone) if p}
        labelled = {c for c in record.service_codes if taxonomy.is_known(c)}
        assert codes.get(hsds.uid("service", record.facility_id), set()) == labelled
        assert (location["id"] in addresses) == bool(record.street1)  # no street, no invented address
    services = {row["id"]: row for row in read(folder, "services.csv")}
    some = tampa.records[0]
    assert services[hsds.uid("service", some.facility_id)]["assured_date"] == some.last_listed.isoformat()


def test_the_specs_json_schemas_accept_assembled_records(package):
    """Services assembled as HSDS objects (with their phones, attributes, languages and metadata) and
    locations (with their addresses) validate against schema/service.json and schema/location.json."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    folder, _ = package
    schemas = {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.json") if p.name != "openapi.json"
    }
    registry = Registry().with_resources(
        (name, Resource.from_contents(schema, default_specification=DRAFT202012)) for name, schema in schemas.items()
    )

    def clean(row: dict[str, str], numbers=()) -> dict:
        return {k: (float(v) if k in numbers else v) for k, v in row.items() if v != ""}

    by = {}
    for name, key in (
        ("phones.csv", "service_id"),
        ("attributes.csv", "link_id"),
        ("languages.csv", "service_id"),
        ("metadata.csv", "resource_id"),
    ):
        for row in read(folder, name):
            by.setdefault((name, row[key]), []).append(row)
    terms = {row["id"]: clean(row) for row in read(folder, "taxonomy_terms.csv")}
    service_validator = Draft202012Validator({"$ref": "service.json"}, registry=registry)
    checked = 0
    for row in read(folder, "services.csv")[:40]:
        obj = clean(row)
        obj["phones"] = [clean(p, ("extension",)) for p in by.get(("phones.csv", row["id"]), [])]
        obj["attributes"] = [
            dict(clean(a), taxonomy_term=terms[a["taxonomy_term_id"]])
            for a in by.get(("attributes.csv", row["id"]), [])
        ]
        obj["languages"] = [clean(x) for x in by.get(("languages.csv", row["id"]), [])]
        obj["metadata"] = [clean(m) for m in by.get(("metadata.csv", row["id"]), [])]
        errors = sorted(service_validator.iter_errors(obj), key=str)
        assert not errors, errors[0].message
        checked += 1
    addresses = {row["location_id"]: clean(row) for row in read(folder, "addresses.csv")}
    location_validator = Draft202012Validator({"$ref": "location.json"}, registry=registry)
    for row in read(folder, "locations.csv")[:40]:
        obj = clean(row, ("latitude", "longitude"))
        obj["addresses"] = [addresses[row["id"]]] if row["id"] in addresses else []
        errors = sorted(location_validator.iter_errors(obj), key=str)
        assert not errors, errors[0].message
    assert checked == 40


def test_two_exports_are_byte_identical_and_the_zip_holds_the_same_files(package, tampa, tmp_path):
    folder, _ = package
    hsds.write_package(tampa.records, tmp_path / "again", national_directory().taxonomy)
    for path in folder.iterdir():
        assert path.read_bytes() == (tmp_path / "again" / path.name).read_bytes(), path.name
    data = hsds.package_zip(tampa.records, national_directory().taxonomy)
    assert data == hsds.package_zip(tampa.records, national_directory().taxonomy)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(p.name for p in folder.iterdir())
        assert archive.read("services.csv") == (folder / "services.csv").read_bytes()


def test_the_cli_exports_a_search_and_the_whole_directory(tmp_path, tampa):
    runner = CliRunner()
    out = runner.invoke(
        cli,
        [
            "search",
            "--near",
            "Tampa, FL",
            "--listed-since",
            "any",
            "--format",
            "hsds",
            "--output",
            str(tmp_path / "search"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert sorted(r["external_identifier"] for r in read(tmp_path / "search", "locations.csv")) == sorted(tampa.ids)
    missing = runner.invoke(cli, ["search", "--near", "Tampa, FL", "--format", "hsds"])
    assert missing.exit_code != 0 and "--output FOLDER" in missing.output
    small = tmp_path / "small.csv"
    from directory.core.schema import write_records

    write_records(tampa.records[:5], small)
    whole = runner.invoke(cli, ["export", "--format", "hsds", "--output", str(tmp_path / "all"), "--data", str(small)])
    assert whole.exit_code == 0, whole.output
    assert len(read(tmp_path / "all", "locations.csv")) == 5


def test_hours_and_accessibility_go_to_schedule_and_accessibility(tmp_path):
    """Colorado's sites state hours and accessibility: weekly schedule rows (byday, opens_at, closes_at)
    and accessibility rows, each saying who stated them; the package stays valid."""
    from frictionless import validate

    denver = national_directory().search(Query(near="Denver, CO", radius_miles=10))
    stated = [r for r in denver.records if r.hours or r.accessibility]
    assert len(stated) > 20
    hsds.write_package(denver.records, tmp_path, national_directory().taxonomy)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    schedules, access = read(tmp_path, "schedules.csv"), read(tmp_path, "accessibility.csv")
    assert len(schedules) == sum(len(r.hours) for r in denver.records)
    assert len(access) == sum(len(r.accessibility) for r in denver.records)
    site = next(r for r in stated if ("mon", "08:00-17:00") in r.hours)
    location = hsds.uid("location", site.facility_id)
    monday = next(s for s in schedules if s["location_id"] == location and s["byday"] == "MO")
    assert (monday["opens_at"], monday["closes_at"], monday["freq"]) == ("08:00:00", "17:00:00", "WEEKLY")
    assert "Colorado BHA provider directory" in monday["description"]
    all_day = [s for s in schedules if "00:00-24:00" in s["description"]]
    assert all_day and all(s["opens_at"] == "00:00:00" and s["closes_at"] == "23:59:59" for s in all_day)

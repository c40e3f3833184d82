"""The filter registry: every front end derives its filters from it, and a filter added there
(the language filter) works in the library, the CLI, the API, the app's form and URL, describe(),
file names and facets at once."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from directory import FILTERS, Query, view
from directory.cli import cli
from directory.core.filters import APP_FILTERS, GROUP_FILTERS, by_param
from directory.exports import tabular as exports
from directory.http.api import create_app

from .conftest import national_directory


@pytest.fixture(scope="module")
def client(national) -> TestClient:
    return TestClient(create_app(national))


def test_every_filter_is_a_query_field_and_every_app_filter_a_form_field():
    query_fields = {f.name for f in dataclasses.fields(Query)}
    form_fields = {f.name for f in dataclasses.fields(view.SearchForm)}
    for f in FILTERS:
        assert f.field in query_fields
        assert (f.field in form_fields) == f.in_app
        assert view.PARAM_OF.get(f.field, f.param) == f.param


def test_every_filter_is_a_cli_option():
    help_text = CliRunner().invoke(cli, ["search", "--help"]).output
    for f in FILTERS:
        assert f"--{f.param.replace('_', '-')} " in help_text


def test_every_filter_is_an_api_parameter(client):
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/v1/facilities"]["get"]["parameters"]}
    for f in FILTERS:
        assert f.param in params
        assert (params[f.param]["schema"].get("type") == "array") == f.repeatable


def test_every_group_filter_has_groups_and_facets(national):
    result = national.search(Query(near="Tampa, FL"))
    for f in GROUP_FILTERS:
        groups = national.taxonomy.groups_in(f.family)
        assert groups, f.family
        assert set(result.facets[f.family]) == {g.name for g in groups}


@pytest.mark.parametrize("group", ["spanish", "american-indian-alaska-native", "sign-language", "other-languages"])
def test_language_facet_counts_equal_brute_force(national, group):
    result = national.search(Query(near="Albuquerque, NM", radius_miles=250))
    codes = national.taxonomy.group(group).codes
    expected = sum(1 for text in result.frame["service_codes"] if codes & set(text.split(";")))
    assert result.facets["language"][group] == expected
    narrowed = national.search(Query(near="Albuquerque, NM", radius_miles=250, languages=(group,)))
    assert narrowed.total == expected
    assert all(codes & set(text.split(";")) for text in narrowed.frame["service_codes"])


def test_language_reads_in_describe_and_file_name(national):
    result = national.search(Query(near="Miami, FL", services=("detox",), languages=("spanish",)))
    assert (
        result.describe()
        == f"Detox offering treatment in Spanish within 25 miles of Miami, FL: {result.total:,} facilities"
    )
    assert result.total > 0
    assert exports.result_filename(result, "csv") == "detox_spanish_miami-fl_25mi.csv"


def test_language_in_the_cli_equals_the_library(national):
    out = CliRunner().invoke(
        cli,
        ["search", "--near", "Miami, FL", "--language", "spanish", "--language", "other-languages", "--format", "json"],
    )
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)  # what the default listed_since left out is said on stderr
    expected = national.search(Query(near="Miami, FL", languages=("spanish", "other-languages")))
    assert [r["facility_id"] for r in body["results"]] == expected.ids
    assert body["query"]["languages"] == ["spanish", "other-languages"]


def test_language_in_the_api_equals_the_library(client, national):
    r = client.get("/v1/facilities", params={"near": "Miami, FL", "language": "spanish", "page_size": 500})
    assert r.status_code == 200
    body = r.json()
    expected = national.search(Query(near="Miami, FL", languages=("spanish",)))
    assert [x["facility_id"] for x in body["results"]] == expected.ids[:500]
    assert body["query"]["language"] == ["spanish"] and body["total"] == expected.total
    bad = client.get("/v1/facilities", params={"language": "spanih"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "language"]
    assert "spanish" in bad.json()["detail"][0]["suggestions"]


def test_language_in_the_app_url_round_trips(national):
    form, warnings = view.SearchForm.from_params({"near": "Miami, FL", "language": ["Spanish", "sign-language"]})
    assert warnings == [] and form.languages == ("spanish", "sign-language")
    assert form.to_params()["language"] == ["spanish", "sign-language"]
    outcome = view.run(national, form)
    assert outcome.result.ids == national.search(Query(near="Miami, FL", languages=("spanish", "sign-language"))).ids
    assert view.SearchForm.from_params({"language": "klingon"})[1][0].startswith(
        "unknown language of treatment 'klingon'"
    )


def test_parameters_resolve_to_filters():
    assert by_param("language").family == "language"
    assert [f.field for f in APP_FILTERS if f.kind == "group"][-1] == "languages"
    with pytest.raises(KeyError):
        by_param("languages")


def test_national_fixture_is_loaded_once(national):
    assert national is national_directory()
    assert np.all(np.diff([national.count(), len(national.frame)]) == 0)

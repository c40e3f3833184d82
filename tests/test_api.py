"""The HTTP API: every endpoint and error through the ASGI client, paging, formats, CORS, and
schemathesis against the OpenAPI document (no 5xx, no schema violation)."""

from __future__ import annotations

import csv
import io
import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.exports import tabular as exports
from directory.http.api import create_app
from directory.search import Query

from .conftest import national_directory

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DIRECTORY = national_directory()
APP = create_app(DIRECTORY)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(APP, raise_server_exceptions=False)


def ids(body: dict) -> list[str]:
    return [r["facility_id"] for r in body["results"]]


def test_search_json_matches_the_library(client):
    r = client.get(
        "/v1/facilities",
        params={"near": "Tampa, FL", "service": ["detox", "mat"], "payment": "medicaid", "page_size": 500},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    expected = DIRECTORY.search(Query(near="Tampa, FL", services=("detox", "mat"), payments=("medicaid",)))
    assert set(body) == {
        "query",
        "description",
        "center",
        "total",
        "page",
        "page_size",
        "note",
        "older",
        "results",
        "facets",
        "distance_basis",
    }
    # no routing engine here: straight-line miles, and the body says so
    assert body["distance_basis"] == {
        "basis": "straight_line",
        "travel": None,
        "source": None,
        "ordered_by": "distance",
        "unavailable": None,
        "sentence": "Distances are straight-line miles.",
    }
    assert body["older"]["count"] == expected.older and body["query"]["listed_since"] == "2021-01-01"
    assert body["total"] == expected.total == int(r.headers["x-total-count"])
    assert ids(body) == list(expected.frame["facility_id"])
    assert body["center"]["label"] == "Tampa, FL" and body["center"]["precision"] == "city"
    assert body["facets"] == expected.facets
    assert body["query"]["service"] == ["detox", "mat"] and body["query"]["radius_miles"] == 25
    first = body["results"][0]
    assert set(first) == set(DIRECTORY.frame.columns) | {"distance_miles", "availability"}
    assert first["availability"] is None  # no provider has reported (live state: see test_availability.py)
    assert set(exports.EXPORT_COLUMNS) <= set(first)
    assert isinstance(first["latitude"], float) and first["distance_miles"] == expected.frame["distance_miles"][0]


def test_lat_lon_nearest_and_filters(client):
    body = client.get(
        "/v1/facilities",
        params={
            "lat": 38.659,
            "lon": -87.173,
            "nearest": 5,
            "accreditation": "joint-commission",
            "nearest_within_miles": 1500,
        },
    ).json()
    expected = DIRECTORY.search(
        Query(near=(38.659, -87.173), nearest=5, accreditations=("joint-commission",), nearest_within_miles=1500)
    )
    assert ids(body) == list(expected.frame["facility_id"]) and len(ids(body)) == 5
    near_only = client.get(
        "/v1/facilities", params={"lat": 38.659, "lon": -87.173, "nearest": 5, "accreditation": "joint-commission"}
    ).json()
    # By default nothing farther than 100 miles (the 2023 National Directory lists JC accreditation nationwide).
    within = DIRECTORY.search(Query(near=(38.659, -87.173), nearest=5, accreditations=("joint-commission",)))
    assert ids(near_only) == list(within.frame["facility_id"])
    assert all(r["distance_miles"] <= 100 for r in near_only["results"])
    by_state = client.get("/v1/facilities", params={"state": "VT", "sort": "name", "page_size": 500}).json()
    assert ids(by_state) == list(DIRECTORY.search(Query(state="VT", sort="name")).frame["facility_id"])
    assert by_state["center"] is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    place=st.sampled_from(["Tampa, FL", "Chicago, IL", "02150", "Washington, IN", "Denver, CO"]),
    radius=st.sampled_from([10, 25, 50]),
    service=st.sampled_from([[], ["mat"], ["outpatient", "detox"]]),
    page_size=st.integers(3, 60),
)
def test_paged_equals_unpaged(client, place, radius, service, page_size):
    """Walking every page gives the unpaged result set (the library's, with no limit), in order."""
    params = {"near": place, "radius_miles": radius, "service": service}
    unpaged = DIRECTORY.search(Query(near=place, radius_miles=radius, services=tuple(service)))
    whole = {"total": unpaged.total, "results": [{"facility_id": f} for f in unpaged.frame["facility_id"]]}
    seen: list[str] = []
    page = 1
    while True:
        body = client.get("/v1/facilities", params={**params, "page": page, "page_size": page_size}).json()
        assert body["total"] == whole["total"] and body["page"] == page
        if not body["results"]:
            break
        assert len(body["results"]) <= page_size
        seen += ids(body)
        page += 1
    assert seen == ids(whole)
    assert page - 1 == -(-whole["total"] // page_size)


def test_csv_and_geojson_reuse_the_exports(client):
    params = {"near": "Tampa, FL", "service": "detox", "page_size": 5}
    expected = DIRECTORY.search(Query(near="Tampa, FL", services=("detox",)))
    r = client.get("/v1/facilities", params={**params, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text == exports.to_csv(expected.frame.iloc[:5])
    assert 'filename="detox_tampa-fl_25mi.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["facility_id"] for row in rows] == list(expected.frame["facility_id"][:5])
    g = client.get("/v1/facilities", params={**params, "format": "geojson"})
    assert g.headers["content-type"].startswith("application/geo+json")
    features = g.json()["features"]
    assert [f["properties"]["facility_id"] for f in features if f["geometry"]["type"] == "Point"] == list(
        expected.frame["facility_id"][:5]
    )


def test_facility_services_locate_health(client):
    fid = DIRECTORY.frame["facility_id"][100]
    r = client.get(f"/v1/facilities/{fid}")
    assert r.status_code == 200 and r.json()["facility_id"] == fid
    assert r.json()["name"] == DIRECTORY.frame["name"][100]
    services = client.get("/v1/services").json()
    assert len(services["services"]) == len(DIRECTORY.taxonomy.services)
    assert {"family": "service", "name": "detox"}.items() <= next(
        g for g in services["groups"] if g["name"] == "detox"
    ).items()
    place = client.get("/v1/locate", params={"q": "Washington"}).json()
    assert place["label"] == "Washington, DC" and any(a["label"] == "Washington, IN" for a in place["alternatives"])
    assert client.get("/healthz").json() == {"status": "ok", "facilities": DIRECTORY.n}


@pytest.mark.parametrize(
    ("path", "params", "status", "param", "text"),
    [
        ("/v1/facilities", {"near": "Tampa, FL", "service": "detx"}, 422, "service", "did you mean 'detox'"),
        ("/v1/facilities", {"near": "Tampa, FL", "payment": "medicade"}, 422, "payment", "did you mean 'medicaid'"),
        (
            "/v1/facilities",
            {"near": "Tampa, FL", "radius_miles": 900},
            422,
            "radius_miles",
            "less than or equal to 500",
        ),
        ("/v1/facilities", {"near": "Tampa, FL", "radius_miles": 0}, 422, "radius_miles", "greater than 0"),
        ("/v1/facilities", {"near": "Tampe, FX"}, 404, "near", "could not find a place"),
        ("/v1/facilities", {"lat": 27.9}, 422, "lon", "give both lat and lon"),
        ("/v1/facilities", {"lat": 27.9, "lon": -82.4, "near": "Tampa"}, 422, "near", "not both"),
        ("/v1/facilities", {"page_size": 501}, 422, "page_size", "less than or equal to 500"),
        ("/v1/facilities", {"page": 0}, 422, "page", "greater than or equal to 1"),
        ("/v1/facilities", {"near": "x" * 201}, 422, "near", "at most 200 characters"),
        ("/v1/facilities", {"service": ["mat"] * 21}, 422, "service", "at most 20 items"),
        ("/v1/facilities", {"state": "Narnia"}, 422, "state", "unknown state 'Narnia'"),
        ("/v1/facilities", {"match": "some"}, 422, "match", "'any' or 'all'"),
        ("/v1/facilities", {"format": "xml"}, 422, "format", "'json', 'geojson' or 'csv'"),
        ("/v1/facilities/fffffffffffff", {}, 404, "facility_id", "no facility with id 'fffffffffffff'"),
        ("/v1/locate", {"q": "Narnia, ZZ"}, 404, "q", "could not find a place"),
        ("/v1/locate", {"q": "PW"}, 404, "q", "no outline or places in the offline gazetteer"),
        ("/v1/facilities", {"near": "FM"}, 404, "near", "could not find a place"),
        ("/v1/facilities", {"lat": 27.9, "lon": -82.4, "near": ""}, 422, "near", "not both"),
        ("/v1/locate", {}, 422, "q", "Field required"),
        # A misspelt or unknown parameter: ignoring it would answer more than was asked.
        ("/v1/facilities", {"near": "Tampa, FL", "servce": "detox"}, 422, "servce", "unknown parameter 'servce'"),
        ("/v1/facilities/fffffffffffff", {"near": "Tampa"}, 422, "near", "takes lang"),
        ("/v1/services", {"q": "detox"}, 422, "q", "/v1/services takes lang"),
    ],
)
def test_errors_name_the_parameter(client, path, params, status, param, text):
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert detail[0]["loc"][-1] == param and text in detail[0]["msg"], detail
    assert "Traceback" not in r.text and 'File "' not in r.text


def test_suggestions_are_listed(client):
    detail = client.get("/v1/facilities", params={"near": "Springfeld, IL"}).json()["detail"][0]
    assert "Springfield, IL" in detail["suggestions"]


def test_an_unexpected_failure_is_one_line(monkeypatch, client):
    def boom(query):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(DIRECTORY, "search", boom)
    r = client.get("/v1/facilities", params={"near": "Tampa, FL"})
    assert r.status_code == 500 and r.json() == {"detail": "internal error; the request was logged"}
    assert "secret" not in r.text


def test_cors_lets_any_origin_read_by_default_and_only_named_origins_when_configured():
    plain = TestClient(APP).get("/healthz", headers={"Origin": "https://211.example.org"})
    assert plain.headers["access-control-allow-origin"] == "*"
    allowed = TestClient(create_app(DIRECTORY, cors_origins=["https://211.example.org"]))
    r = allowed.get("/healthz", headers={"Origin": "https://211.example.org"})
    assert r.headers["access-control-allow-origin"] == "https://211.example.org"
    assert "Origin" in r.headers["vary"]
    other = allowed.get("/healthz", headers={"Origin": "https://elsewhere.example.com"})
    assert "access-control-allow-origin" not in other.headers
    off = TestClient(create_app(DIRECTORY, cors_origins=[])).get("/healthz", headers={"Origin": "https://a.example"})
    assert "access-control-allow-origin" not in off.headers


def test_openapi_documents_parameters():
    spec = TestClient(APP).get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/v1/facilities"]["get"]["parameters"]}
    assert {
        "place",
        "radius_miles",
        "nearest",
        "service",
        "match",
        "accreditation",
        "payment",
        "population",
        "city",
        "state",
        "county",
        "name",
        "sort",
        "page",
        "page_size",
        "format",
    } <= set(params)
    near = params["place"]["schema"]["properties"]["near"]
    assert near["description"] and params["place"]["example"] == {"near": "Tampa, FL"}
    assert set(params["place"]["schema"]["properties"]) == {"near", "lat", "lon"}
    assert params["page_size"]["schema"]["maximum"] == 500
    assert set(spec["paths"]) == {
        "/v1/facilities",
        "/v1/facilities/{facility_id}",
        "/v1/services",
        "/v1/locate",
        "/v1/shortlist",
        "/v1/facilities/{facility_id}/availability",
        "/healthz",
    }


# -- schemathesis against the OpenAPI document ----------------------------------------------------

import schemathesis  # noqa: E402

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    """Every check, "schema-valid data must be accepted" and "schema-violating data must be rejected"
    included: the document says that near excludes lat/lon, which values the filters take, and that a
    place which cannot be found is a 404."""
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response)


def test_the_schema_says_which_requests_are_valid():
    """What the document promises, checked against the API's answers for the cases it once got wrong."""
    document = APP.openapi()
    parameters = {p["name"]: p for p in document["paths"]["/v1/facilities"]["get"]["parameters"]}
    assert "near" not in parameters and "lat" not in parameters
    place = parameters["place"]["schema"]
    assert place["not"] == {"required": ["near", "lat"]} and place["dependentRequired"]["lat"] == ["lon"]
    assert "detox" in parameters["service"]["schema"]["items"]["enum"]
    assert "detox" not in parameters["payment"]["schema"]["items"]["enum"]
    assert {"FL", "Florida"} <= set(next(s for s in parameters["state"]["schema"]["anyOf"] if "enum" in s)["enum"])
    locate = document["paths"]["/v1/locate"]["get"]["responses"]
    assert "404" in locate and "422" in locate  # 422 only for a missing or too long q


def test_security_headers_and_offline_docs(client):
    for path in (
        "/healthz",
        "/v1/facilities?near=Tampa,+FL&page_size=1",
        "/v1/facilities/nope",
        "/docs",
        "/redoc",
        "/openapi.json",
    ):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer", path
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources
        for source in sources:
            assert client.get(source).status_code == 200, source
    assert "cdn.redoc.ly" not in client.get("/docs-redoc/redoc.standalone.js").text


def test_a_facility_carries_its_hours_new_patients_accessibility_and_their_date(client):
    """The new record fields reach the API as they are stored (a Colorado site states them)."""
    frame = DIRECTORY.frame
    fid = frame[(frame["hours"] != "") & (frame["accessibility"] != "")]["facility_id"].iloc[0]
    body = client.get(f"/v1/facilities/{fid}").json()
    assert body["hours"].startswith(("mon ", "tue ", "wed ", "thu ", "fri ", "sat ", "sun "))
    assert body["details_source"] == "colorado-bha-2023" and body["details_as_of"][:4] in ("2022", "2023")
    assert set(body["accessibility"].split(";")) <= {"wheelchair", "deaf-hard-of-hearing", "visually-impaired"}
    practitioners = client.get("/v1/facilities", params={"near": "Houston, TX", "facility_type": "practitioner"})
    assert practitioners.status_code == 200 and {r["type_facility"] for r in practitioners.json()["results"]} == {
        "BUPREN"
    }
    assert client.get("/v1/facilities", params={"facility_type": "doctor"}).status_code == 422

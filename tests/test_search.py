from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.core.errors import InputFileError, QueryError, UnknownNameError
from directory.core.normalize import norm_city
from directory.core.schema import read_facilities
from directory.search import Query, bounding_boxes, circle, haversine_miles
from directory.stores.memory import Directory

from .conftest import REPO, national_directory


@pytest.fixture(scope="module")
def directory() -> Directory:
    return national_directory()


@pytest.fixture(scope="module")
def frame():
    return read_facilities(REPO / "data/facilities.csv")


_RECORDS: dict[int, list] = {}


def brute_force(frame, taxonomy, query: Query, center=None):
    """The reference: every row checked one by one, no index."""
    groups = query.groups(taxonomy)
    keep = []
    if id(frame) not in _RECORDS:
        _RECORDS[id(frame)] = [(r, set(r["service_codes"].split(";"))) for r in frame.to_dict("records")]
    records = _RECORDS[id(frame)]
    distances = None
    if center is not None:  # every row's distance, no spatial index
        distances = haversine_miles(
            center[0],
            center[1],
            frame["latitude"].astype(float).to_numpy(),
            frame["longitude"].astype(float).to_numpy(),
        )
    for i, (row, codes) in enumerate(records):
        if distances is not None and distances[i] > query.radius_miles:
            continue
        ok = True
        for name, chosen in groups.items():
            if not chosen:
                continue
            hits = [bool(codes & g.codes) for g in chosen]
            ok &= all(hits) if (name == "services" and query.match == "all") else any(hits)
        if query.state:
            ok &= row["state"] == query.state
        if query.city:
            ok &= norm_city(row["city"]) == norm_city(query.city)
        if query.listed_since is not None:
            ok &= row["last_listed"] >= query.listed_since.isoformat()
        if ok:
            keep.append(row["facility_id"])
    return keep


GROUPS = ["detox", "mat", "outpatient", "residential", "inpatient", "telehealth", "intensive-outpatient"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_radius_search_matches_brute_force(directory, frame, taxonomy, data):
    i = data.draw(st.integers(0, len(frame) - 1))
    lat = float(frame.at[i, "latitude"]) + data.draw(st.floats(-0.5, 0.5))
    lon = float(frame.at[i, "longitude"]) + data.draw(st.floats(-0.5, 0.5))
    query = Query(
        near=(lat, lon),
        radius_miles=data.draw(st.sampled_from([1, 5, 10, 25, 60])),
        services=tuple(data.draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))),
        match=data.draw(st.sampled_from(["any", "all"])),
        payments=tuple(data.draw(st.lists(st.sampled_from(["medicaid", "cash", "free"]), max_size=1))),
        listed_since=data.draw(st.sampled_from(["2021", "any", "2025-06-30"])),
    )
    result = directory.search(query)
    expected = brute_force(frame, taxonomy, query, (lat, lon))
    if query.listed_since is not None and not result.note:  # what listed_since left out, counted
        every = brute_force(frame, taxonomy, query.with_(listed_since=None), (lat, lon))
        assert result.older == len(every) - len(expected)
    if result.note:  # nothing in the radius: the nearest that pass the filters, none beyond 100 miles
        assert expected == []
        within = brute_force(frame, taxonomy, query.with_(radius_miles=query.nearest_within_miles), (lat, lon))
        assert len(result.frame) == min(10, len(within)) and set(result.frame["facility_id"]) <= set(within)
        assert (result.frame["distance_miles"] <= query.nearest_within_miles + 1e-9).all()
    else:
        assert sorted(result.frame["facility_id"]) == sorted(expected)  # nothing missed, nothing extra
        assert (result.frame["distance_miles"] <= query.radius_miles + 1e-9).all()
    distances = result.frame["distance_miles"].to_numpy()
    assert (np.diff(distances) >= 0).all()  # ordered by distance


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_nearest_k_matches_brute_force(directory, frame, data):
    lat = data.draw(st.floats(25, 48))
    lon = data.draw(st.floats(-124, -68))
    k = data.draw(st.integers(1, 30))
    bound = data.draw(st.sampled_from([5.0, 100.0, 500.0, 12_500.0]))
    since = data.draw(st.sampled_from(["2021", "any"]))
    result = directory.search(Query(near=(lat, lon), nearest=k, nearest_within_miles=bound, listed_since=since))
    all_d = haversine_miles(
        lat, lon, frame["latitude"].astype(float).to_numpy(), frame["longitude"].astype(float).to_numpy()
    )
    if since != "any":
        all_d = all_d[(frame["last_listed"] >= "2021-01-01").to_numpy()]
    expected = np.sort(all_d[all_d <= bound])[:k]  # the k nearest, none farther than the bound
    assert np.allclose(result.frame["distance_miles"].to_numpy(), np.round(expected, 2), atol=0.011)


@pytest.mark.parametrize(
    ("kwargs", "family", "group"),
    [
        (dict(services=("detox",)), "service", "detox"),
        (dict(medications=("methadone",)), "medication", "methadone"),
        (dict(accreditations=("carf",)), "accreditation", "carf"),
        (dict(payments=("medicaid",)), "payment", "medicaid"),
        (dict(populations=("veterans",)), "population", "veterans"),
    ],
)
def test_each_filter_family_selects_what_its_facet_counts(directory, kwargs, family, group):
    base = directory.search(Query(state="MA"))
    filtered = directory.search(Query(state="MA", **kwargs))
    assert 0 < filtered.total < base.total
    assert filtered.total == base.facets[family][group]  # facet count predicts the filtered count
    assert filtered.facets[family][group] == filtered.total


def test_families_combine_by_and_values_by_or(directory):
    detox = directory.search(Query(state="MA", services=("detox",))).total
    residential = directory.search(Query(state="MA", services=("residential",))).total
    either = directory.search(Query(state="MA", services=("detox", "residential"))).total
    both = directory.search(Query(state="MA", services=("detox", "residential"), match="all")).total
    assert both <= min(detox, residential) <= max(detox, residential) <= either <= detox + residential
    with_medicaid = directory.search(Query(state="MA", services=("detox",), payments=("medicaid",))).total
    assert with_medicaid <= detox


def test_city_matching_ignores_case_spacing_and_saint(directory):
    a = directory.search(Query(city="St. Louis", state="MO")).total
    b = directory.search(Query(city="saint  louis", state="mo")).total
    assert a == b > 10


def test_fuzzy_name(directory):
    result = directory.search(Query(name="Gateway Comm Svcs"))
    assert result.total >= 1
    # The name, or the program line ("Gilead Community Services Inc — Gateway Community Treatment Program").
    assert all(
        n.startswith("Gateway Community Services") or p.startswith("Gateway Community")
        for n, p in zip(result.frame["name"], result.frame["name2"], strict=True)
    )


def test_empty_radius_falls_back_to_the_ten_nearest_with_a_note(directory):
    result = directory.search(
        Query(near="Ely, NV", radius_miles=5, medications=("methadone",), nearest_within_miles=400)
    )
    assert len(result.frame) == 10 and result.note == "none within 5 miles; the 10 nearest within 400 miles are shown"
    assert "the 10 nearest within 400 miles are shown" in result.describe()
    assert result.describe().startswith(
        "Facilities offering Methadone nearest to Ely, NV, within 400 miles: 10 facilities"
    )
    assert 5 < result.frame["distance_miles"].min() and result.frame["distance_miles"].max() <= 400


def test_the_fallback_stays_near_and_says_so(directory):
    """Detox + Joint Commission from Hilo, HI: the nearest the sources list are on other islands or the
    mainland, so within 100 miles only those are shown, never clinics 2,000 miles away, and the result
    says how far it looked."""
    query = Query(near="Hilo, HI", services=("detox",), accreditations=("joint-commission",), radius_miles=5)
    result = directory.search(query)
    assert result.fallback is not None and result.frame["distance_miles"].max() <= 100
    assert result.describe().startswith("Detox accredited by Joint Commission nearest to Hilo, HI, within 100 miles")
    far = directory.search(query.with_(nearest_within_miles=3000))
    assert far.total == 10 and far.frame["distance_miles"].max() > 100  # what the old fallback showed
    assert "nearest to Hilo, HI, within 3000 miles" in far.describe()
    nowhere = directory.search(query.with_(near="Pago Pago, AS"))
    assert nowhere.total == 0 and nowhere.note == "none within 5 miles, nor within 100 miles"


def test_describe_sentence(directory):
    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    assert result.describe() == f"Detox within 25 miles of Tampa, FL: {result.total:,} facilities"


def test_within_polygon_filter(directory, tmp_path):
    import json

    counties = json.loads((REPO / "data/boundaries/us_counties_2017_10m.geojson").read_text())
    suffolk = next(f for f in counties["features"] if f["properties"]["fips"] == "25025")
    path = tmp_path / "suffolk.geojson"
    path.write_text(json.dumps(suffolk))
    result = directory.search(Query(near="Boston, MA", radius_miles=50, within=str(path), listed_since="any"))
    # reference: every facility tested against the polygon, no index
    import shapely
    from shapely.geometry import shape

    polygon = shape(suffolk["geometry"])
    frame = directory.frame
    inside = shapely.contains_xy(polygon, frame["longitude"].astype(float), frame["latitude"].astype(float))
    assert result.total == int(inside.sum()) > 50
    assert set(result.frame["facility_id"]) == set(frame.loc[inside, "facility_id"])
    # the sources' own county names agree for nearly all of them
    assert (result.frame["county"] == "Suffolk").mean() > 0.9
    with pytest.raises(InputFileError):
        directory.search(Query(state="MA", within=str(tmp_path / "missing.geojson")))


def test_distance_within_half_a_percent_of_geodesic(frame):
    rng = np.random.default_rng(7)
    sample = frame.sample(200, random_state=3)
    lat0, lon0 = 39.0, -95.0
    for lat, lon in zip(sample["latitude"].astype(float), sample["longitude"].astype(float), strict=True):
        lat1, lon1 = lat0 + rng.uniform(-3, 3), lon0 + rng.uniform(-3, 3)
        ours = haversine_miles(lat1, lon1, np.array([lat]), np.array([lon]))[0]
        theirs = geodesic((lat1, lon1), (lat, lon)).miles
        assert abs(ours - theirs) / theirs < 0.005


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (dict(radius_miles=0), QueryError),
        (dict(radius_miles=501), QueryError),
        (dict(match="some"), QueryError),
        (dict(near="x" * 300), QueryError),
    ],
)
def test_bad_queries(kwargs, error):
    with pytest.raises(error):
        Query(**kwargs)


def test_unknown_service_suggests(directory):
    with pytest.raises(UnknownNameError, match="detox"):
        directory.search(Query(services=("detx",)))
    with pytest.raises(UnknownNameError):
        directory.search(Query(payments=("detox",)))  # a service is not a payment


def test_search_area_and_boxes():
    area = circle(27.95, -82.46, 25)
    assert area.is_valid and area.contains(area.centroid)
    # the Aleutians: a box that crosses the antimeridian is split in two
    boxes = bounding_boxes(52.0, 179.5, 100)
    assert len(boxes) == 2 and boxes[0][2] == 180.0 and boxes[1][0] == -180.0


def test_index_is_built_once(directory, monkeypatch):
    import shapely.strtree

    def fail(*args, **kwargs):
        raise AssertionError("STRtree built during a query")

    monkeypatch.setattr(shapely.strtree.STRtree, "__init__", fail)
    directory.search(Query(near=(27.95, -82.46)))


def test_postal_city_missing_from_the_gazetteer_resolves_to_its_facilities(directory):
    """ "Dorchester Center, MA" is a USPS city name GeoNames lacks; the directory's own records use it."""
    import numpy as np

    from directory.core.errors import LocationNotFound
    from directory.geocode import locate

    with pytest.raises(LocationNotFound):
        locate("Dorchester Center, MA")
    place = directory.resolve("Dorchester Center, MA")
    rows = directory.frame[(directory.frame["city"] == "Dorchester Center") & (directory.frame["state"] == "MA")]
    assert place.precision == "city" and len(rows) > 0
    assert place.latitude == pytest.approx(np.mean(rows["latitude"].astype(float)))
    assert place.longitude == pytest.approx(np.mean(rows["longitude"].astype(float)))
    result = directory.search(Query(near="Dorchester Center, MA", radius_miles=5))
    assert set(rows["facility_id"]) <= set(result.frame["facility_id"])
    with pytest.raises(LocationNotFound):
        directory.resolve("Dorchester Centre, ZZ")


def test_errors_name_the_query_field(directory):
    """Front ends name their own parameter from ``exc.field`` (the API's 422s do)."""
    from directory.core.errors import DirectoryError

    cases = [
        (lambda: Query(radius_miles=900), "radius_miles"),
        (lambda: Query(match="some"), "match"),
        (lambda: directory.search(Query(payments=("medicade",))), "payments"),
        (lambda: directory.search(Query(state="Narnia")), "state"),
        (lambda: directory.search(Query(near="Narnia, ZZ")), "near"),
    ]
    for make, field in cases:
        with pytest.raises(DirectoryError) as info:
            make()
        assert info.value.field == field

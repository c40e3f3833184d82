"""Drive time from a real OSRM server (OSRM's own binaries, on 127.0.0.1) over a SYNTHETIC street grid
around Tampa with a river crossed by one bridge (tests/osrm.py), searched over the shipped facilities
within 20 miles of Tampa (cut from data/facilities.csv). Nothing reaches the internet."""

from __future__ import annotations

import http.server
import json
import math
import socket
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from directory.cli import cli
from directory.core.errors import QueryError, RoutingConfigError
from directory.exports.tabular import records, to_csv
from directory.http.api import create_app
from directory.routing import Router, parse_setting
from directory.search import Query
from directory.search.drive import NOT_ROUTED, UNREACHABLE
from directory.stores.memory import Directory
from directory.view.compare import compare
from directory.view.handover import message_text, sheet_html

from . import osrm
from .osrm import RIVER, TAMPA

pytestmark = pytest.mark.skipif(osrm.bin_dir() is None, reason="OSRM's binaries are not installed (make osrm)")


@pytest.fixture(scope="module")
def store(cut, server):
    return Directory.load(cut, router=parse_setting(f"osrm:{server.url}"))


@pytest.fixture(scope="module")
def plain(cut):
    return Directory.load(cut)


def east(lat_lon) -> bool:
    return lat_lon[1] > RIVER


def test_b_nearer_by_road_comes_before_a_nearer_in_a_straight_line(store, plain, grid):
    query = Query(near="Tampa, FL", radius_miles=4)
    straight = plain.search(query)
    lat, lon = straight.coordinates()
    spots = list(zip(lat, lon, strict=True))
    # A: the nearest facility across the river; B: one on the near side, farther in a straight line.
    a = next(i for i, p in enumerate(spots) if east(p) and grid.covers(*p))
    b = next(i for i, p in enumerate(spots) if i > a and not east(p) and grid.covers(*p))
    a_id, b_id = straight.ids[a], straight.ids[b]
    assert straight.distances[a] < straight.distances[b]
    routed = store.search(query)
    assert routed.drive is not None and routed.drive.ranked
    assert routed.ids.index(b_id) < routed.ids.index(a_id)
    minutes = dict(zip(routed.ids, routed.drive.minutes, strict=True))
    assert minutes[b_id] < minutes[a_id]
    # the same places, only ordered by minutes (no route last)
    assert sorted(routed.ids) == sorted(straight.ids)
    reached = ~np.isnan(routed.drive.minutes)
    assert (np.diff(routed.drive.minutes[reached]) >= 0).all()
    assert reached[: reached.sum()].all()
    assert "OSRM" in routed.basis and "by car" in routed.basis
    assert plain.search(query).basis == "Distances are straight-line miles."


def test_minutes_agree_with_a_brute_force_route_over_the_same_grid(store, grid):
    result = store.search(Query(near="Tampa, FL", radius_miles=5))
    lat, lon = result.coordinates()
    checked = 0
    for i, (la, lo) in enumerate(zip(lat, lon, strict=True)):
        if not grid.covers(la, lo) or result.drive.missing[i]:
            continue
        expected = osrm.reference_minutes(grid, TAMPA, (la, lo))
        # OSRM snaps to the nearest street (the reference to the nearest corner) and adds turn costs.
        assert abs(result.drive.minutes[i] - expected) <= 1.5 + 0.1 * expected, (result.ids[i], expected)
        assert result.drive.road_miles[i] >= result.distances[i] - 0.3
        checked += 1
    assert checked >= 10


def test_a_limit_in_minutes_keeps_exactly_the_places_that_near(store, server):
    for limit in (10, 30):
        result = store.search(Query(near="Tampa, FL", max_minutes=limit))
        assert result.by_minutes and result.total == len(result) > 0
        assert (result.drive.minutes <= limit).all()
        # Brute force: every place within 20 miles, routed one request each.
        everyone = Directory.load(store.source).search(Query(near="Tampa, FL", radius_miles=20))
        router = Router({"car": server.url}, table_size=2)
        lat, lon = everyone.coordinates()
        table = router.table(TAMPA, lat, lon)
        assert table.requests == len(everyone)
        expected = {fid for fid, m in zip(everyone.ids, table.minutes, strict=True) if m <= limit}
        assert set(result.ids) == expected
        assert f"within {limit} minutes by car of Tampa, FL" in result.describe()
        assert sum(result.facets["state"].values()) == result.total
        assert result.area is None  # no radius circle for a limit in minutes


def test_no_route_comes_last_and_says_so(store, grid):
    result = store.search(Query(near="Tampa, FL", radius_miles=15))
    missing = list(result.drive.missing)
    lat, lon = result.coordinates()
    spots = list(zip(lat, lon, strict=True))
    # More than 2 km (1.24 miles) from every street: not on the routing data's roads.
    far = [i for i, p in enumerate(spots) if grid.outside_miles(*p) > 1.3]
    assert far and all(missing[i] == UNREACHABLE for i in far)
    assert all(missing[i] == "" for i, p in enumerate(spots) if grid.covers(*p))
    first_missing = missing.index(UNREACHABLE)
    assert all(m == UNREACHABLE for m in missing[first_missing:])
    frame = result.frame
    row = records(frame.iloc[[first_missing]])[0]
    assert row["route_status"] == "unreachable" and row["drive_minutes"] is None
    assert not set(result.records[0].extra) & {"drive_minutes", "road_miles", "route_status"}  # the search's
    header = to_csv(frame.iloc[:3]).splitlines()[0].split(",")
    assert header[:5] == ["facility_id", "distance_miles", "drive_minutes", "road_miles", "route_status"]


def test_only_the_nearest_candidates_are_routed_in_few_requests(cut, server):
    store = Directory.load(cut, router=Router({"car": server.url}, candidates=12, table_size=5))
    result = store.search(Query(near="Tampa, FL", radius_miles=6))
    assert len(result) > 12
    assert result.drive.requests == math.ceil(12 / 4)
    routed = [i for i, m in enumerate(result.drive.missing) if m != NOT_ROUTED]
    assert len(routed) == 12 and routed == list(range(12))  # routed first, the rest after, marked
    nearest12 = set(np.array(result.ids)[np.argsort(result.distances, kind="stable")[:12]])
    assert {result.ids[i] for i in routed} == nearest12
    big = Directory.load(cut, router=Router({"car": server.url}, table_size=100)).search(
        Query(near="Tampa, FL", radius_miles=6)
    )
    same = dict(zip(big.ids, big.drive.minutes, strict=True))
    for i in routed:
        assert result.drive.minutes[i] == pytest.approx(same[result.ids[i]], nan_ok=True)


def test_order_by_distance_keeps_straight_order_with_minutes_shown(store, plain):
    query = Query(near="Tampa, FL", radius_miles=4, order="distance")
    result = store.search(query)
    assert result.ids == plain.search(query.with_(order=None)).ids
    assert not result.drive.ranked and "ordered as asked" in result.basis


class _Silent:
    """A port that accepts connections and never answers (a hung engine)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


class _Erroring(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        body = json.dumps({"code": "InvalidQuery", "message": "Query string malformed close to position 9"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_down_slow_or_failing_engine_gives_straight_miles_with_one_line(cut, plain):
    silent = _Silent()
    erroring = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Erroring)
    threading.Thread(target=erroring.serve_forever, daemon=True).start()
    try:
        engines = {
            "closed": (_closed_port(), "cannot be reached"),
            "slow": (silent.url, "did not answer within 0.5 s"),
            "error": (f"http://127.0.0.1:{erroring.server_address[1]}", "answered InvalidQuery"),
        }
        query = Query(near="Tampa, FL", radius_miles=4, max_minutes=30)
        expected = plain.search(Query(near="Tampa, FL", radius_miles=4))
        for name, (url, reason) in engines.items():
            store = Directory.load(cut, router=Router({"car": url}, timeout=0.5))
            started = time.monotonic()
            result = store.search(query)
            assert time.monotonic() - started < 2.0, name
            assert result.drive is None and reason in result.routing_note, (name, result.routing_note)
            assert result.ids == expected.ids  # the same search in straight-line miles, never a mix
            assert result.basis == "Drive times are unavailable right now; distances are straight-line miles."
            assert "within 4 miles of Tampa, FL" in result.describe()
    finally:
        silent.close()
        erroring.shutdown()


def test_settings_are_read_or_refused_in_one_line(plain):
    router = parse_setting("osrm:http://127.0.0.1:5000, foot=osrm:http://127.0.0.1:5001")
    assert router.profiles == ("car", "foot")
    for bad in ("osrm:ftp://x", "osrm:http://a car=osrm:http://b", "foot=osrm:", "valhalla:http://x"):
        with pytest.raises(RoutingConfigError):
            parse_setting(bad)
    with pytest.raises(QueryError, match="drive times need a routing engine"):
        plain.search(Query(near="Tampa, FL", max_minutes=10))


def test_the_api_says_minutes_and_its_basis_and_checks_the_engine(store, plain, server):
    client = TestClient(create_app(store))
    body = client.get("/v1/facilities", params={"near": "Tampa, FL", "max_minutes": 10, "page_size": 5}).json()
    assert body["distance_basis"]["basis"] == "drive_time" and body["distance_basis"]["ordered_by"] == "drive_time"
    minutes = [r["drive_minutes"] for r in body["results"]]
    assert minutes == sorted(minutes) and all(m <= 10 for m in minutes)
    assert all(r["route_status"] == "routed" and r["road_miles"] >= r["distance_miles"] - 0.3 for r in body["results"])
    assert list(body["results"][0])[:5] == [
        "facility_id",
        "distance_miles",
        "drive_minutes",
        "road_miles",
        "route_status",
    ]
    by_miles = client.get("/v1/facilities", params={"near": "Tampa, FL", "radius_miles": 4, "order": "distance"}).json()
    miles = [r["distance_miles"] for r in by_miles["results"]]
    assert miles == sorted(miles) and by_miles["distance_basis"]["ordered_by"] == "distance"
    health = client.get("/healthz").json()
    assert health["routing"][0]["profile"] == "car" and health["routing"][0]["ok"]
    # Without a routing engine: a limit in minutes is refused in one line; searches say straight line.
    bare = TestClient(create_app(plain))
    refused = bare.get("/v1/facilities", params={"near": "Tampa, FL", "max_minutes": 10})
    assert refused.status_code == 422 and "routing engine" in refused.json()["detail"][0]["msg"]
    assert bare.get("/v1/facilities", params={"near": "Tampa, FL"}).json()["distance_basis"]["basis"] == "straight_line"
    assert "routing" not in bare.get("/healthz").json()
    # An engine down: straight-line miles, the reason, and no cache may keep the answer.
    down = TestClient(create_app(Directory.load(store.source, router=Router({"car": _closed_port()}))))
    answer = down.get("/v1/facilities", params={"near": "Tampa, FL", "max_minutes": 10})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store" and "etag" not in answer.headers
    assert "cannot be reached" in answer.json()["distance_basis"]["unavailable"]
    assert down.get("/healthz").json()["routing"][0]["ok"] is False


def test_the_cli_prints_minutes_and_checks_the_engine(cut, server, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("DIRECTORY_ROUTING", f"osrm:{server.url}")
    out = runner.invoke(cli, ["search", "--near", "Tampa, FL", "--max-minutes", "10", "--data", str(cut)])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "within 10 minutes by car of Tampa, FL" in lines[0] and lines[1].startswith("minutes")
    assert int(lines[2].split()[0]) <= 10 and "OSRM" in lines[-1]
    check = runner.invoke(cli, ["routing", "check"])
    assert check.exit_code == 0 and check.output.startswith("routing car: ok: OSRM at http://127.0.0.1:")
    monkeypatch.setenv("DIRECTORY_ROUTING", f"osrm:{_closed_port()}")
    failed = runner.invoke(cli, ["routing", "check"])
    assert failed.exit_code != 0 and "cannot be reached" in failed.output and "Traceback" not in failed.output
    monkeypatch.setenv("DIRECTORY_ROUTING", "nonsense")
    bad = runner.invoke(cli, ["routing", "check"])
    assert bad.exit_code != 0 and "DIRECTORY_ROUTING" in bad.output and len(bad.output.strip().splitlines()) == 1


def test_the_comparison_sheet_and_message_say_minutes(store):
    ids = store.search(Query(near="Tampa, FL", max_minutes=10)).ids[:3]
    comparison = compare(store, ids, near="Tampa, FL")
    row = comparison.row("drive")
    assert all(c.text.startswith("about ") and c.text.endswith(" min by car") for c in row.cells)
    assert "Drive time from Tampa, FL" in sheet_html(comparison)
    assert "min by car — " in message_text(comparison)
    assert comparison.to_json()["facilities"][0]["drive_minutes"] > 0


def test_a_second_profile_on_foot_is_its_own_server(cut, grid, server, tmp_path):
    foot = osrm.OsrmServer(osrm.build(osrm.write_grid(grid, tmp_path / "grid-foot.osm"), profile="foot"))
    try:
        store = Directory.load(cut, router=parse_setting(f"osrm:{server.url} foot=osrm:{foot.url}"))
        query = Query(near="Tampa, FL", radius_miles=3)
        by_car, on_foot = store.search(query), store.search(query.with_(travel="foot"))
        assert sorted(by_car.ids) == sorted(on_foot.ids)
        car = dict(zip(by_car.ids, by_car.drive.minutes, strict=True))
        walked = [(m, car[i]) for i, m in zip(on_foot.ids, on_foot.drive.minutes, strict=True) if m == m]
        assert walked and all(w > 2 * c for w, c in walked)  # walking is slower than driving
        assert "on foot" in on_foot.basis
        with pytest.raises(QueryError, match="travel must be one of car, foot"):
            store.search(query.with_(travel="bicycle"))
    finally:
        foot.stop()

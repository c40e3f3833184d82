"""Drive time's cost, side by side in one run: searches with routing off and on, and a search felt in the app.

The national file; 25-mile searches (and "within 30 minutes") in six real cities. The road network is
SYNTHETIC — no road data is shipped or fetched: tests/osrm.py writes a street grid around each city
(52 × 52 miles, a street every half mile, one primary road), all six in one OpenStreetMap file built
with OSRM's MLD pipeline and served by a local ``osrm-routed`` (OSRM's own binaries, ``make osrm``).
A real state extract has far more nodes; OSRM's MLD table queries grow slowly with it, but read the
routing share below as this grid's, not a state's.

* **library**: p50 of ``store.search`` per city, routing off against on (the same store), and the share
  of each routed search spent in the routing call (the ``/table`` requests, sent at once);
* **API**: p50 of ``GET /v1/facilities`` (in-process client), off against on;
* **felt**: in Chromium, typing "Tampa, FL" and Enter until the results have settled, on two app servers
  (routing off and on), tries alternating ABBA.

    python benchmarks/bench_routing.py                 # all three
    python benchmarks/bench_routing.py --reps 30 --tries 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import osrm  # noqa: E402

CITIES = ["Tampa, FL", "Phoenix, AZ", "Chicago, IL", "Atlanta, GA", "Denver, CO", "Seattle, WA"]
HALF_MILES, SPACING = 26.0, 0.5


def p50(values: list[float]) -> float:
    return statistics.median(values)


def build_network(store, folder: Path) -> osrm.OsrmServer:
    grids, base = [], 0
    for city in CITIES:
        place = store.resolve(city)
        grid = osrm.Grid((place.latitude, place.longitude), half=HALF_MILES, spacing=SPACING, base=base)
        base += grid.size
        grids.append(grid)
    started = time.perf_counter()
    built = osrm.build(osrm.write_grid(grids, folder / "six-cities-synthetic.osm"), timeout=900)
    print(f"synthetic network: {base:,} nodes, built with the MLD pipeline in {time.perf_counter() - started:.1f} s")
    return osrm.OsrmServer(built, table_size=100)


def library_rows(store, router, reps: int) -> list[dict[str, object]]:
    from directory.search import Query

    rows = []
    every_off, every_on, shares = [], [], []
    for city in CITIES:
        for label, query in (
            (f"{city}, 25 miles", Query(near=city)),
            (f"{city}, within 30 min", Query(near=city, max_minutes=30)),
        ):
            off, on, share, found = [], [], [], 0
            for i in range(reps + 1):
                for routed in (False, True) if i % 2 == 0 else (True, False):
                    store.router = router if routed else None
                    q = query if routed or query.max_minutes is None else query.with_(max_minutes=None)
                    started = time.perf_counter()
                    result = store.search(q)
                    took = (time.perf_counter() - started) * 1000
                    if i == 0:
                        continue  # warm-up
                    if routed:
                        on.append(took)
                        share.append(result.drive.elapsed_ms / took)
                        found = len(result)
                    else:
                        off.append(took)
            if query.max_minutes is None:
                every_off += off
                every_on += on
                shares += share
            rows.append(
                {
                    "search (national file)": label,
                    "results (on)": found,
                    "off p50 ms": f"{p50(off):.1f}",
                    "on p50 ms": f"{p50(on):.1f}",
                    "on / off": f"{p50(on) / p50(off):.2f}",
                    "routing share (on)": f"{p50(share):.0%}",
                }
            )
    store.router = None
    rows.append(
        {
            "search (national file)": "all six cities, 25 miles",
            "results (on)": "",
            "off p50 ms": f"{p50(every_off):.1f}",
            "on p50 ms": f"{p50(every_on):.1f}",
            "on / off": f"{p50(every_on) / p50(every_off):.2f}",
            "routing share (on)": f"{p50(shares):.0%}",
        }
    )
    return rows


def api_rows(store, router, reps: int) -> list[dict[str, object]]:
    import copy

    from fastapi.testclient import TestClient

    from directory.http.api import create_app

    routed = copy.copy(store)
    routed.router = router
    clients = {"off": TestClient(create_app(store, warm=True)), "on": TestClient(create_app(routed, warm=True))}
    times: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(reps + 1):
        for city in CITIES:
            for name in ("off", "on") if i % 2 == 0 else ("on", "off"):
                started = time.perf_counter()
                answer = clients[name].get("/v1/facilities", params={"near": city, "lang": "en"})
                took = (time.perf_counter() - started) * 1000
                assert answer.status_code == 200
                if i:
                    times[name].append(took)
    return [
        {
            "GET /v1/facilities (25 miles, page of 50)": "six cities",
            "off p50 ms": f"{p50(times['off']):.1f}",
            "on p50 ms": f"{p50(times['on']):.1f}",
            "on / off": f"{p50(times['on']) / p50(times['off']):.2f}",
        }
    ]


def felt_rows(server_url: str, tries: int) -> list[dict[str, object]]:
    from bench_felt import WORDS, act, settled_at
    from playwright.sync_api import sync_playwright

    from tests.browser import launch, serve_app

    w = WORDS["en"]
    times: dict[str, list[float]] = {"off": [], "on": []}
    with (
        serve_app() as off_url,
        serve_app({"DIRECTORY_ROUTING": f"osrm:{server_url}"}) as on_url,
        sync_playwright() as p,
    ):
        browser = launch(p)
        urls = {"off": off_url, "on": on_url}
        for i in range(tries + 1):
            for name in ("off", "on") if i % 2 == 0 else ("on", "off"):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.goto(urls[name])
                settled_at(page, w["home"])
                near = page.get_by_role("textbox", name=w["place box"])
                near.fill("Tampa, FL")
                took = act(page, lambda near=near: near.press("Enter"), w["results"])
                if name == "on":
                    assert page.get_by_text("Drive times by car").count(), "no drive times on the page"
                if i:
                    times[name].append(took)
                context.close()
        browser.close()
    return [
        {
            "felt (Chromium, national file)": "type Tampa, FL + Enter → settled",
            "off ms": f"{p50(times['off']):,.0f}",
            "on ms": f"{p50(times['on']):,.0f}",
            "on / off": f"{p50(times['on']) / p50(times['off']):.2f}",
            "goal": "≤ 500",
            "met": "yes" if p50(times["on"]) <= 500 else "no",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--no-felt", action="store_true")
    args = parser.parse_args()
    if osrm.bin_dir() is None:
        sys.exit("OSRM's binaries are not installed: make osrm")
    from directory import Directory
    from directory.routing import parse_setting

    store = Directory.load()
    with tempfile.TemporaryDirectory() as tmp:
        server = build_network(store, Path(tmp))
        try:
            router = parse_setting(f"osrm:{server.url}")
            print(f"Searches with routing off and on, p50 of {args.reps} alternating reps")
            print_table(library_rows(store, router, args.reps))
            print_table(api_rows(store, router, args.reps))
            if not args.no_felt:
                print(f"Felt, median of {args.tries} tries (after one warm-up each)")
                print_table(felt_rows(server.url, args.tries))
        finally:
            server.stop()


if __name__ == "__main__":
    main()

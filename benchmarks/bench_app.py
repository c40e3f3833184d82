"""The Streamlit app with the national file, side by side with baselines, in one run.

1. Server-side rerun after a filter change (AppTest, no browser): median and p95 of 15
   reruns per scenario, vs the bare ``Directory.search`` for the same query (the floor).
2. Map payload (the JSON the map component is sent): ours (name, place, type and rounded
   coordinates as columns, compact JSON) vs the whole result frame as JSON records.
3. First full render in Chromium (``streamlit run`` on 127.0.0.1, Debian chromium): time from
   navigation to the script idle with the map canvas drawn; 3 runs each. Skipped without
   /usr/bin/chromium.

    python benchmarks/bench_app.py
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from _table import print_table

from directory.search import Query
from directory.stores.memory import Directory
from directory.view import mapview

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")

#: scenario → (query parameters, widget key, new value, the library query after the change)
SCENARIOS = [
    ("national, add detox", {}, "w_services", ["detox"], Query(services=("detox",))),
    ("national, remove detox (every site)", {"service": "detox"}, "w_services", [], Query()),
    (
        "national, add medicaid",
        {"service": "detox"},
        "w_payments",
        ["medicaid"],
        Query(services=("detox",), payments=("medicaid",)),
    ),
    ("Tampa 25 mi, add MAT", {"near": "Tampa, FL"}, "w_services", ["mat"], Query(near="Tampa, FL", services=("mat",))),
    (
        "Chicago 100 mi, add residential",
        {"near": "Chicago, IL", "radius": "100"},
        "w_services",
        ["residential"],
        Query(near="Chicago, IL", radius_miles=100, services=("residential",)),
    ),
]


def reruns(directory: Directory) -> None:
    from streamlit.testing.v1 import AppTest

    rows = []
    for title, params, key, value, query in SCENARIOS:
        times = []
        for _ in range(15):
            at = AppTest.from_file(APP, default_timeout=120)
            for k, v in params.items():
                at.query_params[k] = v
            at.run()
            widget = at.multiselect(key=key)
            widget.set_value(value)
            started = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - started) * 1000)
            assert not at.exception
        floor = []
        for _ in range(15):
            started = time.perf_counter()
            result = directory.search(query)
            floor.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "scenario": title,
                "results": f"{result.total:,}",
                "rerun p50 ms": f"{statistics.median(times):.0f}",
                "rerun p95 ms": f"{np.percentile(times, 95):.0f}",
                "search only p50 ms": f"{statistics.median(floor):.1f}",
                "target": "<= 250 ms",
            }
        )
    print("1. Server-side rerun after a filter change (AppTest)")
    print_table(rows)


def payloads(directory: Directory) -> None:
    rows = []
    for title, query in [
        ("national, no filter", Query()),
        ("national, detox", Query(services=("detox",))),
        ("Tampa 25 mi", Query(near="Tampa, FL")),
        ("Chicago 100 mi", Query(near="Chicago, IL", radius_miles=100)),
    ]:
        result = directory.search(query)
        ours = mapview.build_map(directory, result).payload_bytes()
        baseline = len(result.frame.to_json(orient="records").encode())
        rows.append(
            {
                "view": title,
                "points": f"{result.total:,}",
                "ours MB": f"{ours / 1e6:.2f}",
                "whole frame as JSON MB": f"{baseline / 1e6:.2f}",
                "ratio": f"{baseline / ours:.1f}x",
                "target": "<= 2 MB",
            }
        )
    print(
        "2. Map payload (JSON sent per rerun; the state outlines, "
        f"{len(mapview.outlines_json()) / 1e3:.0f} kB, are a static file the browser keeps)"
    )
    print_table(rows)


def first_render() -> None:
    if not Path("/usr/bin/chromium").exists():
        print("3. First render: skipped (no /usr/bin/chromium)\n")
        return
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            APP,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        rows = []
        args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            for title, path in [
                ("national (every site)", "/"),
                ("Tampa, detox", "/?near=Tampa%2C+FL&service=detox"),
                ("Chicago 100 mi", "/?near=Chicago%2C+IL&radius=100"),
            ]:
                times = []
                for _ in range(3):
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(url + path)
                    page.wait_for_selector('[data-testid="stBidiComponentIsolated"] canvas[data-drawn]', timeout=60000)
                    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60000)
                    page.wait_for_selector("table[data-drawn]", timeout=60000)  # the list (its shadow root)
                    times.append(time.perf_counter() - started)
                    context.close()
                rows.append(
                    {
                        "page": title,
                        "first render s (median of 3)": f"{statistics.median(times):.2f}",
                        "min s": f"{min(times):.2f}",
                        "max s": f"{max(times):.2f}",
                        "target": "<= 5 s",
                    }
                )
            browser.close()
        print("3. First full render in Chromium (navigation → map canvas, list and idle script)")
        print_table(rows)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    directory = Directory.load()
    payloads(directory)
    reruns(directory)
    first_render()


if __name__ == "__main__":
    main()

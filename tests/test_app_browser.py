"""End to end: `streamlit run app.py` on 127.0.0.1, driven by Debian's Chromium through Playwright.

Screenshots go to ``test-artifacts/``; ``docs/screenshot.png`` in the README is taken here.
Without /usr/bin/chromium these tests skip with one line saying so.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from directory.search import Directory, Query

from .conftest import REPO, national_directory

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    reports = tmp_path_factory.mktemp("reports")
    env = {**os.environ, "DIRECTORY_REPORTS_DIR": str(reports)}
    env.pop("DIRECTORY_MAP_TILES", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield {"url": url, "reports": reports}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1900}, accept_downloads=True)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((server["url"], "data:", "blob:")) else None)
    page.outside_requests = outside
    yield page
    context.close()


def idle(page, text: str | None = None, timeout: float = 60_000) -> None:
    """Wait for a rerun to finish (and for ``text`` to be on the page, if given)."""
    if text is not None:
        page.get_by_text(text).first.wait_for(timeout=timeout)
    page.wait_for_timeout(250)
    page.wait_for_selector(IDLE, timeout=timeout)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.wait_for_timeout(800)  # let the map finish drawing
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="module")
def directory() -> Directory:
    return national_directory()


def test_search_filter_download_select(page, server, directory):
    page.goto(server["url"])
    idle(page, "All facilities")
    assert page.get_by_text("Call or text 988").is_visible()

    # Search "Tampa, FL".
    near = page.get_by_role("textbox", name="Where are you?")
    near.fill("Tampa, FL")
    near.press("Enter")
    idle(page, "Showing results near Tampa, FL")

    # Filter detox: open the Treatment type box and pick the option (its label carries a count).
    expected = directory.search(Query(near="Tampa, FL", services=("detox",)))
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Treatment type")
    box.locator("input").click()
    page.get_by_role("option", name=re.compile(r"^Detox \(\d+\)")).click()
    page.keyboard.press("Escape")
    idle(page, "Detox within 25 miles of Tampa, FL")
    sentence = page.get_by_text(re.compile(r"Detox within 25 miles of Tampa, FL: [\d,]+ facilit")).inner_text()
    shown = int(re.search(r": ([\d,]+) facilit", sentence).group(1).replace(",", ""))
    assert shown == expected.total > 0
    assert "service=detox" in page.url and "near=Tampa" in page.url
    shot(page, "1-tampa-detox")

    # Download the CSV: its rows are the listed facilities, in order.
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV", exact=True).click()
    body = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["facility_id"] for r in rows] == list(expected.frame["facility_id"])
    assert info.value.suggested_filename == "detox_tampa-fl_25mi.csv"

    # Select the first facility in the list: its detail opens and the URL carries its id.
    first = expected.frame.iloc[0]
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the first data row's selection cell
    idle(page, "Report a problem with this listing")
    assert page.locator("h3").filter(has_text=first["name"]).count() == 1
    assert f"facility={first['facility_id']}" in page.url
    assert page.locator('a[href^="tel:+1"]').count() >= 1
    path = shot(page, "2-detail")
    (REPO / "docs").mkdir(exist_ok=True)
    shutil.copyfile(path, REPO / "docs" / "screenshot.png")
    assert page.outside_requests == []


def _pixel(view: dict, lat: float, lon: float, width: float, height: float) -> tuple[float, float]:
    scale = 512 * 2 ** view["zoom"]

    def project(la: float, lo: float) -> tuple[float, float]:
        y = math.log(math.tan(math.pi / 4 + math.radians(la) / 2))
        return (lo + 180) / 360 * scale, (1 - y / math.pi) / 2 * scale

    cx, cy = project(view["latitude"], view["longitude"])
    x, y = project(lat, lon)
    return width / 2 + x - cx, height / 2 + y - cy


def test_map_click_selects_and_url_restores(page, server, directory):
    from directory import mapview

    query = "near=Washington%2C+IN&radius=50&service=mat"
    page.goto(f"{server['url']}/?{query}")
    idle(page, "Showing results near Washington, IN")
    result = directory.search(Query(near="Washington, IN", radius_miles=50, services=("mat",)))
    deck = mapview.build_deck(directory, result)
    view = {"latitude": deck.initial_view_state.latitude, "longitude": deck.initial_view_state.longitude,
            "zoom": deck.initial_view_state.zoom}
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    box = canvas.bounding_box()
    target = result.frame.iloc[-1]
    x, y = _pixel(view, float(target["latitude"]), float(target["longitude"]), box["width"], box["height"])
    page.mouse.click(box["x"] + x, box["y"] + y)
    idle(page, "Report a problem with this listing")
    assert page.locator("h3").filter(has_text=target["name"]).count() == 1
    assert f"facility={target['facility_id']}" in page.url
    shot(page, "3-map-click")

    # The URL alone restores the search and the selection in a fresh page.
    fresh = page.context.new_page()
    fresh.goto(page.url)
    idle(fresh, "Report a problem with this listing")
    assert fresh.locator("h3").filter(has_text=target["name"]).count() == 1
    assert fresh.get_by_text(re.compile(r"within 50 miles of Washington, IN")).count() >= 1

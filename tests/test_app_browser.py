"""End to end: `streamlit run app.py` on 127.0.0.1, driven by Debian's Chromium through Playwright.

Screenshots go to ``test-artifacts/``; ``docs/screenshot.png`` in the README is taken here.
Without /usr/bin/chromium these tests skip with one line saying so.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import expect

from directory import view
from directory.search import Query
from directory.stores.memory import Directory
from directory.view import plain

from .browser import (
    LIST_ROWS,
    MAP,
    click_point,
    idle,
    lone_points,
    map_canvas,
    map_pixel,
    map_pixels,
    map_view,
    needs_chromium,
    new_page,
    open_downloads,
    serve_app,
    settled,
    shot,
)
from .conftest import REPO, national_directory

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    with serve_app({"DIRECTORY_REPORTS_DIR": str(reports)}) as url:
        yield {"url": url, "reports": reports}


@pytest.fixture()
def page(browser, server):
    page = new_page(browser, server["url"])
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def directory() -> Directory:
    return national_directory()


def test_search_filter_download_select(page, server, directory):
    page.goto(server["url"])
    idle(page, "All facilities")
    # (an HTML element: drawn once its code has loaded, which can be just after the script is idle)
    expect(page.get_by_text("Call or text 988")).to_be_visible()
    # The national list's first 1,000 rows: the first drawn at once, all of them soon after.
    page.locator('table[data-rows="1000"]').wait_for(state="attached", timeout=30_000)
    assert page.locator(LIST_ROWS).count() == 1000

    # Search "Tampa, FL".
    near = page.get_by_role("textbox", name="Where are you?")
    near.fill("Tampa, FL")
    near.press("Enter")
    idle(page, "Showing results near Tampa, FL")

    # Filter detox: open the Treatment type box and pick the option (fixed labels; counts are beside them).
    expected = directory.search(Query(near="Tampa, FL", services=("detox",)))
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Treatment type")
    box.locator("input").click()
    page.get_by_role("option", name="Detox", exact=True).click()
    page.keyboard.press("Escape")
    idle(page, "Detox within 25 miles of Tampa, FL")
    sentence = page.get_by_text(re.compile(r"Detox within 25 miles of Tampa, FL: [\d,]+ facilit")).inner_text()
    shown = int(re.search(r": ([\d,]+) facilit", sentence).group(1).replace(",", ""))
    assert shown == expected.total > 0
    assert "service=detox" in page.url and "near=Tampa" in page.url
    # The map in words, under it: the same count, the towns of the area, the list's order.
    caption = page.get_by_text(re.compile(r"^The map shows [\d,]+ facilities around Tampa, FL")).inner_text()
    assert f"The map shows {expected.total} facilities around Tampa, FL (Detox {expected.total};" in caption
    assert "Towns in the area (GeoNames): Tampa, St. Petersburg, Clearwater" in caption
    assert caption.endswith("The list below holds the same facilities, in the same order.")
    shot(page, "1-tampa-detox")

    # Download the CSV: its rows are the listed facilities, in order.
    open_downloads(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV", exact=True).click()
    body = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["facility_id"] for r in rows] == list(expected.frame["facility_id"])
    assert info.value.suggested_filename == "detox_tampa-fl_25mi.csv"

    # Select the first facility in the list: its detail opens and the URL carries its id.
    first = expected.frame.iloc[0]
    # The list holds the same facilities, in the same order, by name (the component's table).
    page.locator(f'table[data-rows="{expected.total}"]').wait_for(state="attached")
    names = page.locator(f"{LIST_ROWS} .pick")
    assert names.all_inner_texts() == [
        f"{r.name} — {r.name2}" if r.name2 else r.name for r in expected.frame.itertuples()
    ]
    names.first.click()
    idle(page, "Report a problem with this listing")
    assert page.locator("h3").filter(has_text=first["name"]).count() == 1
    assert f"facility={first['facility_id']}" in page.url
    assert page.locator('a[href^="tel:+1"]').count() >= 1
    page.get_by_text("Find substance-use treatment").first.scroll_into_view_if_needed()  # the README shows the top
    path = shot(page, "2-detail")
    (REPO / "docs").mkdir(exist_ok=True)
    shutil.copyfile(path, REPO / "docs" / "screenshot.png")
    assert page.outside_requests == []


def test_map_click_selects_and_url_restores(page, server, directory):
    query = "near=Washington%2C+IN&radius=50&service=mat"
    page.goto(f"{server['url']}/?{query}")
    idle(page, "Showing results near Washington, IN")
    result = directory.search(Query(near="Washington, IN", radius_miles=50, services=("mat",)))
    canvas = map_canvas(page)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    view = map_view(canvas)
    # The first view fits the results to the canvas: every point is on it, clear of its edges.
    for x, y in map_pixels(view, result.frame, box):
        assert box["x"] + 30 < x < box["x"] + box["width"] - 30 and box["y"] + 30 < y < box["y"] + box["height"] - 30
    target = result.frame.iloc[-1]
    page.mouse.click(*map_pixel(view, float(target["latitude"]), float(target["longitude"]), box))
    idle(page, "Report a problem with this listing")
    assert page.locator("h3").filter(has_text=target["name"]).count() == 1
    assert f"facility={target['facility_id']}" in page.url
    assert canvas.get_attribute("data-selected") == str(len(result.frame) - 1)  # the map marks it
    # and says it, for a screen reader (a live region in the map)
    said = page.locator(f"{MAP} .live").text_content()
    assert said.startswith(f"Selected: {target['name']} — {target['city']}, IN")
    shot(page, "3-map-click")

    # The URL alone restores the search and the selection in a fresh page.
    fresh = page.context.new_page()
    fresh.goto(page.url)
    idle(fresh, "Report a problem with this listing")
    assert fresh.locator("h3").filter(has_text=target["name"]).count() == 1
    assert fresh.get_by_text(re.compile(r"within 50 miles of Washington, IN")).count() >= 1
    assert map_canvas(fresh).get_attribute("data-selected") == str(len(result.frame) - 1)

    fresh.close()  # back to the first tab
    page.bring_to_front()

    # A double click changes nothing; a drag moves every point with the pointer; the zoom button doubles
    # every point's distance from the centre. After each, a click where the point now is opens it.
    view, box = settled(page, canvas)
    spots = map_pixels(view, result.frame, box)
    empty = (box["x"] + 30, box["y"] + box["height"] - 30)  # a corner of the map, away from every point
    assert min(math.dist(empty, spot) for spot in spots) > 40
    page.mouse.dblclick(*empty)
    page.wait_for_timeout(600)  # past the double-click interval: the next click is a click of its own
    idle(page)
    assert map_view(canvas) == view and canvas.get_attribute("data-selected") == str(len(result.frame) - 1)
    assert f"facility={target['facility_id']}" in page.url
    alone = lone_points(spots, gap=30)
    assert len(alone) >= 3
    names = [plain(n) for n in result.frame["name"]]
    other = alone[0]  # the point farthest from every other
    click_point(page, canvas, spots[other], other, names[other])
    idle(page, f"facility={result.frame.iloc[other]['facility_id']}")
    assert page.locator("h3").filter(has_text=result.frame.iloc[other]["name"]).count() == 1

    page.mouse.move(*empty)
    page.mouse.down()
    page.mouse.move(empty[0] + 40, empty[1] - 25, steps=5)
    page.mouse.up()
    moved = alone[1]
    click_point(page, canvas, (spots[moved][0] + 40, spots[moved][1] - 25), moved, names[moved])
    idle(page, f"facility={result.frame.iloc[moved]['facility_id']}")

    page.get_by_role("button", name="Show all the results").click()
    page.get_by_role("button", name="Zoom in").click()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    zoomed = alone[2]
    click_point(
        page, canvas, (2 * spots[zoomed][0] - centre[0], 2 * spots[zoomed][1] - centre[1]), zoomed, names[zoomed]
    )
    idle(page, f"facility={result.frame.iloc[zoomed]['facility_id']}")
    assert page.locator("h3").filter(has_text=result.frame.iloc[zoomed]["name"]).count() == 1


def test_the_whole_directory_map_shows_areas_and_a_click_zooms_in(page, server, directory):
    """The home page's map draws areas with counts (22,000 points would be a blot): a pointer over the
    largest says how many facilities it holds and what to do to see each; a click zooms in on it."""
    from directory.view import mapview

    page.goto(server["url"])
    idle(page, "All facilities")
    clusters = mapview.build_map(directory, directory.search(Query())).clusters
    canvas = map_canvas(page)
    canvas.scroll_into_view_if_needed()
    view, box = map_view(canvas), canvas.bounding_box()
    spot = map_pixel(view, clusters["y"][0], clusters["x"][0], box)  # the largest area comes first
    page.mouse.move(*spot)
    tip = page.locator(f"{MAP} .tip")
    tip.wait_for(state="visible")
    assert tip.inner_text().splitlines() == [clusters["n"][0], mapview.AREA_HINT]
    page.mouse.click(*spot)
    page.wait_for_function(
        "([canvas, zoom]) => JSON.parse(canvas.dataset.view).zoom > zoom",
        arg=[canvas.element_handle(), view["zoom"] + 1.5],
    )
    assert "facility=" not in page.url  # an area is not a facility


def test_the_wheel_scrolls_the_page_and_ctrl_with_the_wheel_zooms_the_map(page, server):
    """A person scrolling down to the list with the pointer over the map scrolls the page (the map says
    how to zoom it, for a moment); with Ctrl held, the wheel zooms the map and the page stays put."""
    page.goto(f"{server['url']}/?near=Tampa%2C+FL")
    idle(page, "Showing results near Tampa, FL")
    canvas = map_canvas(page)
    canvas.scroll_into_view_if_needed()
    box, view = canvas.bounding_box(), map_view(canvas)
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    note = page.locator(f"{MAP} .wheel-note")
    # Whether the note was shown, however briefly (a slow machine may look after it is gone again).
    note.evaluate(
        "note => new MutationObserver(() => { if (!note.hidden) note.dataset.shown = 'yes'; })"
        ".observe(note, {attributes: true, attributeFilter: ['hidden']})"
    )
    page.mouse.move(*middle)
    page.mouse.wheel(0, 200)
    page.wait_for_function(
        "([canvas, y]) => canvas.getBoundingClientRect().y < y - 100", arg=[canvas.element_handle(), box["y"]]
    )
    assert note.get_attribute("data-shown") == "yes" and "hold Ctrl" in note.inner_text()
    assert map_view(canvas) == view
    note.wait_for(state="hidden")  # only for a moment

    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    page.wait_for_function(
        "([canvas, zoom]) => JSON.parse(canvas.dataset.view).zoom > zoom",
        arg=[canvas.element_handle(), view["zoom"] + 0.2],
    )
    assert canvas.bounding_box()["y"] == box["y"]
    assert not note.is_visible()


def test_report_a_problem_opens_a_form_and_is_saved(page, server, directory):
    """The report form is drawn only when asked for (a dialog); what is sent is saved, and a long
    message is kept, trimmed with a note."""
    from directory.curation.reports import MAX_MESSAGE, ReportStore

    facility = directory.search(Query(near="Tampa, FL")).frame.iloc[0]
    page.goto(f"{server['url']}/?near=Tampa%2C+FL&facility={facility['facility_id']}")
    idle(page, "Report a problem with this listing")
    assert page.get_by_label("What is wrong?").count() == 0
    page.get_by_role("button", name="Report a problem with this listing").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(facility["name"]).first.wait_for()
    dialog.get_by_label("What is wrong?").click()
    page.get_by_role("option", name="Phone number is wrong").click()
    long_message = "The number rings a fax machine. " * (MAX_MESSAGE // 20)
    dialog.get_by_label("Details (optional)").fill(long_message)
    dialog.get_by_role("button", name="Send report").click()
    dialog.get_by_text("saved").first.wait_for()
    assert dialog.get_by_text(f"the first {MAX_MESSAGE:,} were kept").count() == 1
    reports, problems = ReportStore(server["reports"]).list()
    assert problems == [] and len(reports) == 1
    report = reports[0]
    assert (report.facility_id, report.facility_name, report.problem) == (
        facility["facility_id"],
        facility["name"],
        "Phone number is wrong",
    )
    assert long_message.startswith(report.message) and len(report.message) <= MAX_MESSAGE
    assert page.outside_requests == []


def test_print_this_list_prints_the_referral_list_in_one_click(page, server, directory):
    """The printable page is built only when asked for, and opens the print dialog itself."""
    page.add_init_script(
        "window.print = function () { (window.top.__printed = window.top.__printed || [])"
        ".push([document.title, document.querySelectorAll('tbody tr').length]); };"
    )
    page.goto(f"{server['url']}/?near=Tampa%2C+FL&service=detox")
    idle(page, "Showing results near Tampa, FL")
    assert page.locator("iframe").count() == 0  # nothing prepared before the click
    open_downloads(page)
    page.get_by_role("button", name="Print this list", exact=True).click()
    idle(page)
    page.wait_for_function("window.__printed && window.__printed.length > 0", timeout=10_000)
    expected = directory.search(Query(near="Tampa, FL", services=("detox",)))
    assert page.evaluate("window.__printed") == [["Treatment facilities — referral list", expected.total]]
    assert page.outside_requests == []


def test_copy_link_button_copies_the_search(browser, server):
    """A search's page offers its link with a copy button, and the copied link reopens the search and
    the selected facility; the bare home page, with nothing to share, has no link box."""
    page = new_page(browser, server["url"])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server["url"])
    page.goto(server["url"])
    idle(page, "All facilities")
    assert page.get_by_text("Link to this search").count() == 0
    facility = national_directory().search(Query(near="Tampa, FL", services=("detox",))).ids[0]
    page.goto(f"{server['url']}/?near=Tampa%2C+FL&service=detox&facility={facility}")
    idle(page, "Report a problem with this listing")
    box = page.locator('[data-testid="stCode"]')
    box.get_by_text(f"facility={facility}").wait_for()  # drawn (its code loads on first use)
    # The copy button is made when the pointer enters the box: enter it once it is drawn.
    page.mouse.move(0, 0)
    box.hover()
    box.get_by_role("button").click()
    copied = page.evaluate("navigator.clipboard.readText()")

    def form(url: str):
        return view.SearchForm.from_params(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query))

    assert form(copied) == form(page.url) and form(copied)[0].facility == facility
    assert copied.startswith(server["url"])
    fresh = page.context.new_page()
    fresh.goto(copied)
    idle(fresh, "Report a problem with this listing")
    assert fresh.get_by_text("Detox within 25 miles of Tampa, FL").count() >= 1
    assert page.outside_requests == []
    page.context.close()


def test_the_map_names_towns_and_counties_that_never_overlap(page, server):
    """Offline orientation: the searched place and the largest towns that fit, named on the map (GeoNames,
    from the gazetteer), and at county zoom the county lines and names (Census outlines, fetched for the
    states in view); zoomed out over a state, only cities of 100,000 or more and no counties."""
    from directory.geocode.gazetteer import Gazetteer

    population = {}
    for group in Gazetteer.load().places.values():
        for p in group:
            population[p.name] = max(population.get(p.name, 0), p.population)
    for query, must in (("near=Tampa%2C+FL", {"Tampa, FL", "St. Petersburg", "Clearwater"}), ("state=FL", set())):
        page.goto(f"{server['url']}/?{query}")
        idle(page)
        canvas = map_canvas(page)
        page.wait_for_timeout(300)
        if query != "state=FL":  # the state's counties arrive after the first paint
            expect(canvas).to_have_attribute("data-counties", re.compile("Hillsborough"), timeout=30_000)
        labels = json.loads(canvas.get_attribute("data-labels"))
        counties = json.loads(canvas.get_attribute("data-counties"))
        names = [label["n"] for label in labels]
        assert must <= set(names), names
        if query == "state=FL":
            assert counties == []
        else:
            assert {"Hillsborough", "Pinellas"} <= {c["n"] for c in counties}, counties
        boxes = [label["box"] for label in labels + counties]
        for i, a in enumerate(boxes):  # no two labels overlap
            for b in boxes[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
        if query == "state=FL":
            assert {"Jacksonville", "Miami", "Tampa", "Orlando"} <= set(names)
            assert all(population[n] >= 100_000 for n in names), names
        shot(page, f"towns-{query.split('=')[0]}")


def test_the_list_sorts_by_a_column_and_opens_from_the_keyboard(page, server, directory):
    """The results list near Washington, IN: its header sorts by a column (as a brute-force sort of the
    rows says, what a source does not say last), again the other way, with ``aria-sort`` saying which;
    a name reached with Tab opens with Enter; the page asked the server nothing for a sort."""
    from directory.view import listview

    page.goto(f"{server['url']}/?near=Washington%2C+IN&radius=50")
    idle(page, "Showing results near Washington, IN")
    result = directory.search(Query(near="Washington, IN", radius_miles=50))
    data = listview.list_data(directory, result)
    table = page.locator("table[data-rows]")
    assert table.get_attribute("data-rows") == str(len(data.ids)) > "0"
    names = page.locator(f"{LIST_ROWS} .pick")
    assert names.all_inner_texts() == data.rows["name"]  # the search's order

    def shown_order() -> list[int]:
        return page.locator(LIST_ROWS).evaluate_all("rows => rows.map(r => Number(r.dataset.i))")

    cities = data.rows["city"]
    by_city = sorted(range(len(cities)), key=lambda i: (cities[i].casefold(), i))
    header = page.locator("thead th").filter(has_text="City")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert [cities[i] for i in shown_order()] == [cities[i] for i in by_city]
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert [cities[i] for i in shown_order()] == sorted(cities, key=str.casefold, reverse=True)
    # Verified (by date, not by the month's name): rows with none stay last whichever way it is sorted.
    verified = data.sort["verified"]
    page.locator("thead th").filter(has_text="Verified").locator("button").click()
    shown = [verified[i] for i in shown_order()]
    assert shown == sorted(v for v in verified if v is not None) + [None] * verified.count(None)
    assert header.get_attribute("aria-sort") is None
    assert page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state") == "notRunning"

    # The names are one stop in the Tab order (the first row's, in the search's order); from the last header,
    # Tab reaches it, Down moves to the next name shown, End to the last, Enter opens it.
    stops = page.locator(f"{LIST_ROWS} .pick[tabindex='0']")
    assert stops.count() == 1 and page.locator(f"{LIST_ROWS} a[tabindex='0']").count() == 0
    page.locator("thead button").last.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    order = shown_order()
    host = page.locator(f"{LIST_ROWS}").first.evaluate_handle("r => r.getRootNode().host")
    assert host.evaluate("h => Number(h.shadowRoot.activeElement.closest('tr').dataset.i)") == order[order.index(0) + 1]
    page.keyboard.press("End")
    last = order[-1]
    assert host.evaluate("h => Number(h.shadowRoot.activeElement.closest('tr').dataset.i)") == last
    page.keyboard.press("Enter")
    idle(page, "Report a problem with this listing")
    assert f"facility={data.ids[last]}" in page.url
    assert page.locator(f'{LIST_ROWS}[data-i="{last}"]').get_attribute("class") == "selected"
    assert page.locator(f"{LIST_ROWS} .pick[tabindex='0']").count() == 1
    assert page.outside_requests == []

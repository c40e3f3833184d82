"""A person changes five things in a row, in a real browser (Debian's Chromium), on the national file.

After every step: no error on the page, the URL holds every filter chosen so far, and the page shows
the library's own result for the query that URL describes. The steps are those of the report that
found filters breaking on the second change (City → Detox → Joint Commission → CARF → Medicaid).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from directory import Query, view

from .browser import (
    IPHONE,
    LIST_ROWS,
    alerts,
    idle,
    lone_points,
    map_canvas,
    map_pixel,
    map_pixels,
    needs_chromium,
    new_page,
    open_downloads,
    open_more_filters,
    pick,
    sentence_total,
    serve_app,
    settled,
    shot,
    url_params,
)
from .conftest import REPO, national_directory

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server():
    with serve_app() as url:
        yield url


def expected_total(page) -> int:
    """The library's answer for the query the page's URL describes."""
    form, warnings = view.SearchForm.from_params(url_params(page))
    assert warnings == [], warnings
    return view.run(national_directory(), form).result.total


def check(page, chosen: dict[str, str]) -> None:
    assert not [a for a in alerts(page) if "unknown" in a.lower() or "error" in a.lower()], alerts(page)
    params = url_params(page)
    for param, value in chosen.items():
        assert value in params.get(param, []), (param, value, page.url)
    assert sentence_total(page) == expected_total(page), page.url


@pytest.mark.parametrize("city", ["Tampa, FL", "West Palm Beach, FL"])
def test_five_filter_changes_in_a_row(browser, server, city):
    page = new_page(browser, server)
    page.goto(server)
    idle(page, "All facilities")
    near = page.get_by_role("textbox", name="Where are you?")
    near.fill(city)
    near.press("Enter")
    idle(page, f"Showing results near {city}")
    chosen: dict[str, str] = {"near": city}
    check(page, chosen)
    for heading, option, param, value in (
        ("Treatment type", "Detox", "service", "detox"),
        ("Accreditation", "Joint Commission", "accreditation", "joint-commission"),
        ("Accreditation", "CARF", "accreditation", "carf"),
        ("Payment", "Medicaid", "payment", "medicaid"),
        ("Language of treatment", "Spanish", "language", "spanish"),
    ):
        pick(page, heading, option)
        chosen[param] = value
        check(page, chosen)
    # the download holds exactly what the library returns for this URL
    form, _ = view.SearchForm.from_params(url_params(page))
    expected = view.run(national_directory(), form).result
    open_downloads(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert [r["facility_id"] for r in rows] == expected.ids
    if city == "Tampa, FL":
        shot(page, "seq-tampa-five-filters")
    assert page.outside_requests == []
    page.context.close()


def test_radius_clear_back_forward_and_a_shared_link(browser, server):
    page = new_page(browser, server)
    page.goto(f"{server}/?near=Tampa%2C+FL&service=detox")
    idle(page, "Showing results near Tampa, FL")
    check(page, {"service": "detox"})
    # radius: the next stops, chosen in the box
    for radius in ("50", "100"):
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Radius (miles)").locator("input").click()
        page.get_by_role("option", name=radius, exact=True).click()
        idle(page)
        check(page, {"service": "detox", "radius": radius})
    pick(page, "Payment", "Medicaid")
    check(page, {"service": "detox", "radius": "100", "payment": "medicaid"})
    first_url = page.url
    # clear keeps the place and the radius, drops every filter
    open_more_filters(page)
    page.get_by_role("button", name="Clear filters").click()
    idle(page)
    params = url_params(page)
    assert params["near"] == ["Tampa, FL"] and params["radius"] == ["100"] and "service" not in params
    check(page, {})
    # a new search, then Back: the cleared search, Back again: the one before it; Forward
    page.goto(f"{server}/?near=Orlando%2C+FL&service=mat")
    idle(page, "Showing results near Orlando, FL")
    page.go_back()
    idle(page, "Showing results near Tampa, FL")
    assert "service" not in url_params(page)
    check(page, {"radius": "100"})
    page.go_back()
    idle(page)
    check(page, {"service": "detox", "radius": "100", "payment": "medicaid"})
    page.go_forward()
    idle(page)
    page.go_forward()
    idle(page, "Showing results near Orlando, FL")
    check(page, {"service": "mat"})
    # the earlier link pasted into a fresh page gives the same search
    fresh = new_page(browser, server)
    fresh.goto(first_url)
    idle(fresh, "Showing results near Tampa, FL")
    check(fresh, {"service": "detox", "radius": "100", "payment": "medicaid"})
    assert page.outside_requests == [] and fresh.outside_requests == []
    fresh.context.close()
    page.context.close()


def text_rows(page) -> list[str]:
    """The facility ids of the text list's rows, top to bottom (each row's Details button is keyed by it)."""
    return page.eval_on_selector_all(
        '[class*="st-key-details-"]',
        "els => els.map(e => [...e.classList].find(c => c.startsWith('st-key-details-')).slice(15))",
    )


def test_phone_sized_window(browser, server):
    """At 390×844 on a phone: the place box and treatment type are on the first screen; each row of the
    list shows name, distance and a tap-to-call phone inside the screen's width; one tap opens the detail."""
    page = new_page(
        browser, server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=IPHONE
    )
    page.goto(server)
    idle(page, "All facilities")
    near = page.get_by_role("textbox", name="Where are you?")
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Treatment type")
    for element in (near, box):
        found = element.bounding_box()
        assert found and found["y"] + found["height"] <= 844, found
    # The text list: its first 20 rows, 20 more on request, in the result's order.
    home = view.run(national_directory(), view.SearchForm()).result
    assert text_rows(page) == list(home.ids[:20])
    more = page.get_by_role("button", name="Show 20 more")
    more.click()
    idle(page, f"The first 40 of {home.total:,}")
    assert text_rows(page) == list(home.ids[:40])
    near.fill("Tampa, FL")
    near.press("Enter")
    idle(page, "Showing results near Tampa, FL")
    pick(page, "Treatment type", "Detox")
    check(page, {"service": "detox"})
    expected = national_directory().search(Query(near="Tampa, FL", services=("detox",)))
    # A new search starts again at 20; the last one is one tap away, and then nothing is left to ask for.
    assert text_rows(page) == list(expected.ids[:20]) and expected.total == 21
    page.get_by_role("button", name="Show 1 more").click()
    idle(page)
    assert text_rows(page) == list(expected.ids)
    assert (
        page.get_by_role("button", name="Show 1 more").count() == 0
        and page.get_by_text("the downloads have every one").count() == 0
    )
    first = view.text_list(national_directory(), expected)[0]
    row = page.get_by_text(first.name, exact=True).first
    row.scroll_into_view_if_needed()
    phone = page.locator(f'a[href="{first.phone_url}"]').first
    for element in (row, phone):
        found = element.bounding_box()
        assert found and found["x"] >= 0 and found["x"] + found["width"] <= 390, found
    assert page.get_by_text(first.distance).first.is_visible()
    path = shot(page, "phone-list", full_page=False)
    shutil.copyfile(path, REPO / "docs" / "screenshot-phone.png")  # the README shows it
    page.get_by_role("button", name="Details").first.click()
    idle(page, "Report a problem with this listing")
    assert f"facility={first.facility_id}" in page.url
    shot(page, "phone-detail", full_page=False)
    # The map, one tap away, fits every result into the phone's width; a tap on a point opens its detail.
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Map").click()
    canvas = map_canvas(page)
    canvas.scroll_into_view_if_needed()
    view_now, box = settled(page, canvas)
    assert box["width"] < 390
    spots = map_pixels(view_now, expected.frame, box)
    assert all(box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"] for x, y in spots)
    other = next(i for i in lone_points(spots) if expected.ids[i] != first.facility_id)
    page.touchscreen.tap(*spots[other])
    page.wait_for_function("([c, i]) => c.dataset.selected === i", arg=[canvas.element_handle(), str(other)])
    idle(page, f"facility={expected.ids[other]}")
    assert page.locator("h3").filter(has_text=expected.frame.iloc[other]["name"]).count() == 1
    assert page.outside_requests == []
    page.context.close()


def test_include_older_listings_and_back(browser, server):
    """Default searches show sites listed since 2021 and say what they leave out; one click includes
    the older ones, the URL says so, and Back returns to the default."""
    page = new_page(browser, server)
    page.goto(server + "/?near=Tampa%2C+FL&service=detox")
    idle(page, "Showing results near Tampa, FL")
    check(page, {"near": "Tampa, FL", "service": "detox"})
    default_total = sentence_total(page)
    left_out = national_directory().search(Query(near="Tampa, FL", services=("detox",))).older
    assert left_out > 0 and page.get_by_text(f"Not shown: {left_out} older facilit").count() == 1
    page.get_by_role("button", name="Include older listings").click()
    idle(page)
    check(page, {"near": "Tampa, FL", "service": "detox", "listed_since": "any"})
    assert sentence_total(page) == default_total + left_out
    assert page.get_by_text("Not shown:").count() == 0
    page.go_back()
    idle(page)
    check(page, {"near": "Tampa, FL", "service": "detox"})
    assert "listed_since" not in url_params(page) and sentence_total(page) == default_total
    page.context.close()


def test_list_map_list_selections(browser, server):
    """A row, then a point on the map, then another row, then the map's first point again: each opens
    its facility, the URL names it, and the list and the map mark it (a map click selects its row, a
    row click marks its point)."""
    directory = national_directory()
    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    frame = result.frame.reset_index(drop=True)
    page = new_page(browser, server, viewport={"width": 1400, "height": 1900})
    page.goto(server + "/?near=Tampa%2C+FL&service=detox")
    idle(page, "Showing results near Tampa, FL")
    canvas = map_canvas(page)
    view, box = settled(page, canvas)
    spots = map_pixels(view, frame, box)
    # Points whose rows are in the list's first screenful.
    alone = [i for i in lone_points(spots) if i < 9]
    assert len(alone) >= 2

    def selected_rows() -> list[int]:
        return page.locator(f"{LIST_ROWS}.selected").evaluate_all("rows => rows.map(r => Number(r.dataset.i))")

    def opened(i: int) -> None:
        facility = frame.iloc[i]
        idle(page, f"facility={facility['facility_id']}")
        assert page.locator("h3").filter(has_text=facility["name"]).count() == 1
        assert url_params(page)["facility"] == [facility["facility_id"]]
        assert selected_rows() == [i]
        assert canvas.get_attribute("data-selected") == str(i)  # the map marks it too, whichever was clicked
        assert not [a for a in alerts(page) if "error" in a.lower()], alerts(page)

    def row(i: int) -> None:
        page.locator(f'{LIST_ROWS}[data-i="{i}"] .pick').click()  # its name, as a person clicks it
        opened(i)

    def point(i: int) -> None:
        canvas.scroll_into_view_if_needed()
        lat, lon = frame.iloc[i][["latitude", "longitude"]].astype(float)
        page.mouse.click(*map_pixel(view, lat, lon, canvas.bounding_box()))
        opened(i)

    row(0)
    point(alone[0])
    row(alone[1])
    point(alone[0])
    assert page.outside_requests == []
    page.context.close()

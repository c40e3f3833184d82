"""The offline map a person finds their way on, as they see it: Tampa, rural Indiana and Miami, on a
desktop and on a phone, in Chromium with no request leaving 127.0.0.1. Each view names the searched
place and towns (never two labels overlapping), draws county lines and names where it is zoomed in to
county level, and says the same in words under it; the screenshots go to ``docs/`` (docs/app.md shows
them)."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from directory.search import Query
from directory.view.counties import COUNTY_ZOOM

from .browser import IPHONE, MAP, idle, map_canvas, needs_chromium, new_page, serve_app
from .conftest import REPO, national_directory

pytestmark = needs_chromium

PLACES = {
    # name: (the place searched, its radius in miles, towns the map must name, counties it must name)
    "tampa": ("Tampa, FL", 25, {"Tampa, FL", "St. Petersburg", "Clearwater"}, {"Hillsborough", "Pinellas"}),
    "indiana": ("Washington, IN", 50, {"Washington, IN", "Bloomington", "Evansville"}, {"Daviess"}),
    # Miami-Dade's name point is outside so close a view: named where the view shows the county.
    "miami": ("Miami, FL", 10, {"Miami, FL", "Hialeah", "Miami Beach"}, {"Miami-Dade"}),
}
DEVICES = {
    "desktop": {"viewport": {"width": 1400, "height": 1900}},
    "phone": {"viewport": {"width": 390, "height": 1400}, "is_mobile": True, "has_touch": True, "user_agent": IPHONE},
}


@pytest.fixture(scope="module")
def server():
    with serve_app() as url:
        yield url


def overlapping(boxes: list[list[int]]) -> list[tuple[list[int], list[int]]]:
    return [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


@pytest.mark.parametrize("device", sorted(DEVICES))
@pytest.mark.parametrize("place", sorted(PLACES))
def test_the_map_names_where_it_is_on_a_desktop_and_a_phone(browser, server, place, device):
    center, radius, towns, counties = PLACES[place]
    page = new_page(browser, server, **DEVICES[device])
    page.goto(f"{server}/?" + urllib.parse.urlencode({"near": center, "radius": radius}))
    idle(page, "Showing results near")
    if device == "phone":  # the phone's map is one tap away, under the list's heading
        page.locator('[data-testid="stExpander"] summary').filter(has_text="Map").click()
    canvas = map_canvas(page)
    canvas.scroll_into_view_if_needed()
    canvas.and_(page.locator('canvas[data-drawn="all"]')).wait_for()
    # County lines and names from county zoom in (a phone's narrower map may show the same place zoomed out).
    county_zoom = json.loads(canvas.get_attribute("data-view"))["zoom"] >= COUNTY_ZOOM
    if counties and county_zoom:
        expect(canvas).to_have_attribute("data-counties", re.compile(sorted(counties)[0]), timeout=30_000)
    page.wait_for_timeout(300)
    labels = json.loads(canvas.get_attribute("data-labels"))
    named_counties = json.loads(canvas.get_attribute("data-counties"))
    names = {label["n"] for label in labels}
    # A phone's narrower map has room for fewer names: the place and at least one more town there.
    must = towns if device == "desktop" else {next(n for n in towns if "," in n)}
    assert must <= names, names
    assert len(names) >= (6 if device == "desktop" else 3), names
    assert counties <= {c["n"] for c in named_counties} if county_zoom else named_counties == [], named_counties
    assert overlapping([label["box"] for label in labels + named_counties]) == []
    # The same map in words, under it: the facilities, the towns, the counties.
    result = national_directory().search(Query(near=center, radius_miles=radius))
    caption = page.get_by_text(f"The map shows {len(result)} facilities around {center}")
    assert caption.count() == 1
    words = caption.inner_text()
    assert "Towns in the area (GeoNames):" in words and "By county:" in words
    # Looked at: the map and its caption, as the person sees them (the map scrolled to the window's top).
    canvas.evaluate("c => c.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(200)
    top = canvas.bounding_box()
    bottom = caption.bounding_box()
    page.screenshot(
        path=str(REPO / "docs" / f"map-{place}-{device}.png"),
        clip={
            "x": max(top["x"] - 8, 0),
            "y": max(top["y"] - 8, 0),
            "width": min(top["width"] + 16, DEVICES[device]["viewport"]["width"]),
            "height": bottom["y"] + bottom["height"] - top["y"] + 16,
        },
    )
    # Offline, the map credits its place names and outlines in its corner (Spanish in a Spanish page).
    assert (
        page.locator(f"{MAP} .credit").inner_text()
        == "Place names: GeoNames (CC BY 4.0) \u00b7 Outlines: US Census Bureau"
    )
    assert page.outside_requests == []
    page.context.close()

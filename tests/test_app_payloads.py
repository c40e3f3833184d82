"""Text stays text: markdown links and images, bare URLs, KaTeX, colour directives, HTML, javascript:
URLs and bidi overrides, through every URL parameter and every text column of a facilities file cut
from the shipped one, in a real browser. Nothing may become a link (other than tel:, the fixed
directions link and the app's own), an image, maths, or a request leaving 127.0.0.1."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from directory.core.filters import APP_FILTERS
from directory.core.schema import read_facilities

from .browser import idle, needs_chromium, new_page, serve_app, shot

pytestmark = needs_chromium

PAYLOADS = [
    "[Call 555-0100](https://evil.example/call)",
    "![x](https://evil.example/p.png)",
    "see https://evil.example/bare and www.evil.example",
    "$x^2$ and $$y$$",
    ":red[red text] :material/home:",
    "<img src=https://evil.example/i.png onerror=alert(1)>",
    '<a href="https://evil.example/a">a link</a>',
    "[js](javascript:alert(1))",
    "\u202eevil\u202c text",
    "<script>alert(1)</script>",
    "line one\r\nline two",
    "A%0AB%0D%0Acc: evil@evil.example",
    "Clinic&cc=evil@evil.example&bcc=x@evil.example",
    "Clinic?subject=Hacked&body=gone",
]
TEXT_COLUMNS = ["name", "name2", "street1", "street2", "city", "county", "notes", "phone", "intake_phone"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """40 real Tampa-area rows with every text column replaced by a payload (ids, points and codes kept)."""
    frame = read_facilities()
    rows = frame[(frame["state"] == "FL") & (frame["city"] == "Tampa")].head(40).copy()
    for i, index in enumerate(rows.index):
        for j, column in enumerate(TEXT_COLUMNS):
            rows.at[index, column] = PAYLOADS[(i + j) % len(PAYLOADS)] + f" {column}"
        rows.at[index, "website"] = "javascript:alert(1)" if i % 2 else ""
    path = tmp_path_factory.mktemp("hostile") / "facilities.csv"
    rows.to_csv(path, index=False)
    return path, rows


@pytest.fixture(scope="module")
def server(hostile):
    with serve_app({"DIRECTORY_FACILITIES": str(hostile[0])}) as url:
        yield url


def assert_inert(page, server: str) -> None:
    # links a person can see or reach (display:none ones are neither)
    hrefs = page.eval_on_selector_all(
        "a[href]", "els => els.filter(e => e.getClientRects().length).map(e => e.getAttribute('href'))"
    )
    for href in hrefs:
        # the fixed links: directions and the federal listing, built from the point's numbers only
        allowed = href.startswith(("tel:", "#", "?", "/", server)) or re.fullmatch(
            r"https://www\.openstreetmap\.org/directions\?route=%3B-?[\d.]+%2C-?[\d.]+#map=16/-?[\d.]+/-?[\d.]+"
            r"|https://findtreatment\.gov/locator\?sAddr=-?[\d.]+%2C-?[\d.]+"
            r"|sms:\?&body=[A-Za-z0-9%._~-]*|mailto:\?subject=[A-Za-z0-9%._~-]*&body=[A-Za-z0-9%._~-]*",
            href,
        )
        assert allowed, href
    images = page.eval_on_selector_all("img[src]", "els => els.map(e => e.getAttribute('src'))")
    assert all(src.startswith(("data:", "blob:", "/", server)) for src in images), images
    assert page.locator(".katex").count() == 0
    assert page.locator("script:not([src])").filter(has_text="alert(1)").count() == 0
    # No link leads to a payload's host; a message's body may quote it, as percent-encoded text (above).
    assert "evil.example" not in " ".join(h for h in hrefs if not h.startswith(("sms:", "mailto:")))
    assert page.outside_requests == [], page.outside_requests


def srcdoc_frame(page, timeout_ms: int = 15_000):
    """The sheet's frame, once the page has it (a loaded machine draws it a while after the rerun)."""
    for _ in range(timeout_ms // 100):
        found = [f for f in page.frames if f != page.main_frame and f.url.startswith("about:srcdoc")]
        if found:
            return found[0]
        page.wait_for_timeout(100)
    raise AssertionError("the sheet's frame never appeared")


def test_url_parameters_stay_text(browser, server):
    """Payloads in the place box and every filter of a link: four links, each parameter holding another
    payload in each, so every payload reaches four parameters (the place box gets four of them)."""
    names = ["near", *(f.param for f in APP_FILTERS)]
    links = [{name: PAYLOADS[(k + 4 * i) % len(PAYLOADS)] for i, name in enumerate(names)} for k in range(4)]
    assert {p for link in links for p in link.values()} == set(PAYLOADS)
    page = new_page(browser, server)
    for params in links:
        page.goto(f"{server}/?{urllib.parse.urlencode(params)}")
        idle(page)
        assert_inert(page, server)
    page.context.close()


def test_facility_text_stays_text_in_the_detail_list_and_print(browser, server, hostile):
    _, rows = hostile
    page = new_page(browser, server)
    # Row i holds payload (i + j) in text column j: the first 14 - 9 + 1 rows hold every payload somewhere.
    for fid in rows["facility_id"].head(len(PAYLOADS) - len(TEXT_COLUMNS) + 1):
        page.goto(f"{server}/?near=Tampa%2C+FL&facility={fid}")
        idle(page, "Report a problem with this listing")
        toggle = page.get_by_text("Show the results as a text list")
        if not page.get_by_role("button", name="Details").count():
            toggle.click()
            idle(page)
        page.wait_for_timeout(300)
        assert_inert(page, server)
    # the visible name is the payload, shown literally
    assert page.get_by_text("[Call 555-0100](https://evil.example/call) name", exact=False).count() >= 1
    shot(page, "payload-detail")
    page.context.close()


def test_facility_text_stays_text_in_the_map_tooltips(browser, server, hostile):
    """The map's tooltips set the name and place as text: a pointer over a point shows the payload
    literally (less any bidi override), and the tooltip holds no element."""
    from directory import Directory, Query
    from directory import view as text_view

    from .browser import MAP, lone_points, map_canvas, map_pixels, settled

    directory = Directory.load(hostile[0])
    result = directory.search(Query(near="Tampa, FL"))
    page = new_page(browser, server)
    page.goto(f"{server}/?near=Tampa%2C+FL")
    idle(page, "Showing results near Tampa, FL")
    canvas = map_canvas(page)
    canvas.scroll_into_view_if_needed()
    # Read once the map has settled (a scrollbar coming or going resizes it, and it fits itself anew).
    view, box = settled(page, canvas)
    spots = map_pixels(view, result.frame, box)
    tip = page.locator(f"{MAP} .tip")
    lone = lone_points(spots)
    assert len(lone) >= 3
    for i in lone[:5]:
        page.mouse.move(*spots[i])
        tip.wait_for(state="visible")
        row = result.frame.iloc[i]
        assert tip.inner_text().splitlines()[0] == text_view.plain(row["name"])
        assert "\u202e" not in tip.inner_text()
        assert tip.evaluate("e => e.childElementCount") == 0
        page.mouse.move(5, 5)
        tip.wait_for(state="hidden")
    assert_inert(page, server)
    page.context.close()


def test_facility_text_stays_text_in_the_comparison_sheet_and_messages(browser, server, hostile):
    """Ten hostile facilities on a shortlist: the comparison, every sheet format and both hand-over links
    keep every payload as text; the e-mail link has a subject and a body and nothing else (no header, no
    recipient), the text message a body alone, whatever the names hold."""
    _, rows = hostile
    ids = rows["facility_id"].head(10).tolist()
    page = new_page(browser, server)
    page.add_init_script("window.print = function () {};")
    page.goto(f"{server}/?near=Tampa%2C+FL&" + "&".join(f"shortlist={i}" for i in ids) + "&view=compare")
    idle(page, "Your shortlist side by side: 10 facilities")
    # The table is drawn after its heading: wait for its eleven column heads (a label column and ten places).
    expect(page.locator("table.cmp thead th[scope=col]")).to_have_count(11)
    assert_inert(page, server)
    sms = page.locator('a[href^="sms:"]').first.get_attribute("href")
    mail = page.locator('a[href^="mailto:"]').first.get_attribute("href")
    assert [k for k, _ in urllib.parse.parse_qsl(sms.removeprefix("sms:?&"), keep_blank_values=True)] == ["body"]
    fields = urllib.parse.parse_qsl(urllib.parse.urlsplit(mail).query, keep_blank_values=True)
    assert [k for k, _ in fields] == ["subject", "body"] and mail.startswith("mailto:?")
    body = dict(fields)["body"]
    assert "Clinic&cc=evil@evil.example&bcc=x@evil.example" in body  # inside the body, as text
    assert "Clinic?subject=Hacked&body=gone" in body and "line one line two" in body
    assert "\r" not in body and "\u202e" not in body
    for label in ("One line per place", "Summary", "Full profile"):
        page.get_by_text(label).first.click()
        idle(page)
        page.get_by_role("button", name="Print the sheet").click()
        idle(page)
        sheet = srcdoc_frame(page)
        sheet.wait_for_selector("li.place")
        assert sheet.locator("li.place").count() == 10
        assert sheet.locator("li.place script, li.place img, li.place b").count() == 0
        hrefs = sheet.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert all(h.startswith(("tel:", "https://www.openstreetmap.org/directions?")) for h in hrefs), hrefs
    assert page.outside_requests == [], page.outside_requests
    page.context.close()

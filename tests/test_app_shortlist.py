"""From results to a referral, in a real browser (Debian's Chromium) on the national file: a shortlist
built from the list and the map, kept through a filter change, compared side by side, trimmed, reopened
from its link in a fresh page, printed in each format, and handed over by text message and e-mail —
on a desktop and on a phone."""

from __future__ import annotations

import shutil
import urllib.parse

import pytest

from directory import Query, view
from directory.view.handover import MAILTO_LIMIT, SMS_LIMIT, message_text

from .browser import (
    IPHONE,
    alerts,
    click_point,
    idle,
    lone_points,
    map_canvas,
    map_pixels,
    needs_chromium,
    new_page,
    pick,
    serve_app,
    settled,
    shot,
    url_params,
)
from .conftest import REPO, national_directory

pytestmark = needs_chromium

#: Records what each print dialog would print (the sheet is an iframe that prints itself as it loads).
PRINTS = (
    "window.print = function () { (window.top.__printed = window.top.__printed || []).push({"
    "title: document.title, places: Array.from(document.querySelectorAll('li.place .name'))"
    ".map(e => e.textContent), format: document.body.className}); };"
)


@pytest.fixture(scope="module")
def server():
    with serve_app() as url:
        yield url


def shortlist_in_url(page) -> list[str]:
    return url_params(page).get("shortlist", [])


def column_names(page) -> list[str]:
    return page.locator("table.cmp thead th[scope=col]").all_inner_texts()[1:]


def handover_links(page) -> tuple[str, str]:
    sms = page.locator('a[href^="sms:"]').first.get_attribute("href")
    mail = page.locator('a[href^="mailto:"]').first.get_attribute("href")
    return sms, mail


def test_a_shortlist_from_list_and_map_to_comparison_sheet_and_message(browser, server):
    directory = national_directory()
    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    names = {r.facility_id: r.name for r in result.records}
    page = new_page(browser, server, viewport={"width": 1400, "height": 1900})
    page.add_init_script(PRINTS)
    page.goto(server)
    idle(page, "All facilities")
    near = page.get_by_role("textbox", name="Where are you?")
    near.fill("Tampa, FL")
    near.press("Enter")
    idle(page, "Showing results near Tampa, FL")
    pick(page, "Treatment type", "Detox")
    page.get_by_text("Show the results as a text list").click()
    idle(page)
    # Three from the list, one tap each, in that order.
    for n in range(3):
        page.locator(f".st-key-shortlist-row-{result.ids[n]} button").click()
        idle(page, f"Your shortlist: {n + 1} facilit")
        assert shortlist_in_url(page) == result.ids[: n + 1]
    # One from the map: a click on its point opens its detail, whose button adds it.
    canvas = map_canvas(page)
    canvas.scroll_into_view_if_needed()
    at, box = settled(page, canvas)  # once a scrollbar or the shortlist bar has stopped resizing it
    spots = map_pixels(at, result.frame, box)
    other = next(i for i in lone_points(spots) if i >= 3)
    click_point(page, canvas, spots[other], other, view.plain(result.frame.iloc[other]["name"]))
    idle(page, f"facility={result.ids[other]}")
    page.locator(f".st-key-shortlist-detail-{result.ids[other]} button").click()
    idle(page, "Your shortlist: 4 facilities")
    chosen = [*result.ids[:3], result.ids[other]]
    assert shortlist_in_url(page) == chosen
    # A filter change keeps the shortlist (and the shortlist bar on the first screen).
    pick(page, "Payment", "Medicaid")
    assert "payment" in url_params(page) and shortlist_in_url(page) == chosen
    assert page.get_by_text("Your shortlist: 4 facilities").is_visible()
    # Side by side: a column per facility, in the order added.
    page.get_by_role("button", name="Compare side by side and hand over").click()
    idle(page, "Your shortlist side by side: 4 facilities")
    assert url_params(page)["view"] == ["compare"]
    assert column_names(page) == [view.compare(directory, chosen).row("name").cells[i].text for i in range(4)]
    assert page.locator("table.cmp tr.differs").count() >= 3
    shot(page, "compare-desktop", full_page=False)
    shutil.copyfile(shot(page, "compare-desktop", full_page=False), REPO / "docs" / "screenshot-compare.png")
    # Remove the second.
    page.locator(f".st-key-remove-{chosen[1]} button").click()
    idle(page, "Your shortlist side by side: 3 facilities")
    kept = [chosen[0], *chosen[2:]]
    assert shortlist_in_url(page) == kept
    # The link reopens the same facilities in the same order, anywhere.
    link = page.locator('[data-testid="stCode"]').last.inner_text().strip()
    fresh = new_page(browser, server, viewport={"width": 1400, "height": 1900})
    fresh.goto(link)
    idle(fresh, "Your shortlist side by side: 3 facilities")
    fresh.locator("table.cmp thead th").nth(3).wait_for()  # the table comes after the heading
    assert column_names(fresh) == column_names(page)
    assert [f"{names[i]}" for i in kept] == [c.split(" — ")[0] for c in column_names(fresh)]
    fresh.context.close()
    # Each sheet format opens the print dialog with exactly the shortlist, in order.
    expected_names = [view.compare(directory, kept).row("name").cells[i].text for i in range(3)]
    for label, fmt in (("One line per place", "line"), ("Summary", "summary"), ("Full profile", "full")):
        page.get_by_text(label).first.click()
        idle(page)
        page.evaluate("window.__printed = []")
        page.get_by_role("button", name="Print the sheet").click()
        idle(page)
        page.wait_for_function("window.__printed && window.__printed.length > 0", timeout=10_000)
        (printed,) = page.evaluate("window.__printed")
        assert printed["title"] == "Treatment options" and printed["places"] == expected_names
        assert fmt in printed["format"]
    # Text it and E-mail it carry the list, the phones and the link as plain text.
    comparison = view.compare(directory, kept, near=directory.resolve("Tampa, FL"))
    sms, mail = handover_links(page)
    body = urllib.parse.unquote(sms.removeprefix("sms:?&body="))
    assert body == message_text(comparison, link=link, limit=SMS_LIMIT)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(mail).query))
    assert set(query) == {"subject", "body"} and query["subject"] == "Treatment options: 3 places"
    assert query["body"] == message_text(comparison, link=link, limit=MAILTO_LIMIT)
    assert not [a for a in alerts(page) if "error" in a.lower()]
    assert page.outside_requests == []
    page.context.close()


def test_the_same_on_a_phone(browser, server):
    """390 × 844: one tap adds from the list; the comparison is cards one under the other (no sideways
    scrolling of the page); the hand-over is there."""
    directory = national_directory()
    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    page = new_page(
        browser, server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=IPHONE
    )
    page.goto(f"{server}/?near=Tampa%2C+FL&service=detox")
    idle(page, "Showing results near Tampa, FL")
    for n in range(3):
        button = page.locator(f".st-key-shortlist-row-{result.ids[n]} button")
        button.scroll_into_view_if_needed()
        button.tap()
        idle(page, f"Your shortlist: {n + 1} facilit")
    assert shortlist_in_url(page) == result.ids[:3]
    opener = page.get_by_role("button", name="Compare side by side and hand over")
    opener.scroll_into_view_if_needed()
    opener.tap()
    idle(page, "Your shortlist side by side: 3 facilities")
    cards = page.locator(".card")
    assert cards.count() == 3 and page.locator("table.cmp").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for i in range(3):
        box = cards.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.get_by_text("Your shortlist side by side").scroll_into_view_if_needed()
    shutil.copyfile(shot(page, "compare-phone", full_page=False), REPO / "docs" / "screenshot-compare-phone.png")
    sms, mail = handover_links(page)
    assert sms.startswith("sms:?&body=") and mail.startswith("mailto:?subject=")
    assert page.outside_requests == []
    page.context.close()


def test_a_link_with_a_facility_no_longer_listed_says_so_once(browser, server):
    ids = national_directory().search(Query(near="Tampa, FL", services=("detox",))).ids[:2]
    page = new_page(browser, server)
    page.goto(f"{server}/?near=Tampa%2C+FL&shortlist={ids[0]}&shortlist=fffffffffffff&shortlist={ids[1]}&view=compare")
    idle(page, "Your shortlist side by side: 2 facilities")
    notes = [a for a in alerts(page) if "no longer in the directory" in a]
    assert notes == ["From the link: 1 facility in this link is no longer in the directory."]
    assert shortlist_in_url(page) == ids  # the URL drops it too
    page.context.close()

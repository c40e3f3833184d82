"""Accessibility in a real browser (Debian's Chromium): axe-core finds no serious or critical violation
on the home page, a result list, a facility's detail and the phone layout; and a person with only a
keyboard gets from the place box to a facility's phone number, and to its detail."""

from __future__ import annotations

import urllib.parse

import pytest

from directory import view

from .browser import idle, needs_chromium, new_page, serve_app, shot
from .conftest import national_directory

pytestmark = needs_chromium

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1",
}


@pytest.fixture(scope="module")
def server():
    with serve_app() as url:
        yield url


def first_results(params: dict[str, list[str]]) -> list[view.ListItem]:
    form, warnings = view.SearchForm.from_params(params)
    assert warnings == []
    store = national_directory()
    return view.text_list(store, view.run(store, form).result)


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    # Each violation names its elements and axe's reason, so a failure on CI says what to fix.
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(f"{n['target']} {n['html'][:120]!r} {n.get('failureSummary', '')[:200]!r}" for n in v["nodes"])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


#: What each layout waits for, in English and in Spanish.
SETTLED = {
    "en": ("All facilities", "Hand it over", "Showing results near Tampa, FL"),
    "es": ("Todos los centros", "Entregar la lista", "Resultados cerca de Tampa, FL"),
}


@pytest.mark.parametrize(
    "layout",
    # Each layout once, two of them in Spanish (every layout in both languages took 98 s of the suite).
    ["home", "results", "phone", "compare", "detail-es", "compare-phone-es"],
)
def test_axe_finds_no_serious_violation(browser, server, layout):
    lang = "es" if layout.endswith("-es") else "en"
    layout = layout.removesuffix("-es")
    params = {"near": ["Tampa, FL"], "service": ["detox"]}
    if layout in ("detail", "phone"):
        params["facility"] = [first_results(params)[0].facility_id]
    if layout.startswith("compare"):
        params.update(shortlist=[item.facility_id for item in first_results(params)[:4]], view=["compare"])
    if layout == "home":
        params = {}
    if lang == "es":
        params["lang"] = ["es"]
    query = "?" + urllib.parse.urlencode(params, doseq=True) if params else ""
    page = new_page(browser, server, **(PHONE if layout.endswith("phone") else {}))
    page.goto(server + "/" + query)
    home, compare, results = SETTLED[lang]
    idle(page, home if layout == "home" else (compare if "compare" in layout else results))
    # The page's language is set by a component as it mounts (Streamlit's page says "en").
    page.wait_for_function(f"document.documentElement.lang === '{lang}'", timeout=15_000)
    # Elements of a run still in flight are drawn faded ("stale"); axe judges the settled page.
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=30_000)
    # ...and with no fade or transition still running (a loaded machine draws them late).
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=30_000)
    page.wait_for_timeout(800)
    assert serious(page) == [], layout
    page.context.close()


def focused(page) -> dict[str, str]:
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName, label: e.getAttribute('aria-label') || '', href: e.getAttribute('href') || '',
                text: (e.innerText || '').trim().slice(0, 80)}; }""")


def tab_until(page, wanted, limit: int = 60) -> int:
    """Press Tab until ``wanted(focused element)``; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        page.wait_for_timeout(60)
        if wanted(focused(page)):
            return presses
    raise AssertionError(f"not reached in {limit} presses of Tab; focus is on {focused(page)}")


def test_keyboard_only_from_the_place_box_to_a_facilitys_phone(browser, server):
    page = new_page(browser, server)
    page.goto(server)
    idle(page, "All facilities")
    # A person starts pressing Tab once they see the place box.
    page.get_by_role("textbox", name="Where are you?").wait_for()
    # The place box is among the first stops (after the skip link and the three crisis lines).
    assert tab_until(page, lambda e: e["tag"] == "INPUT" and e["label"] == "Where are you?", 12) <= 10
    page.keyboard.type("Tampa, FL")
    page.keyboard.press("Enter")
    idle(page, "Showing results near Tampa, FL")
    # The map and the list are passed over (the list's names are one stop, with its sort buttons); the text
    # list is one switch away.
    tab_until(page, lambda e: e["tag"] == "INPUT" and "text list" in e["label"])
    page.keyboard.press("Space")
    idle(page)
    expected = first_results({"near": ["Tampa, FL"]})
    tab_until(page, lambda e: e["href"].startswith("tel:"))
    link = focused(page)
    assert link["href"] == expected[0].phone_url and link["text"] == expected[0].phone
    # The next stop is that facility's Details button; Enter opens its detail, with the same number.
    tab_until(page, lambda e: e["tag"] == "BUTTON" and e["text"] == "Details", 3)
    page.keyboard.press("Enter")
    idle(page, "Report a problem with this listing")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["facility"] == [expected[0].facility_id]
    # The number is now in the detail too, beside the list's.
    assert page.locator(f'a[href="{expected[0].phone_url}"]').count() >= 2
    shot(page, "keyboard-detail")
    page.context.close()


def test_axe_finds_no_serious_violation_on_the_sheet(browser):
    """The referral sheet, in each format and in large print, as a page of its own."""
    store = national_directory()
    ids = [item.facility_id for item in first_results({"near": ["Tampa, FL"], "service": ["detox"]})[:4]]
    comparison = view.compare(store, ids, near="Tampa, FL")
    page = browser.new_page()
    for fmt in view.SHEET_FORMATS:
        for large in (False, True):
            page.set_content(view.sheet_html(comparison, fmt, large=large, link="http://127.0.0.1/?shortlist=x"))
            assert serious(page) == [], (fmt, large)
    page.close()


def test_keyboard_only_from_a_list_row_to_the_shortlist_and_the_comparison(browser, server):
    """Tab to a row's "Add to shortlist", Enter; Tab to "Compare side by side", Enter: the comparison."""
    page = new_page(browser, server)
    page.goto(server + "/?near=Tampa%2C+FL&service=detox")
    idle(page, "Showing results near Tampa, FL")
    expected = first_results({"near": ["Tampa, FL"], "service": ["detox"]})
    page.get_by_role("textbox", name="Where are you?").focus()
    tab_until(page, lambda e: e["tag"] == "INPUT" and "text list" in e["label"])
    page.keyboard.press("Space")
    idle(page)
    tab_until(page, lambda e: e["tag"] == "BUTTON" and e["text"] == "☆ Add to shortlist")
    page.keyboard.press("Enter")
    idle(page, "Your shortlist: 1 facility")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["shortlist"] == [expected[0].facility_id]
    page.get_by_role("textbox", name="Where are you?").focus()
    tab_until(page, lambda e: e["tag"] == "BUTTON" and e["text"] == "Compare side by side and hand over")
    page.keyboard.press("Enter")
    idle(page, "Your shortlist side by side: 1 facility")
    page.context.close()

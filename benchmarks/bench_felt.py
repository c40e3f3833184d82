"""Felt speed of the app in Chromium, this tree against an earlier revision, side by side in one run.

What a person waits for, on the national file, median of N tries each: from the input event (the
pointer or key event, stamped in the page) or from navigation start (loads) to settled (the script is
not running, nothing is drawn faded as stale, the step's text is on the page and, for a load, the map
and the list are too; checked in the page on every animation frame). An earlier version timed from
Python and first waited up to 400 ms for the app to show "running": a rerun quicker than Playwright's
polling was never seen running, and that try counted the whole 400 ms.

* first load of the bare URL: when the place box is on the page, and when the map and the list are;
* the same on a phone (390×844, a phone's browser): settled, with its text list (the map is folded away);
* a shared URL (place, treatment type and a selected facility);
* typing a place and Enter;
* one filter change (picking Detox);
* opening a facility's detail from the list;
* then another's from the map (a click on its point);
* adding that one to the shortlist (its detail's button);
* opening the comparison of a shortlist of five (from the results page that holds it);
* a shared shortlist link (five facilities side by side), from navigation start.

The last three exist only in this tree: an earlier revision's column says "—" for them.

``--lang es`` compares the languages instead: the same steps on this tree, in Spanish (a browser that
prefers Spanish) against English, side by side in one run on one server, tries alternating ABBA.

Both apps run at once on 127.0.0.1 (the earlier revision from a temporary git worktree); the tries
alternate between them, in ABBA order. On this 2-core machine single tries vary by ±30 % (the browser's
software renderer, the two servers and Playwright share the cores): use 7 or more tries.

    python benchmarks/bench_felt.py                    # against the commit before this round's work
    python benchmarks/bench_felt.py --rev HEAD~5 --tries 7
    python benchmarks/bench_felt.py --lang es --tries 9   # Spanish against English
    python benchmarks/bench_felt.py --explain             # what the first load waits for, file by file
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import IPHONE, MAP_CANVAS, launch, map_pixel, serve_app  # noqa: E402

DEFAULT_REV = "72335a8"  # the last commit before this round's work (hygiene, data, referral)
TARGETS = {
    "first load: place box": None,
    "first load": 1500,
    "first load on a phone": None,
    "shared URL": 1500,
    "place + Enter": 500,
    "filter change": 300,
    "detail from list": 250,
    "detail from map": 250,
    "add to shortlist": 250,
    "open the comparison of 5": 300,
    "shared shortlist link": 1500,
}


#: The words each step waits for, per interface language.
WORDS = {
    "en": {
        "home": "All facilities",
        "place box": "Where are you?",
        "results": "Showing results near Tampa, FL",
        "type box": "Treatment type",
        "detox": "Detox",
        "detox result": "Detox within 25 miles",
        "detail": "Report a problem with this listing",
        "one on the list": "Your shortlist: 1 facility",
        "five on the list": "Your shortlist: 5 facilities",
        "compare button": "Compare side by side and hand over",
        "compared": "Your shortlist side by side: 5 facilities",
        "hand over": "Hand it over",
    },
    "es": {
        "home": "Todos los centros",
        "place box": "¿Dónde está?",
        "results": "Resultados cerca de Tampa, FL",
        "type box": "Tipo de tratamiento",
        "detox": "Desintoxicación",
        "detox result": "Desintoxicación a menos de 25 millas",
        "detail": "Reportar un problema con este centro",
        "one on the list": "Su lista: 1 centro",
        "five on the list": "Su lista: 5 centros",
        "compare button": "Comparar lado a lado y entregar",
        "compared": "Su lista, lado a lado: 5 centros",
        "hand over": "Entregar la lista",
    },
}
LOCALES = {"en": "en-US", "es": "es-US"}


#: Armed before an action: the first pointer or key event after it is the moment the person acted.
ARM = """() => {
  window.__felt = {start: null};
  if (!window.__feltArmed) {
    window.__feltArmed = true;
    for (const type of ['pointerdown', 'keydown'])
      document.addEventListener(type, () => {
        if (window.__felt && window.__felt.start === null) window.__felt.start = performance.now();
      }, true);
  }
}"""
#: A page is loaded when its map and its list are on it ("map": the map component's canvas once it has
#: drawn, in its shadow root; or, in revisions before it, deck.gl's canvas. "list": the list component's
#: table once its first rows are drawn (what a person sees of it), in its shadow root; or, in revisions
#: before it, st.dataframe's grid).
PAGE = ("map", "list")
MAP_DRAWN = """() => !!document.querySelector('[data-testid="stDeckGlJsonChart"] canvas') ||
  [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')].some(
    host => host.shadowRoot && host.shadowRoot.querySelector('canvas[data-drawn]'))"""
LIST_DRAWN = """() => !!document.querySelector('[data-testid="stDataFrame"]') ||
  [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')].some(
    host => host.shadowRoot && host.shadowRoot.querySelector('table[data-drawn]'))"""
#: Settled: the script is not running, nothing is drawn faded as stale, the text is on the page and so
#: is every element named (Streamlit loads the map's and the list's code on first use, and draws them
#: after the text around them). Checked in the page on every animation frame; gives the page's clock
#: (ms since navigation).
# (JavaScript's braces would all need doubling in an f-string: the one placeholder is replaced instead.)
SETTLED = """([text, selectors]) => {
  const MAP_DRAWN = {MAP_DRAWN}, LIST_DRAWN = {LIST_DRAWN};
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (text && !document.body.textContent.includes(text)) return false;
  const found = selector =>
    selector === "map" ? MAP_DRAWN() : selector === "list" ? LIST_DRAWN() : document.querySelector(selector);
  if (selectors.some(selector => !found(selector))) return false;
  return performance.now();
}""".replace("{MAP_DRAWN}", MAP_DRAWN).replace("{LIST_DRAWN}", LIST_DRAWN)


def settled_at(page, text: str, selectors: tuple[str, ...] = (), timeout: float = 60_000) -> float:
    """The page's clock when it has settled with ``text`` and ``selectors`` on it (every step's text is
    new to the page)."""
    return page.wait_for_function(SETTLED, arg=[text, list(selectors)], polling="raf", timeout=timeout).json_value()


def first_load(
    page, text: str, box_label: str = "Where are you?", parts: tuple[str, ...] | None = None
) -> tuple[float, float]:
    """The page's clock when the place box is on it, and when it has settled with ``text`` and ``parts``
    (its map and list) on it: both watched in one loop from navigation, so neither waits for the other."""
    return tuple(
        page.wait_for_function(
            f"""([text, selectors]) => {{
        const box = document.querySelector('input[aria-label="{box_label}"]');
        if (box && window.__box === undefined) window.__box = performance.now();
        const settled = ({SETTLED})([text, selectors]);
        return window.__box !== undefined && settled ? [window.__box, settled] : false;
    }}""",
            arg=[text, list(PAGE if parts is None else parts)],
            polling="raf",
            timeout=60_000,
        ).json_value()
    )


#: What a bare Streamlit page holds: the reference the app's first load is held to.
BARE_APP = """import streamlit as st

st.title("Find substance-use treatment")
st.text_input("Where are you?")
"""


def bare_load(browser, url: str) -> float:
    """Navigation start to the bare page settled with its text box, in a new browser context (ms)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    took = page.wait_for_function(
        """() => {
        const app = document.querySelector('[data-testid="stApp"]');
        const box = document.querySelector('input[aria-label="Where are you?"]');
        return app && box && app.getAttribute('data-test-script-state') === 'notRunning' && performance.now();
    }""",
        polling="raf",
        timeout=60_000,
    ).json_value()
    context.close()
    return took


def act(page, action, text: str) -> float:
    """Milliseconds from the person's input event (the first pointer or key event of ``action``) to settled."""
    page.evaluate(ARM)
    action()
    end = settled_at(page, text)
    return end - page.evaluate("window.__felt.start")


def first_row(page):
    """The click that opens the list's first facility: its name in the list component (Playwright's CSS
    reaches into its open shadow root), or in revisions before it, the grid's first row's selection cell."""
    name = page.locator(".pick").first
    if name.count():
        name.scroll_into_view_if_needed()
        return name.click
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    return lambda: page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)


def loads(page, url: str, facility: str, w: dict[str, str]) -> dict[str, float]:
    """The first load of the bare URL, then a shared URL selecting ``facility`` (loads are timed from
    navigation start, the page's clock zero)."""
    out = {}
    page.goto(url)
    out["first load: place box"], out["first load"] = first_load(page, w["home"], w["place box"])
    page.goto(f"{url}/?near=Tampa%2C+FL&service=detox&facility={facility}")
    out["shared URL"] = settled_at(page, w["detail"], PAGE)
    return out


#: A phone's browser: the app gives it the text list first and folds the map away.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "user_agent": IPHONE}


def phone_load(browser, url: str, w: dict[str, str], lang: str) -> float:
    """Navigation start to the bare URL settled on a phone, in a new browser context (ms)."""
    context = browser.new_context(**PHONE, locale=LOCALES[lang])
    page = context.new_page()
    page.goto(url)
    _, took = first_load(page, w["home"], w["place box"], parts=())
    context.close()
    return took


def pick_detox(page, w: dict[str, str]) -> float:
    """Picking Detox in the treatment-type box of a search near Tampa (ms, click → settled)."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=w["type box"])
    box.locator("input").click()
    option = page.get_by_role("option").filter(has_text=w["detox"]).first
    took = act(page, option.click, w["detox result"])
    page.keyboard.press("Escape")
    return took


def shortlist_steps(page, url: str, target: str, five: list[str], w: dict[str, str]) -> dict[str, float]:
    """Add the facility whose detail is open to the shortlist; open the comparison of five; a shared link
    to the comparison of five (this tree only)."""
    out = {}
    button = page.locator(f".st-key-shortlist-detail-{target} button")
    out["add to shortlist"] = act(page, button.click, w["one on the list"])
    page.goto(f"{url}/?near=Tampa%2C+FL&service=detox&" + "&".join(f"shortlist={i}" for i in five))
    settled_at(page, w["five on the list"], PAGE)
    opener = page.get_by_role("button", name=w["compare button"])
    out["open the comparison of 5"] = act(page, opener.click, w["compared"])
    page.goto(f"{url}/?near=Tampa%2C+FL&service=detox&" + "&".join(f"shortlist={i}" for i in five) + "&view=compare")
    out["shared shortlist link"] = settled_at(page, w["hand over"])
    return out


def one_try(
    browser,
    url: str,
    facility: str,
    on_map: tuple[str, float, float],
    view: dict,
    five: list[str] | None = None,
    lang: str = "en",
) -> dict[str, float]:
    """Every step once, in a new browser context whose preferred language is ``lang``."""
    w = WORDS[lang]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=LOCALES[lang])
    page = context.new_page()
    out = loads(page, url, facility, w)
    out["first load on a phone"] = phone_load(browser, url, w, lang)
    page.goto(url)
    settled_at(page, w["home"], PAGE)
    near = page.get_by_role("textbox", name=w["place box"])
    near.fill("Tampa, FL")
    out["place + Enter"] = act(page, lambda: near.press("Enter"), w["results"])
    out["filter change"] = pick_detox(page, w)
    out["detail from list"] = act(page, first_row(page), w["detail"])
    target, lat, lon = on_map
    canvas = page.locator(f'[data-testid="stDeckGlJsonChart"] canvas, {MAP_CANVAS}').first
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    # The map component writes the view it drew; deck.gl (earlier revisions) drew ``view`` as given.
    drawn = canvas.get_attribute("data-view")
    x, y = map_pixel(json.loads(drawn) if drawn else view, lat, lon, canvas.bounding_box())
    # Settled when the link to this search (on the page as text) names the facility clicked.
    out["detail from map"] = act(page, lambda: page.mouse.click(x, y), f"facility={target}")
    if five is not None:
        out.update(shortlist_steps(page, url, target, five, w))
    context.close()
    return out


def watch(ws, frames: list[tuple[float, int]], began: float) -> None:
    """Note each message the server sends on ``ws``: when (ms since ``began``) and how big."""
    ws.on("framereceived", lambda payload: frames.append(((time.perf_counter() - began) * 1000, len(payload or b""))))


def explain_first_load(tries: int) -> None:
    """What the first load of this tree waits for: every file the page fetched and every message the
    server sent on its websocket, with when (ms from navigation) and how big — the median of ``tries``
    loads after a warm-up — beside the moments the place box showed and the page settled."""
    from playwright.sync_api import sync_playwright

    loads_seen = []
    with serve_app() as url, sync_playwright() as p:
        browser = launch(p)
        for i in range(tries + 1):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            frames: list[tuple[float, int]] = []
            began = time.perf_counter()  # about navigation start (the page's clock zero)
            page.on("websocket", lambda ws, frames=frames, began=began: watch(ws, frames, began))
            page.goto(url)
            box, settled = first_load(page, WORDS["en"]["home"])
            resources = page.evaluate(
                """() => performance.getEntriesByType('resource').map(r => [r.name.split('/').slice(3).join('/'),
                    r.startTime, r.responseEnd, r.encodedBodySize])"""
            )
            context.close()
            if i:
                loads_seen.append((box, settled, resources, frames))
        browser.close()
    box = statistics.median(x[0] for x in loads_seen)
    settled = statistics.median(x[1] for x in loads_seen)
    _, _, resources, frames = loads_seen[len(loads_seen) // 2]
    rows = [
        {"what": name[:70], "starts ms": f"{start:,.0f}", "ends ms": f"{end:,.0f}", "bytes": f"{size:,}"}
        for name, start, end, size in sorted(resources, key=lambda r: r[2])
    ]
    rows += [
        {"what": f"websocket message {i + 1}", "starts ms": "", "ends ms": f"{at:,.0f}", "bytes": f"{size:,}"}
        for i, (at, size) in enumerate(frames)
    ]
    print(
        f"First load of this tree, one load of {tries} (after a warm-up): place box at {box:,.0f} ms, settled at "
        f"{settled:,.0f} ms (medians)"
    )
    print_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=DEFAULT_REV)
    parser.add_argument("--explain", action="store_true", help="what this tree's first load waits for")
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument(
        "--lang", choices=[code for code in WORDS if code != "en"], help="compare this language to English"
    )
    args = parser.parse_args()
    if args.explain:
        explain_first_load(args.tries)
        return
    from playwright.sync_api import sync_playwright

    from directory import Directory, Query
    from directory.view import mapview

    directory = Directory.load()
    # The list's first row is opened from the list (and by the shared URL); the last result from the map.
    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    facility = result.ids[0]
    last = result.frame.iloc[-1]
    on_map = (last["facility_id"], float(last["latitude"]), float(last["longitude"]))
    view = mapview.build_map(directory, result).view  # deck.gl's first view (earlier revisions)
    five = result.ids[1:6]
    if args.lang:
        compare_languages(args.lang, args.tries, facility, on_map, view, five)
        return
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old_tree), args.rev],
            check=True,
            capture_output=True,
        )
        try:
            bare_app = Path(tmp) / "bare.py"
            bare_app.write_text(BARE_APP)
            with (
                serve_app(app=old_tree / "app.py", cwd=old_tree) as old_url,
                serve_app() as new_url,
                serve_app(app=bare_app) as bare_url,
                sync_playwright() as p,
            ):
                browser = launch(p)
                runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
                bare: list[float] = []
                for name, url in (("old", old_url), ("new", new_url)):  # warm both (caches, first compile)
                    one_try(browser, url, facility, on_map, view, five if name == "new" else None)
                bare_load(browser, bare_url)
                for i in range(args.tries):  # ABBA: neither side always runs right after the other
                    order = (("old", old_url), ("new", new_url))
                    for name, url in order if i % 2 == 0 else order[::-1]:
                        runs[name].append(
                            one_try(browser, url, facility, on_map, view, five if name == "new" else None)
                        )
                    bare.append(bare_load(browser, bare_url))
                browser.close()
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)], capture_output=True
            )
    rows = []
    for step, target in TARGETS.items():
        olds = [r[step] for r in runs["old"] if step in r]
        old = statistics.median(olds) if olds else None
        new = statistics.median(r[step] for r in runs["new"])
        rows.append(
            {
                "click → settled (ms)": step,
                args.rev: f"{old:,.0f}" if old else "—",
                "this tree": f"{new:,.0f}",
                "new / old": f"{new / old:.2f}" if old else "",
                "target": f"≤ {target:,}" if target else "",
                "met": ("yes" if new <= target else "no") if target else "",
            }
        )
    first = statistics.median(bare)
    rows.append(
        {
            "click → settled (ms)": "first load of a bare Streamlit page (a title, one text box; same server settings)",
            args.rev: "",
            "this tree": f"{first:,.0f}",
            "new / old": "",
            "target": "",
            "met": "",
        }
    )
    app_first = statistics.median(r["first load"] for r in runs["new"])
    print(f"Felt speed in headless Chromium, national file, median of {args.tries} tries (after one warm-up each)")
    print_table(rows)
    print(f"The app's first load is {app_first / first:.2f}× a bare Streamlit page's (target ≤ 1.30).")


def compare_languages(lang: str, tries: int, facility: str, on_map, view: dict, five: list[str]) -> None:
    """Every step in ``lang`` and in English, on this tree's one server, tries alternating ABBA."""
    from playwright.sync_api import sync_playwright

    runs: dict[str, list[dict[str, float]]] = {"en": [], lang: []}
    with serve_app() as url, sync_playwright() as p:
        browser = launch(p)
        for code in runs:  # warm both
            one_try(browser, url, facility, on_map, view, five, code)
        for i in range(tries):
            order = ("en", lang) if i % 2 == 0 else (lang, "en")
            for code in order:
                runs[code].append(one_try(browser, url, facility, on_map, view, five, code))
        browser.close()
    rows = []
    for step in TARGETS:
        english = statistics.median(r[step] for r in runs["en"])
        other = statistics.median(r[step] for r in runs[lang])
        rows.append(
            {
                "click → settled (ms)": step,
                "English": f"{english:,.0f}",
                lang: f"{other:,.0f}",
                f"{lang} / en": f"{other / english:.2f}",
                "within 10 %": "yes" if other <= english * 1.10 else "no",
            }
        )
    print(f"Felt speed in headless Chromium, {lang} against en, national file, median of {tries} tries")
    print_table(rows)


if __name__ == "__main__":
    main()

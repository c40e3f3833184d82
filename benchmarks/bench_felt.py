"""Felt speed of the app in Chromium, this tree against an earlier revision, side by side in one run.

What a person waits for, click → settled (the script has finished and the expected text is on the
page), on the national file, median of N tries each:

* first load of the bare URL;
* a shared URL (place, treatment type and a selected facility);
* typing a place and Enter;
* one filter change (picking Detox);
* opening a facility's detail from the list.

Both apps run at once on 127.0.0.1 (the earlier revision from a temporary git worktree); the tries
alternate between them, in ABBA order. On this 2-core machine single tries vary by ±30 % (the browser's
software renderer, the two servers and Playwright share the cores): use 7 or more tries.

    python benchmarks/bench_felt.py                    # against the commit before this round's work
    python benchmarks/bench_felt.py --rev HEAD~5 --tries 7
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import IDLE, launch, serve_app  # noqa: E402

DEFAULT_REV = "f40339c"
TARGETS = {"first load": 1500, "shared URL": 1500, "place + Enter": 500, "filter change": 300, "detail from list": 250}


def settle(page, text: str | None = None, started: float | None = None, timeout: float = 60_000) -> float:
    """Milliseconds from ``started`` until the script is idle and ``text`` is visible."""
    # A change starts a rerun: wait (briefly) for it to begin, then for it to end.
    with contextlib.suppress(Exception):
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="running"]', timeout=400)
    page.wait_for_selector(IDLE, timeout=timeout)
    if text is not None:
        page.get_by_text(text).first.wait_for(timeout=timeout)
    return (time.perf_counter() - started) * 1000 if started is not None else 0.0


def one_try(browser, url: str, facility: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    out = {}
    t = time.perf_counter()
    page.goto(url)
    out["first load"] = settle(page, "All facilities", t)
    t = time.perf_counter()
    page.goto(f"{url}/?near=Tampa%2C+FL&service=detox&facility={facility}")
    out["shared URL"] = settle(page, "Report a problem with this listing", t)
    page.goto(url)
    settle(page, "All facilities", time.perf_counter())
    near = page.get_by_role("textbox", name="Where are you?")
    near.fill("Tampa, FL")
    t = time.perf_counter()
    near.press("Enter")
    out["place + Enter"] = settle(page, "Showing results near Tampa, FL", t)
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Treatment type")
    box.locator("input").click()
    option = page.get_by_role("option").filter(has_text="Detox").first
    t = time.perf_counter()
    option.click()
    out["filter change"] = settle(page, "Detox within 25 miles", t)
    page.keyboard.press("Escape")
    settle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    t = time.perf_counter()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the first data row's selection cell
    out["detail from list"] = settle(page, "Report a problem with this listing", t)
    context.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=DEFAULT_REV)
    parser.add_argument("--tries", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from directory import Directory, Query

    facility = Directory.load().search(Query(near="Tampa, FL", services=("detox",))).ids[0]
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old_tree), args.rev],
                       check=True, capture_output=True)
        try:
            with serve_app(app=old_tree / "app.py", cwd=old_tree) as old_url, serve_app() as new_url, \
                    sync_playwright() as p:
                browser = launch(p)
                runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
                for name, url in (("old", old_url), ("new", new_url)):  # warm both (caches, first compile)
                    one_try(browser, url, facility)
                for i in range(args.tries):  # ABBA: neither side always runs right after the other
                    order = (("old", old_url), ("new", new_url))
                    for name, url in order if i % 2 == 0 else order[::-1]:
                        runs[name].append(one_try(browser, url, facility))
                browser.close()
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)],
                           capture_output=True)
    rows = []
    for step, target in TARGETS.items():
        old = statistics.median(r[step] for r in runs["old"])
        new = statistics.median(r[step] for r in runs["new"])
        rows.append({"click → settled (ms)": step, args.rev: f"{old:,.0f}", "this tree": f"{new:,.0f}",
                     "new / old": f"{new / old:.2f}", "target": f"≤ {target:,}",
                     "met": "yes" if new <= target else "no"})
    print(f"Felt speed in headless Chromium, national file, median of {args.tries} tries (after one warm-up each)")
    print_table(rows)


if __name__ == "__main__":
    main()

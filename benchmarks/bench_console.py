"""Felt speed of the staff console in Chromium on the national file, beside the public app's own filter
change measured in the same run on the same server (the baseline a person already knows).

Signed in through a real OpenID Connect provider on 127.0.0.1 (``oidc-provider-mock``), median of N
tries, each from the person's input event to settled (as ``bench_felt.py`` measures):

* open the queue for Florida (the state picked in its box, from another state);
* open a record from the queue's list;
* record an outcome ("No answer") and land on the next record;
* record "Verified as listed" and land on the next record;
* (baseline) the public app: picking Detox near Tampa.

And the clicks from the queue to a recorded "verified as listed". Corrections go to a temporary file
(lines by ``bench@example.org``, never shipped).

    python benchmarks/bench_console.py [--tries 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from _table import print_table
from bench_felt import WORDS, act, pick_detox, settled_at

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import launch, new_page, serve_console, sign_in  # noqa: E402

WHO = "bench@example.org"
TARGET_MS = 500


def pick_state(page, name: str, summary: str) -> float:
    box = page.get_by_label("State")
    box.click()
    page.keyboard.type(name)
    return act(page, lambda: page.keyboard.press("Enter"), summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {
        "open the queue for Florida": [],
        "open a record from the list": [],
        "No answer → next record": [],
        "Verified as listed → next record": [],
        "public app: filter change (baseline)": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            "DIRECTORY_MAINTAINERS": WHO,
            "DIRECTORY_CORRECTIONS": str(folder / "corrections.csv"),
            "DIRECTORY_REPORTS_DIR": str(folder / "reports"),
        }
        with serve_console(folder, env) as console, sync_playwright() as p:
            browser = launch(p)
            page = new_page(browser, console["url"])
            sign_in(page, console, WHO)
            public = new_page(browser, console["url"])
            w = WORDS["en"]
            for n in range(args.tries):
                pick_state(page, "Georgia", "Georgia:")
                times["open the queue for Florida"].append(pick_state(page, "Florida", "Florida:"))
                item = page.locator('[class*="st-key-open-"]').nth(3 + n)
                key = next(c for c in item.get_attribute("class").split() if c.startswith("st-key-open-"))
                opened = f"Facility id: {key.removeprefix('st-key-open-')}"
                times["open a record from the list"].append(act(page, item.locator("button").first.click, opened))
                button = page.get_by_role("button", name="No answer")
                said = f"No answer (line #{2 * n + 1})"
                times["No answer → next record"].append(act(page, button.click, said))
                button = page.get_by_role("button", name="Verified as listed")
                said = f"Verified as listed (line #{2 * n + 2})"
                times["Verified as listed → next record"].append(act(page, button.click, said))
                public.goto(f"{console['url']}/?near=Tampa%2C+FL")
                settled_at(public, w["results"])
                times["public app: filter change (baseline)"].append(pick_detox(public, w))
    baseline = statistics.median(times["public app: filter change (baseline)"])
    rows = []
    for step, values in times.items():
        median = statistics.median(values)
        rows.append(
            {
                "step (median of tries)": step,
                "ms": round(median),
                "min–max": f"{round(min(values))}–{round(max(values))}",
                "× the public filter change": f"{median / baseline:.2f}",
                f"≤ {TARGET_MS} ms": "yes" if median <= TARGET_MS else "no",
            }
        )
    print_table(rows)
    print("Clicks from the queue to a recorded 'verified as listed': 1 for the record that opens, 2 for another.")


if __name__ == "__main__":
    main()

"""What the app's Streamlit settings (.streamlit/config.toml) buy, side by side in one run, in Chromium.

The app as shipped against the same tree with one setting put back to Streamlit's default, each a
server of its own on 127.0.0.1 (the setting given as its environment variable, which overrides the
file); the tries rotate between them so none always runs first. Timed as in bench_felt.py (from
navigation, or from the input event, to settled in the page), median of N tries each:

* first load of the bare URL: the place box, then the map and the list;
* a shared URL (place, treatment type and a selected facility);
* one filter change (picking Detox after a place).

Run from the repository (make bench does): the file watcher's cost depends on where the virtual
environment is. With `.venv` inside the app's folder, as `make run` makes it, Streamlit's default
watcher walks every installed module's path when a session first runs; from a checkout elsewhere it
finds few modules of its folder to walk.

    python benchmarks/bench_settings.py --tries 9
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_felt import PAGE, loads, pick_detox, settled_at  # noqa: E402

from tests.browser import launch, serve_app  # noqa: E402

#: variant → environment (the shipped config, then each setting at Streamlit's default).
VARIANTS = {
    "as shipped": {},
    "fileWatcherType = auto": {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "auto"},
    "postScriptGC = true": {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"},
}
STEPS = ("first load: place box", "first load", "shared URL", "filter change")


def one_try(browser, url: str, facility: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    out = loads(page, url, facility)
    page.goto(f"{url}/?near=Tampa%2C+FL")
    settled_at(page, "Showing results near Tampa, FL", PAGE)
    out["filter change"] = pick_detox(page)
    context.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=7)
    args = parser.parse_args()
    from contextlib import ExitStack

    from playwright.sync_api import sync_playwright

    from directory import Directory, Query

    facility = Directory.load().search(Query(near="Tampa, FL", services=("detox",))).ids[0]
    with ExitStack() as stack:
        urls = {name: stack.enter_context(serve_app(env)) for name, env in VARIANTS.items()}
        p = stack.enter_context(sync_playwright())
        browser = launch(p)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
        for url in urls.values():  # warm each (caches, first compile)
            one_try(browser, url, facility)
        names = list(VARIANTS)
        for i in range(args.tries):  # rotated: no variant always runs right after another
            for name in names[i % len(names) :] + names[: i % len(names)]:
                runs[name].append(one_try(browser, urls[name], facility))
        browser.close()
    base = {step: statistics.median(r[step] for r in runs["as shipped"]) for step in STEPS}
    rows = []
    for step in STEPS:
        row: dict[str, object] = {"ms (median)": step, "as shipped": f"{base[step]:,.0f}"}
        for name in names[1:]:
            value = statistics.median(r[step] for r in runs[name])
            row[name] = f"{value:,.0f} ({value / base[step]:.2f}×)"
        rows.append(row)
    print(
        f"Streamlit settings in headless Chromium, national file, median of {args.tries} tries "
        f"(after one warm-up each); in brackets: the default's time / as shipped"
    )
    print_table(rows)


if __name__ == "__main__":
    main()

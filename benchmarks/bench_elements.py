"""What an element costs a Streamlit page's first load, side by side in one run, in Chromium.

SYNTHETIC pages (no facility data), each a server of its own on 127.0.0.1: the bench's bare page (a
title, a text box) and the same with 30 more elements of one kind — captions (Markdown), ``st.html``
blocks, ``st.text`` — or the same 30 lines in one ``st.html``. Timed from navigation until the script
is idle and the last element is on the page (as bench_felt.py times a load), median of N tries each,
the pages in rotating order. The app's first screen is cut by these numbers: fewer elements, and text in
one HTML element where it needs no widget.

    python benchmarks/bench_elements.py --tries 9
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_felt import BARE_APP, settled_at  # noqa: E402

from tests.browser import launch, serve_app  # noqa: E402

LINE = "In these results: Detox {i} · Outpatient 5 · Residential 3"  # SYNTHETIC counts
#: page → what it adds to the bare page (then an "END" line every page ends with).
PAGES = {
    "bare page": "",
    "+ 30 captions (Markdown)": f'for i in range(30):\n    st.caption(f"{LINE}")\n',
    "+ 30 st.html": f'for i in range(30):\n    st.html(f"<p>{LINE}</p>")\n',
    "+ 30 st.text": f'for i in range(30):\n    st.text(f"{LINE}")\n',
    "+ 30 lines in one st.html": f'st.html("".join(f"<p>{LINE}</p>" for i in range(30)))\n',
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=9)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {name: [] for name in PAGES}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        urls = {}
        for i, (name, body) in enumerate(PAGES.items()):
            app = Path(tmp) / f"page{i}.py"
            app.write_text(BARE_APP + body + 'st.markdown("END")\n')
            urls[name] = stack.enter_context(serve_app(app=app))
        p = stack.enter_context(sync_playwright())
        browser = launch(p)
        names = list(PAGES)
        for attempt in range(args.tries + 1):  # the first round warms each server
            for name in names[attempt % len(names) :] + names[: attempt % len(names)]:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.goto(urls[name])
                took = settled_at(page, "END")
                context.close()
                if attempt:
                    times[name].append(took)
        browser.close()
    bare = statistics.median(times["bare page"])
    rows = [
        {
            "page (SYNTHETIC)": name,
            "first load ms": f"{statistics.median(t):,.0f}",
            "more than bare ms": f"{statistics.median(t) - bare:+,.0f}" if name != "bare page" else "",
            "per element ms": f"{(statistics.median(t) - bare) / 30:.1f}" if name != "bare page" else "",
        }
        for name, t in times.items()
    ]
    print(f"First load of SYNTHETIC Streamlit pages in headless Chromium, median of {args.tries} tries")
    print_table(rows)


if __name__ == "__main__":
    main()

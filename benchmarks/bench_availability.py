"""Providers' availability on this machine, side by side in one run: search p50 / p95 with 5,000 SYNTHETIC
current reports (on real site ids, named as synthetic in their notes) against none, for the in-memory
and the PostGIS store; the time from a report to the next search that shows it (both stores); and the
update page's felt time in Chromium (open the link → form shown; send → confirmed).

    python benchmarks/bench_availability.py [--queries 300] [--reports 5000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _table import print_table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from directory.live.availability import AvailabilityLog, parse_report  # noqa: E402
from directory.live.links import ProviderLinks  # noqa: E402
from directory.search import Query  # noqa: E402
from directory.stores.memory import Directory  # noqa: E402
from directory.stores.postgis import PostgisStore, load  # noqa: E402
from directory.stores.postgis.live import DatabaseAvailabilityLog  # noqa: E402
from tests.pg import cluster  # noqa: E402

CITIES = ["Tampa, FL", "Boston, MA", "Denver, CO", "Chicago, IL", "Seattle, WA", "Atlanta, GA", "Phoenix, AZ"]


def workload(n: int, seed: int = 7) -> list[Query]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q = Query(near=rng.choice(CITIES), radius_miles=rng.choice([10, 25, 50]), services=rng.choice([(), ("detox",)]))
        out.append(q.with_(available_now="accepting") if rng.random() < 0.2 else q)
    return out


def timed(store, queries) -> tuple[float, float]:
    for q in queries[:20]:
        store.search(q)  # warm
    times = []
    for q in queries:
        t = time.perf_counter()
        store.search(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def synthetic(ids: list[str], n: int, seed: int = 3):
    rng = random.Random(seed)
    for fid in rng.sample(ids, n):
        body = rng.choice(
            [
                {"accepting_new_patients": "yes"},
                {"accepting_new_patients": "waitlist", "wait_days": rng.randint(1, 30)},
                {"beds": [{"level": "detox", "available": rng.randint(0, 5)}]},
            ]
        )
        yield parse_report({**body, "note": "SYNTHETIC benchmark report"}, fid, 0)


def seen_after(store, log, fid: str) -> float:
    """Seconds from writing a report to the first search that shows it."""
    near = store.facility(fid)
    query = Query(near=(near.latitude, near.longitude), radius_miles=5, available_now="beds")
    log.add(parse_report({"beds": [{"level": "detox", "available": 9}]}, fid, 0))
    started = time.perf_counter()
    while fid not in store.search(query).ids:
        time.sleep(0.01)
        if time.perf_counter() - started > 10:
            return float("inf")
    return time.perf_counter() - started


#: The form shown: navigation start to the "Send update" button on a settled page (ms).
FORM_SHOWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const send = [...document.querySelectorAll('button')].some(b => b.innerText.trim() === 'Send update');
    return app && send && app.getAttribute('data-test-script-state') === 'notRunning' && performance.now();
}"""


def felt(folder: Path, site_id: str) -> tuple[float, float, float]:
    """Chromium: open the link until the form shows (from navigation start); send until the confirmation
    shows; and, in the same run, a bare Streamlit page's first load (bench_felt's reference), in ms."""
    from bench_felt import BARE_APP, bare_load
    from playwright.sync_api import sync_playwright

    from tests.browser import launch, new_page, serve_app

    _link, secret = ProviderLinks(folder).issue(site_id, "SYNTHETIC benchmark")
    bare_app = folder / "bare.py"
    bare_app.write_text(BARE_APP)
    with (
        serve_app({"DIRECTORY_REPORTS_DIR": str(folder)}) as url,
        serve_app(app=bare_app) as bare_url,
        sync_playwright() as p,
    ):
        browser = launch(p)
        page = new_page(browser, url)
        page.goto(url)  # the app and its store loaded once, as for any visitor
        page.get_by_text("Find substance-use treatment").first.wait_for()
        bare_load(browser, bare_url)
        opened, sent, bare = [], [], []
        for _ in range(5):
            bare.append(bare_load(browser, bare_url))
            page.goto(f"{url}/?update={secret}")
            opened.append(page.wait_for_function(FORM_SHOWN, polling="raf", timeout=60_000).json_value())
            page.get_by_text("Accepting new patients", exact=True).click()
            t = time.perf_counter()
            page.get_by_role("button", name="Send update").click()
            page.get_by_text("Saved. People searching now see:").wait_for()
            sent.append((time.perf_counter() - t) * 1000)
            page.context.clear_cookies()
            page = new_page(browser, url)
        browser.close()
    return statistics.median(opened), statistics.median(sent), statistics.median(bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--reports", type=int, default=5000)
    args = parser.parse_args()
    queries = workload(args.queries)
    rows = []
    with tempfile.TemporaryDirectory() as none_dir, tempfile.TemporaryDirectory() as some_dir:
        bare = Directory.load(live=AvailabilityLog(none_dir))
        busy = Directory.load(live=AvailabilityLog(some_dir))
        ids = bare.frame["facility_id"].tolist()
        for report in synthetic(ids, args.reports):
            busy.live.add(report)
        a, b = timed(bare, queries), timed(busy, queries)
        rows.append(("in memory", a, b))
        with cluster() as c:
            load(c.dsn, REPO / "data/facilities.csv")
            pg_bare = PostgisStore(c.dsn)
            pg_a = timed(pg_bare, queries)
            log = DatabaseAvailabilityLog(c.dsn)
            for report in synthetic(ids, args.reports):
                log.add(report)
            time.sleep(1.1)
            pg_busy = PostgisStore(c.dsn)
            pg_b = timed(pg_busy, queries)
            rows.append(("PostGIS", pg_a, pg_b))
            target = bare.search(Query(near="Tampa, FL", services=("detox",))).ids[0]
            seen_pg = seen_after(pg_busy, DatabaseAvailabilityLog(c.dsn), target)
            pg_bare.close()
            pg_busy.close()
        seen_memory = seen_after(busy, busy.live, target)
        with tempfile.TemporaryDirectory() as page_dir:
            opened, sent, bare_page = felt(Path(page_dir), target)
    print(f"Search with {args.reports:,} SYNTHETIC current reports against none, {args.queries} queries (ms)")
    print_table(
        [
            {
                "store": name,
                "p50 none": f"{a[0]:.2f}",
                f"p50 {args.reports:,}": f"{b[0]:.2f}",
                "ratio": f"{b[0] / a[0]:.2f}",
                "p95 none": f"{a[1]:.2f}",
                f"p95 {args.reports:,}": f"{b[1]:.2f}",
            }
            for name, a, b in rows
        ]
    )
    print(
        f"From a report to the next search showing it: in memory {seen_memory * 1000:.0f} ms, "
        f"PostGIS {seen_pg * 1000:.0f} ms (goal <= 2,000)"
    )
    print(
        f"Update page in Chromium, medians of 5: open the link -> form shown {opened:.0f} ms "
        f"(a bare Streamlit page in the same run: {bare_page:.0f} ms, {opened / bare_page:.2f}x); "
        f"send -> confirmed {sent:.0f} ms (goal <= 1,000 each)"
    )


if __name__ == "__main__":
    main()

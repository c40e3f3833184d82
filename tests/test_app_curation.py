"""Keeping the directory true, end to end as the people involved do it: someone reports a closure from
the app (in a real browser; a sixth report in ten minutes is refused with a clear line), a maintainer
reads it beside the current record, verifies by phone and closes the site with `directory correct`,
and the app — no rebuild — now leaves the site out of the search (said in the "not shown" line), says
"Closed, as verified by phone" when its link is opened, shows "verified" on a confirmed site, and
offers only recently verified places when asked."""

from __future__ import annotations

import time

from click.testing import CliRunner

from directory import Query
from directory.cli import cli
from directory.curation.reports import ReportStore

from .browser import alerts, idle, needs_chromium, new_page, open_more_filters, serve_app, shot
from .conftest import national_directory

pytestmark = needs_chromium


def sent(folder) -> int:
    return len(ReportStore(folder).list()[0])


def wait_for_reports(folder, n: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while sent(folder) < n and time.time() < deadline:
        time.sleep(0.2)
    assert sent(folder) == n


def test_a_report_from_the_app_becomes_a_verified_closure(browser, tmp_path):
    tampa = national_directory().search(Query(near="Tampa, FL", services=("detox",)))
    closing, confirmed = tampa.ids[0], tampa.ids[2]
    closing_name = tampa.records[0].name
    folder, corrections = tmp_path / "reports", tmp_path / "corrections.csv"
    search = "/?near=Tampa%2C+FL&service=detox"

    # 1. Someone reports the closure from the app; then sends four more, and a sixth is refused.
    with serve_app({"DIRECTORY_REPORTS_DIR": str(folder)}) as url:
        page = new_page(browser, url, viewport={"width": 1300, "height": 1500})
        page.goto(f"{url}{search}&facility={closing}")
        idle(page, "Report a problem with this listing")
        page.get_by_role("button", name="Report a problem with this listing").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("What is wrong?").click()
        page.get_by_role("option", name="Facility has closed").click()
        dialog.get_by_label("Details (optional)").fill("Called twice: the number is disconnected.")
        dialog.get_by_role("button", name="Send report").click()
        dialog.get_by_text("saved").first.wait_for()
        wait_for_reports(folder, 1)
        for n in range(2, 6):
            dialog.get_by_label("Details (optional)").fill(f"Still closed ({n}).")
            dialog.get_by_role("button", name="Send report").click()
            wait_for_reports(folder, n)
        dialog.get_by_label("Details (optional)").fill("And again.")
        dialog.get_by_role("button", name="Send report").click()
        dialog.get_by_text("You have sent 5 reports in the last 10 minutes").wait_for()
        assert sent(folder) == 5  # refused, and said so
        assert page.outside_requests == []
    report = ReportStore(folder).list()[0][0]
    assert (report.facility_id, report.problem) == (closing, "Facility has closed")

    # 2. The maintainer reads the open reports beside the facility's current record.
    env = {"DIRECTORY_REPORTS_DIR": str(folder), "DIRECTORY_CORRECTIONS": str(corrections)}
    runner = CliRunner()
    out = runner.invoke(cli, ["reports", "--status", "open"], env=env)
    assert out.exit_code == 0, out.output
    assert out.output.startswith("5 reports (open)")
    assert f"{report.report_id}  {closing}  Facility has closed: {closing_name}" in out.output
    assert f"    now: {closing_name} · " in out.output

    # 3. ...calls, closes it with the report's id, confirms another as listed, and rebuilds.
    for args in (
        [closing, "--closed", "--verified", "phone", "--report", report.report_id, "--on", "2026-11-30"],
        [confirmed, "--verified", "website", "--reason", "checked the clinic's site"],
    ):
        out = runner.invoke(cli, ["correct", *args, "--by", "AB"], env=env)
        assert out.exit_code == 0, out.output
    # The stores apply the corrections as they are written: no rebuild (test_curate.py rebuilds with them).
    out = runner.invoke(cli, ["reports", "--status", "resolved"], env=env)
    assert out.output.startswith("1 report (resolved)") and f"    now: CLOSED · {closing_name}" in out.output

    # 4. The app on the shipped file, with the corrections.
    with serve_app(env) as url:
        page = new_page(browser, url, viewport={"width": 1300, "height": 1500})
        page.goto(f"{url}{search}")
        idle(page, "Showing results near Tampa, FL")
        page.get_by_text("Show the results as a text list").click()
        idle(page, "; 1 facility a maintainer verified as closed.")
        assert page.locator(f".st-key-shortlist-row-{closing}").count() == 0
        assert page.locator(f".st-key-shortlist-row-{confirmed}").count() == 1
        # Its row in the text list (the name, then distance, place, phone and "verified Mon YYYY").
        row = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=tampa.records[2].name)
        assert f"verified {time.strftime('%b %Y')}" in row.last.inner_text()
        shot(page, "curation-1-list")

        # Only recently verified places: the one confirmed.
        open_more_filters(page)
        page.get_by_label("Verified since").click()
        page.get_by_role("option", name="Within the last 12 months").click()
        idle(page)
        assert "verified_since=" in page.url
        assert page.locator('[class*="st-key-shortlist-row-"]').count() == 1
        assert page.locator(f".st-key-shortlist-row-{confirmed}").count() == 1

        # A link to the closed site (a printed list, an old message) says so, with the date and help.
        page.goto(f"{url}{search}&facility={closing}")
        idle(page, "Closed, as verified by phone on 30 Nov 2026.")
        closed_alert = [a for a in alerts(page) if a.startswith("Closed")]
        assert len(closed_alert) == 1 and "1-800-662-4357" in closed_alert[0]
        shot(page, "curation-2-closed")
        page.goto(f"{url}{search}&facility={confirmed}")
        idle(page, "Verified by website")
        assert page.outside_requests == []

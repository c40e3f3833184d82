"""Maintainers issue, list and revoke provider links and read who reports: ``directory providers``."""

from __future__ import annotations

import re

from click.testing import CliRunner

from directory import Query
from directory.cli import cli
from directory.live.availability import AvailabilityLog, parse_report

from .conftest import national_directory


def test_a_link_is_printed_once_listed_revoked_and_reported_on(tmp_path, monkeypatch):
    monkeypatch.setenv("DIRECTORY_REPORTS_DIR", str(tmp_path))
    runner = CliRunner()
    store = national_directory()
    detox = store.taxonomy.group("detox").codes
    # A residential program no source lists detox for: a report of detox beds there contradicts the record.
    site = next(
        r
        for r in store.search(Query(near="Tampa, FL", services=("residential",))).records
        if not r.service_codes & detox
    )
    issued = runner.invoke(cli, ["providers", "link", site.facility_id, "--contact", "intake@example.org / Dana"])
    assert issued.exit_code == 0, issued.output
    secret = re.search(r"\?update=(tdp_[\w-]+)", issued.output).group(1)
    assert f"Authorization: Bearer {secret}" in issued.output
    assert secret not in (tmp_path / "provider_links.jsonl").read_text()
    listed = runner.invoke(cli, ["providers", "list"])
    assert "1\t" + site.facility_id in listed.output and "active" in listed.output and "never used" in listed.output
    assert secret not in listed.output
    status = runner.invoke(cli, ["providers", "status"])
    assert "Links never used (1)" in status.output
    # A report that contradicts the record: detox beds at a site no source lists detox for.
    if "detox" not in {
        g.name for g in national_directory().taxonomy.groups_in("service") if g.codes & site.service_codes
    }:
        AvailabilityLog(tmp_path).add(parse_report({"beds": [{"level": "detox", "available": 1}]}, site.facility_id, 1))
        status = runner.invoke(cli, ["providers", "status"])
        assert "beds reported for detox, which the record does not list" in status.output
        reports = runner.invoke(cli, ["reports"])
        assert "contradict the record" in reports.output
    assert "Sites with a current report" in status.output
    revoked = runner.invoke(cli, ["providers", "revoke", "1"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    unknown = runner.invoke(cli, ["providers", "link", "fnotasite0000", "--contact", "x"])
    assert unknown.exit_code == 2 and "no facility" in unknown.output

"""The staff console's library on the national file: who is a maintainer, the verification queue (against
a plain re-implementation of its rules), call outcomes as correction lines attributed to the signed-in
person, corrections seen by the next search without a rebuild (as a file rebuilt with them answers), two
maintainers at once, and the activity log."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import date, timedelta

import pytest

from directory import Directory, Query
from directory.core.errors import NotAllowed, ValidationError
from directory.curation.console import activity, outcome_lines, record_outcome, signed_in_maintainer
from directory.curation.queue import SURFACE_AFTER, Area, build
from directory.curation.reports import Report, ReportStore, review
from directory.live.links import ProviderLinks
from directory.pipeline.corrections import COLUMNS, CorrectionsFile, apply, read, undoable
from directory.search.selection import Selection

from .conftest import national_directory

NATIONAL = national_directory()
TODAY = date.today()
ME, YOU = "ana@example.org", "ben@example.org"


@pytest.fixture
def live(tmp_path):
    """The national directory with a corrections file it applies as it changes (an app's store)."""
    corrections = CorrectionsFile(tmp_path / "corrections.csv")
    store = Directory(NATIONAL.frame.copy(), NATIONAL.taxonomy, corrections=corrections)
    return store, corrections


def known(store):
    return lambda fid: store.facility(fid) is not None


def test_only_a_signed_in_maintainer_may_act():
    setting = f"{ME} groups=directory-staff"
    with pytest.raises(NotAllowed, match="sign in first"):
        signed_in_maintainer(None, setting)
    with pytest.raises(NotAllowed, match="sign in first"):
        signed_in_maintainer({"is_logged_in": False}, setting)
    with pytest.raises(NotAllowed, match=f"{YOU} is signed in but is not one of"):
        signed_in_maintainer({"email": YOU}, setting)
    with pytest.raises(NotAllowed, match="not one of"):  # an address the provider says it did not verify
        signed_in_maintainer({"email": ME, "email_verified": False}, setting)
    assert signed_in_maintainer({"email": ME.upper()}, setting) == ME.upper()
    assert signed_in_maintainer({"email": YOU, "groups": ["directory-staff"]}, setting) == YOU
    with pytest.raises(NotAllowed, match="not one of"):
        signed_in_maintainer({"email": ME}, "")  # no setting: nobody


def reference_queue(store, state: str, reports: dict[str, int], attempts: dict[str, int]) -> list[str]:
    """The queue's order written out plainly over whole records."""
    ids, _ = store.select(Area(state).selection(store.taxonomy))
    due = []
    for r in store.facilities(ids):
        if r.closed or (r.verified_on and r.verified_on >= TODAY - timedelta(days=365)):
            continue
        top = reports.get(r.facility_id, 0) > 0 or attempts.get(r.facility_id, 0) >= SURFACE_AFTER
        due.append(
            (
                not top,
                True,  # no provider reports here
                bool(r.phone or r.intake_phone),
                (r.services_as_of or date.min).isoformat() if r.services_as_of else "",
                r.last_listed.isoformat() if r.last_listed else "",
                r.name.lower(),
                r.facility_id,
            )
        )
    return [d[-1] for d in sorted(due)]


def test_the_queue_orders_what_most_needs_a_call_first(live, tmp_path):
    store, corrections = live
    first = build(store, Area("DE"))
    assert [d.facility_id for d in first.items] == reference_queue(store, "DE", {}, {})
    assert first.summary().startswith(f"Delaware: {len(first.items)} due, 0 with open reports")
    site, other, third = (first.items[i].facility_id for i in (5, 9, 12))
    # A problem report puts its site first; three calls with no answer put theirs among the first.
    reports = ReportStore(tmp_path / "reports")
    reports.add(Report(site, "x", "Phone number is wrong", "rings out"))
    for _ in range(SURFACE_AFTER):
        record_outcome(outcome_lines("no_answer", other, by=ME, today=TODAY), corrections, known(store))
    queue = build(store, Area("DE"), reports=review(reports), lines=corrections.lines())
    assert queue.with_reports == 1 and queue.summary().endswith("1 with open reports")
    # Called today with no answer: last, so a calling session moves on.
    assert queue.items[-1].facility_id == other and queue.items[-1].unanswered == SURFACE_AFTER
    assert queue.items[0].facility_id == site
    # Verified: out of the queue (for anyone building it), with the signed-in person's name on the line.
    (line,) = record_outcome(outcome_lines("verified", third, by=ME), corrections, known(store))
    assert (line.by, line.verified_how, line.action) == (ME, "phone", "verified") and line.recorded_at
    again = build(store, Area("DE"), reports=review(reports), lines=corrections.lines())
    assert third not in [d.facility_id for d in again.items] and len(again.items) == len(queue.items) - 1
    # Tomorrow, the unanswered site is back on top (not called today).
    tomorrow = build(
        store, Area("DE"), reports=review(reports), lines=corrections.lines(), today=TODAY + timedelta(days=1)
    )
    assert [d.facility_id for d in tomorrow.items] == reference_queue(store, "DE", {site: 1}, {other: SURFACE_AFTER})
    # The calling sheet: every due site, formulas neutralised by the export.
    assert [r[1] for r in again.rows()] == [d.facility_id for d in again.items]


def test_an_outcome_is_seen_by_the_next_search_without_a_rebuild(live):
    """Closed, changed, verified: the next search answers as a file rebuilt with the same lines would."""
    store, corrections = live
    tampa = Query(near="Tampa, FL", services=("detox",))
    before = store.search(tampa)
    closing, changing, verifying = before.ids[:3]
    record = before.records[1].to_row()
    record_outcome(outcome_lines("closed", closing, by=ME), corrections, known(store))
    lines = outcome_lines(
        "changed", changing, by=YOU, record=record, changes={"phone": "(727) 555-0100", "name": record["name"]}
    )
    assert [(c.action, c.field, c.value) for c in lines] == [("set", "phone", "727-555-0100")]  # the name unchanged
    record_outcome(lines, corrections, known(store))
    record_outcome(outcome_lines("verified", verifying, by=ME), corrections, known(store))
    after = store.search(tampa)
    assert closing not in after.ids and after.closed == before.closed + 1
    assert store.facility(changing).phone == "727-555-0100" and store.facility(verifying).verified_on == TODAY
    # The build's answer: the same lines applied once to the loaded records (Florida's, all a search near
    # Tampa reaches).
    florida, _ = NATIONAL.select(Selection(state="FL"))
    rebuilt = Directory(pd_frame(apply(NATIONAL.facilities(florida), corrections.lines())[0]), NATIONAL.taxonomy)
    assert after.ids == rebuilt.search(tampa).ids and after.facets == rebuilt.search(tampa).facets
    # An undo of one's own line today restores the record at once; another's line is refused in one line.
    mine = corrections.lines()[0]
    assert undoable(corrections.lines()[1], corrections.lines(), ME).startswith("#2 was recorded by ben@example.org")
    assert undoable(mine, corrections.lines(), ME) == ""
    from directory.pipeline.corrections import new

    corrections.add(new("", "undo", by=ME, undoes=str(mine.id), verified_how="phone"), known=known(store))
    assert closing in store.search(tampa).ids and not store.facility(closing).closed
    assert undoable(mine, corrections.lines(), ME) == "#1 is already undone"


def pd_frame(records):
    import pandas as pd

    return pd.DataFrame([r.to_row() for r in records]).fillna("")


def test_a_refused_change_writes_nothing(live):
    store, corrections = live
    site = store.search(Query(near="Tampa, FL")).records[0]
    with pytest.raises(ValidationError, match="phone must be one US phone number"):
        record_outcome(
            outcome_lines(
                "changed", site.facility_id, by=ME, record=site.to_row(), changes={"city": "Tampa", "phone": "call us"}
            ),
            corrections,
            known(store),
        )
    with pytest.raises(ValidationError, match="nothing was changed"):
        outcome_lines("changed", site.facility_id, by=ME, record=site.to_row(), changes={"phone": site.phone})
    with pytest.raises(ValidationError, match="no facility with id"):
        record_outcome(outcome_lines("verified", "fffffffffffff", by=ME), corrections, known(store))
    assert corrections.lines() == [] and not corrections.path.exists()


def _verify_many(path: str, ids: list[str], by: str) -> None:
    corrections = CorrectionsFile(path)
    for fid in ids:
        record_outcome(outcome_lines("verified", fid, by=by), corrections, lambda _: True)


def test_two_maintainers_at_once_lose_no_line_and_share_one_queue(live, tmp_path):
    """Two processes recording outcomes at once keep every line, each numbered once; a site one of them
    verified is out of the other's queue (another store over the same file) at its next look."""
    store, corrections = live
    queue = build(store, Area("RI"))
    ids = [d.facility_id for d in queue.items[:40]]
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_verify_many, args=(str(corrections.path), ids[i::2], who))
        for i, who in enumerate((ME, YOU))
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    lines = read(corrections.path)
    assert sorted(c.id for c in lines) == list(range(1, 41)) and {c.facility_id for c in lines} == set(ids)
    other = Directory(NATIONAL.frame.copy(), NATIONAL.taxonomy, corrections=CorrectionsFile(corrections.path))
    assert not set(ids) & {d.facility_id for d in build(other, Area("RI")).items}
    assert len(build(store, Area("RI")).items) == len(queue.items) - 40


def test_an_older_corrections_file_gains_the_new_column_and_keeps_its_lines(tmp_path):
    path = tmp_path / "corrections.csv"
    old = ",".join(COLUMNS[:-1]) + "\n1,f3ea4d60364e9,verified,,,,phone,2026-11-30,AB,,\n"
    path.write_text(old, encoding="utf-8")
    corrections = CorrectionsFile(path)
    record_outcome(outcome_lines("no_answer", "f3ea4d60364e9", by=ME), corrections, lambda _: True)
    lines = read(path)
    assert [(c.id, c.by, c.action) for c in lines] == [(1, "AB", "verified"), (2, ME, "attempt")]
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS)
    assert (tmp_path / f"corrections.csv.before-{TODAY.isoformat()}").read_text() == old


def test_the_activity_log_says_who_did_what(live, tmp_path):
    store, corrections = live
    site = store.search(Query(near="Tampa, FL")).ids[0]
    reports = ReportStore(tmp_path / "reports")
    report = reports.add(Report(site, "x", "Website is wrong"))
    record_outcome(outcome_lines("wrong_number", site, by=ME), corrections, known(store))
    reports.resolve(report.report_id, "website fixed by the provider", by=YOU)
    links = ProviderLinks(tmp_path / "reports")
    link, _secret = links.issue(site, "intake@example.org", by=ME)
    links.revoke(link.id, by=YOU)
    log = activity(corrections.lines(), reports.resolutions().values(), links.list())
    said = {(a.who, a.what) for a in log}
    assert (ME, "attempt: wrong number (phone, " + TODAY.isoformat() + ", " + ME + ")") in said
    assert (YOU, f"resolved report {report.report_id}: website fixed by the provider") in said
    assert (ME, f"issued provider link {link.id}") in said and (YOU, f"revoked provider link {link.id}") in said
    assert [a.when for a in log] == sorted((a.when for a in log), reverse=True)


def test_a_queue_of_the_whole_directory_counts_every_open_site():
    queue = build(NATIONAL, Area())
    closed = sum(1 for r in NATIONAL.frame["status"] if r == "closed")
    assert queue.open_sites == NATIONAL.n - closed
    assert replace(Area("fl"), city="Tampa").label() == "Tampa, Florida"


def test_reports_are_limited_per_address_and_per_day_whatever_the_session(tmp_path, monkeypatch):
    """A script opening a new session for every report still meets the address's daily limit; the whole
    day's limit holds for everyone; the store keeps no address."""
    from directory.curation.reports import client_address, client_key, may_accept

    monkeypatch.setenv("DIRECTORY_REPORTS_PER_CLIENT", "4")
    monkeypatch.setenv("DIRECTORY_REPORTS_PER_DAY", "6")
    store = ReportStore(tmp_path)
    site = NATIONAL.search(Query(near="Tampa, FL")).ids[0]
    day = TODAY.isoformat()
    # Behind a trusted proxy the forwarded address counts, not the proxy's (nor what a client wrote first).
    script = client_address("10.0.0.2", "6.6.6.6, 203.0.113.5", trusted="10.0.0.2")
    assert script == "203.0.113.5" and client_address("203.0.113.5", "1.1.1.1", trusted="10.0.0.2") == "203.0.113.5"
    sent = 0
    for _session in range(10):  # each a new session: the per-session limit would start again
        ok, why = may_accept(store, client_key(script, day))
        if not ok:
            assert why.startswith("Thank you — you have sent 4 reports today")
            break
        store.add(Report(site, "x", "Phone number is wrong", f"try {sent}", client=client_key(script, day)))
        sent += 1
    assert sent == 4
    other = client_key("198.51.100.9", day)
    for _ in range(2):
        assert may_accept(store, other) == (True, "")
        store.add(Report(site, "x", "Phone number is wrong", client=other))
    ok, why = may_accept(store, client_key("192.0.2.77", day))
    assert not ok and why.startswith("The directory has received as many reports as it can take today")
    text = (tmp_path / "reports.jsonl").read_text()
    assert "203.0.113.5" not in text and client_key(script, day) in text
    assert client_key(script, day) != client_key(script, "2026-01-01")  # a key says nothing about another day

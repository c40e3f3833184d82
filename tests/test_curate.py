"""Keeping the directory true: a problem report, a maintainer's verified correction, a rebuild (and a
database load) — the closed site leaves every search, its link says so with the date, the report is
resolved; a phone set and verified, then undone; bad input is one line and nothing lost; concurrent
maintainers keep every line; the database store answers as the rebuilt file."""

from __future__ import annotations

import csv
import json
import multiprocessing
import time
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner

from directory import Directory, Query, view
from directory.cli import cli
from directory.core import i18n
from directory.core.errors import InputFileError, ValidationError
from directory.core.schema import COLUMNS
from directory.curation.reports import Report, ReportStore
from directory.pipeline.build import build
from directory.pipeline.corrections import append, apply, new, read
from directory.view import listview

from .conftest import REPO, built_once, national_directory
from .pg import cluster, needs_postgis

NATIONAL = national_directory()
TAMPA = NATIONAL.search(Query(near="Tampa, FL", services=("detox",)))
CLOSING, PHONED, VERIFIED = TAMPA.ids[0], TAMPA.ids[1], TAMPA.ids[2]
#: A Tampa detox last listed before 2021: out of the default search until a maintainer reaches it.
OLD = next(
    i
    for i in NATIONAL.search(Query(near="Tampa, FL", services=("detox",), listed_since="any")).ids
    if i not in TAMPA.ids
)
TODAY = date.today().isoformat()


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    """A report, three corrections through the CLI (one answering the report), one of them undone and
    redone, and the national build rebuilt with them (once per test run: see ``built_once``)."""
    folder = built_once(tmp_path_factory, "curated", make_curated)
    reports = ReportStore(folder / "reports")
    return {
        "folder": folder,
        "corrections": folder / "corrections.csv",
        "reports": reports,
        "report": reports.list()[0][0],
        "facilities": folder / "facilities.csv",
        "build": json.loads((folder / "report.json").read_text(encoding="utf-8")),
        "env": curated_env(folder),
        "store": Directory.load(folder / "facilities.csv"),
    }


def curated_env(folder) -> dict[str, str]:
    return {"DIRECTORY_CORRECTIONS": str(folder / "corrections.csv"), "DIRECTORY_MAINTAINER": "AB"}


def make_curated(folder) -> None:
    corrections = folder / "corrections.csv"
    reports = ReportStore(folder / "reports")
    report = reports.add(Report(CLOSING, TAMPA.records[0].name, "Facility has closed", "the door is boarded up"))
    env = curated_env(folder)
    steps = [
        [
            "correct",
            CLOSING,
            "--closed",
            "--verified",
            "phone",
            "--reason",
            "number disconnected",
            "--report",
            report.report_id,
            "--on",
            "2026-11-30",
        ],
        ["correct", PHONED, "--set", "phone=(727) 555-0100", "--verified", "website", "--on", "2026-11-30"],
        ["correct", PHONED, "--set", "phone=727-555-0199", "--verified", "phone", "--on", "2026-12-01"],
        ["correct", "--undo", "3", "--reason", "wrong number typed"],
        ["correct", VERIFIED, "--verified", "visit", "--on", "2026-12-02"],
        ["correct", OLD, "--verified", "phone", "--on", "2026-12-03", "--reason", "answered: still open"],
    ]
    for step in steps:
        out = run(*step, env=env)
        assert out.exit_code == 0, out.output
    # The build's last step on the shipped file (test_build checks a build gives these very bytes).
    from directory.core.schema import read_facilities, read_records, write_records

    shipped = REPO / "data/facilities.csv"
    records, applied = apply(read_records(shipped), read(corrections))
    records.sort(key=lambda r: (r.state, r.city.lower(), r.name.lower(), r.facility_id))
    extra = list(read_facilities(shipped).columns[len(COLUMNS) :])
    write_records(records, folder / "facilities.csv", extra=extra)
    (folder / "report.json").write_text(json.dumps({"corrections": applied.report()}), encoding="utf-8")


def test_a_report_becomes_a_correction_and_the_closed_site_leaves_every_search(curated):
    store = curated["store"]
    after = store.search(Query(near="Tampa, FL", services=("detox",)))
    assert set(after.ids) == (set(TAMPA.ids) - {CLOSING}) | {OLD}  # OLD: verified open (below)
    assert after.closed == 1 and "1 facility a maintainer verified as closed" in after.older_note()
    assert CLOSING not in store.search(Query(near="Tampa, FL", services=("detox",), listed_since="any")).ids
    # Opened by its link, it says so, with the date and where to turn instead.
    detail = view.FacilityDetail.from_record(store.facility(CLOSING), store.taxonomy)
    assert detail.closed == "Closed, as verified by phone on 30 Nov 2026."
    # The report is resolved by the correction that names it; the list shows the site as it is now.
    listed = run(
        "reports",
        "--folder",
        str(curated["folder"] / "reports"),
        "--status",
        "resolved",
        "--data",
        str(curated["facilities"]),
        env=curated["env"],
    )
    assert curated["report"].report_id in listed.output and "now: CLOSED" in listed.output
    still_open = run("reports", "--folder", str(curated["folder"] / "reports"), "--status", "open", env=curated["env"])
    assert still_open.output.startswith("0 reports (open)")
    # Every line is accounted for in the build report.
    section = curated["build"]["corrections"]
    assert [a["id"] for a in section["applied"]] == [1, 2, 5, 6] and section["undone"] == [3]
    assert section["not_applied"] == [] and section["reports_resolved"] == [curated["report"].report_id]


def test_a_phone_set_and_verified_shows_its_own_date_and_an_undo_restores_the_one_before(curated):
    record = curated["store"].facility(PHONED)
    assert record.phone == "727-555-0100"  # #3 (…0199) was undone: #2 stands
    assert record.corrected_on("phone") == (date(2026, 11, 30), "website")
    detail = view.FacilityDetail.from_record(record, curated["store"].taxonomy, today=date(2026, 12, 5))
    assert view.contacts(detail)[0][0] == "Phone (verified by website, Nov 2026)"
    assert detail.verified == "Verified by website, Nov 2026"
    # The sources' listing stays the site's "last listed"; the verification is its own, newer, evidence.
    assert record.sources[-1] == "corrections" and record.last_listed == NATIONAL.facility(PHONED).last_listed
    assert record.open_as_of == date(2026, 11, 30) > record.last_listed
    visited = curated["store"].facility(VERIFIED)
    assert (visited.verified_on, visited.verified_by_method) == (date(2026, 12, 2), "visit")
    assert visited.phone == NATIONAL.facility(VERIFIED).phone  # confirmed as it is
    # Verified since: only the recently verified places.
    recent = curated["store"].search(Query(near="Tampa, FL", verified_since="2026-11-01"))
    assert set(recent.ids) == {PHONED, VERIFIED, OLD}
    # The list, the comparison, the exports and HSDS say it too.
    table = view.result_table(curated["store"], recent)
    assert set(table["verified"]) == {date(2026, 11, 30).strftime("%b %Y"), date(2026, 12, 2).strftime("%b %Y")}
    # Beside each month, its day: what the list sorts the months by.
    on = dict(zip(recent.frame["facility_id"], recent.frame["verified_on"], strict=True))
    assert all(day == str(on[i])[:10] for i, day in zip(table["facility_id"], table["verified_on"], strict=True))
    assert {"2026-11-30", "2026-12-02"} <= set(table["verified_on"])
    assert all(
        date.fromisoformat(d).strftime("%b %Y") == m
        for d, m in zip(table["verified_on"], table["verified"], strict=True)
    )
    data = listview.list_data(curated["store"], recent)
    assert data.sort["verified"] == [int(day.replace("-", "")) for day in table["verified_on"]]
    comparison = view.compare(curated["store"], [PHONED, VERIFIED])
    assert comparison.row("verified").cells[1].text == "Verified by visit, Dec 2026"
    from directory import hsds
    from directory.exports import tabular as exports

    assert "verified_on" in exports.to_csv(recent.frame).splitlines()[0]
    service = hsds.build_tables([visited], curated["store"].taxonomy)["service"][0]
    assert service["assured_date"] == "2026-12-02" and service["status"] == "active"
    closed = hsds.build_tables([curated["store"].facility(CLOSING)], curated["store"].taxonomy)["service"][0]
    assert closed["status"] == "defunct"


def test_a_correction_whose_site_is_gone_is_listed_not_dropped():
    gone = new("f000000000000", "verified", by="AB", verified_how="phone")
    records, applied = apply(NATIONAL.search(Query(state="VT")).records, [replace(gone, id=1)])
    assert applied.not_applied == [
        {
            "id": 1,
            "facility_id": "f000000000000",
            "action": "verified",
            "reason": "no facility with this id after this build",
        }
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["fffffffffffff", "--verified", "phone"], "no facility with id 'fffffffffffff' in this directory"),
        ([CLOSING, "--set", "phone=555", "--verified", "phone"], "phone must be one US phone number"),
        ([CLOSING, "--set", "colour=red", "--verified", "phone"], "field must be one of name, name2"),
        ([CLOSING, "--set", "website=not a site", "--verified", "website"], "website must be a web address"),
        ([CLOSING, "--closed"], "say how it was verified: --verified phone|website|visit|provider"),
        ([CLOSING, "--verified", "phone", "--on", "2099-01-01"], "is in the future"),
        ([CLOSING, "--closed", "--reopened", "--verified", "phone"], "give one of --closed"),
        (["--undo", "7"], "there is no correction #7 to undo"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_written(tmp_path, args, error):
    path = tmp_path / "corrections.csv"
    before = (
        "id,facility_id,action,field,value,reason,verified_how,verified_on,by,report_id,undoes\n"
        f"1,{VERIFIED},verified,,,,phone,2026-11-01,AB,,\n"
    )
    path.write_text(before, encoding="utf-8")
    out = run("correct", *args, env={"DIRECTORY_CORRECTIONS": str(path), "DIRECTORY_MAINTAINER": "AB"})
    assert out.exit_code == 2 and len(out.output.strip().splitlines()) == 1, out.output
    assert out.output.startswith("error: ") and error in out.output
    assert path.read_text(encoding="utf-8") == before


def test_a_corrections_file_with_a_broken_row_stops_the_build_before_anything_is_written(tmp_path):
    path = tmp_path / "corrections.csv"
    path.write_text(
        "id,facility_id,action,field,value,reason,verified_how,verified_on,by,report_id,undoes\n"
        f"1,{VERIFIED},verified,,,,phone,yesterday,AB,,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError, match=r"row 2: verified_on must be an ISO date .*nothing was applied"):
        read(path)
    out = tmp_path / "facilities.csv"
    with pytest.raises(InputFileError):
        build(output=out, report_path=tmp_path / "report.json", progress=False, corrections=path)
    assert not out.exists() and not (tmp_path / "report.json").exists()


def _correct_many(path: str, worker: int, n: int) -> None:
    for i in range(n):
        append(new(VERIFIED, "verified", by=f"worker {worker}", verified_how="phone", reason=f"call {i}"), path=path)


def test_concurrent_maintainers_keep_every_line(tmp_path):
    path = tmp_path / "corrections.csv"
    workers = [multiprocessing.Process(target=_correct_many, args=(str(path), w, 25)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    found = read(path)
    assert [c.id for c in found] == list(range(1, 101))
    assert sorted((c.by, c.reason) for c in found) == sorted(
        (f"worker {w}", f"call {i}") for w in range(4) for i in range(25)
    )
    with path.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.reader(fh))) == 101  # the header and every line, whole


def test_only_maintainers_change_data():
    """The app's report form and the API have no way to a correction: the only code that imports the
    writers (corrections.append, pgcorrect.add) is the maintainers' CLI, and the API only reads."""
    import ast

    writers = set()
    for path in i18n.source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(("corrections", "pgcorrect")):
                if {a.name for a in node.names} & {"append", "add"}:
                    writers.add(path.name)
    assert writers == {"curate.py"}
    from directory.http.api import create_app

    app = create_app(NATIONAL)
    writes = {(r.path, m) for r in app.routes for m in getattr(r, "methods", set()) if m not in ("GET", "HEAD")}
    # The API only reads, but for a provider's availability report (with its own site's key).
    assert writes == {("/v1/facilities/{facility_id}/availability", "PUT")}, writes


@needs_postgis
def test_the_database_store_sees_a_correction_at_once_and_answers_as_the_rebuilt_file(curated, tmp_path):
    """db load of the rebuilt file gives the in-memory answers; a correction written to the database is
    in every replica's next search, as a rebuilt file with it answers; an undo restores."""
    from directory.stores.postgis import PostgisStore, load

    with cluster() as pg:
        load(pg.dsn, curated["facilities"])
        one, two = PostgisStore(pg.dsn), PostgisStore(pg.dsn)  # two replicas
        try:
            query = Query(near="Tampa, FL", services=("detox",))
            assert one.search(query).ids == curated["store"].search(query).ids
            assert one.search(query).closed == 1
            assert (
                one.search(replace(query, verified_since=date(2026, 11, 1))).ids
                == curated["store"].search(replace(query, verified_since=date(2026, 11, 1))).ids
            )
            other = curated["store"].search(query).ids[0]
            out = run("correct", other, "--closed", "--verified", "provider", "--data", pg.dsn, "--by", "CD")
            assert out.exit_code == 0, out.output
            assert other not in two.search(query).ids and two.facility(other).closed
            # The same as a file rebuilt with the same correction (applied to the rebuilt records).
            extra = replace(new(other, "closed", by="CD", verified_how="provider"), id=99)
            records, _ = apply(curated["store"].search(Query(listed_since=None)).records, [extra])
            from directory.core.schema import write_records

            rebuilt = tmp_path / "rebuilt.csv"
            write_records(records, rebuilt)
            again = Directory.load(rebuilt)
            assert two.search(query).ids == again.search(query).ids
            assert two.search(query).facets == again.search(query).facets
            assert run("corrections", "--data", pg.dsn).output.startswith("1 correction")
            # A reload keeps the database's corrections; an undo restores the site.
            load(pg.dsn, curated["facilities"])
            assert other not in one.search(query).ids
            assert run("correct", "--undo", "1", "--data", pg.dsn, "--by", "CD").exit_code == 0
            assert other in one.search(query).ids and not one.facility(other).closed
            with pytest.raises(ValidationError, match="no facility with id"):
                from directory.stores.postgis.corrections import add

                add(pg.dsn, new("fffffffffffff", "verified", by="CD", verified_how="phone"))
            # The console over the database: the same queue as the file's, an outcome through one replica's
            # corrections out of the other's queue within a second or two, and its kept searches' key moved.
            from directory.curation.console import outcome_lines, record_outcome
            from directory.curation.queue import Area
            from directory.curation.queue import build as queue
            from directory.stores.base import live_version

            tampa = Area("FL", city="Tampa")
            assert [d.facility_id for d in queue(one, tampa).items] == [
                d.facility_id for d in queue(curated["store"], tampa).items
            ]
            first = queue(one, tampa).items[0].facility_id
            seen = live_version(two)
            (line,) = record_outcome(outcome_lines("verified", first, by="ana@example.org"), one.corrections, None)
            assert line.by == "ana@example.org" and line.recorded_at
            deadline = time.time() + 5
            while first in [d.facility_id for d in queue(two, tampa, lines=two.corrections.lines()).items]:
                assert time.time() < deadline, "the other replica's queue still holds the verified site"
                time.sleep(0.2)
            while live_version(two) == seen:  # its kept searches' key: moved within a second
                assert time.time() < deadline, "the other replica's live version never moved"
                time.sleep(0.2)
        finally:
            one.close()
            two.close()


def test_a_site_verified_open_is_current_again_and_says_why(curated):
    """A site no source has listed since 2015, reached by a maintainer, is back in the default search;
    its detail says both dates, without the 'may have closed' warning."""
    before = NATIONAL.search(Query(near="Tampa, FL", services=("detox",)))
    after = curated["store"].search(Query(near="Tampa, FL", services=("detox",)))
    assert OLD not in before.ids and OLD in after.ids
    assert after.older == before.older - 1
    record = curated["store"].facility(OLD)
    assert record.last_listed == NATIONAL.facility(OLD).last_listed < date(2021, 1, 1)
    detail = view.FacilityDetail.from_record(record, curated["store"].taxonomy, today=date(2026, 12, 5))
    note, warning = view.listing_note(detail)
    assert note.startswith(f"No source has listed this facility since {record.last_listed.year} (")
    assert note.endswith("; a maintainer verified it by phone, Dec 2026.") and not warning


def test_a_shortlist_made_before_the_closure_hands_over_no_call_to_a_closed_site(curated):
    """A link saved before the site closed still opens (the case manager sees why it changed): the
    comparison marks the site closed, says to remove it, and the detail, sheet and message carry the
    closure and the helpline instead of its old numbers."""
    store = curated["store"]
    comparison = view.compare(store, [CLOSING, PHONED], near="Tampa, FL")
    old_phone = NATIONAL.facility(CLOSING).phone
    assert comparison.row("name").cells[0].text.endswith(" — CLOSED")
    assert comparison.row("phone").cells[0] == view.Cell("Closed, as verified by phone on 30 Nov 2026.")
    assert comparison.row("address").cells[0].link is None  # no directions to a closed door
    assert comparison.closed_note() == (
        f"1 facility on this shortlist has closed: {NATIONAL.facility(CLOSING).name} (verified by phone on "
        "30 Nov 2026). Remove it before handing the list over."
    )
    sheet = view.sheet_html(comparison, "summary")
    message = view.message_text(comparison)
    for text in (sheet, message):
        assert "Closed, as verified by phone on 30 Nov 2026." in text and old_phone not in text
    assert view.compare(store, [PHONED]).closed_note() == ""
    detail = view.FacilityDetail.from_record(store.facility(CLOSING), store.taxonomy)
    lines = view.contacts(detail)
    assert lines[0][2] == "tel:+18006624357"
    assert ("Phone before it closed", old_phone, None) in lines
    assert not any(link and link.startswith("tel:") and link != "tel:+18006624357" for _, _, link in lines)

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from directory.cli import cli
from directory.search import Query

from .conftest import DATA, REPO, national_directory


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_services_lists_codes_with_labels_and_categories():
    result = run("services")
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if line.startswith("dt "))
    assert "Detoxification" in line and "Type of Care" in line and "codebook-2023" in line
    stag = next(line for line in result.output.splitlines() if line.startswith("stag "))
    assert "State Substance use treatment agency (also: State Substance Abuse agency)" in stag
    listed = {s["code"]: s for s in json.loads(run("services", "--json").output)}
    assert listed["ubn"]["label_source"] == "legend-2017" and listed["stag"]["aliases"] == [
        "State Substance Abuse agency"
    ]


def test_services_groups_json():
    result = run("services", "--groups", "--json")
    groups = {g["group"]: g for g in json.loads(result.output)}
    assert groups["medicaid"]["codes"] == ["md"] and groups["medicaid"]["family"] == "payment"


def test_validate_shipped_file_exits_zero():
    result = run("validate", str(REPO / "data/facilities.csv"))
    assert result.exit_code == 0 and "valid" in result.output


def test_import_writes_output_rejects_and_report(tmp_path):
    out, rejects, report = tmp_path / "out.csv", tmp_path / "rejects.csv", tmp_path / "report.json"
    result = run(
        "import",
        str(DATA / "nssats_sample.csv"),
        "-o",
        str(out),
        "--rejects",
        str(rejects),
        "--report",
        str(report),
        "--no-geocode",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(report.read_text())
    assert {"rows_read", "accepted", "merged", "rejected", "rejected_by_reason"} <= set(summary)
    assert summary["rows_read"] == summary["accepted"] + summary["merged"] + summary["rejected"]
    rejected_lines = rejects.read_text(encoding="utf-8").splitlines()
    assert rejected_lines[0].startswith("source_row,reason,")
    assert len(rejected_lines) - 1 == summary["rejected"]
    assert run("validate", str(out)).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "missing.csv", "-o", "x.csv"], "no such file"),
        (["import", str(DATA / "ca_dhcs.toml"), "-o", "x.csv", "--adapter", "nssats"], "missing required column"),
        (["validate", str(DATA / "ca_dhcs_sample.csv")], "missing required column"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, args, message):
    proc = subprocess.run([sys.executable, "-m", "directory", *args], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_search_table_starts_with_the_sentence():
    result = run("search", "--near", "Tampa, FL", "--service", "detox", "--limit", "3")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Detox within 25 miles of Tampa, FL: ")
    assert lines[1].split()[:2] == ["miles", "name"] and len(lines) == 7
    assert lines[-2] == "Distances are straight-line miles."  # what the miles are, under the rows
    # Last, what the default listed_since leaves out, and how to include it.
    older = national_directory().search(Query(near="Tampa, FL", services=("detox",))).older
    assert lines[-1].startswith(f"Not shown: {older} older facilities") and "--listed-since any" in lines[-1]


@pytest.mark.parametrize("fmt", ["csv", "json", "geojson", "xlsx"])
def test_search_formats_write_files(tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    result = run("search", "--near", "02150", "--service", "mat", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0 and out.stat().st_size > 100
    if fmt == "json":
        body = json.loads(out.read_text())
        assert body["total"] == len(body["results"]) > 0 and "facets" in body


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--near", "Tampa, FL", "--service", "detx"], "did you mean 'detox'"),
        (["search", "--near", "Tampa, FL", "--radius", "900"], "at most 500 miles"),
        (["search", "--near", "Springfeld, IL"], "did you mean 'Springfield, IL'"),
        (["locate", "Narnia"], "could not find a place"),
    ],
)
def test_search_bad_input_is_one_line_exit_2(args, message):
    proc = subprocess.run([sys.executable, "-m", "directory", *args], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_serve_answers_on_loopback(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "directory", "serve", "--port", str(port), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(150):
            try:
                body = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read())
                break
            except OSError:
                time.sleep(0.2)
        assert body is not None and body["status"] == "ok" and body["facilities"] > 10_000
        page = json.loads(
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/v1/facilities?near=Tampa%2C+FL&service=detox&page_size=2", timeout=5
            ).read()
        )
        assert page["total"] > 2 and len(page["results"]) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_with_a_missing_file_is_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "directory", "serve", "--data", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {tmp_path / 'nope.csv'}: no such file"

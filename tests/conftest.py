from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pytest

from directory import Directory
from directory.core.taxonomy import Taxonomy

# The drive-time tests' fixtures: a real OSRM server over a synthetic grid, and the facilities near it.
from .osrm import cut, grid, server  # noqa: F401

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


#: A word in a skip reason → the system part it names and the command that installs it (what .ci/run does).
SYSTEM_PARTS = {
    "chromium": ("Debian's chromium", "sudo apt-get install -y chromium"),
    "postgis": (
        "Debian's PostgreSQL 15 with PostGIS 3",
        "sudo apt-get install -y postgresql-15 postgresql-15-postgis-3",
    ),
    "osrm": ("OSRM's binaries (from the osrm-bindings wheel on PyPI)", "make osrm"),
}


def pytest_terminal_summary(terminalreporter) -> None:
    """One line at the end when tests were skipped for a missing system part: which part, how many tests,
    and the command that installs it (skips for any other reason are named too, never hidden)."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    parts: dict[str, int] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        key = next((k for k in SYSTEM_PARTS if k in reason.lower()), None)
        what = "{} (install: {})".format(*SYSTEM_PARTS[key]) if key else reason.removeprefix("Skipped: ")
        parts[what] = parts.get(what, 0) + 1
    line = "; ".join(f"{n} for {what}" for what, n in parts.items())
    terminalreporter.write_line(f"{len(skipped)} tests skipped: {line}. .ci/run installs every system part.")


def built_once(tmp_path_factory, name: str, make) -> Path:
    """A folder that ``make(folder)`` fills once per test run, however many test processes ask for it (the
    first makes it under a lock; the others wait and read it): for what takes a whole national build.
    What is made there is read, never written, by the tests that ask for it."""
    import fcntl
    import os

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's own, shared by workers
    folder = root / f"built-{name}"
    with open(root / f"built-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".done").exists():
            folder.mkdir(exist_ok=True)
            make(folder)
            (folder / ".done").touch()
    return folder


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


@lru_cache(maxsize=1)
def national_directory() -> Directory:
    """The shipped national directory, loaded once per test process."""
    return Directory.load()


@pytest.fixture(scope="session")
def national() -> Directory:
    return national_directory()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, once per test process (browser tests only)."""
    from playwright.sync_api import sync_playwright

    from .browser import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_rows(
    path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8", newline: str = "\n"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator=newline).writerows([header, *rows])
    return path


def shown_list(at) -> dict | None:
    """The results list an AppTest run drew (the list component's data, with ``ids``: the facility of
    each row, which a click's index names), or None when it drew none."""
    import json

    drawn = [e for e in at.get("bidi_component") if e.proto.component_name == "facility_list"]
    if not drawn:
        return None
    (element,) = drawn
    data = json.loads(element.proto.json)
    kept = at.session_state["list_data"]  # what the list's indices refer to: the rows drawn
    assert kept.key == data["key"] and len(kept.ids) == len(data["rows"]["name"])
    return data | {"ids": list(kept.ids)}

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pytest

from directory import Directory
from directory.taxonomy import Taxonomy

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


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

"""The documentation: the README stays short, every relative link between pages works on GitHub (the
file exists, the #anchor is a heading of it), and what the code declares is documented (the datasette
habit: a test fails when a column or a command is undocumented)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from directory.cli import cli
from directory.core.facility import COLUMNS

from .conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)|(?:src|href)=\"([^\"]+)\"")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and not line.startswith("#!"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_the_readme_is_short_and_starts_with_the_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    first_block = text.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page):
    text = page.read_text(encoding="utf-8")
    links = [a or b for a, b in LINK.findall(text)]
    relative = [link for link in links if not re.match(r"^[a-z]+:", link)]
    assert relative, f"{page.name} links to no other page"
    for link in relative:
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: {link} names no file"
        if anchor:
            assert anchor in anchors(target), f"{page.name}: {link}: no heading #{anchor} in {target.name}"


def test_every_page_is_linked_from_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for page in PAGES[1:]:
        assert f"](docs/{page.name})" in readme, page.name


def test_every_column_is_in_the_schema_table():
    data = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    table = data.split("## Schema of `data/facilities.csv`")[1].split("\n## ")[0]
    for column in COLUMNS:
        assert f"`{column}`" in table, column


def test_every_column_of_the_shipped_file_is_documented():
    """The schema table names every core column; the section documents every extra column the build
    writes (a source's or the linker's own)."""
    import csv

    data = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    section = data.split("## Schema of `data/facilities.csv`")[1].split("\n## ")[0]
    with (REPO / "data" / "facilities.csv").open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert [c for c in header if f"`{c}`" not in section] == []


def test_every_command_is_documented():
    docs = "".join(page.read_text(encoding="utf-8") for page in PAGES)
    for name in cli.commands:
        assert f"directory {name}" in docs, name

"""Refresh and diff: bring the directory current from FindTreatment.gov, and see what changed."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from ..core import paths
from .base import UsageFailure, cli, friendly


@cli.group()
def refresh() -> None:
    """Bring sources current from the web (runs only when asked; never during a search)."""


@refresh.command()
@click.option("--states", default="", help="USPS codes (FL,GA) or 'all'.")
@click.option(
    "--type",
    "kind",
    type=click.Choice(["SA", "BOTH"], case_sensitive=False),
    default="SA",
    show_default=True,
    help="Substance-use listings only, or also mental-health ones.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The export to write (CSV that `directory import` reads with no options); a JSON report beside it.",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of cached replies (default: FILE.cache/): a rerun resumes and repeats no request.",
)
@click.option(
    "--base-url", default=None, help="Locator endpoint (default: FindTreatment.gov, or $DIRECTORY_LOCATOR_URL)."
)
@click.option("--rate", type=float, default=1.0, show_default=True, help="Requests per second at most.")
@click.option(
    "--radius-km", type=float, default=80.0, show_default=True, help="Radius of the circles that cover each state."
)
@click.option("--page-size", type=int, default=100, show_default=True)
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use an export downloaded from FindTreatment.gov (CSV or XLSX) instead of the API.",
)
@click.option(
    "--register",
    is_flag=True,
    help="Make FILE the newest full listing of `directory build` (an entry in data/sources/sources.toml).",
)
@friendly
def findtreatment(
    states: str,
    kind: str,
    output: Path,
    cache: Path | None,
    base_url: str | None,
    rate: float,
    radius_km: float,
    page_size: int,
    from_file: Path | None,
    register: bool,
) -> None:
    """Harvest FindTreatment.gov's locator by distance queries, checked and cached.

    \b
    Examples:
      directory refresh findtreatment --states VT,NH --output vt-nh.csv
      directory refresh findtreatment --states all --output data/sources/findtreatment_refresh.csv --register
      directory refresh findtreatment --from-file FindTreament_Facility_listing.xlsx --output refreshed.csv
    """
    from ..pipeline.refresh import LocatorClient, from_export, harvest, parse_states

    if from_file is not None:
        result = from_export(from_file)
    else:
        if not states:
            raise UsageFailure("give --states (FL,GA or all), or --from-file EXPORT")
        client = LocatorClient(base_url, cache=cache or Path(f"{output}.cache"), rate=rate)
        result = harvest(
            client,
            parse_states(states),
            kind=kind.upper(),
            metres=radius_km * 1000,
            page_size=page_size,
            progress=sys.stderr.isatty(),
        )
    report = result.write(output)
    click.echo(
        f"{report['facilities']:,} facilities from {report['rows']:,} rows"
        + (
            f" ({report['requests']:,} requests, {report['cache_hits']:,} from the cache, "
            f"{report['retries']:,} retries)"
            if "requests" in report
            else ""
        )
        + f"; {len(report['repaired_coordinates'])} coordinates repaired, "
        f"{report['placeholder_phones_dropped']} placeholder phones dropped, "
        f"{len(report['unmapped_service_names'])} service names unmapped -> {output}"
    )
    if register:
        from ..pipeline.manifest import register_source

        entry = register_source(output, dt.date.today().isoformat())
        click.echo(f"registered as source {entry!r} in {paths.MANIFEST}")


@cli.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@friendly
def diff(old: Path, new: Path, fmt: str) -> None:
    """What changed from OLD to NEW facilities file: sites added, no longer listed, moved, and
    changed phone, services or accreditation, by state."""
    from ..pipeline.diff import diff_files, table

    report = diff_files(old, new)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(f"{report['old_sites']:,} sites -> {report['new_sites']:,} sites")
    click.echo(table(report))

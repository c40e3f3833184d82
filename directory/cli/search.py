"""The search command; its filter options come from the filter registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..core.i18n import _
from .base import UsageFailure, cli, data_option, friendly, lang_option


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """One option per entry of the filter registry: ``--service`` (repeatable), ``--city`` …"""
    from ..core.filters import FILTERS

    for f in reversed(FILTERS):
        kind = click.Choice([v for v, _label in f.choices], case_sensitive=False) if f.kind == "choice" else None
        func = click.option(f"--{f.param.replace('_', '-')}", f.field, type=kind, multiple=f.repeatable, help=f.help)(
            func
        )
    return func


@cli.command()
@click.option("--near", help='Where: a ZIP, "City, ST", an address or "lat, lon".')
@click.option("--radius", "radius", type=float, default=25.0, show_default=True, help="Miles (0 < r <= 500).")
@click.option("--nearest", type=int, help="The K nearest instead of a radius.")
@click.option(
    "--nearest-within",
    "nearest_within",
    type=float,
    default=100.0,
    show_default=True,
    help="Miles: nearest results (--nearest, or shown when nothing is inside the radius) are at most this far.",
)
@click.option(
    "--match",
    type=click.Choice(["any", "all"]),
    default="any",
    show_default=True,
    help="Services: any of them, or all of them.",
)
@filter_options
@click.option("--within", type=click.Path(dir_okay=False, path_type=Path), help="GeoJSON polygon to search inside.")
@click.option("--sort", type=click.Choice(["distance", "name"]), default="distance", show_default=True)
@click.option(
    "--max-minutes",
    "max_minutes",
    type=float,
    help="Only places within this many minutes by road (needs a routing engine: DIRECTORY_ROUTING).",
)
@click.option(
    "--order",
    type=click.Choice(["drive_time", "distance"]),
    help="What nearest means: drive_time (default with a routing engine) or straight-line distance.",
)
@click.option("--travel", default="car", show_default=True, help="The routing profile: car, or foot if set up.")
@click.option("--limit", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "geojson", "xlsx", "hsds"]),
    default="table",
    show_default=True,
    help="hsds: an Open Referral HSDS 3.0 data package, written into the --output folder.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write to this file (xlsx needs it; '-' for stdout), or folder (hsds).",
)
@data_option
@lang_option
@friendly
def search(
    near: str | None,
    radius: float,
    nearest: int | None,
    nearest_within: float,
    match: str,
    within: Path | None,
    sort: str,
    max_minutes: float | None,
    order: str | None,
    travel: str,
    limit: int | None,
    fmt: str,
    output: Path | None,
    data: str | None,
    **filters: Any,
) -> None:
    """Search the directory by place, treatment type and other filters.

    \b
    Examples:
      directory search --near "Tampa, FL" --service detox
      directory search --near 02150 --service mat --payment medicaid --format csv -o list.csv
      directory search --state VT --medication buprenorphine --format xlsx -o vt.xlsx
      directory search --near "Miami, FL" --language spanish
      directory search --near "Miami, FL" --language spanish --lang es   # the words in Spanish
    """
    from ..core.filters import chosen
    from ..exports import tabular as exports
    from ..search import Query
    from ..stores.base import open_store

    query = Query(
        near=near,
        radius_miles=radius,
        nearest=nearest,
        nearest_within_miles=nearest_within,
        match=match,
        within=str(within) if within else None,
        sort=sort,
        max_minutes=max_minutes,
        order=order,
        travel=travel,
        limit=limit,
        **chosen(filters),
    )
    store = open_store(data)
    result = store.search(query)
    if fmt == "table":
        click.echo(result.describe())
        if result.center is not None and result.center.alternatives:
            click.echo(
                "  " + _("(also: {places})").format(places="; ".join(a.label for a in result.center.alternatives))
            )
        _print_table(result)
        if result.basis:
            click.echo(result.basis)
        if result.older:
            click.echo(result.older_note() + " " + _("Add --listed-since any to include them."))
        return
    if result.older:
        click.echo(result.older_note(), err=True)
    if result.routing_note:
        click.echo(result.basis, err=True)
    if fmt == "hsds":
        if output is None or str(output) == "-":
            raise UsageFailure("--format hsds needs --output FOLDER")
        if output.exists() and not output.is_dir():
            raise UsageFailure(f"--format hsds writes a folder, and {output} is a file")
        from ..hsds.package import write_package

        write_package(result.records, output, store.taxonomy, store.availability(result.ids))
        click.echo(f"{result.describe()} -> {output}/datapackage.json", err=True)
        return
    if fmt == "xlsx":
        if output is None or str(output) == "-":
            raise UsageFailure("--format xlsx needs --output FILE.xlsx")
        payload: str | bytes = exports.to_xlsx(result.frame)
    elif fmt == "csv":
        payload = exports.to_csv(result.frame)
    elif fmt == "geojson":
        payload = exports.geojson_text(result.frame, area=result.area)
    else:
        body = exports.json_body(
            result,
            query={
                k: v.isoformat() if hasattr(v, "isoformat") else v
                for k, v in vars(query).items()
                if v not in (None, (), "") and k != "within"
            },
        )
        payload = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if output is None or str(output) == "-":
        click.echo(payload, nl=False)
        return
    from ..core.tables import atomic_writer

    mode, kwargs = ("wb", {}) if isinstance(payload, bytes) else ("w", {"encoding": "utf-8", "newline": ""})
    with atomic_writer(output, mode, **kwargs) as fh:
        fh.write(payload)
    click.echo(f"{result.describe()} -> {output}", err=True)


def _print_table(result) -> None:
    frame = result.frame
    if frame.empty:
        return
    columns = [
        ("distance_miles", _("miles"), 6),
        ("name", _("name"), 40),
        ("city", _("city"), 18),
        ("state", _("st"), 2),
        ("phone", _("phone"), 18),
    ]
    columns = [c for c in columns if c[0] in frame.columns]
    drive = result.drive
    if drive is not None:  # minutes first: what the rows are ordered by
        columns.insert(0, ("drive_minutes", _("minutes"), 8))
    click.echo("  ".join(title.ljust(width) for _key, title, width in columns))
    for i, row in enumerate(frame.to_dict("records")):
        cells = []
        for key, _title, width in columns:
            if key == "drive_minutes":
                value = minutes_cell(drive, i)
            else:
                value = f"{row[key]:.1f}" if key == "distance_miles" else str(row[key])
            cells.append(value[:width].ljust(width))
        click.echo("  ".join(cells).rstrip())


def minutes_cell(drive, i: int) -> str:
    """A row's minutes for a table: ``"23"``, or ``"no route"`` / ``"-"`` (not worked out)."""
    from ..search.drive import NOT_ROUTED, UNREACHABLE, minutes_text

    if drive.missing[i] == UNREACHABLE:
        return _("no route")
    if drive.missing[i] == NOT_ROUTED:
        return "-"
    return minutes_text(drive.minutes[i])


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--near", help='A place: each facility\'s distance from it (ZIP, "City, ST", an address or "lat, lon").')
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "html"]),
    default="table",
    show_default=True,
    help="html: the referral sheet (summary format).",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file instead of the screen.")
@data_option
@lang_option
@friendly
def compare(ids: tuple[str, ...], near: str | None, fmt: str, output: Path | None, data: str | None) -> None:
    """Compare facilities side by side: the same comparison as the app's and the API's.

    \b
    Examples:
      directory compare f3a1d13806edf f0bc8cf7596cd --near "Tampa, FL"
      directory compare f3a1d13806edf f0bc8cf7596cd --format html -o sheet.html
    """
    from ..exports import tabular as exports
    from ..stores.base import open_store
    from ..view.compare import compare as build
    from ..view.downloads import attribution
    from ..view.handover import sheet_html
    from ..view.shortlist import shortlist_frame

    comparison = build(open_store(data), list(ids), near=near)
    if fmt == "json":
        payload = json.dumps(comparison.to_json(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        payload = exports.to_csv(shortlist_frame(comparison))
    elif fmt == "html":
        payload = sheet_html(comparison, "summary", attribution=attribution())
    else:
        payload = _comparison_table(comparison)
    if output is None or str(output) == "-":
        click.echo(payload, nl=False)
        return
    from ..core.tables import atomic_writer

    with atomic_writer(output, "w", encoding="utf-8", newline="") as fh:
        fh.write(payload)
    click.echo(f"{len(comparison.records)} facilities compared -> {output}", err=True)


def _comparison_table(comparison) -> str:
    """The comparison for a terminal: a block per row, a line per facility; rows that differ marked ≠."""
    names = [c.text for c in comparison.row("name").cells]
    lines = [f"{i}. {name}" for i, name in enumerate(names, 1)]
    for row in comparison.rows:
        if row.key == "name":
            continue
        lines.append("")
        lines.append(("≠ " if row.differs and not row.unknown else "  ") + row.label)
        if row.unknown:
            lines.append("     " + _("{not_listed} for any of them").format(not_listed=row.cells[0].text))
        else:
            lines += [f"  {i}. {cell.text}" for i, cell in enumerate(row.cells, 1)]
        if row.note:
            lines.append(f"     {row.note}")
    return "\n".join(lines) + "\n"

"""The ``directory`` command line: thin adapters over the library.

Each command parses its options, calls the library, and prints. Errors the
library raises on purpose (:class:`DirectoryError`) become one line on stderr
and exit code 2 — never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import paths
from .errors import DirectoryError


class UsageFailure(click.ClickException):
    """One line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Translate the library's errors (and a Ctrl-C) into one line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DirectoryError as exc:
            raise UsageFailure(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; outputs were not changed", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="treatment-directory")
def cli() -> None:
    """Directory and geosearch for US substance-use treatment facilities."""


@cli.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--adapter", type=click.Choice(["findtreatment", "nssats", "mapped"]),
              help="Source format; recognised from the header when omitted.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML mapping for --adapter mapped.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Facilities CSV to write.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), help="CSV of rejected rows, with a reason.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="JSON report to write.")
@click.option("--source-id", help="Source id recorded on every site (default: the file name).")
@click.option("--source-date", help="Vintage of the source, ISO date (default: today).")
@click.option("--no-geocode", is_flag=True, help="Reject rows without coordinates instead of geocoding them offline.")
@friendly
def import_command(source: Path, adapter: str | None, mapping: Path | None, output: Path, rejects: Path | None,
                   report: Path | None, source_id: str | None, source_date: str | None, no_geocode: bool) -> None:
    """Import one SOURCE file into the facilities schema.

    \b
    Example:
      directory import FindTreatment_Facility_listing.xlsx -o mine.csv --rejects rejects.csv --report report.json
      directory import licences.csv --mapping ca.toml -o ca.csv
    """
    from .importers import import_file
    from .schema import write_facilities
    from .tables import atomic_writer, write_csv

    locate = None if no_geocode else _offline_locator()
    result = import_file(source, adapter=adapter, mapping=mapping, source_id=source_id,
                         source_date=source_date, locate=locate)
    import pandas as pd

    frame = pd.DataFrame(list(result.sites.values()))
    write_facilities(frame, output)
    if rejects:
        write_csv(rejects, *result.reject_rows())
    summary = result.report()
    if report:
        with atomic_writer(report, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")
    click.echo(f"{source}: {summary['rows_read']} rows read; {summary['accepted']} accepted, "
               f"{summary['merged']} merged, {summary['rejected']} rejected")
    for reason, count in summary["rejected_by_reason"].items():
        click.echo(f"  rejected, {reason}: {count}")
    if summary["unknown_codes"]:
        click.echo(f"  unknown codes kept: {', '.join(summary['unknown_codes'])}")
    click.echo(f"wrote {output}")


def _offline_locator():
    """The offline geocoder as a row locator, when the geocoding module is available."""
    try:
        from .geocode import record_locator
    except ImportError:
        return None
    return record_locator()


@cli.command()
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Sources manifest (default: data/sources/sources.toml).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Facilities CSV (default: data/facilities.csv).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Build report (default: data/build-report.json).")
@friendly
def build(manifest: Path | None, output: Path | None, report: Path | None) -> None:
    """Build the national directory from every source in the manifest.

    \b
    Example:
      directory build && git diff --stat data/facilities.csv
    """
    from .build import build as run_build

    result = run_build(manifest, output, report, locate=_offline_locator())
    totals = result["totals"]
    for source in result["sources"]:
        click.echo(f"{source['source']}: {source['rows_read']} read, {source['accepted']} accepted "
                   f"({source['linked_to_existing_site']} linked to a newer source's site, {source['new_sites']} new), "
                   f"{source['merged']} merged, {source['rejected']} rejected")
    click.echo(f"{totals['sites']} sites in {totals['states']} states and territories; "
               f"{totals['share_with_service_codes']:.1%} with service codes, {totals['share_with_mat']:.1%} with MAT, "
               f"duplicate rate {totals['duplicate_rate']:.2%} -> {output or paths.FACILITIES_CSV}")


@cli.command()
@click.option("--groups", is_flag=True, help="List the friendly groups instead of the codes.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly
def services(groups: bool, as_json: bool) -> None:
    """List service codes with labels and categories (or the friendly groups).

    \b
    Example:
      directory services | grep -i methadone
      directory services --groups
    """
    from .taxonomy import Taxonomy

    tax = Taxonomy.load()
    if groups:
        rows = [{"family": g.family, "group": g.name, "label": g.label, "codes": sorted(g.codes)}
                for family in tax.families() for g in tax.groups_in(family)]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            click.echo(f"{row['family']:<14} {row['group']:<22} {row['label']:<45} {' '.join(row['codes'])}")
        return
    items = sorted(tax.services.values(), key=lambda s: (s.category_code, s.code))
    if as_json:
        click.echo(json.dumps([{"code": s.code, "label": s.label, "category_code": s.category_code,
                                "category": s.category, "label_source": s.label_source} for s in items], indent=2))
        return
    for s in items:
        click.echo(f"{s.code:<8} {s.category_code:<6} {s.label}  [{s.category}]")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), default=None, required=False)
@click.option("--show", default=20, show_default=True, help="How many problems to list.")
@friendly
def validate(file: Path | None, show: int) -> None:
    """Check a facilities FILE against the schema (default: data/facilities.csv); exit 0 only when valid.

    \b
    Example:
      directory validate data/facilities.csv
    """
    from .schema import validate as run_validate

    target = file or paths.FACILITIES_CSV
    report = run_validate(target)
    if report.valid:
        click.echo(f"{target}: valid ({report.rows} facilities)")
        return
    click.echo(f"{target}: {len(report.problems)} problem(s) in {report.rows} rows", err=True)
    for what, count in report.counts().most_common():
        click.echo(f"  {what}: {count}", err=True)
    for row, column, reason, value in report.problems[:show]:
        click.echo(f"  row {row}, {column}: {reason} ({value!r})", err=True)
    sys.exit(1)


def geocoder_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options choosing and configuring a geocoder (also read from DIRECTORY_GEOCODER_* variables)."""
    options = [
        click.option("--geocoder", default="offline", show_default=True, envvar="DIRECTORY_GEOCODER",
                     help="offline, or a geopy provider name (nominatim, photon, arcgis, ...)."),
        click.option("--user-agent", help="User agent for online providers (Nominatim requires one)."),
        click.option("--domain", help="Provider host, e.g. a self-hosted Nominatim: nominatim.example.org."),
        click.option("--scheme", type=click.Choice(["http", "https"]), help="URL scheme for --domain."),
        click.option("--api-key", help="API key for providers that need one."),
        click.option("--min-delay", type=float, help="Seconds between requests (default 1 for Nominatim)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _geocoder(geocoder: str, user_agent: str | None, domain: str | None, scheme: str | None,
              api_key: str | None, min_delay: float | None, cache: Path | None = None):
    from .geocode import OnlineOptions, get_geocoder

    return get_geocoder(geocoder, cache=cache, options=OnlineOptions(
        user_agent=user_agent, domain=domain, scheme=scheme, api_key=api_key, min_delay_seconds=min_delay))


@cli.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@geocoder_options
@friendly
def locate(query: str, as_json: bool, **geo: Any) -> None:
    """Resolve a place (ZIP, "City, ST", address or "lat, lon") to a point.

    \b
    Example:
      directory locate "Washington, IN"
      directory locate 33602 --json
    """
    from .geocode import locate as run_locate

    place = run_locate(query, _geocoder(**geo))
    if as_json:
        click.echo(json.dumps(place.to_dict(), indent=2))
        return
    click.echo(f"{place.label}\t{place.latitude:.5f}\t{place.longitude:.5f}\t{place.precision}")
    for alt in place.alternatives:
        click.echo(f"  also: {alt.label}\t{alt.latitude:.5f}\t{alt.longitude:.5f}")


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cache", type=click.Path(dir_okay=False, path_type=Path),
              default=Path(".directory-cache/geocode.sqlite"), show_default=True,
              help="SQLite cache for online answers; a rerun makes no repeated request.")
@click.option("--force", is_flag=True, help="Geocode every row, not only rows without coordinates.")
@geocoder_options
@friendly
def geocode(input_path: Path, output: Path, cache: Path, force: bool, **geo: Any) -> None:
    """Fill latitude, longitude and geocode_precision in a facilities file.

    \b
    Example:
      directory geocode mine.csv -o mine-geocoded.csv
      directory geocode mine.csv -o out.csv --geocoder nominatim --user-agent "me/1.0 (me@example.org)"
    """
    from .geocode.batch import geocode_file

    geocoder = _geocoder(cache=cache if geo["geocoder"] != "offline" else None, **geo)
    counts = geocode_file(input_path, output, geocoder=geocoder, force=force, progress=sys.stderr.isatty())
    click.echo(f"geocoded {input_path} -> {output}")
    for precision, count in sorted(counts.items()):
        click.echo(f"  {precision}: {count}")
    requests = getattr(geocoder, "requests", None)
    if requests is not None:
        click.echo(f"  requests sent: {requests}; offline fallbacks: {geocoder.fallbacks}")


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """One option per entry of the filter registry: ``--service`` (repeatable), ``--city`` …"""
    from .filters import FILTERS

    for f in reversed(FILTERS):
        func = click.option(f"--{f.param}", f.field, multiple=f.repeatable, help=f.help)(func)
    return func


@cli.command()
@click.option("--near", help='Where: a ZIP, "City, ST", an address or "lat, lon".')
@click.option("--radius", "radius", type=float, default=25.0, show_default=True, help="Miles (0 < r <= 500).")
@click.option("--nearest", type=int, help="The K nearest instead of a radius.")
@click.option("--match", type=click.Choice(["any", "all"]), default="any", show_default=True,
              help="Services: any of them, or all of them.")
@filter_options
@click.option("--within", type=click.Path(dir_okay=False, path_type=Path), help="GeoJSON polygon to search inside.")
@click.option("--sort", type=click.Choice(["distance", "name"]), default="distance", show_default=True)
@click.option("--limit", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "geojson", "xlsx"]), default="table",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (xlsx needs it; '-' for stdout).")
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), help="Facilities file (default: shipped).")
@friendly
def search(near: str | None, radius: float, nearest: int | None, match: str, within: Path | None, sort: str,
           limit: int | None, fmt: str, output: Path | None, data: Path | None, **filters: Any) -> None:
    """Search the directory by place, treatment type and other filters.

    \b
    Examples:
      directory search --near "Tampa, FL" --service detox
      directory search --near 02150 --service mat --payment medicaid --format csv -o list.csv
      directory search --state VT --medication buprenorphine --format xlsx -o vt.xlsx
      directory search --near "Miami, FL" --language spanish
    """
    from . import exports
    from .search import Query
    from .store import open_store

    query = Query(near=near, radius_miles=radius, nearest=nearest, match=match,
                  within=str(within) if within else None, sort=sort, limit=limit, **filters)
    result = open_store(data).search(query)
    if fmt == "table":
        click.echo(result.describe())
        if result.center is not None and result.center.alternatives:
            click.echo("  (also: " + "; ".join(a.label for a in result.center.alternatives) + ")")
        _print_table(result.frame)
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
        body = exports.json_body(result, query={k: v for k, v in vars(query).items() if v not in (None, (), "")
                                                and k != "within"})
        payload = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if output is None or str(output) == "-":
        click.echo(payload, nl=False)
        return
    from .tables import atomic_writer

    mode, kwargs = ("wb", {}) if isinstance(payload, bytes) else ("w", {"encoding": "utf-8", "newline": ""})
    with atomic_writer(output, mode, **kwargs) as fh:
        fh.write(payload)
    click.echo(f"{result.describe()} -> {output}", err=True)


@cli.command()
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Reports folder (default: $DIRECTORY_REPORTS_DIR or ./reports).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "csv"]), default="table", show_default=True)
@friendly
def reports(folder: Path | None, fmt: str) -> None:
    """List the problem reports people sent from the app, oldest first."""
    import csv
    from dataclasses import asdict

    from .exports import neutralise
    from .reports import ReportStore

    store = ReportStore(folder)
    found, problems = store.list()
    if fmt == "jsonl":
        for report in found:
            click.echo(json.dumps(asdict(report), ensure_ascii=False, sort_keys=True))
    elif fmt == "csv":
        columns = ["created", "report_id", "facility_id", "facility_name", "problem", "message", "contact"]
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for report in found:
            writer.writerow([neutralise(getattr(report, c)) for c in columns])
    else:
        click.echo(f"{len(found)} report{'s' if len(found) != 1 else ''} in {store.path}")
        for report in found:
            line = f"{report.created}  {report.facility_id}  {report.problem}: {report.facility_name}"
            if report.message:
                line += f" — {' '.join(report.message.split())}"
            if report.contact:
                line += f" (contact: {report.contact})"
            click.echo(line)
    for problem in problems:
        click.echo(f"warning: {store.path} {problem}", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), help="Facilities file (default: shipped).")
@click.option("--cors-origin", "cors_origins", multiple=True,
              help="Allow browser requests from this origin (repeatable; default: none, or $DIRECTORY_API_CORS_ORIGINS).")
@click.option("--workers", default=min(2, os.cpu_count() or 1), show_default="2, or 1 on a 1-core machine",
              type=click.IntRange(1, 64), help="uvicorn worker processes (each loads the directory once).")
@friendly
def serve(host: str, port: int, data: Path | None, cors_origins: tuple[str, ...], workers: int) -> None:
    """Serve the HTTP API (OpenAPI at /docs and /openapi.json)."""
    import uvicorn

    if data is not None:
        if not data.is_file():
            raise UsageFailure(f"{data}: no such file")
        os.environ["DIRECTORY_FACILITIES"] = str(data.resolve())
    if cors_origins:
        os.environ["DIRECTORY_API_CORS_ORIGINS"] = ",".join(cors_origins)
    click.echo(f"loading the directory; serving on http://{host}:{port} (docs at /docs)", err=True)
    uvicorn.run("directory.api:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


def _print_table(frame) -> None:
    if frame.empty:
        return
    columns = [("distance_miles", "miles", 6), ("name", "name", 40), ("city", "city", 18), ("state", "st", 2),
               ("phone", "phone", 18)]
    columns = [c for c in columns if c[0] in frame.columns]
    click.echo("  ".join(title.ljust(width) for _, title, width in columns))
    for row in frame.to_dict("records"):
        cells = []
        for key, _, width in columns:
            value = f"{row[key]:.1f}" if key == "distance_miles" else str(row[key])
            cells.append(value[:width].ljust(width))
        click.echo("  ".join(cells).rstrip())


def main() -> None:
    cli(prog_name="directory")

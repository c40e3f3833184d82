"""Data commands: import, build, services, validate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..core import paths
from .base import cli, data_option, friendly, lang_option


@cli.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--adapter",
    type=click.Choice(["findtreatment", "nssats", "mapped"]),
    help="Source format; recognised from the header when omitted.",
)
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), help="TOML mapping for --adapter mapped.")
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Facilities CSV to write."
)
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), help="CSV of rejected rows, with a reason.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="JSON report to write.")
@click.option("--source-id", help="Source id recorded on every site (default: the file name).")
@click.option("--source-date", help="Vintage of the source, ISO date (default: today).")
@click.option("--no-geocode", is_flag=True, help="Reject rows without coordinates instead of geocoding them offline.")
@friendly
def import_command(
    source: Path,
    adapter: str | None,
    mapping: Path | None,
    output: Path,
    rejects: Path | None,
    report: Path | None,
    source_id: str | None,
    source_date: str | None,
    no_geocode: bool,
) -> None:
    """Import one SOURCE file into the facilities schema.

    \b
    Example:
      directory import FindTreatment_Facility_listing.xlsx -o mine.csv --rejects rejects.csv --report report.json
      directory import licences.csv --mapping ca.toml -o ca.csv
    """
    from ..core.schema import write_records
    from ..core.tables import atomic_writer, write_csv
    from ..pipeline.importers import import_file

    locate = None if no_geocode else _offline_locator()
    result = import_file(
        source, adapter=adapter, mapping=mapping, source_id=source_id, source_date=source_date, locate=locate
    )
    write_records(list(result.sites.values()), output)
    if rejects:
        write_csv(rejects, *result.reject_rows())
    summary = result.report()
    if report:
        with atomic_writer(report, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")
    click.echo(
        f"{source}: {summary['rows_read']} rows read; {summary['accepted']} accepted, "
        f"{summary['merged']} merged, {summary['rejected']} rejected"
    )
    for reason, count in summary["rejected_by_reason"].items():
        click.echo(f"  rejected, {reason}: {count}")
    if summary["unknown_codes"]:
        click.echo(f"  unknown codes kept: {', '.join(summary['unknown_codes'])}")
    click.echo(f"wrote {output}")


def _offline_locator():
    """The offline geocoder as a row locator, when the geocoding module is available."""
    try:
        from ..geocode import record_locator
    except ImportError:
        return None
    return record_locator()


@cli.command()
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Sources manifest (default: data/sources/sources.toml).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Facilities CSV (default: data/facilities.csv).",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Build report (default: data/build-report.json).",
)
@click.option(
    "--diff-against",
    "previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A facilities file to compare the new one with: the report gets a 'changes' section.",
)
@friendly
def build(manifest: Path | None, output: Path | None, report: Path | None, previous: Path | None) -> None:
    """Build the national directory from every source in the manifest.

    \b
    Example:
      directory build && git diff --stat data/facilities.csv
      cp data/facilities.csv old.csv && directory build --diff-against old.csv
    """
    from ..pipeline.build import build as run_build

    result = run_build(manifest, output, report, locate=_offline_locator(), previous=previous)
    totals = result["totals"]
    for source in result["sources"]:
        click.echo(
            f"{source['source']}: {source['rows_read']} read, {source['accepted']} accepted "
            f"({source['linked_to_existing_site']} linked to "
            f"{'a newer source' if source['kind'] != 'listing' and source['names_sites'] else 'another source'}'s "
            "site, "
            f"{source['new_sites']} new), "
            f"{source['merged']} merged, {source['rejected']} rejected"
        )
    click.echo(
        f"{totals['sites']} sites in {totals['states']} states and territories; "
        f"{totals['share_with_service_codes']:.1%} with service codes, {totals['share_with_mat']:.1%} with MAT, "
        f"duplicate rate {totals['duplicate_rate']:.2%} -> {output or paths.FACILITIES_CSV}"
    )
    if "changes" in result:
        changes = result["changes"]["totals"]
        click.echo(
            "changes since "
            + str(previous)
            + ": "
            + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in changes.items())
        )


@cli.command()
@click.option("--groups", is_flag=True, help="List the friendly groups instead of the codes.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@lang_option
@friendly
def services(groups: bool, as_json: bool) -> None:
    """List service codes with labels and categories (or the friendly groups).

    \b
    Example:
      directory services | grep -i methadone
      directory services --groups
    """
    from ..core.taxonomy import Taxonomy

    tax = Taxonomy.load()
    if groups:
        rows = [
            {"family": g.family, "group": g.name, "label": g.label, "codes": sorted(g.codes)}
            for family in tax.families()
            for g in tax.groups_in(family)
        ]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            click.echo(f"{row['family']:<14} {row['group']:<22} {row['label']:<45} {' '.join(row['codes'])}")
        return
    items = sorted(tax.services.values(), key=lambda s: (s.category_code, s.code))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "code": s.code,
                        "label": s.label,
                        "category_code": s.category_code,
                        "category": s.category,
                        "label_source": s.label_source,
                        "aliases": list(s.aliases),
                    }
                    for s in items
                ],
                indent=2,
            )
        )
        return
    for s in items:
        also = f" (also: {'; '.join(s.aliases)})" if s.aliases else ""
        click.echo(f"{s.code:<8} {s.category_code:<6} {s.label_source:<15} {s.label}{also}  [{s.category}]")


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
    from ..core.schema import validate as run_validate

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


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["hsds"]),
    default="hsds",
    show_default=True,
    help="hsds: an Open Referral HSDS 3.0 Tabular Data Package (a folder of CSV tables + datapackage.json).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the package into (created).",
)
@data_option
@friendly
def export(fmt: str, output: Path, data: str | None) -> None:
    """Export the whole directory (every site, however old) for 211 and referral platforms.

    \b
    Example:
      directory export --format hsds --output hsds/
      frictionless validate hsds/datapackage.json
    """
    from ..hsds.package import write_package
    from ..search import Query
    from ..stores.base import open_store

    store = open_store(data)
    result = store.search(Query(listed_since=None))
    counts = write_package(result.records, output, store.taxonomy, store.availability(result.ids))
    click.echo(
        f"HSDS 3.0 package of {counts['location']:,} sites -> {output}/datapackage.json ("
        + ", ".join(f"{name} {n:,}" for name, n in counts.items())
        + ")"
    )

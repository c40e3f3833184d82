"""Service commands: serve (the HTTP API) and reports (problem reports sent from the app)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .base import UsageFailure, cli, data_option, friendly


def _corrections_of(data: str | None):
    """The corrections that can resolve reports: the database's (a DSN) or the corrections file's."""
    from ..pipeline import corrections
    from ..stores.postgis.connect import is_dsn

    source = data or os.environ.get("DIRECTORY_FACILITIES", "")
    if is_dsn(source):
        from ..stores.postgis.corrections import read

        return read(source)
    return corrections.read()


@cli.group(invoke_without_command=True)
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Reports folder (default: $DIRECTORY_REPORTS_DIR or ./reports).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "csv"]), default="table", show_default=True)
@click.option(
    "--status",
    type=click.Choice(["all", "open", "resolved"]),
    default="all",
    show_default=True,
    help="open: not yet resolved by a note or a correction.",
)
@click.option(
    "--data",
    help="A PostgreSQL DSN: read the reports from that database (default: $DIRECTORY_FACILITIES "
    "when it is one, else the folder).",
)
@click.pass_context
@friendly
def reports(ctx: click.Context, folder: Path | None, fmt: str, status: str, data: str | None) -> None:
    """List the problem reports people sent from the app, oldest first, each beside the facility's
    current record; `reports resolve R --note TEXT` marks one done.

    \b
    Examples:
      directory reports --status open
      directory reports resolve 3f2a9c1b7d04 --note "called: the number works"
    """
    import csv
    from dataclasses import asdict

    from ..curation.reports import open_reports, review
    from ..exports.tabular import neutralise

    ctx.obj = {"folder": folder, "data": data}
    if ctx.invoked_subcommand is not None:
        return
    store = open_reports(folder, data)
    found = review(store, _corrections_of(data))
    if status != "all":
        found = [(r, done) for r, done in found if (done is not None) == (status == "resolved")]
    _, problems = store.list()
    if fmt == "jsonl":
        for report, done in found:
            click.echo(
                json.dumps(
                    {**asdict(report), "resolution": asdict(done) if done else None}, ensure_ascii=False, sort_keys=True
                )
            )
    elif fmt == "csv":
        columns = ["created", "report_id", "facility_id", "facility_name", "problem", "message", "contact"]
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*columns, "resolved", "resolution"])
        for report, done in found:
            writer.writerow(
                [neutralise(getattr(report, c)) for c in columns]
                + [done.resolved if done else "", neutralise(done.note) if done else ""]
            )
    else:
        from ..stores.base import open_store

        directory = open_store(data)
        click.echo(f"{len(found)} report{'s' if len(found) != 1 else ''} ({status}) in {store.path}")
        for report, done in found:
            line = (
                f"{report.created}  {report.report_id}  {report.facility_id}  {report.problem}: {report.facility_name}"
            )
            if report.message:
                line += f" — {' '.join(report.message.split())}"
            if report.contact:
                line += f" (contact: {report.contact})"
            click.echo(line)
            click.echo("    now: " + _current(directory, report.facility_id))
            click.echo(f"    resolved {done.resolved[:10]}: {done.note}" if done else "    open")
        if status != "resolved":  # beside them: providers' reports that contradict the record
            from ..curation.availability import CONTRADICTING, contradicting
            from ..stores.base import open_live

            lines = contradicting(directory, open_live(directory)[0].latest())
            if lines:
                click.echo(f"{CONTRADICTING}: {len(lines)}")
                for line in lines:
                    click.echo("  " + line.replace("\t", "  "))
    for problem in problems:
        click.echo(f"warning: {store.path} {problem}", err=True)


def _current(directory, facility_id: str) -> str:
    """The facility's record as the directory has it now, in one line."""
    record = directory.facility(facility_id)
    if record is None:
        return "no facility with this id in the directory any more"
    parts = [
        record.name,
        record.phone or "phone not listed in the sources",
        f"{record.city}, {record.state}",
        f"last listed {record.last_listed}",
    ]
    if record.closed:
        parts.insert(0, "CLOSED")
    if record.verified_on:
        parts.append(f"verified by {record.verified_by_method} {record.verified_on}")
    return " · ".join(parts)


@reports.command("resolve")
@click.argument("report_id")
@click.option("--note", required=True, help='What was done ("called: the number works").')
@click.option("--by", default=None, help="Who: a name or e-mail (default $DIRECTORY_MAINTAINER).")
@click.pass_obj
@friendly
def resolve_report(obj: dict, report_id: str, note: str, by: str | None) -> None:
    """Mark a report resolved, with a note (a correction that names the report resolves it too)."""
    from ..curation.reports import open_reports

    store = open_reports(obj["folder"], obj["data"])
    done = store.resolve(report_id, note, by=by if by is not None else os.environ.get("DIRECTORY_MAINTAINER", ""))
    click.echo(f"report {done.report_id} resolved {done.resolved}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=int)
@data_option
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Answer browser requests from this origin by name, and let it send providers' writes (repeatable; "
    "default: any origin may read, or $DIRECTORY_API_CORS_ORIGINS; 'none': no cross-origin answers).",
)
@click.option(
    "--workers",
    default=min(2, os.cpu_count() or 1),
    show_default="2, or 1 on a 1-core machine",
    type=click.IntRange(1, 64),
    help="uvicorn worker processes (each loads the directory once).",
)
@friendly
def serve(host: str, port: int, data: str | None, cors_origins: tuple[str, ...], workers: int) -> None:
    """Serve the HTTP API (OpenAPI at /docs and /openapi.json)."""
    import uvicorn

    if data is not None:
        from ..stores.postgis.connect import is_dsn

        if is_dsn(data):
            os.environ["DIRECTORY_FACILITIES"] = data
        elif not Path(data).is_file():
            raise UsageFailure(f"{data}: no such file")
        else:
            os.environ["DIRECTORY_FACILITIES"] = str(Path(data).resolve())
    if cors_origins:
        os.environ["DIRECTORY_API_CORS_ORIGINS"] = ",".join(cors_origins)
    click.echo(f"loading the directory; serving on http://{host}:{port} (docs at /docs)", err=True)
    uvicorn.run(
        "directory.http.api:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )

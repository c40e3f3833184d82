"""Service commands: serve (the HTTP API) and reports (problem reports sent from the app)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import UsageFailure, cli, data_option, friendly


@cli.command()
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Reports folder (default: $DIRECTORY_REPORTS_DIR or ./reports).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "csv"]), default="table", show_default=True)
@click.option(
    "--data",
    help="A PostgreSQL DSN: read the reports from that database (default: $DIRECTORY_FACILITIES "
    "when it is one, else the folder).",
)
@friendly
def reports(folder: Path | None, fmt: str, data: str | None) -> None:
    """List the problem reports people sent from the app, oldest first."""
    import csv
    from dataclasses import asdict

    from ..exports import neutralise
    from ..reports import open_reports

    store = open_reports(folder, data)
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
@data_option
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Allow browser requests from this origin (repeatable; default: none, or $DIRECTORY_API_CORS_ORIGINS).",
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
        from ..pgstore import is_dsn

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
        "directory.api:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )

"""Curation commands for maintainers: correct a record (close, reopen, set, clear, verify, undo) and list
the corrections. Only these change data: the public app and API can only send problem reports."""

from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import click

from .base import UsageFailure, cli, data_option, friendly

MAINTAINER_ENV = "DIRECTORY_MAINTAINER"


@cli.command()
@click.argument("facility_id", required=False)
@click.option("--closed", is_flag=True, help="The site has closed (it leaves every search).")
@click.option("--reopened", is_flag=True, help="A site marked closed is open again.")
@click.option("--set", "set_value", metavar="FIELD=VALUE", help="Correct a field: --set phone=727-555-0100.")
@click.option("--clear", "clear_field", metavar="FIELD", help="Empty a field the sources got wrong.")
@click.option("--undo", "undo", type=int, metavar="N", help="Undo correction N (a new line; nothing is erased).")
@click.option(
    "--verified",
    "verified_how",
    type=click.Choice(["phone", "website", "visit", "provider"]),
    help="How it was verified. Alone, it confirms the record as it is.",
)
@click.option("--on", "verified_on", metavar="DATE", help="When it was verified (ISO date; default today).")
@click.option("--reason", default="", help="Why, in words.")
@click.option("--report", "report_id", default="", help="The problem report this answers (it is then resolved).")
@click.option("--by", default=None, help=f"Who: a name or initials (default ${MAINTAINER_ENV}).")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The corrections file (default: data/corrections.csv or $DIRECTORY_CORRECTIONS).",
)
@data_option
@friendly
def correct(
    facility_id: str | None,
    closed: bool,
    reopened: bool,
    set_value: str | None,
    clear_field: str | None,
    undo: int | None,
    verified_how: str | None,
    verified_on: str | None,
    reason: str,
    report_id: str,
    by: str | None,
    path: Path | None,
    data: str | None,
) -> None:
    """Correct a facility's record, as verified evidence: one line appended to the corrections (the file
    `directory build` applies last, or the database every replica serves with --data postgresql://…).

    \b
    Examples:
      directory correct f3a1d13806edf --closed --verified phone --reason "number disconnected; landlord says closed"
      directory correct f3a1d13806edf --set phone=727-555-0100 --verified phone --report 3f2a9c1b7d04
      directory correct f3a1d13806edf --verified website          # confirms the record as it is
      directory correct --undo 12 --reason "wrong site"
    """
    from ..pipeline.corrections import append, default_path, new
    from ..stores.base import open_store
    from ..stores.postgis.connect import is_dsn

    action = "closed" if closed else "reopened" if reopened else None
    chosen = [x for x in (closed or None, reopened or None, set_value, clear_field, undo) if x is not None]
    if len(chosen) > 1:
        raise UsageFailure("give one of --closed, --reopened, --set, --clear or --undo (or --verified alone)")
    if undo is None and not facility_id:
        raise UsageFailure("give the facility id (or --undo N)")
    kind = action or ("set" if set_value else "clear" if clear_field else "undo" if undo is not None else "verified")
    field, value = "", ""
    if set_value is not None:
        field, sep, value = set_value.partition("=")
        if not sep:
            raise UsageFailure("--set takes FIELD=VALUE, e.g. --set phone=727-555-0100")
    elif clear_field is not None:
        field = clear_field
    correction = new(
        facility_id or "",
        kind,
        by=by if by is not None else os.environ.get(MAINTAINER_ENV, ""),
        verified_how=verified_how or "",
        verified_on=verified_on,
        field=field,
        value=value,
        reason=reason,
        report_id=report_id,
        undoes=str(undo) if undo is not None else "",
    )
    source = data or os.environ.get("DIRECTORY_FACILITIES", "")
    if is_dsn(source):
        from ..stores.postgis.corrections import add

        saved = add(source, correction)
        where = "the database (every replica serves it now)"
    else:
        store = open_store(data)
        saved = append(correction, known=lambda fid: store.facility(fid) is not None, path=path)
        where = f"{path or default_path()} (applied by the next `directory build`)"
    click.echo(f"correction {saved.describe()} -> {where}")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The corrections file (default: data/corrections.csv or $DIRECTORY_CORRECTIONS).",
)
@click.option("--data", help="A PostgreSQL DSN: the corrections stored in that database.")
@friendly
def corrections(fmt: str, path: Path | None, data: str | None) -> None:
    """List the corrections, oldest first (undone ones say so).

    \b
    Examples:
      directory corrections
      directory corrections --format csv > corrections-review.csv
    """
    from ..exports.tabular import neutralise
    from ..pipeline.corrections import COLUMNS, read
    from ..stores.postgis.connect import is_dsn

    if data and is_dsn(data):
        from ..stores.postgis.corrections import read as read_database

        found = read_database(data)
    else:
        found = read(path)
    undone = {c.undoes for c in found if c.action == "undo"}
    if fmt == "json":
        click.echo(
            json.dumps([{**asdict(c), "undone": str(c.id) in undone} for c in found], indent=2, ensure_ascii=False)
        )
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*COLUMNS, "undone"])
        for c in found:
            writer.writerow([neutralise(v) for v in c.row()] + ["yes" if str(c.id) in undone else ""])
    else:
        click.echo(f"{len(found)} correction{'s' if len(found) != 1 else ''}")
        for c in found:
            flag = "  (undone)" if str(c.id) in undone else ""
            reason = f" — {c.reason}" if c.reason else ""
            report = f" [report {c.report_id}]" if c.report_id else ""
            click.echo(f"{c.describe()}{reason}{report}{flag}")

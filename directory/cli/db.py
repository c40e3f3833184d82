"""The database store: load a facilities file into PostgreSQL + PostGIS, and say what is loaded."""

from __future__ import annotations

import click

from .base import cli, friendly


@cli.group()
def db() -> None:
    """PostgreSQL + PostGIS: the store for several API and app replicas (see docs/deploy.md's deployment recipe)."""


@db.command("load")
@click.argument("dsn")
@click.option("--data", help="Facilities file (default: the shipped one).")
@friendly
def db_load(dsn: str, data: str | None) -> None:
    """Create (or migrate) the schema in DSN and load the facilities in one transaction.

    \b
    Example:
      directory db load postgresql://directory@db.internal/directory --data data/facilities.csv
    """
    from ..stores.postgis.load import load

    done = load(dsn, data)
    click.echo(f"load {done['id']}: {done['rows']:,} facilities from {done['file']}")


@db.command("status")
@click.argument("dsn")
@friendly
def db_status(dsn: str) -> None:
    """The loads so far (newest first) and how many facilities are served."""
    from ..stores.postgis.load import status

    found = status(dsn)
    click.echo(f"{found['facilities']:,} facilities served")
    for item in found["loads"]:
        click.echo(f"load {item['id']}: {item['loaded_at']}  {item['rows']:,} rows  {item['file']}")

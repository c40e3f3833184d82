"""Provider links for maintainers: issue one for a site (printed once), list and revoke them, and see
which sites report, which reports are stale and which links were never used."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click

from .base import UsageFailure, cli, data_option, friendly

APP_URL_ENV = "DIRECTORY_APP_URL"


def _live(data: str | None):
    from ..stores.base import open_live, open_store

    store = open_store(data)
    return store, *open_live(store)


@cli.group()
def providers() -> None:
    """Private links through which providers report their site's availability (no account needed).

    \b
    Examples:
      directory providers link f3a1d13806edf --contact "intake@example.org / Dana"
      directory providers list
      directory providers revoke 3
      directory providers status
    """


@providers.command("link")
@click.argument("facility_id")
@click.option("--contact", required=True, help="Who the link is for (an e-mail, a name): kept with it.")
@click.option("--days", type=int, default=365, show_default=True, help="How long the link works.")
@click.option(
    "--app-url",
    default=lambda: os.environ.get(APP_URL_ENV, "http://127.0.0.1:8501"),
    show_default="$DIRECTORY_APP_URL or http://127.0.0.1:8501",
    help="The app's address, for the link.",
)
@data_option
@friendly
def link(facility_id: str, contact: str, days: int, app_url: str, data: str | None) -> None:
    """Issue a private link for one site; the link (and its key, for systems) is printed once, here only.

    \b
    Example:
      directory providers link f3a1d13806edf --contact "intake@example.org / Dana"
    """
    store, _log, links = _live(data)
    record = store.facility(facility_id)
    if record is None:
        raise UsageFailure(f"no facility with id {facility_id!r}")
    issued, secret = links.issue(facility_id, contact, days=days)
    click.echo(
        f"Link {issued.id} for {record.name} ({facility_id}), for {issued.contact}, until {issued.expires:%Y-%m-%d}."
    )
    click.echo("Send it privately; it is shown only now (only a hash of it is kept):")
    click.echo(f"  {app_url.rstrip('/')}/?update={secret}")
    click.echo("For systems, the same secret is the key of the API:")
    click.echo(f"  curl -X PUT -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' \\")
    click.echo(f'    -d \'{{"accepting_new_patients": "yes"}}\' <api>/v1/facilities/{facility_id}/availability')


@providers.command("list")
@data_option
@friendly
def list_links(data: str | None) -> None:
    """Every link issued: its number, site, who it is for, its state and when it was last used.

    \b
    Example:
      directory providers list
    """
    _store, log, links = _live(data)
    used = {}
    for report in log.history():
        used[report.link_id] = report.received_at
    now = datetime.now(UTC)
    for item in links.list():
        last = used.get(item.id)
        click.echo(
            f"{item.id}\t{item.facility_id}\t{item.contact}\t{item.state(now)}\texpires {item.expires:%Y-%m-%d}\t"
            + (f"last used {last:%Y-%m-%d %H:%M} UTC" if last else "never used")
        )


@providers.command("revoke")
@click.argument("link_id", type=int)
@data_option
@friendly
def revoke(link_id: int, data: str | None) -> None:
    """Revoke link N: it stops working at once (its reports stay, as the provider's word of then).

    \b
    Example:
      directory providers revoke 3
    """
    _store, _log, links = _live(data)
    done = links.revoke(link_id)
    click.echo(f"Link {done.id} for {done.facility_id} ({done.contact}) revoked.")


@providers.command("status")
@data_option
@friendly
def status(data: str | None) -> None:
    """Sites with a current report, sites whose last report is stale, links never used, and reports that
    contradict the record (a level of care it does not list, a closed site).

    \b
    Example:
      directory providers status
    """
    from ..curation.availability import review

    store, log, links = _live(data)
    found = review(store, log.latest(), links.list(), log.history())
    for heading, lines in found.items():
        click.echo(f"{heading} ({len(lines)})")
        for line in lines:
            click.echo(f"  {line}")

"""Place commands: locate, geocode."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .base import cli, friendly


def geocoder_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options choosing and configuring a geocoder (also read from DIRECTORY_GEOCODER_* variables)."""
    options = [
        click.option(
            "--geocoder",
            default="offline",
            show_default=True,
            envvar="DIRECTORY_GEOCODER",
            help="offline, or a geopy provider name (nominatim, photon, arcgis, ...).",
        ),
        click.option("--user-agent", help="User agent for online providers (Nominatim requires one)."),
        click.option("--domain", help="Provider host, e.g. a self-hosted Nominatim: nominatim.example.org."),
        click.option("--scheme", type=click.Choice(["http", "https"]), help="URL scheme for --domain."),
        click.option("--api-key", help="API key for providers that need one."),
        click.option("--min-delay", type=float, help="Seconds between requests (default 1 for Nominatim)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _geocoder(
    geocoder: str,
    user_agent: str | None,
    domain: str | None,
    scheme: str | None,
    api_key: str | None,
    min_delay: float | None,
    cache: Path | None = None,
):
    from ..geocode import OnlineOptions, get_geocoder

    return get_geocoder(
        geocoder,
        cache=cache,
        options=OnlineOptions(
            user_agent=user_agent, domain=domain, scheme=scheme, api_key=api_key, min_delay_seconds=min_delay
        ),
    )


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
    from ..geocode import locate as run_locate

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
@click.option(
    "--cache",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".directory-cache/geocode.sqlite"),
    show_default=True,
    help="SQLite cache for online answers; a rerun makes no repeated request.",
)
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
    from ..geocode.batch import geocode_file

    geocoder = _geocoder(cache=cache if geo["geocoder"] != "offline" else None, **geo)
    counts = geocode_file(input_path, output, geocoder=geocoder, force=force, progress=sys.stderr.isatty())
    click.echo(f"geocoded {input_path} -> {output}")
    for precision, count in sorted(counts.items()):
        click.echo(f"  {precision}: {count}")
    requests = getattr(geocoder, "requests", None)
    if requests is not None:
        click.echo(f"  requests sent: {requests}; offline fallbacks: {geocoder.fallbacks}")

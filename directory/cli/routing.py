"""The routing command: is the deployer's routing engine (drive times) answering?"""

from __future__ import annotations

import click

from .base import UsageFailure, cli, friendly


@cli.group()
def routing() -> None:
    """The routing engine behind drive times (DIRECTORY_ROUTING=osrm:http://host:5000)."""


@routing.command("check")
@friendly
def check() -> None:
    """Ask each routing profile's server for an answer; one line each. Exit 1 if one fails.

    \b
    Example:
      DIRECTORY_ROUTING=osrm:http://127.0.0.1:5000 directory routing check
    """
    from ..routing import from_environment

    router = from_environment()
    if router is None:
        click.echo("routing: off (DIRECTORY_ROUTING is not set): distances are straight-line miles")
        return
    failed = []
    for profile, ok, line in router.check():
        click.echo(f"routing {profile}: {'ok' if ok else 'unavailable'}: {line}")
        if not ok:
            failed.append(profile)
    if failed:
        raise UsageFailure(
            f"the routing engine for {', '.join(failed)} is unavailable: searches fall back to straight-line miles"
        )

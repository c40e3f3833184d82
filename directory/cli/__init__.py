"""The ``directory`` command line: thin adapters over the library (see :mod:`.base`).

Commands live in modules by topic: data (import, build, services, validate), places (locate,
geocode), refresh (refresh, diff), search (search, export, compare), service (serve, reports),
curate (correct, corrections), routing (check) and db.
"""

# The commands register themselves on ``cli`` when their modules are imported.
from . import curate, data, db, places, providers, refresh, routing, search, service  # noqa: F401
from .base import LANG_ENV, UsageFailure, cli, data_option, friendly, lang_option, main

__all__ = ["LANG_ENV", "UsageFailure", "cli", "data_option", "friendly", "lang_option", "main"]

"""Where the project's own data lives.

At run time and test time the project reads only files under its ``data/``
folder (or paths a user passes in); never anything outside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository's data folder. ``DIRECTORY_DATA`` overrides it (for tests and deployments).
DATA_DIR = Path(os.environ.get("DIRECTORY_DATA", Path(__file__).resolve().parents[2] / "data"))

FACILITIES_CSV = DATA_DIR / "facilities.csv"
BUILD_REPORT = DATA_DIR / "build-report.json"
SOURCES_DIR = DATA_DIR / "sources"
MANIFEST = SOURCES_DIR / "sources.toml"
CODEBOOK_DIR = DATA_DIR / "codebook"
GAZETTEER_DIR = DATA_DIR / "gazetteer"
BOUNDARIES_DIR = DATA_DIR / "boundaries"


#: How a PostgreSQL DSN starts (the PostGIS store, :mod:`directory.stores.postgis`) where a facilities
#: file may be given.
DSN_SCHEMES = ("postgresql://", "postgres://")


def facilities_file() -> Path | str:
    """What the app and API serve: ``$DIRECTORY_FACILITIES`` (a facilities file, or a PostgreSQL DSN
    ``postgresql://…``, kept as text) or ``data/facilities.csv``."""
    value = os.environ.get("DIRECTORY_FACILITIES")
    if value and value.startswith(DSN_SCHEMES):
        return value
    return Path(value or FACILITIES_CSV)

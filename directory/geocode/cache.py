"""A persistent geocoding cache in SQLite, keyed by provider and normalised query.

It stores coordinates, precision, label, provider and time — not raw responses.
"No match" answers are cached too (with NULL coordinates) so a rerun makes zero
requests; service failures are not cached, so they are retried next time.
Each answer is committed as it arrives: an interrupted batch resumes from here.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..core.normalize import ascii_fold

_SCHEMA = """
CREATE TABLE IF NOT EXISTS geocode (
    provider TEXT NOT NULL,
    query TEXT NOT NULL,
    latitude REAL,
    longitude REAL,
    precision TEXT,
    label TEXT,
    fetched_at REAL NOT NULL,
    PRIMARY KEY (provider, query)
)
"""


def cache_key(query: str) -> str:
    """Case, accents, punctuation spacing and white space do not make a new request."""
    return " ".join(ascii_fold(query).replace(",", " , ").split())


@dataclass(frozen=True)
class CachedAnswer:
    latitude: float | None
    longitude: float | None
    precision: str | None
    label: str | None

    @property
    def found(self) -> bool:
        return self.latitude is not None


class GeocodeCache:
    """``get``/``put`` answers for ``(provider, query)``; usable as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get(self, provider: str, query: str) -> CachedAnswer | None:
        row = self._db.execute(
            "SELECT latitude, longitude, precision, label FROM geocode WHERE provider = ? AND query = ?",
            (provider, cache_key(query)),
        ).fetchone()
        return CachedAnswer(*row) if row else None

    def put(self, provider: str, query: str, answer: CachedAnswer) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO geocode VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                provider,
                cache_key(query),
                answer.latitude,
                answer.longitude,
                answer.precision,
                answer.label,
                time.time(),
            ),
        )
        self._db.commit()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM geocode").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> GeocodeCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

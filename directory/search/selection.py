"""What a listing asks a store for: :class:`Selection` (the HSDA API's lists; searches use a
:class:`~directory.search.Query`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Selection:
    """Which sites a listing asks for — the HSDA API's lists —, every condition AND-ed. Unlike a
    :class:`~directory.search.Query`, it has no default date and keeps sites verified closed (a listing
    says they are defunct); its words and dates are those of :mod:`directory.core.keys`
    (:func:`~directory.core.keys.search_text`, :func:`~directory.core.keys.modified_key`), computed the
    same way by every store."""

    #: Any of these service codes (None: no condition; empty: nothing matches).
    codes: frozenset[str] | None = None
    #: Only these facility ids.
    ids: frozenset[str] | None = None
    #: Each word (lower-case) is in the site's search text.
    words: tuple[str, ...] = ()
    #: The site's newest date (listed, verified, details) is on or after this day.
    modified_since: dt.date | None = None
    #: The site's ZIP code.
    zip_code: str | None = None
    #: Within ``metres`` of this (latitude, longitude), nearest first.
    near: tuple[float, float] | None = None
    metres: float | None = None
    #: The site's state (USPS code, upper case), county and city (as :func:`~directory.core.normalize.norm_county`
    #: and :func:`~directory.core.normalize.norm_city` write them): a maintainer's area of work.
    state: str | None = None
    county: str | None = None
    city: str | None = None

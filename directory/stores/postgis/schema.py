"""The facilities table of the PostGIS store: its columns, the keys computed from each record (the
same rules as the in-memory store's), the order sites are written in, and the SQL fragments searches
share.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ...core.facility import Facility
from ...core.filters import GROUP_FILTERS, facility_type
from ...core.normalize import norm_city, norm_county, norm_name
from ...core.taxonomy import Taxonomy

#: Candidates are fetched this much farther than asked (sphere vs. the geography's own distance),
#: then cut at the exact great-circle distance.
SLACK = 1.01


TABLE = """
CREATE TABLE {name} (
    row_no integer PRIMARY KEY, facility_id text UNIQUE NOT NULL, state_key text NOT NULL, city_key text NOT NULL,
    county_key text NOT NULL, name_key text NOT NULL, last_listed_key text NOT NULL, codes text[] NOT NULL,
    facility_type text NOT NULL, verified_key text NOT NULL, hsda_text text NOT NULL, modified_key text NOT NULL,
    zip_key text NOT NULL, sort_key text NOT NULL, state text NOT NULL, facet_keys text[] NOT NULL,
    latitude double precision, longitude double precision, geog geography(Point, 4326), record jsonb NOT NULL,
    base_record jsonb NOT NULL)
"""
#: The columns :func:`row_keys` computes from a record, in order (a load writes them; a correction
#: rewrites all but the id and the point).
KEY_COLUMNS = (
    "facility_id",
    "state_key",
    "city_key",
    "county_key",
    "name_key",
    "last_listed_key",
    "codes",
    "facility_type",
    "verified_key",
    "hsda_text",
    "modified_key",
    "zip_key",
    "sort_key",
    "state",
    "facet_keys",
    "latitude",
    "longitude",
)
#: A filter on service codes, as the codes' GIN index answers it (a search with no place)...
CODES_MATCH = "codes && %s::text[]"
#: ... and as a test of each candidate the point's index found: the same answer, but the planner cannot
#: use the GIN index for it (it would otherwise AND the index's tens of thousands of matches of a common
#: code with the few hundred sites near the place, at several times the cost).
CODES_TEST = "(codes && %s::text[]) IS TRUE"
#: ``last_listed_key`` of a site a maintainer verified closed: before every date, so a search's
#: "listed since" test (never below :data:`OPEN`) leaves it out, as the in-memory store does.
CLOSED_KEY = ""
OPEN = "0001-01-01"


def spatial_order(frame: pd.DataFrame) -> np.ndarray:
    """The rows' numbers along a Z-order curve of their points (rows with no point last, in file order):
    sites near each other land on the same pages of the table.

    >>> spatial_order(pd.DataFrame({"latitude": ["40.7", "", "40.71", "25.8"],
    ...                             "longitude": ["-74.0", "", "-74.01", "-80.2"]})).tolist()
    [3, 2, 0, 1]
    """
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(lat) | np.isnan(lon)

    def spread(v: np.ndarray) -> np.ndarray:
        v = v.astype(np.uint64)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    y = np.clip(np.nan_to_num((lat + 90) / 180 * 65535), 0, 65535)
    x = np.clip(np.nan_to_num((lon + 180) / 360 * 65535), 0, 65535)
    key = spread(x) | (spread(y) << np.uint64(1))
    return np.lexsort((np.arange(len(frame)), key, missing))


def row_keys(record: Facility, row: dict[str, str]) -> tuple:
    """The search keys of a record, in :data:`KEY_COLUMNS` order."""
    from ...core.keys import modified_key, search_text

    return (
        record.facility_id,
        str(row.get("state", "")).upper(),
        norm_city(row["city"]),
        norm_county(row["county"]),
        norm_name(f"{row['name']} {row['name2']}"),
        CLOSED_KEY if record.closed else str(record.open_as_of or ""),
        sorted(record.service_codes),
        facility_type(record.type_facility),
        record.verified_on.isoformat() if record.verified_on else "",
        search_text(row["name"], row["name2"], row["service_codes"], row["city"], row["state"], _taxonomy()),
        modified_key(row["last_listed"], row.get("verified_on", ""), row.get("details_as_of", "")),
        str(row.get("zip", "")),
        str(row["name"]).lower(),  # sorted by code point (COLLATE "C"), as Python sorts the in-memory store's
        str(row.get("state", "")),  # as written: the state facet's names (the record is not read per candidate)
        facet_keys(_taxonomy(), frozenset(record.service_codes)),
        record.latitude,
        record.longitude,
    )


def _taxonomy() -> Taxonomy:
    return Taxonomy.load()


@lru_cache(maxsize=65536)
def facet_keys(taxonomy: Taxonomy, codes: frozenset[str]) -> list[str]:
    """What a site counts towards in a search's facets: ``family:group`` for each group it lists a code
    of, ``listed:family`` for each family it lists anything in. Stored with the site, so a search counts
    its facets in one pass over its rows (``unnest``) instead of testing every row against every group.

    >>> facet_keys(Taxonomy.load(), frozenset({"dt", "md"}))[:3]
    ['service:detox', 'listed:service', 'payment:medicaid']
    """
    keys = []
    for f in GROUP_FILTERS:
        keys += [f"{f.family}:{g.name}" for g in taxonomy.groups_in(f.family) if codes & g.codes]
        if codes & taxonomy.family_codes(f.family):
            keys.append(f"listed:{f.family}")
    return keys

"""US states, DC and territories: USPS codes, names, and coarse bounding boxes.

The boxes answer one question cheaply: could a coordinate be in the US and its
territories at all? (0,0 and swapped lat/lon fail it.) Whether a point lies in
the state its record names is answered with real outlines in ``directory.core.geo``.
"""

from __future__ import annotations

STATES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
    "GU": "Guam",
    "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
    "FM": "Federated States of Micronesia",
    "MH": "Marshall Islands",
    "PW": "Palau",
}

#: Lower-case full names (and a few common variants) → USPS code.
STATE_BY_NAME: dict[str, str] = {name.lower(): code for code, name in STATES.items()}
STATE_BY_NAME.update(
    {
        "washington dc": "DC",
        "washington d.c.": "DC",
        "d.c.": "DC",
        "virgin islands": "VI",
        "us virgin islands": "VI",
        "northern mariana islands": "MP",
        "micronesia": "FM",
    }
)

# (south, west, north, east) in degrees; generous by a few km. The Aleutians cross
# the antimeridian, hence the second Alaska box.
_US_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (24.3, -125.0, 49.5, -66.8),  # contiguous states
    (51.0, -180.0, 71.6, -129.9),  # Alaska
    (51.0, 172.0, 53.1, 180.0),  # western Aleutians
    (18.8, -160.5, 22.4, -154.7),  # Hawaii
    (17.6, -68.0, 18.6, -64.5),  # Puerto Rico and the Virgin Islands
    (13.2, 144.6, 20.6, 146.1),  # Guam and the Northern Marianas
    (-14.6, -171.2, -11.0, -168.1),  # American Samoa
    (1.0, 137.0, 10.1, 163.4),  # Micronesia
    (4.5, 160.7, 14.7, 172.2),  # Marshall Islands
    (2.8, 131.1, 8.2, 134.8),  # Palau
)


def in_us_bounds(lat: float, lon: float) -> bool:
    """True when (lat, lon) falls in the US or one of its territories (coarse boxes).

    >>> in_us_bounds(27.95, -82.46)
    True
    >>> in_us_bounds(0.0, 0.0)
    False
    """
    return any(s <= lat <= n and w <= lon <= e for s, w, n, e in _US_BOXES)


def state_code(text: str) -> str | None:
    """USPS code for a code or a full name, else None.

    >>> state_code("florida"), state_code("fl"), state_code("Narnia")
    ('FL', 'FL', None)
    """
    t = " ".join(text.strip().split())
    if t.upper() in STATES:
        return t.upper()
    return STATE_BY_NAME.get(t.lower())

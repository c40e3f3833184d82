"""The search filters, declared once (the datasette habit: filters are data).

Each :class:`Filter` says everything a front end needs about one filter: its
:class:`~directory.search.Query` field, the parameter name in URLs, the API and the
CLI, its taxonomy family (for the ones chosen from friendly groups), the heading a
screen shows, how it reads in a sentence and whether it goes into a download's file
name. ``Query``, the app's form and sidebar, the CLI options, the API parameters and
their echo, :func:`~directory.search.describe`, file names and facets are all derived
from :data:`FILTERS`; adding a filter chosen from groups is one entry here plus its
rows in ``data/codebook/groups.csv``.

>>> [f.param for f in FILTERS if f.kind == "group"]
['service', 'medication', 'accreditation', 'payment', 'population', 'language']
>>> by_param("language").field
'languages'
>>> parse_since("2023"), parse_since("any"), parse_since("2024-06-30")
(datetime.date(2023, 1, 1), None, datetime.date(2024, 6, 30))
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .i18n import N_, _

#: How a filter selects: one of the taxonomy's friendly groups (repeatable), a state, a city,
#: a county, a fuzzy facility name, a date a site must have been listed since, or one of a few fixed
#: choices (the facility type).
KINDS = ("group", "state", "city", "county", "name", "since", "choice", "verified")
#: Kinds whose value is a date (a year or an ISO date, or "any").
DATE_KINDS = ("since", "verified")

#: The facility types a search can be limited to: treatment facilities and programs, or individual
#: practitioners who prescribe buprenorphine (the locator's BUPREN listings). Value → label.
FACILITY_TYPES = {
    "facility": N_("treatment facilities and programs"),
    "practitioner": N_("individual practitioners"),
}


def facility_type(type_facility: str) -> str:
    """The facility type (:data:`FACILITY_TYPES`) of a record's ``type_facility``.

    >>> facility_type("BUPREN"), facility_type("SU"), facility_type("")
    ('practitioner', 'facility', 'facility')
    """
    return "practitioner" if type_facility == "BUPREN" else "facility"


#: A ``choice`` filter's field → the record column its value is read from, and how (a ``live`` choice is
#: read from providers' current reports instead, by the store).
CHOICE_OF = {"facility_type": ("type_facility", facility_type)}

#: What a provider's *current* report says (:mod:`directory.live.availability`): value → label.
AVAILABLE_NOW = {
    "accepting": N_("accepting new patients now"),
    "beds": N_("with open beds now"),
}

#: Longest text a text filter accepts.
MAX_TEXT = 200

#: Searches show sites listed since this date unless asked otherwise, in every front end: most sites
#: no source has listed since 2015 or 2020 have closed (most are absent from the 2026 national listing).
LISTED_SINCE = dt.date(2021, 1, 1)
#: Values of ``listed_since`` that mean "however old".
ANY_DATE = ("", "any", "all", "none")
_YEAR = re.compile(r"^\d{4}$")


def parse_since(value: object) -> dt.date | None:
    """A ``listed_since`` value as a date: a year (the 1st of January), an ISO date, a date; None for
    'any'. Raises ``ValueError`` with a readable message otherwise."""
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = str(value).strip().lower()
    if text in ANY_DATE:
        return None
    try:
        if _YEAR.match(text):
            found = dt.date(int(text), 1, 1)
        else:
            found = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"listed_since must be a year (2021), a date (2021-06-01) or 'any', not {str(value)[:40]!r}"
        ) from None
    if not 1990 <= found.year <= 2100:
        raise ValueError(f"listed_since must be a year between 1990 and 2100, not {found.year}")
    return found


@dataclass(frozen=True)
class Filter:
    """One search filter."""

    #: The :class:`~directory.search.Query` field (and the app form's field): ``"medications"``.
    field: str
    #: The parameter in URLs, the API and the CLI (``--medication``): ``"medication"``.
    param: str
    #: One of :data:`KINDS`.
    kind: str
    #: The heading a screen shows: ``"Medications"``.
    label: str
    #: Taxonomy family of the groups a ``group`` filter chooses from.
    family: str = ""
    #: How the filter reads in :func:`~directory.search.describe`; ``{}`` is the value(s).
    phrase: str = ""
    #: One-line help for the CLI and the API.
    help: str = ""
    #: Shown in the app's sidebar (and its URL).
    in_app: bool = True
    #: Its values go into a download's file name.
    in_filename: bool = True
    #: Its value when nobody sets it, in every front end (``listed_since``: 2021; others: nothing).
    default: object = None
    #: The values a ``choice`` filter takes, with their labels, as (value, label) pairs.
    choices: tuple[tuple[str, str], ...] = ()
    #: Read from live state (providers' current reports), not from the built directory.
    live: bool = False

    def title(self) -> str:
        """The heading, in the current language."""
        return _(self.label)

    def reads(self, value: object) -> str:
        """How the filter reads in a sentence, in the current language: ``"accepting Medicaid"``."""
        return _(self.phrase).format(value)

    def choice_label(self, value: str) -> str:
        """A ``choice`` value's label, in the current language."""
        return _(dict(self.choices)[value])

    @property
    def repeatable(self) -> bool:
        """Group filters take several values (OR-ed; services follow ``match``)."""
        return self.kind == "group"

    @property
    def facet(self) -> str | None:
        """The key of its counts in a result's facets: the family, or ``"state"``."""
        if self.kind == "group":
            return self.family
        if self.kind == "choice":
            return self.field
        return "state" if self.kind == "state" else None


FILTERS: tuple[Filter, ...] = (
    Filter(
        "services",
        "service",
        "group",
        N_("Treatment type"),
        "service",
        help="treatment type group (detox, mat, outpatient, intensive-outpatient, residential, inpatient, "
        "telehealth …) or a service code; repeatable",
    ),
    Filter(
        "medications",
        "medication",
        "group",
        N_("Medications"),
        "medication",
        N_("offering {}"),
        help="buprenorphine, methadone, naltrexone; repeatable",
    ),
    Filter(
        "accreditations",
        "accreditation",
        "group",
        N_("Accreditation"),
        "accreditation",
        N_("accredited by {}"),
        help="joint-commission, carf, ncqa, coa, hfap, state-licensed; repeatable",
    ),
    Filter(
        "payments",
        "payment",
        "group",
        N_("Payment"),
        "payment",
        N_("accepting {}"),
        help="medicaid, medicare, private-insurance, cash, sliding-fee …; repeatable",
    ),
    Filter(
        "populations",
        "population",
        "group",
        N_("Populations served"),
        "population",
        N_("serving {}"),
        help="adolescents, veterans, pregnant-postpartum, lgbtq …; repeatable",
    ),
    Filter(
        "languages",
        "language",
        "group",
        N_("Language of treatment"),
        "language",
        N_("offering treatment in {}"),
        help="spanish, american-indian-alaska-native, sign-language, other-languages; repeatable",
    ),
    Filter(
        "facility_type",
        "facility_type",
        "choice",
        N_("Facility type"),
        phrase=N_("({} only)"),
        help="facility (treatment facilities and programs) or practitioner (individual practitioners who "
        "prescribe buprenorphine); both when not given",
        choices=tuple(FACILITY_TYPES.items()),
    ),
    Filter(
        "available_now",
        "available_now",
        "choice",
        N_("Available now"),
        phrase=N_("({})"),
        in_filename=False,
        help="accepting (a current provider report says it accepts new patients) or beds (it reports open beds); "
        "a report is current for 14 days",
        choices=tuple(AVAILABLE_NOW.items()),
        live=True,
    ),
    Filter("city", "city", "city", N_("City"), phrase=N_("in {}"), help="city name (exact, case-insensitive)"),
    Filter(
        "county",
        "county",
        "county",
        N_("County"),
        phrase=N_("in {} county"),
        in_app=False,
        in_filename=False,
        help="county name",
    ),
    Filter("state", "state", "state", N_("State"), phrase=N_("in {}"), help="USPS code or name"),
    Filter(
        "name",
        "name",
        "name",
        N_("Facility name"),
        phrase=N_("named like {!r}"),
        in_filename=False,
        help="facility name (fuzzy)",
    ),
    Filter(
        "verified_since",
        "verified_since",
        "verified",
        N_("Verified since"),
        phrase=N_("verified by a maintainer since {}"),
        in_filename=False,
        help="only sites a maintainer verified (by phone, website, visit or the provider) on or after this year "
        "or date (YEAR or YYYY-MM-DD)",
    ),
    Filter(
        "listed_since",
        "listed_since",
        "since",
        N_("Listed since"),
        phrase=N_("listed since {}"),
        in_filename=False,
        help="only sites a source listed on or after this year or date (YEAR or YYYY-MM-DD; default 2021; "
        "'any' includes every listing, however old)",
        default=LISTED_SINCE,
    ),
)

GROUP_FILTERS: tuple[Filter, ...] = tuple(f for f in FILTERS if f.kind == "group")
TEXT_FILTERS: tuple[Filter, ...] = tuple(f for f in FILTERS if f.kind != "group")
APP_FILTERS: tuple[Filter, ...] = tuple(f for f in FILTERS if f.in_app)

_BY_FIELD = {f.field: f for f in FILTERS}
_BY_PARAM = {f.param: f for f in FILTERS}
assert set(f.kind for f in FILTERS) <= set(KINDS)
assert len(_BY_FIELD) == len(_BY_PARAM) == len(FILTERS), "filter fields and parameters are unique"


def by_field(name: str) -> Filter:
    """The filter of a :class:`~directory.search.Query` field (``KeyError`` when there is none)."""
    return _BY_FIELD[name]


def by_param(name: str) -> Filter:
    """The filter of a URL / API / CLI parameter (``KeyError`` when there is none)."""
    return _BY_PARAM[name]


#: Query fields that are not filters, and their parameter names in the API and URLs.
OTHER_PARAMS = {
    "near": "near",
    "radius_miles": "radius_miles",
    "nearest": "nearest",
    "nearest_within_miles": "nearest_within_miles",
    "match": "match",
    "sort": "sort",
    "limit": "page_size",
}


def chosen(values: dict[str, object]) -> dict[str, object]:
    """Filter values by Query field as a front end read them, without the unset ones whose filter has
    a default of its own (``listed_since`` absent means 2021, not "any date")."""
    return {k: v for k, v in values.items() if not (v is None and k in _BY_FIELD and _BY_FIELD[k].default is not None)}


def param_of(field: str) -> str:
    """The parameter a front end calls a Query field (``"medications"`` → ``"medication"``)."""
    found = _BY_FIELD.get(field)
    return found.param if found else OTHER_PARAMS.get(field, field)

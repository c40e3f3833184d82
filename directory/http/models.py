"""The locator API's response models and parameter types: what its OpenAPI document says it answers
and accepts (documentation and conformance; responses themselves are built from the library's dicts).
"""

from __future__ import annotations

import inspect
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query as Q
from pydantic import BaseModel, ConfigDict, Field, create_model

from ..core.facility import COLUMNS
from ..core.filters import FILTERS, MAX_TEXT
from ..core.filters import chosen as given

MAX_VALUES = 20


def _field(name: str, description: str) -> tuple[Any, Any]:
    if name in ("latitude", "longitude"):
        return (float | None, Field(description=description))
    return (str, Field(description=description))


Facility = create_model(  # type: ignore[call-overload]
    "Facility",
    __config__=ConfigDict(extra="allow"),
    **{name: _field(name, description) for name, description in COLUMNS.items()},
)
Facility.__doc__ = (
    "One facility: every column of data/facilities.csv (sources may add columns, "
    "e.g. license_number, license_expiration and capacity from the California licence list)."
)
SearchHit = create_model(  # type: ignore[call-overload]
    "SearchHit",
    __base__=Facility,
    distance_miles=(float | None, Field(None, description="great-circle miles from the searched place")),
    drive_minutes=(
        float | None,
        Field(None, description="minutes by road from the searched place (routing engine; no traffic), when measured"),
    ),
    road_miles=(float | None, Field(None, description="miles by road from the searched place, when measured")),
    route_status=(
        str | None,
        Field(
            None,
            description="routed; unreachable (no road route in the routing data); not_routed (farther than the "
            "nearest candidates by straight line). Present when the search measured drive times",
        ),
    ),
)
SearchHit.__doc__ = (
    "A facility in a search result, with its distance when the search had a place (and its drive time when a "
    "routing engine measured it)."
)


class BasisOut(BaseModel):
    """What the distances of a result are."""

    basis: str = Field(description="drive_time (a routing engine measured them) or straight_line")
    travel: str | None = Field(description="the routing profile (car, foot …) when drive_time")
    source: str | None = Field(description="who measured them, when drive_time")
    ordered_by: str = Field(description="drive_time, distance or name")
    unavailable: str | None = Field(description="why drive times are missing from a search that asked for them")
    sentence: str = Field(description="the same in words, as a page shows it")


class Alternative(BaseModel):
    label: str
    latitude: float
    longitude: float


class PlaceOut(BaseModel):
    """A resolved place."""

    query: str = Field(description="what was asked")
    label: str = Field(description="the place found, e.g. 'Washington, IN'")
    latitude: float
    longitude: float
    precision: str = Field(description="coordinates, address, zip, city or state")
    alternatives: list[Alternative] = Field(description="other places the text could mean")


class OlderOut(BaseModel):
    """Matches left out by ``listed_since``."""

    count: int = Field(description="matches no source has listed since listed_since (same area)")
    last_listed_years: list[int] | None = Field(description="first and last year those were last listed")
    note: str = Field(description="the same in a sentence ('' when none)")


class SearchOut(BaseModel):
    """A page of search results."""

    query: dict[str, Any] = Field(description="the search as understood (defaults filled in)")
    description: str = Field(description="the search in words, with the total")
    center: PlaceOut | None = Field(description="the resolved place, when the search had one")
    total: int = Field(description="results in the whole result set (all pages)")
    page: int
    page_size: int
    note: str = Field(description="set when nothing was within the radius and the nearest are shown")
    distance_basis: BasisOut | None = Field(description="what the distances are, when the search had a place")
    older: OlderOut
    results: list[SearchHit]  # type: ignore[valid-type]
    facets: dict[str, dict[str, int]] = Field(
        description="for each family (service, medication, accreditation, payment, population, state), "
        "how many of all results have each value"
    )


class ServiceOut(BaseModel):
    code: str
    label: str
    category: str
    category_code: str
    label_source: str


class GroupOut(BaseModel):
    family: str
    name: str
    label: str
    codes: list[str]


class ServicesOut(BaseModel):
    """The vocabulary: SAMHSA service codes and the friendly groups that filters accept."""

    services: list[ServiceOut]
    groups: list[GroupOut]


class ValueOut(BaseModel):
    text: str = Field(description="as a person reads it ('not listed in the sources' when no source gives it)")
    link: str | None = Field(description="tel:, the validated website, or directions; null when none")
    listed: bool = Field(description="false when the sources do not give it")


class RowOut(BaseModel):
    key: str
    label: str
    differs: bool = Field(description="the facilities do not all have the same value")
    listed_for_none: bool = Field(description="no source gives it for any of them")
    note: str = Field(description="how well the sources cover it, when they list it for none")
    values: list[ValueOut] = Field(description="one per facility, in the order asked")


class ShortlistOut(BaseModel):
    """A shortlist side by side: the facilities in the order given, with distances, and the rows."""

    center: PlaceOut | None
    facilities: list[SearchHit]  # type: ignore[valid-type]
    rows: list[RowOut]


class RoutingHealth(BaseModel):
    profile: str = Field(description="car, foot …")
    ok: bool
    detail: str = Field(description="how fast it answered, or why it did not")


class Health(BaseModel):
    status: str = Field(description="ok, or 'database unavailable' (with HTTP 503)")
    facilities: int
    detail: str | None = Field(None, description="why the database is unavailable")
    routing: list[RoutingHealth] | None = Field(
        None, description="the routing engine, when one is set up (drive times): a line per profile"
    )


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    suggestions: list[str] = []


class ErrorOut(BaseModel):
    detail: list[ErrorItem] | str


class Match(StrEnum):
    any = "any"
    all = "all"


class Sort(StrEnum):
    distance = "distance"
    name = "name"


class Order(StrEnum):
    """What "nearest" means: minutes by road (a routing engine) or straight-line miles."""

    drive_time = "drive_time"
    distance = "distance"


class ShortlistFormat(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


class Format(StrEnum):
    json = "json"
    geojson = "geojson"
    csv = "csv"


#: A repeatable filter parameter.
Many = list[Annotated[str, Field(max_length=60)]]


def _filter_params():
    """A FastAPI dependency with one query parameter per entry of the filter registry; it returns
    the chosen filters by Query field (repeatable ones as tuples)."""

    def chosen(**values: Any) -> dict[str, Any]:
        return given(
            {f.field: (tuple(values[f.param]) if f.repeatable else (values[f.param] or None)) for f in FILTERS}
        )

    parameters = []
    for f in FILTERS:
        if f.repeatable:
            annotation: Any = Annotated[
                Many,
                Q(max_length=MAX_VALUES, description=f.help, examples=[["detox"]] if f.field == "services" else None),
            ]
            default: Any = []
        else:
            limit = 40 if f.kind in ("state", "since", "verified") else MAX_TEXT
            example = {"state": ["FL"], "since": ["2021"], "verified": ["2026"]}.get(f.kind)
            annotation = Annotated[str | None, Q(max_length=limit, description=f.help, examples=example)]
            default = None
        parameters.append(
            inspect.Parameter(f.param, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
    chosen.__signature__ = inspect.Signature(parameters, return_annotation=dict)  # type: ignore[attr-defined]
    return chosen


# -- errors -------------------------------------------------------------------------------------

"""What the API's OpenAPI document says beyond what FastAPI derives from the endpoints' signatures.

FastAPI describes each query parameter on its own, so the document promised more than the API
accepts: ``near`` together with ``lat``/``lon`` (or ``lat`` without ``lon``) was schema-valid and
then refused, and any text was a schema-valid ``service``, ``state`` or ``listed_since``. Here the
document is made to tell the truth:

* ``near``, ``lat`` and ``lon`` become one exploded object parameter (``style: form``, the same query
  string) whose schema allows ``near`` alone or ``lat`` with ``lon``;
* a query parameter an endpoint does not declare is refused (:func:`query_names` reads the names from
  the document: the ``place`` object's ``additionalProperties: false`` is then true of the API);
* a group filter lists its values (the family's group names and every service code), ``state`` its
  codes and names, and ``listed_since`` the years, dates and words it takes (an empty value is the
  same as none, in each of them).

The API stays lenient where the document is strict (case, spaces and underscores in names are
ignored), and a place that cannot be found is a 404: a well-formed name that names nothing.

>>> from directory.core.taxonomy import Taxonomy
>>> names = filter_values(Taxonomy.load(), "payment")
>>> "medicaid" in names and "md" in names and "detox" not in names
True
>>> import re
>>> [bool(re.fullmatch(SINCE_PATTERN, v)) for v in ("2021", "2024-02-29", "2023-02-29", "any", "1989", "2021-6-1")]
[True, True, False, True, False, False]
>>> from directory.core.filters import parse_since
>>> parse_since("2023-02-29")
Traceback (most recent call last):
ValueError: listed_since must be a year (2021), a date (2021-06-01) or 'any', not '2023-02-29'

"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core.filters import FILTERS
from ..core.states import STATES
from ..core.taxonomy import Taxonomy

#: Years ``listed_since`` accepts (1990–2100), ISO dates in them (real calendar days), the words for
#: "any date" in any case, and nothing (the default).
_YEAR = r"(199\d|20\d\d|2100)"
_DAY = r"(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31"  # every year
_LEAP_DAY = r"(199[26]|20([02468][048]|[13579][26]))-02-29"
SINCE_PATTERN = rf"^(|{_YEAR}|{_YEAR}-({_DAY})|{_LEAP_DAY}|[Aa][Nn][Yy]|[Aa][Ll][Ll]|[Nn][Oo][Nn][Ee])$"
#: The parameters that say where a search is, and the rule that joins them.
PLACE_PARAMS = ("near", "lat", "lon")


def filter_values(taxonomy: Taxonomy, family: str) -> list[str]:
    """What a group filter of ``family`` accepts, in canonical form: its groups' names (the treatment
    type takes any group), then every service code."""
    groups = [g.name for g in taxonomy.groups.values() if family == "service" or g.family == family]
    return groups + sorted(taxonomy.services)


#: The search's drive-time parameters: declared only where a routing engine is set up.
ROUTING_PARAMS = ("max_minutes", "order", "travel")
NO_ROUTING = "drive times need a routing engine, and none is set up here (DIRECTORY_ROUTING)"


def truthful(document: dict[str, Any], taxonomy: Taxonomy, profiles: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Rewrite FastAPI's ``document`` in place as the module docstring says; returns it. ``profiles``: the
    routing engine's profiles (``travel``'s values); None, no engine: the drive-time parameters are not
    declared (a request naming one is refused, saying why)."""
    search = document["paths"]["/v1/facilities"]["get"]
    _join_place(search)
    if profiles is None:
        search["parameters"] = [p for p in search["parameters"] if p["name"] not in ROUTING_PARAMS]
    by_name = {p["name"]: p for p in search["parameters"]}
    if profiles is not None:
        by_name["travel"]["schema"] = {**by_name["travel"]["schema"], "enum": list(profiles)}
        by_name["travel"]["schema"].pop("pattern", None)
    for f in FILTERS:
        parameter = by_name[f.param]
        if f.kind == "group":
            parameter["schema"]["items"]["enum"] = ["", *filter_values(taxonomy, f.family)]
        elif f.kind == "state":
            _text_branch(parameter)["enum"] = ["", *sorted(STATES), *sorted(STATES.values())]
        elif f.kind in ("since", "verified"):
            _text_branch(parameter)["pattern"] = SINCE_PATTERN
        elif f.kind == "choice":
            _text_branch(parameter)["enum"] = ["", *(value for value, _ in f.choices)]
    return document


def _text_branch(parameter: dict[str, Any]) -> dict[str, Any]:
    """The string schema of an optional text parameter (FastAPI writes ``anyOf: [string, null]``)."""
    schema = parameter["schema"]
    return next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "string")


def _join_place(operation: dict[str, Any]) -> None:
    """``near``, ``lat`` and ``lon`` as one exploded object parameter: near alone, or lat with lon."""
    parameters = operation["parameters"]
    found = {p["name"]: p for p in parameters if p["name"] in PLACE_PARAMS}
    properties = {}
    for name in PLACE_PARAMS:
        schema = dict(_text_branch(found[name])) if name == "near" else _number_branch(found[name])
        properties[name] = {**schema, "description": found[name]["description"]}
    place = {
        "name": "place",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "example": {"near": "Tampa, FL"},
        "description": 'Where to search: `near` (a ZIP, "City, ST", an address or "lat, lon"), or `lat` '
        "and `lon` together — one way, not both. Without a place, the whole directory is searched. A place "
        "that cannot be found is a 404 naming `near` (with suggestions).",
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
            "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
            "not": {"required": ["near", "lat"]},
        },
    }
    first = parameters.index(found["near"])
    parameters[:] = [p for p in parameters if p["name"] not in PLACE_PARAMS]
    parameters.insert(first, place)


def _number_branch(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = parameter["schema"]
    return dict(next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "number"))


def query_names(document: dict[str, Any]) -> dict[str, frozenset[str]]:
    """The query parameters each path takes (its GET's, or its only operation's), as ``document`` declares
    them: a parameter's name, or the properties of an exploded object parameter (``lat`` and ``lon``),
    which are sent as names of their own."""
    shared = document.get("components", {}).get("parameters", {})
    names: dict[str, frozenset[str]] = {}
    for path, operations in document["paths"].items():
        found: set[str] = set()
        operation = operations.get("get") or next(iter(operations.values()), {})
        for parameter in operation.get("parameters", []):
            if "$ref" in parameter:
                parameter = shared[parameter["$ref"].rsplit("/", 1)[-1]]
            if parameter["in"] != "query":
                continue
            schema = parameter.get("schema", {})
            if schema.get("type") == "object" and parameter.get("explode", True):
                found.update(schema["properties"])
            else:
                found.add(parameter["name"])
        names[path] = frozenset(found)
    return names


def undeclared(declared: dict[str, frozenset[str]], path: str, given: Iterable[str]) -> tuple[str, str] | None:
    """The first of the query parameters ``given`` that ``path`` (a path of the document ``declared``
    was read from, :func:`query_names`) does not declare, and a sentence saying so; None when all are
    declared, or when the document does not describe ``path`` (its own URL, the docs pages)."""
    known = declared.get(path)
    if known is None:
        return None
    for name in given:
        if name not in known:
            if name in ROUTING_PARAMS and path == "/v1/facilities":
                return name, NO_ROUTING
            takes = ", ".join(sorted(known)) or "no parameters"
            return name[:40], f"unknown parameter {name[:40]!r}; {path} takes {takes}"
    return None

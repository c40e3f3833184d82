"""The HSDA 3.0 API over HTTP: a FastAPI application ``directory serve`` mounts at ``/hsda``.

Its OpenAPI document is the spec's own (:func:`directory.hsds.hsda.openapi_document`: this server's title,
version and base URL, the spec's slips corrected and said so), served at ``/hsda/openapi.json``, which
``GET /hsda/`` names. Parameters are read as that document says, strictly: a value it does not allow
is a 422 naming the parameter; an id (or a postcode) that names nothing is a 404. Lists are paged as
the spec's ``Page``; ``format=ndjson`` streams every result, unpaged, a few hundred sites at a time.
The bodies come from :mod:`directory.hsds.hsda` and the store's :meth:`select`, the same for every store.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core import keys
from ..hsds import hsda
from ..hsds import mapping as hsds
from ..search.selection import Selection
from ..stores.base import Store
from .openapi import query_names, undeclared

NDJSON = "application/x-ndjson"
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")  # 25.0 is an integer (JSON Schema)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_ZIP = re.compile(r"^\d{5}$")


class Problem(Exception):
    """A parameter (422) or an id (404) the API cannot use."""

    def __init__(self, status: int, where: str, name: str, message: str, kind: str) -> None:
        super().__init__(message)
        self.status, self.where, self.name, self.message, self.kind = status, where, name, message, kind


def bad(name: str, message: str) -> Problem:
    return Problem(422, "query", name, message, "value_error")


def missing(what: str, value: str, where: str = "path", name: str = "id") -> Problem:
    return Problem(404, where, name, f"no {what} {value!r} here", "not_found")


class Params:
    """A request's query parameters, read as the served document declares them."""

    def __init__(self, request: Request) -> None:
        self.query = request.query_params

    def text(self, name: str) -> str | None:
        """The parameter's value; None when it is not given, or given empty (``format=``): the spec's own
        document allows an empty value for its strings, and an empty value asks for nothing."""
        values = [v for v in self.query.getlist(name) if v != ""]
        if len(values) > 1:  # no parameter of the spec is a list: two values are a mistake, not a choice
            raise bad(name, f"give {name} once, not {len(values)} times")
        return values[0] if values else None

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        """An integer held to ``low``–``high``: the spec's document allows any integer for a page or its
        size, so a page below 1 is the first and a size beyond the largest is the largest (the answer's
        ``page_number`` and ``size`` say what was given)."""
        raw = self.text(name)
        if raw is None:
            return default
        if not _INTEGER.match(raw.strip()):
            raise bad(name, f"{name} must be an integer, not {raw[:40]!r}")
        value = int(float(raw)) if "." in raw else int(raw)
        return max(low, value if high is None else min(high, value))

    def number(self, name: str, low: float | None = None, high: float | None = None) -> float | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not _NUMBER.match(raw.strip()):
            raise bad(name, f"{name} must be a number, not {raw[:40]!r}")
        value = float(raw)
        if (low is not None and value < low) or (high is not None and value > high):
            raise bad(name, f"{name} must be between {low} and {high}, not {raw[:40]}")
        return value

    def boolean(self, name: str) -> bool:
        raw = self.text(name)
        if raw is None:
            return False
        if raw not in ("true", "false"):
            raise bad(name, f"{name} must be true or false, not {raw[:40]!r}")
        return raw == "true"

    def date_time(self, name: str) -> dt.datetime | None:
        raw = self.text(name)
        if raw is None:
            return None
        found = _DATE_TIME.match(raw)
        if not found:
            raise bad(name, f"{name} must be a date-time such as 2026-01-01T00:00:00Z, not {raw[:40]!r}")
        text = raw[:17] + min(found[6], "59") + raw[19:]  # a leap second counts as its minute's last
        try:
            return dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
        except ValueError:
            raise bad(name, f"{name} is not a real date and time: {raw[:40]!r}") from None

    def format(self) -> str:
        value = self.text("format")
        if value is None:
            return "json"
        if value not in ("json", "ndjson"):
            raise bad("format", f"format must be json or ndjson, not {value[:40]!r}")
        return value

    def paging(self) -> tuple[int, int]:
        return self.integer("page", 1, 1), self.integer("per_page", hsda.DEFAULT_PER_PAGE, 1, hsda.MAX_PER_PAGE)

    def words(self) -> tuple[str, ...]:
        """``search`` as the words a record's text must hold."""
        return keys.search_words(self.text("search") or "")


def http_problem(exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's own answers (a path no route matches) in this API's error body."""
    kind = "not_found" if exc.status_code == 404 else "http_error"
    item = {"loc": ["path"], "msg": str(exc.detail), "type": kind}
    return JSONResponse({"detail": [item]}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


def create_hsda_app(store: Store) -> FastAPI:
    """The HSDA application over ``store`` (mount it at ``/hsda``)."""
    declared = query_names(hsda.openapi_document(""))

    async def only_declared(request: Request) -> None:
        """A query parameter the served document does not declare for this path is refused: a misspelt
        filter (``taxonomy_term=``) would otherwise be ignored and the answer hold more than was asked."""
        found = undeclared(declared, getattr(request.scope.get("route"), "path", ""), request.query_params)
        if found:
            raise bad(*found)

    app = FastAPI(
        openapi_url=None, docs_url=None, redoc_url=None, title="HSDA 3.0", dependencies=[Depends(only_declared)]
    )
    taxonomy = store.taxonomy

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        item = {"loc": [exc.where, exc.name], "msg": exc.message, "type": exc.kind}
        return JSONResponse({"detail": [item]}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_problem(exc)

    def base(request: Request) -> str:
        """This API's base URL as the client called it (``http://host/hsda``)."""
        return str(request.url_for("root")).rstrip("/")

    def listing(params: Params, selection: Selection, one: Callable[..., dict]) -> Response:
        """A page of the sites ``selection`` asks for (or all of them, as ndjson), each made by ``one``."""
        fmt = params.format()
        number, per_page = params.paging()
        if fmt == "ndjson":
            ids, _metres = store.select(selection)
            return StreamingResponse(_stream(ids, one), media_type=NDJSON)
        ids, total = store.select_page(selection, (number - 1) * per_page, per_page)
        contents = [one(f) for f in store.facilities(ids)]
        return JSONResponse(hsda.page(total, number, per_page, contents))

    def _stream(ids: list[str], one: Callable[..., dict]) -> Iterator[bytes]:
        for start in range(0, len(ids), hsda.STREAM_CHUNK):
            chunk = store.facilities(ids[start : start + hsda.STREAM_CHUNK])
            yield "".join(json.dumps(one(f), ensure_ascii=False) + "\n" for f in chunk).encode("utf-8")

    def filters(params: Params) -> Selection:
        return hsda.selection_of(
            taxonomy,
            store.codes_in_use(),
            search=params.text("search"),
            taxonomy_term_id=params.text("taxonomy_term_id"),
            taxonomy_id=params.text("taxonomy_id"),
            organization_id=params.text("organization_id"),
            modified_after=params.date_time("modified_after"),
        )

    def site(kind: str, value: str):
        found = hsds.parse_id(value)
        record = store.facility(found[1]) if found and found[0] == kind else None
        if record is None:
            raise missing(kind.replace("_", " "), value)
        return record

    @app.get("/")
    async def root(request: Request) -> dict[str, str]:
        return {
            "version": hsda.VERSION,
            "profile": f"{base(request)}/profile",
            "openapi_url": f"{base(request)}/openapi.json",
        }

    @app.get("/openapi.json")
    async def openapi(request: Request) -> dict:
        return hsda.openapi_document(base(request))

    @app.get("/profile")
    async def profile() -> dict[str, Any]:
        return {
            "name": "treatment-directory",
            "description": "US substance-use treatment facilities: one organization, service, location and "
            "service_at_location per site; SAMHSA's service codes as the taxonomy (never the licensed AIRS "
            "taxonomy); status 'defunct' for a site a maintainer verified closed; assured_date the newest "
            "verification or listing; metadata says when each source listed the site.",
            "taxonomy": hsds.TAXONOMY_NAME,
            "extensions": [d for d in hsda.DELTAS if d.startswith("extension")],
        }

    @app.get("/services")
    def services(request: Request) -> Response:
        params = Params(request)
        minimal, full = params.boolean("minimal"), params.boolean("full")
        return listing(
            params, filters(params), lambda f: hsda.service(f, taxonomy, full=full and not minimal, minimal=minimal)
        )

    @app.get("/services/{id}")
    def service_by_id(id: str) -> dict:
        found = site("service", id)
        report = store.availability([found.facility_id]).get(found.facility_id)
        return hsda.service(found, taxonomy, availability=report)

    @app.get("/organizations")
    def organizations(request: Request) -> Response:
        params = Params(request)
        full, full_service = params.boolean("full"), params.boolean("full_service")
        return listing(
            params,
            Selection(words=params.words()),
            lambda f: hsda.organization(f, taxonomy, full=full, full_service=full_service),
        )

    @app.get("/organizations/{id}")
    def organization_by_id(request: Request, id: str) -> dict:
        full_service = Params(request).boolean("full_service")
        return hsda.organization(site("organization", id), taxonomy, full_service=full_service)

    @app.get("/service_at_locations")
    def service_at_locations(request: Request) -> Response:
        params = Params(request)
        full = params.boolean("full")
        selection = filters(params)
        postcode, proximity = params.text("postcode"), params.number("proximity", 0)
        lat, lon = params.number("lat", -90, 90), params.number("lon", -180, 180)
        if (lat is None) != (lon is None):
            raise bad("lat" if lat is None else "lon", "give lat and lon together")
        near = (lat, lon) if lat is not None and lon is not None else None
        if postcode is not None:
            if not _ZIP.match(postcode) or (point := _zip_point(postcode)) is None:
                raise missing("ZIP code", postcode, "query", "postcode")
            if proximity is not None and near is None:
                near = point
            elif near is None:
                selection = replace(selection, zip_code=postcode)
        if near is not None:
            selection = replace(selection, near=near, metres=proximity)
        return listing(params, selection, lambda f: hsda.service_at_location(f, taxonomy, full=full))

    @app.get("/service_at_locations/{id}")
    def service_at_location_by_id(id: str) -> dict:
        return hsda.service_at_location(site("service_at_location", id), taxonomy)

    @app.get("/taxonomies")
    def taxonomies(request: Request) -> Response:
        params = Params(request)
        words = params.words()
        found = [t for t in [hsda.taxonomy()] if _has(words, t["name"], t["description"])]
        return _plain(found, params)

    @app.get("/taxonomies/{id}")
    def taxonomy_by_id(id: str) -> dict:
        found = hsda.taxonomy()
        if id.lower() != found["id"]:
            raise missing("taxonomy", id)
        return found

    @app.get("/taxonomy_terms")
    def taxonomy_terms(request: Request) -> Response:
        params = Params(request)
        words = params.words()
        params.boolean("top_only")  # every term is a top term: none has a parent
        parent, of = params.text("parent_id"), params.text("taxonomy_id")
        terms = [hsda.taxonomy_term(code, taxonomy) for code in sorted(store.codes_in_use()) if taxonomy.is_known(code)]
        found = [
            t
            for t in terms
            if _has(words, t["code"], t["name"], t["description"])
            and parent is None
            and (of is None or of.lower() == t["taxonomy_id"])
        ]
        return _plain(found, params)

    @app.get("/taxonomy_terms/{id}")
    def taxonomy_term_by_id(id: str) -> dict:
        code = hsda.term_code(id, taxonomy)
        if code is None or code not in store.codes_in_use():
            raise missing("taxonomy term", id)
        return hsda.taxonomy_term(code, taxonomy)

    return app


def _has(words: tuple[str, ...], *texts: str) -> bool:
    text = " ".join(keys.search_words(" ".join(texts)))
    return all(w in text for w in words)


def _plain(items: list[dict], params: Params) -> Response:
    """A list the API holds in memory (taxonomies, terms), paged or as ndjson."""
    fmt = params.format()
    number, per_page = params.paging()
    if fmt == "ndjson":
        body = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
        return Response(body, media_type=NDJSON)
    return JSONResponse(hsda.page(len(items), number, per_page, hsda.window(items, number, per_page)))


def _zip_point(postcode: str) -> tuple[float, float] | None:
    """The ZIP code's point (the Census's ZCTA point, as the offline geocoder has it)."""
    from ..geocode.offline import zip_point

    return zip_point(postcode)

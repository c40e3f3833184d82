"""The geosearch HTTP API (FastAPI): locator-style JSON, GeoJSON and CSV, with OpenAPI.

``directory serve`` runs it with uvicorn. The directory is loaded once when the app is
created; the service is read-only and keeps no state between requests, so it scales out
as replicas behind a load balancer.

Language: ``lang`` (``en``, ``es``; else the request's ``Accept-Language``) sets the language of the
human-readable text — ``description``, ``note``, labels, the comparison's words — never of codes or
field names; the response says which in ``Content-Language``.

Errors: a value the library rejects (unknown service, radius out of range, a place that
cannot be found) is a 422 whose ``detail`` names the parameter and says what is wrong,
with suggestions; an unknown facility id is a 404; anything unexpected is a 500 with one
line — never a stack trace.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi import Query as Q
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core import paths
from ..core.crisis import HELPLINE_NAME, HELPLINE_NUMBER
from ..core.errors import DatabaseUnavailable, DirectoryError, LocationNotFound, NotAllowed, ReportRejected
from ..core.filters import FILTERS, MAX_TEXT
from ..exports import tabular as exports
from ..exports.public import PublicRecords
from ..live.submit import submit
from ..search import Query
from ..search.query import MAX_MINUTES, MAX_NEAREST_WITHIN_MILES, MAX_RADIUS_MILES, NEAREST_WITHIN_MILES
from ..stores.base import Store, live_version, open_live, open_store
from ..stores.memory import Directory
from ..stores.tag import StateTag
from ..view.compare import MAX_SHORTLIST, UnknownFacilities, compare
from ..view.downloads import attribution
from ..view.handover import sheet_html
from ..view.shortlist import shortlist_frame
from .apidocs import add_offline_docs
from .caching import HttpCache, cors_from_environment
from .errors import ParameterError, _error, _translate, validation_response
from .language import Language, language, only_declared
from .models import (
    ErrorOut,
    Facility,
    Format,
    Health,
    Match,
    Order,
    PlaceOut,
    SearchOut,
    ServicesOut,
    ShortlistFormat,
    ShortlistOut,
    Sort,
    _filter_params,
)
from .openapi import truthful

log = logging.getLogger("directory.http.api")

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


# -- the app ------------------------------------------------------------------------------------


def create_app(
    store: Store | None = None,
    *,
    data: str | Path | None = None,
    cors_origins: list[str] | None = None,
    warm: bool = False,
) -> FastAPI:
    """The API over ``directory`` (default: load ``data`` or the shipped facilities file once).
    ``cors_origins``: who may read from another origin's page (default :func:`cors_from_environment`:
    anyone, ``*``); an origin named here may also send the provider's write. ``warm``: serialise every
    facility's JSON now rather than on first use (what a server does; a test need not)."""
    store = store or open_store(data or paths.facilities_file())
    if cors_origins is None:
        cors_origins = cors_from_environment()
    app = FastAPI(
        title="Treatment facility directory API",
        version="1",
        description=(
            "Geosearch over US substance-use treatment facilities (SAMHSA sources). Search by place and "
            "radius or nearest, filter by treatment type, medication, accreditation, payment and population; "
            "JSON, GeoJSON or Excel-safe CSV. Read-only. Crisis help: call or text 988; "
            f"{HELPLINE_NAME} {HELPLINE_NUMBER} (free, confidential, 24/7); if someone may be overdosing, call 911."
        ),
        docs_url=None,
        redoc_url=None,  # served offline below, with a CSP
        dependencies=[Depends(language), Depends(only_declared)],
    )
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document, made to say what the API accepts (:mod:`directory.http.openapi`)."""
        if app.openapi_schema is None:
            router = getattr(store, "router", None)
            app.openapi_schema = truthful(plain_openapi(), store.taxonomy, router.profiles if router else None)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    add_offline_docs(app)
    from .hsda import create_hsda_app, http_problem

    # Open Referral HSDA 3.0 over the same store, with its own document (/hsda/openapi.json).
    app.mount("/hsda", create_hsda_app(store))
    app.state.store = store
    kept = PublicRecords()  # each facility's JSON, serialised once per load and corrections version
    if warm and isinstance(store, Directory):
        kept.warm(store.frame, live_version(store)[1])
    # ETag/304, Cache-Control, gzip/brotli, CORS and the security headers (directory.http.caching); outermost
    # the language, which the ETag depends on.
    app.add_middleware(HttpCache, state=StateTag(store), origins=cors_origins)
    app.add_middleware(Language)

    @app.exception_handler(ParameterError)
    async def _parameter_error(request: Request, exc: ParameterError) -> JSONResponse:
        return _error(
            exc.status, exc.param, exc.message, exc.suggestions, "not_found" if exc.status == 404 else "value_error"
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        """A path no route matches. Under /hsda (an id with a line break slips past the mount) the answer
        keeps HSDA's error body; elsewhere FastAPI's own."""
        if request.url.path == "/hsda" or request.url.path.startswith("/hsda/"):
            return http_problem(exc)
        return await http_exception_handler(request, exc)

    @app.exception_handler(DatabaseUnavailable)
    async def _database_down(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"detail": "internal error; the request was logged"}, status_code=500)

    @app.get(
        "/v1/facilities",
        response_model=SearchOut,
        tags=["facilities"],
        summary="Search facilities",
        responses={
            200: {
                "content": {"application/geo+json": {}, "text/csv": {}},
                "description": "JSON (default), GeoJSON or CSV",
            },
            404: {"model": ErrorOut, "description": "no place found for `near`, with suggestions"},
            422: {"model": ErrorOut, "description": "a parameter is invalid, or not one the endpoint takes"},
        },
    )
    async def search(
        near: Annotated[
            str | None,
            Q(max_length=MAX_TEXT, description='ZIP, "City, ST", address or "lat, lon"', examples=["Tampa, FL"]),
        ] = None,
        lat: Annotated[float | None, Q(ge=-90, le=90, description="latitude (with lon), instead of near")] = None,
        lon: Annotated[float | None, Q(ge=-180, le=180, description="longitude (with lat)")] = None,
        radius_miles: Annotated[float, Q(gt=0, le=MAX_RADIUS_MILES, description="search radius in miles")] = 25.0,
        nearest: Annotated[int | None, Q(ge=1, le=1000, description="the K nearest instead of a radius")] = None,
        nearest_within_miles: Annotated[
            float,
            Q(
                gt=0,
                le=MAX_NEAREST_WITHIN_MILES,
                description=(
                    "nearest results (asked for with `nearest`, or returned when nothing is inside the radius) are at "
                    "most this many miles away"
                ),
            ),
        ] = NEAREST_WITHIN_MILES,
        match: Annotated[Match, Q(description="services: any or all of them")] = Match.any,
        filters: Annotated[dict, Depends(_filter_params())] = None,  # type: ignore[assignment]
        sort: Annotated[Sort, Q(description="distance (when there is a place) or name")] = Sort.distance,
        max_minutes: Annotated[
            float | None,
            Q(
                gt=0,
                le=MAX_MINUTES,
                description="only facilities within this many minutes by road (needs a routing engine: "
                "DIRECTORY_ROUTING); instead of radius_miles",
            ),
        ] = None,
        order: Annotated[
            Order | None,
            Q(
                description="what nearest means: drive_time (minutes by road; the default when a routing engine is "
                "set up) or distance (straight-line miles)"
            ),
        ] = None,
        travel: Annotated[
            str,
            Q(
                max_length=20,
                pattern=r"^[a-z_]+$",
                description="the routing profile: car (default), or foot when the server has one",
            ),
        ] = "car",
        page: Annotated[int, Q(ge=1, le=100_000, description="page number, from 1")] = 1,
        page_size: Annotated[int, Q(ge=1, le=MAX_PAGE_SIZE, description="results per page")] = DEFAULT_PAGE_SIZE,
        format: Annotated[Format, Q(description="json, geojson or csv (Excel-safe)")] = Format.json,
    ) -> Any:
        """Facilities near a place (or anywhere) matching the filters, nearest first, one page at a time.
        Values within a filter are OR-ed (services: `match`); different filters are AND-ed. With a place
        and nothing inside the radius, the 10 nearest matching facilities are returned with a `note`."""
        if (lat is None) != (lon is None):
            raise ParameterError("lat" if lat is None else "lon", "give both lat and lon")
        if lat is not None and near is not None:
            raise ParameterError("near", "give near or lat and lon, not both")
        where: str | tuple[float, float] | None = (
            (lat, lon) if lat is not None else (near.strip() or None if near else None)
        )
        kept.refresh(live_version(store)[1])  # before the search applies a new correction: never older
        try:
            query = Query(
                near=where,
                radius_miles=radius_miles,
                nearest=nearest,
                nearest_within_miles=nearest_within_miles,
                match=match.value,
                sort=sort.value,
                max_minutes=max_minutes,
                order=order.value if order is not None else None,
                travel=travel,
                limit=page * page_size,
                **filters,
            )
            result = store.search(query)
        except DatabaseUnavailable:
            raise
        except DirectoryError as exc:
            raise _translate(exc) from None
        echo: dict[str, Any] = {
            "near": near,
            "lat": lat,
            "lon": lon,
            "radius_miles": radius_miles,
            "nearest": nearest,
            "nearest_within_miles": nearest_within_miles,
            "max_minutes": max_minutes,
            "order": order.value if order is not None else None,
            "travel": travel if travel != "car" else None,
        }
        for f in FILTERS:
            value = filters.get(f.field)
            echo[f.param] = list(value) if f.repeatable else value
            if f.field == "services":
                echo["match"] = match.value
        echo["listed_since"] = query.listed_since.isoformat() if query.listed_since else "any"
        echo = {k: v for k, v in {**echo, "sort": sort.value}.items() if v not in (None, [], "")}
        headers = {"X-Total-Count": str(result.total)}
        if result.routing_note:  # the routing engine failed: a straight-line answer no cache may keep
            headers["Cache-Control"] = "no-store"
        if format is Format.json:
            # the provider's word, with its time (live: no rebuild)
            reports = store.availability(result.ids[(page - 1) * page_size : page * page_size])
            public = {fid: report.public() for fid, report in reports.items()}
            body = kept.search_body(result, public, page=page, page_size=page_size, query=echo)
            return Response(body, media_type="application/json", headers=headers)
        rows = result.frame.iloc[(page - 1) * page_size : page * page_size]
        if format is Format.geojson:
            return Response(
                exports.geojson_text(rows, area=result.area), media_type="application/geo+json", headers=headers
            )
        name_ = exports.result_filename(result, "csv")
        return Response(
            exports.to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={**headers, "Content-Disposition": f'attachment; filename="{name_}"'},
        )

    @app.get(
        "/v1/facilities/{facility_id}",
        response_model=Facility,
        tags=["facilities"],
        summary="One facility",
        responses={404: {"model": ErrorOut, "description": "no such facility"}},
    )
    async def facility(facility_id: Annotated[str, PathParam(max_length=40, examples=["f3a1d13806edf"])]) -> Any:
        """A facility by its stable id (as returned by a search)."""
        kept.refresh(live_version(store)[1])
        found = None  # read only when its JSON is not kept yet
        if facility_id not in kept and (found := store.facility(facility_id)) is None:
            return _error(404, "facility_id", f"no facility with id {facility_id!r}", kind="not_found")
        report = store.availability([facility_id]).get(facility_id)
        body = kept.facility_body(facility_id, found, report.public() if report else None)
        return Response(body, media_type="application/json")

    reports_log, links = open_live(store)

    @app.put(
        "/v1/facilities/{facility_id}/availability",
        tags=["providers"],
        summary="A provider reports its site's availability",
        responses={
            401: {"model": ErrorOut, "description": "a missing, unknown, revoked or expired provider key"},
            403: {"model": ErrorOut, "description": "a key of another site"},
            404: {"model": ErrorOut, "description": "no such facility"},
            422: {"model": ErrorOut, "description": "a field is missing, unknown or out of range"},
            429: {"model": ErrorOut, "description": "over 30 updates an hour from one key (see Retry-After)"},
        },
    )
    async def report_availability(
        facility_id: Annotated[str, PathParam(max_length=40, examples=["f3a1d13806edf"])], request: Request
    ) -> Any:
        """The only write of this API: a provider's report for its own site, sent with the key of its
        private link (``Authorization: Bearer …``). The body: ``accepting_new_patients`` (yes, waitlist,
        no, assessment), ``wait_days``, ``beds`` (a list of ``{level, available, maximum}``; levels detox,
        residential, inpatient), ``same_day_intake``, ``intake_hours``, ``same_day_buprenorphine``,
        ``note`` (text, at most 280 characters). Answers the stored report; a refused one writes nothing."""
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        no_store = {"Cache-Control": "no-store"}
        try:
            key = secret if scheme.lower() == "bearer" else ""
            links.check(key, facility_id)  # a key comes before the question whether the site exists
            if store.facility(facility_id) is None:
                return _error(404, "facility_id", f"no facility with id {facility_id!r}", kind="not_found")
            try:
                body = json.loads(await request.body() or b"null")
            except ValueError:
                raise ReportRejected("the body is not JSON", "body") from None
            report = submit(reports_log, links, key, facility_id, body)
        except NotAllowed as exc:
            headers = {**no_store, **({"Retry-After": str(exc.retry_after)} if exc.retry_after else {})}
            if exc.status == 401:
                headers["WWW-Authenticate"] = "Bearer"
            response = _error(exc.status, "authorization", str(exc), kind="not_allowed")
            response.headers.update(headers)
            return response
        except ReportRejected as exc:
            response = _error(422, exc.field or "body", str(exc))
            response.headers.update(no_store)
            return response
        return JSONResponse(report.public(), headers=no_store)

    @app.get("/v1/services", response_model=ServicesOut, tags=["vocabulary"], summary="Service codes and groups")
    async def services() -> Any:
        """Every SAMHSA service code with its label and category, and the friendly groups filters accept."""
        taxonomy = store.taxonomy
        return {
            "services": [
                {
                    "code": s.code,
                    "label": s.label,
                    "category": s.category,
                    "category_code": s.category_code,
                    "label_source": s.label_source,
                }
                for s in taxonomy.services.values()
            ],
            "groups": [
                {"family": g.family, "name": g.name, "label": g.label, "codes": sorted(g.codes)}
                for g in taxonomy.groups.values()
            ],
        }

    @app.get(
        "/v1/locate",
        response_model=PlaceOut,
        tags=["places"],
        summary="Resolve a place",
        responses={404: {"model": ErrorOut, "description": "no place found for `q`, with suggestions"}},
    )
    async def locate(
        q: Annotated[
            str,
            Q(
                min_length=1,
                max_length=MAX_TEXT,
                description='ZIP, "City, ST", address or "lat, lon"',
                examples=["Washington, IN"],
            ),
        ],
    ) -> Any:
        """Where a search for `q` would be centred, with precision and the other places it could mean."""
        try:
            place = store.resolve(q)
        except DatabaseUnavailable:
            raise
        except DirectoryError as exc:
            raise _translate(exc, "q") from None
        return place.to_dict()

    @app.get(
        "/v1/shortlist",
        response_model=ShortlistOut,
        tags=["facilities"],
        summary="A shortlist side by side",
        responses={
            200: {"content": {"text/csv": {}, "text/html": {}}, "description": "JSON (default), CSV or the HTML sheet"},
            404: {"model": ErrorOut, "description": "ids that are not in the directory, named"},
            422: {"model": ErrorOut, "description": "a parameter is invalid, or not one the endpoint takes"},
        },
    )
    async def shortlist(
        id: Annotated[
            list[Annotated[str, Field(max_length=40)]],
            Q(
                min_length=1,
                max_length=MAX_SHORTLIST,
                description="facility ids, in the order to show them",
                examples=[["f3a1d13806edf"]],
            ),
        ],
        near: Annotated[
            str | None, Q(max_length=MAX_TEXT, description="a place: each facility's distance from it")
        ] = None,
        format: Annotated[ShortlistFormat, Q(description="json, csv (Excel-safe) or html (the summary sheet)")] = (
            ShortlistFormat.json
        ),
    ) -> Any:
        """Two to ten facilities compared on what decides (phone and intake, address, hours, new patients,
        treatment, medications, payment, accreditation, populations, languages, accessibility, how
        current): the same comparison as the app's and `directory compare`."""
        try:
            comparison = compare(store, id, near=near.strip() if near and near.strip() else None)
        except UnknownFacilities as exc:
            return JSONResponse(
                {
                    "detail": [
                        {
                            "loc": ["query", "id"],
                            "msg": str(exc),
                            "type": "not_found",
                            "suggestions": [],
                            "ids": exc.ids,
                        }
                    ]
                },
                status_code=404,
            )
        except DatabaseUnavailable:
            raise
        except DirectoryError as exc:
            raise _translate(exc, "near" if isinstance(exc, LocationNotFound) else "id") from None
        if format is ShortlistFormat.csv:
            return Response(
                exports.to_csv(shortlist_frame(comparison)),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="shortlist.csv"'},
            )
        if format is ShortlistFormat.html:
            return HTMLResponse(sheet_html(comparison, "summary", attribution=attribution()))
        return JSONResponse(comparison.to_json())

    @app.get(
        "/healthz",
        response_model=Health,
        response_model_exclude_none=True,
        tags=["service"],
        summary="Liveness and readiness",
        responses={503: {"model": Health, "description": "the database is unreachable"}},
    )
    async def healthz() -> Any:
        router = getattr(store, "router", None)
        routing = None
        if router is not None:  # a line per profile; a routing engine down leaves searches in straight-line miles
            checked = await run_in_threadpool(router.check)
            routing = [{"profile": p, "ok": ok, "detail": line} for p, ok, line in checked]
        try:
            return {"status": "ok", "facilities": store.count(), "routing": routing}
        except DatabaseUnavailable as exc:
            return JSONResponse(
                {"status": "database unavailable", "facilities": 0, "detail": str(exc)}, status_code=503
            )

    return app


def app_from_environment() -> FastAPI:
    """The app for ``uvicorn --factory``: data from ``$DIRECTORY_FACILITIES``, CORS from
    ``$DIRECTORY_API_CORS_ORIGINS``."""
    return create_app(warm=True)

"""The language of a request (``lang``, else ``Accept-Language``), and the refusal of a query
parameter an endpoint does not declare.
"""

from __future__ import annotations

import urllib.parse
from enum import StrEnum
from typing import Annotated

from fastapi import Query as Q
from fastapi import Request
from starlette.datastructures import MutableHeaders

from ..core import i18n
from .errors import ParameterError
from .openapi import query_names, undeclared

Lang = StrEnum("Lang", {code: code for code in i18n.LANGUAGES})


async def language(
    lang: Annotated[
        Lang | None,
        Q(description="Language of the human-readable text (description, notes, labels); default: Accept-Language"),
    ] = None,
) -> None:
    """Declares and validates ``lang`` on every endpoint; :class:`Language` applies it."""


async def only_declared(request: Request) -> None:
    """A query parameter the endpoint does not declare is refused (422 naming it): a misspelt filter
    (``servce=detox``) would otherwise be ignored and the answer hold more than was asked. The document
    says so: its ``place`` object allows no other property."""
    declared = getattr(request.app.state, "declared_query", None)
    if declared is None:
        declared = request.app.state.declared_query = query_names(request.app.openapi())
    found = undeclared(declared, getattr(request.scope.get("route"), "path", ""), request.query_params)
    if found:
        raise ParameterError(*found)


class Language:
    """ASGI middleware: everything a request makes is in its language — ``lang``, else the best of its
    ``Accept-Language`` — set for that request only (a context variable: requests served at once never
    mix); the response says which in ``Content-Language``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        wanted = (query.get("lang") or [""])[-1]
        accept = dict(scope.get("headers") or []).get(b"accept-language", b"").decode("latin-1")
        chosen = wanted if wanted in i18n.LANGUAGES else i18n.negotiate(accept)

        async def send_with_language(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Language"] = chosen
                headers.append("Vary", "Accept-Language")
            await send(message)

        with i18n.using(chosen):
            await self.app(scope, receive, send_with_language)

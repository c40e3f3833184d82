"""HTTP caching, compression and cross-origin reading for both APIs: one ASGI layer.

- **ETag and 304.** Every successful GET of ``/v1``, ``/hsda`` and the documents carries a strong
  ``ETag``: a digest of the store's state (:class:`~directory.stores.tag.StateTag`: the load, the
  newest reports, the corrections, the day) and of the request (path, query, language). A request
  whose ``If-None-Match`` names it is answered ``304`` before anything is searched. A report, a
  correction or a new load changes the state, so every tag. A compressed body's tag ends in
  ``.gzip`` or ``.br`` (another representation, another strong tag); ``If-None-Match`` matches any of
  the three, as a cache revalidating either may ask.
- **Cache-Control.** ``public, max-age=60`` for searches and records (a provider's report reaches a
  shared cache within a minute), an hour for the vocabulary and the documents; ``/healthz`` and every
  write ``no-store``. An answer that says its own ``Cache-Control`` keeps it (a search whose drive times
  were unavailable says ``no-store``, and gets no tag: it is not the answer the state names).
- **Compression.** A body of 1 KB or more of text is sent brotli-compressed when the client accepts
  ``br`` (and the ``brotli`` package is installed), else gzip when it accepts ``gzip``. A streamed body
  (HSDA's ndjson) is compressed chunk by chunk, so it stays streamed in bounded memory.
- **Security headers.** Every answer says ``X-Content-Type-Options: nosniff`` and
  ``Referrer-Policy: no-referrer`` (:data:`~directory.http.apidocs.SECURITY_HEADERS`).
- **Cross-origin reading (CORS).** Read-only GETs answer ``Access-Control-Allow-Origin`` — ``*`` by
  default, or the origin itself when it is on a configured allow-list — and preflights for them are
  answered. The provider's write route, and any request carrying credentials, are never answered
  ``*``: a write is allowed only from an origin listed by name.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders

from ..core import i18n
from ..core.errors import DirectoryError
from .apidocs import SECURITY_HEADERS

#: Comma-separated origins that may also write (see :func:`cors_from_environment`).
CORS_ENV = "DIRECTORY_API_CORS_ORIGINS"
MIN_SIZE = 1024
SHORT = "public, max-age=60"
LONG = "public, max-age=3600"
NO_STORE = "no-store"
#: Paths answered with an hour's max-age: the vocabulary and the documents.
_LONG_PATHS = re.compile(
    r"^/(openapi\.json|docs|redoc|docs-redoc/.*|v1/services|hsda/?|hsda/openapi\.json|hsda/profile"
    r"|hsda/taxonomies(/.*)?|hsda/taxonomy_terms(/.*)?)$"
)
#: Paths whose GET answers carry an ETag (the documents' static assets keep their own).
_TAGGED = re.compile(r"^/(v1/.*|hsda(/.*)?|openapi\.json|docs|redoc|docs-redoc/.*)$")
#: The one write: a provider's report. Never ``*``.
WRITE_PATH = re.compile(r"^/v1/facilities/[^/]+/availability$")
_COMPRESSIBLE = ("application/json", "application/geo+json", "application/x-ndjson", "application/javascript", "text/")
#: What a cross-origin page may read of an answer besides the simple headers.
EXPOSED = "ETag, X-Total-Count, Content-Language, Retry-After"
READ_HEADERS = "Accept, Accept-Language, If-None-Match"
WRITE_HEADERS = "Authorization, Content-Type"

try:  # brotli when its package is installed (a dependency of the project; optional all the same)
    import brotli
except ImportError:  # pragma: no cover - the project installs it
    brotli = None


def matching(header: str, tag: str) -> str | None:
    """The entity tag of an ``If-None-Match`` header that names ``tag`` (in any of its encodings; ``W/``
    ignored, as the weak comparison If-None-Match uses), quoted as the client holds it; else None."""
    for part in header.split(","):
        part = part.strip().removeprefix("W/").strip('"')
        if part and part.split(".", 1)[0] == tag:
            return f'"{part}"'
    return None


def encoding_for(accept: str) -> str | None:
    """``br`` or ``gzip`` (in that order of preference) if ``Accept-Encoding`` allows it, else None."""
    allowed: dict[str, float] = {}
    for part in accept.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if (m := re.search(r"q=([0-9.]+)", params)) is not None:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        allowed[name.strip()] = q
    for name in ("br", "gzip"):
        if name == "br" and brotli is None:
            continue
        if allowed.get(name, allowed.get("*", 0.0)) > 0:
            return name
    return None


def _add_cors(headers: MutableHeaders, cors: dict[str, str]) -> None:
    """The CORS headers (and the security headers every answer carries)."""
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    for name, value in cors.items():
        if name == "Vary":
            headers.append(name, value)
        else:
            headers[name] = value
    if cors:
        headers["Access-Control-Expose-Headers"] = EXPOSED


class _Compressor:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding == "br":
            self._br = brotli.Compressor(quality=4)
        else:
            self._gz = zlib.compressobj(6, zlib.DEFLATED, 31)

    def whole(self, body: bytes) -> bytes:
        if self.encoding == "br":
            return brotli.compress(body, quality=4)
        return self._gz.compress(body) + self._gz.flush()

    def chunk(self, body: bytes, last: bool) -> bytes:
        if self.encoding == "br":
            out = self._br.process(body) + (self._br.finish() if last else self._br.flush())
        else:
            out = self._gz.compress(body) + self._gz.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
        return out


class HttpCache:
    """The ASGI layer (see the module docstring). ``state``: the store's state tag, called per GET;
    ``origins``: the CORS allow-list (``["*"]``: any origin may read; ``[]``: no CORS at all)."""

    def __init__(self, app, *, state: Callable[[], str], origins: list[str]) -> None:
        self.app = app
        self.state = state
        self.any_origin = "*" in origins
        self.origins = frozenset(o for o in origins if o != "*")

    def _allow(self, origin: str, write: bool, credentials: bool) -> dict[str, str]:
        if not origin:
            return {}
        if origin in self.origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if self.any_origin and not write and not credentials:
            return {"Access-Control-Allow-Origin": "*"}
        return {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        method, path = scope["method"], scope["path"]
        origin = request.get("origin", "")
        write = bool(WRITE_PATH.match(path))
        if method == "OPTIONS" and origin and "access-control-request-method" in request:
            await self._preflight(send, origin, request["access-control-request-method"].upper(), write)
            return
        credentials = "authorization" in request or "cookie" in request
        cors = self._allow(origin, write or method not in ("GET", "HEAD"), credentials)
        tag = None
        if method in ("GET", "HEAD") and _TAGGED.match(path):
            try:
                state = self.state()
            except DirectoryError:  # the database is down: no tag; the app answers why (503)
                state = None
            if state is not None:
                key = f"{state}\n{path}\n{scope.get('query_string', b'').decode('latin-1')}\n{i18n.lang()}"
                tag = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        if tag:
            cache_control: str | None = LONG if _LONG_PATHS.match(path) else SHORT
        else:  # a write, the health check, an answer with no tag (a database down); static assets keep theirs
            cache_control = (
                NO_STORE if method not in ("GET", "HEAD") or path == "/healthz" or _TAGGED.match(path) else None
            )
        encoding = encoding_for(request.get("accept-encoding", "")) if method != "HEAD" else None
        held = matching(request.get("if-none-match", ""), tag) if tag else None
        if held:  # the client's copy is current: the representation it holds, not modified
            headers = MutableHeaders()
            headers["ETag"] = held
            headers["Cache-Control"] = cache_control or SHORT
            headers["Vary"] = "Accept-Encoding"  # and Accept-Language, which the language's own layer adds
            _add_cors(headers, cors)
            await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
            await send({"type": "http.response.body", "body": b""})
            return

        start: dict | None = None  # the response's start, held until its first body is seen
        sent = False
        compressor: _Compressor | None = None

        async def send_cached(message) -> None:
            nonlocal start, sent, compressor
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body, more = message.get("body", b""), message.get("more_body", False)
            if sent:  # a later chunk of a stream: compressed as it comes, or sent as it is
                if compressor is not None:
                    message = {
                        "type": "http.response.body",
                        "body": compressor.chunk(body, not more),
                        "more_body": more,
                    }
                await send(message)
                return
            headers = MutableHeaders(scope=start)
            kind = headers.get("content-type", "")
            if (
                encoding
                and "content-encoding" not in headers
                and kind.startswith(_COMPRESSIBLE)
                and (more or len(body) >= MIN_SIZE)
            ):
                compressor = _Compressor(encoding)
                headers["Content-Encoding"] = encoding
                if more:  # a stream: its length is not known
                    del headers["content-length"]
                    body = compressor.chunk(body, False)
                else:
                    body = compressor.whole(body)
                    headers["Content-Length"] = str(len(body))
            if tag or compressor:
                headers.append("Vary", "Accept-Encoding")
            if tag and start["status"] == 200 and headers.get("cache-control") != NO_STORE:
                headers["ETag"] = f'"{tag}.{compressor.encoding}"' if compressor else f'"{tag}"'
            if cache_control and "cache-control" not in headers:
                headers["Cache-Control"] = cache_control if start["status"] == 200 else NO_STORE
            _add_cors(headers, cors)
            await send(start)
            sent = True
            await send({"type": "http.response.body", "body": body, "more_body": more})

        await self.app(scope, receive, send_cached)

    async def _preflight(self, send, origin: str, asked: str, write: bool) -> None:
        """A browser asks whether a cross-origin request may be sent: GET and HEAD of a read route from
        any allowed origin; PUT of the write route only from an origin listed by name."""
        if write:
            allowed = origin in self.origins and asked == "PUT"
            methods, headers_ = "PUT", WRITE_HEADERS
        else:
            allowed = (origin in self.origins or self.any_origin) and asked in ("GET", "HEAD")
            methods, headers_ = "GET, HEAD", READ_HEADERS
        headers = MutableHeaders()
        headers["Cache-Control"] = NO_STORE
        _add_cors(headers, {})
        if allowed:
            headers["Access-Control-Allow-Origin"] = origin if origin in self.origins else "*"
            headers["Access-Control-Allow-Methods"] = methods
            headers["Access-Control-Allow-Headers"] = headers_
            headers["Access-Control-Max-Age"] = "600"
            if origin in self.origins:
                headers["Vary"] = "Origin"
            await send({"type": "http.response.start", "status": 204, "headers": headers.raw})
            await send({"type": "http.response.body", "body": b""})
            return
        body = b'{"detail":"this origin may not send that request here"}'
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(body))
        await send({"type": "http.response.start", "status": 403, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})


def cors_from_environment() -> list[str]:
    """``$DIRECTORY_API_CORS_ORIGINS``: comma-separated origins that may also write; unset, any origin may
    read (``*``); ``none``: no cross-origin answers at all."""
    value = os.environ.get(CORS_ENV)
    if value is None:
        return ["*"]
    origins = [o.strip() for o in value.split(",") if o.strip()]
    return [] if origins == ["none"] else origins

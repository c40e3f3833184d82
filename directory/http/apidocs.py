"""The API's documentation pages served from the API itself (no CDN), and its security headers.

Swagger UI and ReDoc come from the ``fastapi-offline`` wheel (its ``static/`` folder: Swagger UI,
Apache-2.0; ReDoc, MIT; the package MIT). The pages carry a Content-Security-Policy that allows
only this origin, plus the exact inline scripts they contain (by SHA-256); every response says
:data:`SECURITY_HEADERS` (added by :class:`~directory.http.caching.HttpCache`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

STATIC_URL = "/docs-assets"
REDOC_JS_URL = "/docs-redoc/redoc.standalone.js"
#: ReDoc's script shows a logo from its CDN; it is swapped for an inline blank image (the script hides
#: the image when it fails to load, but the browser would still try the CDN).
_REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
_BLANK_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def add_offline_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve ``docs_url`` (Swagger UI) and ``redoc_url`` (ReDoc) with local assets and a strict CSP.
    Create the app with ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not added."""
    assets = files("fastapi_offline") / "static"
    app.mount(STATIC_URL, StaticFiles(directory=str(assets)), name="docs-assets")
    redoc_js = (assets / "redoc.standalone.js").read_text(encoding="utf-8").replace(_REDOC_CDN_LOGO, _BLANK_SVG)
    swagger = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} — Swagger UI",
        swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
        swagger_favicon_url=f"{STATIC_URL}/favicon.png",
    ).body.decode()
    redoc = get_redoc_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} — ReDoc",
        redoc_js_url=REDOC_JS_URL,
        redoc_favicon_url=f"{STATIC_URL}/favicon.png",
        with_google_fonts=False,
    ).body.decode()

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger, headers={"Content-Security-Policy": docs_csp(swagger)})

    @app.get(REDOC_JS_URL, include_in_schema=False)
    async def redoc_script() -> Response:
        return Response(
            redoc_js,
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get(redoc_url, include_in_schema=False)
    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc, headers={"Content-Security-Policy": docs_csp(redoc)})


def docs_csp(page: str) -> str:
    """Only this origin; inline scripts only the ones in ``page`` (by hash); workers from blob: (ReDoc)."""
    inline = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline)
    return (
        "default-src 'self'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )

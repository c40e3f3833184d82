"""The API's /docs and /redoc work with no internet: assets come from the API itself, the pages render
in Chromium, nothing is requested off 127.0.0.1, and the Content-Security-Policy blocks nothing they need."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .browser import free_port, needs_chromium, new_page, running
from .conftest import REPO

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def api():
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "directory.http.api:app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    with running(proc, f"{url}/healthz"):
        yield url


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")])
def test_docs_pages_render_offline(browser, api, path, ready):
    page = new_page(browser, api)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(api + path)
    title = page.locator(ready).first
    title.wait_for(timeout=30_000)
    assert "Treatment facility directory API" in title.inner_text()
    if path == "/docs":  # the search endpoint is listed, with its filter parameters
        page.get_by_text("/v1/facilities", exact=True).first.wait_for(timeout=10_000)
    assert page.outside_requests == []
    assert not [m for m in problems if "Content Security Policy" in m], problems
    page.context.close()

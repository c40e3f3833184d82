"""Shared pieces of the browser tests: the app served by `streamlit run` on 127.0.0.1, Debian's
Chromium through Playwright, waiting for reruns, screenshots. Not a test module."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
#: The results list's rows (the list component's table, in its open shadow root: Playwright's CSS reaches in).
LIST_ROWS = "table tbody tr[data-i]"
#: A phone's browser (its user agent says "Mobi": the app lays itself out for a phone).
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(
    env: dict[str, str] | None = None,
    *,
    app: Path | None = None,
    cwd: Path | None = None,
    port: int | None = None,
    secrets: Path | None = None,
):
    """``streamlit run app.py`` on a free port of 127.0.0.1 (or ``port``); yields its URL. ``app``/``cwd``
    run another checkout (the benchmarks compare revisions); its own ``directory`` package is imported
    first. ``secrets``: the secrets file to read (sign-in's ``[auth]``) instead of none."""
    port = port or free_port()
    full_env = {k: v for k, v in os.environ.items() if k != "DIRECTORY_MAP_TILES"}  # only a test's own
    full_env.update(env or {})
    if cwd is not None:
        full_env["PYTHONPATH"] = str(cwd)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app or REPO / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--secrets.files",
            str(secrets or REPO / "tests" / "no-secrets.toml"),  # never a developer's own secrets
        ],
        cwd=cwd or REPO,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    with running(proc, f"{url}/_stcore/health"):
        yield url


@contextlib.contextmanager
def serve_console(folder: Path, env: dict[str, str]):
    """The app with sign-in configured against a real OpenID Connect provider on 127.0.0.1
    (``oidc-provider-mock``: any client id and secret, a form where one types who signs in); yields
    ``{"url": the app, "oidc": the provider}``. The secrets file is written into ``folder``."""
    import secrets

    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(0) as oidc:
        port = free_port()
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "directory"\n'
            f'client_secret = "{secrets.token_hex(16)}"\n'
            f'server_metadata_url = "http://127.0.0.1:{oidc.server_port}/.well-known/openid-configuration"\n'
        )
        with serve_app(env, port=port, secrets=secrets_file) as url:
            yield {"url": url, "oidc": f"http://127.0.0.1:{oidc.server_port}"}


def sign_in(page, console: dict, who: str) -> None:
    """Sign in to the staff console through the provider's own form, as a person does."""
    url = console["url"]
    page.goto(f"{url}/maintain")
    idle(page, "Sign in with your organisation's account")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console['oidc']}/**")
    page.fill("input[name=sub]", who)
    page.get_by_role("button", name="Authorize").first.click()
    page.wait_for_url(f"{url}/**")
    idle(page)


@contextlib.contextmanager
def running(proc: subprocess.Popen, health_url: str, timeout: float = 60):
    """Wait until ``health_url`` answers 200 (else raise with the process's output), then stop ``proc`` on exit."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(health_url, timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(f"{health_url} did not answer: " + proc.stdout.read().decode(errors="replace")[-2000:])
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def new_page(browser, base_url: str, **context_options):
    """A page that records every request leaving ``base_url`` in ``page.outside_requests``."""
    options = {"viewport": {"width": 1400, "height": 1900}, "accept_downloads": True, **context_options}
    context = browser.new_context(**options)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((base_url, "data:", "blob:", "about:")) else None,
    )
    page.outside_requests = outside
    return page


def idle(page, text: str | None = None, timeout: float = 60_000) -> None:
    """Wait for a rerun to finish (and for ``text`` to be on the page, if given)."""
    if text is not None:
        page.get_by_text(text).first.wait_for(timeout=timeout)
    page.wait_for_timeout(250)
    page.wait_for_selector(IDLE, timeout=timeout)


def shot(page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.wait_for_timeout(800)  # let the map finish drawing
    page.screenshot(path=str(path), full_page=full_page)
    return path


#: The results map, and its canvas (in the map component's shadow root, which Playwright's CSS pierces).
MAP = '[data-testid="stBidiComponentIsolated"]'
MAP_CANVAS = f"{MAP} canvas"


def map_canvas(page):
    """The map's canvas, once it has drawn its points."""
    canvas = page.locator(MAP_CANVAS).first
    canvas.and_(page.locator("canvas[data-drawn]")).wait_for()
    return canvas


def map_view(canvas) -> dict:
    """The view the map is drawn at (its centre's ``latitude`` and ``longitude``, and ``zoom``), as the map
    writes it on its canvas after each drawing."""
    return json.loads(canvas.get_attribute("data-view"))


def map_pixel(view: dict, lat: float, lon: float, canvas_box: dict) -> tuple[float, float]:
    """Where on the page the map's canvas (``canvas_box``, Playwright's bounding box) draws ``lat, lon``
    at ``view`` (:func:`map_view`; Web Mercator, 512-pixel tiles)."""
    scale = 512 * 2 ** view["zoom"]

    def project(la: float, lo: float) -> tuple[float, float]:
        y = math.log(math.tan(math.pi / 4 + math.radians(la) / 2))
        return (lo + 180) / 360 * scale, (1 - y / math.pi) / 2 * scale

    cx, cy = project(view["latitude"], view["longitude"])
    x, y = project(lat, lon)
    return canvas_box["x"] + canvas_box["width"] / 2 + x - cx, canvas_box["y"] + canvas_box["height"] / 2 + y - cy


def map_pixels(view: dict, frame, canvas_box: dict) -> list[tuple[float, float]]:
    """:func:`map_pixel` of every facility in ``frame`` (its ``latitude``/``longitude`` columns), in order."""
    return [
        map_pixel(view, float(lat), float(lon), canvas_box)
        for lat, lon in zip(frame["latitude"], frame["longitude"], strict=True)
    ]


def settled(page, canvas) -> tuple[dict, dict]:
    """The map's view (:func:`map_view`) and its canvas's box once neither has changed for 300 ms: an
    expander opening or a scrollbar coming and going resizes the map, which then fits itself anew."""
    last = None
    for _ in range(100):
        now = (canvas.get_attribute("data-view"), canvas.bounding_box())
        if now == last:
            return json.loads(now[0]), now[1]
        last = now
        page.wait_for_timeout(300)
    raise AssertionError(f"the map kept moving: {last}")


def click_point(page, canvas, spot: tuple[float, float], index: int, name: str) -> None:
    """Click a facility's point as a person does: the pointer over it first, until the map's tooltip
    names it, then the click, until the map marks it selected (``data-selected``). The server's answer
    is the caller's to wait for; a failure here says the map did not take the click, and where it was."""
    page.mouse.move(*spot)
    tip = page.locator(f"{MAP} .tip")
    tip.wait_for(state="visible", timeout=15_000)
    assert tip.inner_text().splitlines()[0] == name, (tip.inner_text(), spot, canvas.bounding_box(), map_view(canvas))
    page.mouse.click(*spot)
    page.wait_for_function(
        "([c, i]) => c.dataset.selected === i", arg=[canvas.element_handle(), str(index)], timeout=15_000
    )


def lone_points(spots: list[tuple[float, float]], gap: float = 12.0) -> list[int]:
    """The indices of the points no other point is within ``gap`` pixels of, the loneliest first: a
    click there can only mean that facility."""

    def room(i: int) -> float:
        return min((math.dist(spots[i], s) for j, s in enumerate(spots) if j != i), default=math.inf)

    return sorted((i for i in range(len(spots)) if room(i) > gap), key=room, reverse=True)


def sentence_total(page) -> int:
    """The count in the result sentence ("…: 11 facilities")."""
    text = page.get_by_text(re.compile(r": [\d,]+ facilit")).first.inner_text()
    return int(re.search(r": ([\d,]+) facilit", text).group(1).replace(",", ""))


def url_params(page) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)


#: The words the helpers below look for, per language of the page.
FILTER_WORDS = {
    "en": {"more": "More filters", "inside": "Payment", "first": "Treatment type"},
    "es": {"more": "Más filtros", "inside": "Pago", "first": "Tipo de tratamiento"},
}


def open_more_filters(page, lang: str = "en") -> None:
    words = FILTER_WORDS[lang]
    summary = page.locator('[data-testid="stExpander"] summary').filter(has_text=words["more"])
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=words["inside"])
    if not box.locator("input").is_visible():
        summary.click()  # the filters under it are drawn by the rerun that opening it starts
        box.locator("input").wait_for(state="visible", timeout=30_000)
        idle(page)


def open_downloads(page, label: str = "Download or print this list", first: str = "CSV") -> None:
    """Open the downloads (a folded box whose buttons are drawn by the rerun that opening it starts)."""
    button = page.get_by_role("button", name=first, exact=True)
    if not button.is_visible():
        page.locator('[data-testid="stExpander"] summary').filter(has_text=label).click()
        button.wait_for(state="visible", timeout=30_000)
        idle(page)


def pick(page, heading: str, option: str, lang: str = "en") -> None:
    """Choose ``option`` (its label) in the multiselect headed ``heading``, as a person does."""
    if heading != FILTER_WORDS[lang]["first"]:
        open_more_filters(page, lang)
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=heading)
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):  # a rerun that ends just after the click draws the box anew, closed: open it again
        if heading != FILTER_WORDS[lang]["first"]:
            open_more_filters(page, lang)
        box.locator("input").click()
        try:
            choice.wait_for(timeout=8_000)
            break
        except Exception:  # noqa: BLE001 - Playwright's timeout: try again (the last try fails loudly below)
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            idle(page)
    choice.click()
    page.keyboard.press("Escape")
    idle(page)


def alerts(page) -> list[str]:
    return page.locator('[data-testid="stAlert"]').all_inner_texts()

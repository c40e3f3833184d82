"""Tiles under the map, when a deployer configures them (DIRECTORY_MAP_TILES, with the attribution their
licence requires): web tiles from a tile server, or a PMTiles archive the deployer hosts — here stand-ins
on 127.0.0.1 started by the test, with SYNTHETIC solid-colour tiles. The map asks for the tiles of its
view, draws them under the points and credits them; a setting without attribution is refused in one line
and the map stays offline; without the setting it asks for none (the other browser tests check no
request leaves 127.0.0.1)."""

from __future__ import annotations

import json
import math
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .browser import MAP, idle, map_canvas, map_view, needs_chromium, new_page, serve_app, shot

pytestmark = needs_chromium


def png(width: int = 8, height: int = 8, rgb: bytes = b"\xc8\xc8\xc8") -> bytes:
    """A small solid PNG (synthetic: a stand-in tile), grey unless told."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + rgb * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def tiles():
    asked: list[str] = []
    body = png()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()


def test_configured_tiles_are_asked_for_drawn_and_credited(browser, tiles):
    base, asked = tiles
    credit_line = "SYNTHETIC test tiles \u00a9 nobody"
    env = {"DIRECTORY_MAP_TILES": base + "/{z}/{x}/{y}.png", "DIRECTORY_MAP_TILES_ATTRIBUTION": credit_line}
    with serve_app(env) as url:
        page = new_page(browser, url)
        page.goto(url + "/?near=Tampa%2C+FL&service=detox")
        idle(page, "Showing results near Tampa, FL")
        canvas = map_canvas(page)
        credit = page.locator(f"{MAP} .credit")
        assert credit.inner_text() == credit_line + " \u00b7 Place names: GeoNames (CC BY 4.0)"
        # Drawn with every tile in view: each was asked for and came back.
        canvas.and_(page.locator('canvas[data-drawn="all"]')).wait_for()
        view = map_view(canvas)
        # The 256-pixel tile under the map's centre was asked for (the map's zoom is in 512-pixel tiles).
        z = round(view["zoom"] + 1)
        n = 2**z
        x = int((view["longitude"] + 180) / 360 * n)
        lat = math.radians(view["latitude"])
        y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * n)
        assert f"/{z}/{x}/{y}.png" in asked, asked
        assert all(path.endswith(".png") and path.count("/") == 3 for path in asked)
        # Only the tiles left the app's server.
        assert page.outside_requests and all(r.startswith(base + "/") for r in page.outside_requests)
        page.context.close()


#: What the offline map credits in its corner.
OFFLINE_CREDIT = "Place names: GeoNames (CC BY 4.0) \u00b7 Outlines: US Census Bureau"
#: The colour of the SYNTHETIC archive's tiles: found in the screenshot only if they were drawn.
TILE_RGB = (96, 110, 40)


def tile_range(z: int, west: float, south: float, east: float, north: float):
    """The (x, y) of the zoom-z tiles over a box of longitudes and latitudes."""
    n = 2**z

    def ty(lat: float) -> int:
        rad = math.radians(lat)
        return int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n)

    for x in range(int((west + 180) / 360 * n), int((east + 180) / 360 * n) + 1):
        for y in range(ty(north), ty(south) + 1):
            yield x, y


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A tiny PMTiles archive (written with the ``pmtiles`` package) of solid-colour raster tiles over the
    Tampa Bay area, zooms 0–12, served with HTTP range requests and CORS on 127.0.0.1; yields its URL and
    the ranges asked for."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    path = tmp_path_factory.mktemp("pmtiles") / "synthetic.pmtiles"
    body = png(256, 256, bytes(TILE_RGB))
    tiles = sorted(zxy_to_tileid(z, x, y) for z in range(13) for x, y in tile_range(z, -83.3, 27.3, -81.7, 28.6))
    with path.open("wb") as f:
        writer = Writer(f)
        for tile_id in tiles:
            writer.write_tile(tile_id, body)
        writer.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_lon_e7": int(-83.3e7),
                "min_lat_e7": int(27.3e7),
                "max_lon_e7": int(-81.7e7),
                "max_lat_e7": int(28.6e7),
                "center_zoom": 9,
                "center_lon_e7": int(-82.5e7),
                "center_lat_e7": int(27.95e7),
            },
            {"attribution": "SYNTHETIC"},
        )
    data = path.read_bytes()
    asked: list[str] = []

    class Archive(BaseHTTPRequestHandler):
        def cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "Range, If-Match")
            self.send_header("Access-Control-Expose-Headers", "ETag, Content-Range, Content-Length")

        def do_OPTIONS(self) -> None:  # noqa: N802 - http.server API
            self.send_response(204)
            self.cors()
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            spec = self.headers.get("Range", "")
            asked.append(spec)
            if not spec.startswith("bytes="):
                self.send_response(416)
                self.cors()
                self.end_headers()
                return
            first, _, last = spec[len("bytes=") :].partition("-")
            start, end = int(first), min(int(last or len(data) - 1), len(data) - 1)
            chunk = data[start : end + 1]
            self.send_response(206)
            self.cors()
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            self.send_header("Content-Length", str(len(chunk)))
            self.send_header("ETag", '"synthetic-1"')
            self.end_headers()
            self.wfile.write(chunk)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Archive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/synthetic.pmtiles", asked
    server.shutdown()


def coloured_share(image_bytes: bytes, rgb: tuple[int, int, int]) -> float:
    """The share of a screenshot's pixels within 6 of ``rgb`` in every channel."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(image_bytes)).convert("RGB"), dtype=int)
    return float((np.abs(pixels - np.array(rgb)) <= 6).all(axis=2).mean())


def test_a_self_hosted_pmtiles_archive_is_drawn_under_the_points_and_credited(browser, archive):
    url_of_archive, asked = archive
    credit_line = "SYNTHETIC test tiles \u00a9 nobody"
    env = {"DIRECTORY_MAP_TILES": "pmtiles:" + url_of_archive, "DIRECTORY_MAP_TILES_ATTRIBUTION": credit_line}
    with serve_app(env) as url:
        page = new_page(browser, url)
        page.goto(url + "/?near=Tampa%2C+FL&service=detox")
        idle(page, "Showing results near Tampa, FL")
        canvas = map_canvas(page)
        assert page.locator(f"{MAP} .credit").inner_text() == credit_line + " \u00b7 Place names: GeoNames (CC BY 4.0)"
        canvas.and_(page.locator('canvas[data-drawn="all"]')).wait_for()
        image = canvas.screenshot()
        shot(page, "map-pmtiles")
        # The archive's colour covers most of the map (the points, names and circle are drawn over it), and
        # no county lines are drawn (the tiles are the background).
        assert coloured_share(image, TILE_RGB) > 0.4
        assert canvas.get_attribute("data-counties") == "[]"
        # The searched place is still named over the tiles.
        assert "Tampa, FL" in [label["n"] for label in json.loads(canvas.get_attribute("data-labels"))]
        # Only range requests to the archive left the app's server (the reader is the app's own file).
        assert asked and all(spec.startswith("bytes=") for spec in asked)
        assert page.outside_requests and all(r == url_of_archive for r in page.outside_requests)
        page.context.close()


def test_a_tile_source_without_attribution_is_refused_in_one_line(browser, tiles):
    """The map then stays offline (its outlines, no request outside 127.0.0.1's app); and the app's static
    folder, where a deployer may put an archive, answers range requests."""
    import urllib.request

    base, asked = tiles
    before = len(asked)
    with serve_app({"DIRECTORY_MAP_TILES": base + "/{z}/{x}/{y}.png"}) as url:
        page = new_page(browser, url)
        page.goto(url + "/?near=Tampa%2C+FL")
        idle(page, "Showing results near Tampa, FL")
        refused = page.get_by_text("Map tiles are off:")
        assert refused.count() == 1
        line = refused.inner_text()
        assert "DIRECTORY_MAP_TILES_ATTRIBUTION" in line and "\n" not in line.strip()
        canvas = map_canvas(page)
        canvas.and_(page.locator('canvas[data-drawn="all"]')).wait_for()
        assert page.locator(f"{MAP} .credit").inner_text() == OFFLINE_CREDIT  # no tiles to credit
        assert page.outside_requests == [] and len(asked) == before
        page.context.close()
        request = urllib.request.Request(url + "/app/static/counties/FL.json", headers={"Range": "bytes=10-109"})
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - 127.0.0.1
            assert answer.status == 206 and len(answer.read()) == 100
            assert answer.headers["Content-Range"].startswith("bytes 10-109/")

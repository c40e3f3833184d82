"""Web tiles under the map, when a person configures them (DIRECTORY_MAP_TILES): the map asks a tile
server (here a stand-in on 127.0.0.1, started by the test) for the tiles of its view, draws them, and
credits them; without the setting it asks for none (the other browser tests check no request leaves
127.0.0.1)."""

from __future__ import annotations

import math
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .browser import MAP, idle, map_canvas, map_view, needs_chromium, new_page, serve_app

pytestmark = needs_chromium


def png(width: int = 8, height: int = 8) -> bytes:
    """A small grey PNG (synthetic: a stand-in tile)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc8\xc8\xc8" * width for _ in range(height))
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
    with serve_app({"DIRECTORY_MAP_TILES": base + "/{z}/{x}/{y}.png"}) as url:
        page = new_page(browser, url)
        page.goto(url + "/?near=Tampa%2C+FL&service=detox")
        idle(page, "Showing results near Tampa, FL")
        canvas = map_canvas(page)
        credit = page.locator(f"{MAP} .credit")
        assert credit.inner_text() == f"Map tiles: {base.split('/')[2]}"
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

"""A real OSRM server on 127.0.0.1 over a SYNTHETIC street grid the test writes (no road data is shipped).

OSRM's own binaries come from the ``osrm-bindings`` wheel (``make osrm`` unpacks them into
``.cache/osrm``; ``$DIRECTORY_OSRM_BIN`` may name another folder). :func:`write_grid` writes an
OpenStreetMap XML file: residential streets every ``spacing`` miles, one fast primary road, and a river
(a line of longitude no street crosses) with one bridge; :func:`build` runs the MLD pipeline (extract,
partition, customize: well under a second on such a grid) and :class:`OsrmServer` starts
``osrm-routed -a MLD -i 127.0.0.1`` on a free port. :func:`reference_minutes` is the brute-force check:
Dijkstra over the same grid, at the car profile's speeds.
"""

from __future__ import annotations

import heapq
import math
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The car profile's speeds (km/h) for the road classes the grid uses (osrm/share/profiles/car.lua).
SPEED_KMH = {"residential": 25.0, "primary": 65.0}
MILES_PER_DEGREE_LAT = 69.055


def bin_dir() -> Path | None:
    """Where osrm-extract, osrm-partition, osrm-customize and osrm-routed are (None: not installed)."""
    folder = Path(os.environ.get("DIRECTORY_OSRM_BIN") or ROOT / ".cache" / "osrm" / "osrm" / "bin")
    return folder if (folder / "osrm-routed").is_file() else None


def profiles_dir() -> Path:
    return bin_dir().parent / "share" / "profiles"  # type: ignore[union-attr]


@dataclass
class Grid:
    """A synthetic street grid around ``center`` (latitude, longitude): ``half`` miles each way."""

    center: tuple[float, float]
    half: float = 6.0
    spacing: float = 0.25
    #: The river's longitude (None: no river); streets cross it only on the bridge row.
    river_lon: float | None = None
    #: The row (counted from the south) that bridges the river; the primary road is ``primary_row``.
    bridge_row: int = -1
    primary_row: int | None = None
    #: Node ids start after this (several grids in one file must not share ids).
    base: int = 0
    lats: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        lat0, lon0 = self.center
        n = int(round(2 * self.half / self.spacing)) + 1
        dlat = self.spacing / MILES_PER_DEGREE_LAT
        dlon = self.spacing / (MILES_PER_DEGREE_LAT * math.cos(math.radians(lat0)))
        self.lats = [lat0 - self.half / MILES_PER_DEGREE_LAT + i * dlat for i in range(n)]
        self.lons = [
            lon0 - self.half / (MILES_PER_DEGREE_LAT * math.cos(math.radians(lat0))) + j * dlon for j in range(n)
        ]
        if self.bridge_row < 0:
            self.bridge_row = n - 1
        if self.primary_row is None:
            self.primary_row = min(range(n), key=lambda i: abs(self.lats[i] - lat0))

    def node(self, i: int, j: int) -> int:
        return self.base + 1 + i * len(self.lons) + j

    @property
    def size(self) -> int:
        return len(self.lats) * len(self.lons)

    def crosses(self, j: int) -> bool:
        """Whether the street segment from column j to j + 1 crosses the river."""
        return self.river_lon is not None and self.lons[j] < self.river_lon < self.lons[j + 1]

    def edges(self):
        """(node, node, metres, highway) for every street segment, both ways drivable."""
        rows, cols = len(self.lats), len(self.lons)
        for i in range(rows):
            kind = "primary" if i == self.primary_row else "residential"
            for j in range(cols - 1):
                if self.crosses(j) and i != self.bridge_row:
                    continue
                yield (
                    self.node(i, j),
                    self.node(i, j + 1),
                    _metres(self.lats[i], self.lons[j], self.lats[i], self.lons[j + 1]),
                    kind,
                )
        for j in range(cols):
            for i in range(rows - 1):
                yield (
                    self.node(i, j),
                    self.node(i + 1, j),
                    _metres(self.lats[i], self.lons[j], self.lats[i + 1], self.lons[j]),
                    "residential",
                )

    def nearest_node(self, lat: float, lon: float) -> int:
        i = min(range(len(self.lats)), key=lambda k: abs(self.lats[k] - lat))
        j = min(range(len(self.lons)), key=lambda k: abs(self.lons[k] - lon))
        return self.node(i, j)

    def covers(self, lat: float, lon: float) -> bool:
        return self.lats[0] <= lat <= self.lats[-1] and self.lons[0] <= lon <= self.lons[-1]

    def outside_miles(self, lat: float, lon: float) -> float:
        """How far (miles, roughly) a point is outside the grid's box (0 inside)."""
        dlat = max(self.lats[0] - lat, 0.0, lat - self.lats[-1]) * MILES_PER_DEGREE_LAT
        dlon = max(self.lons[0] - lon, 0.0, lon - self.lons[-1]) * MILES_PER_DEGREE_LAT * math.cos(math.radians(lat))
        return math.hypot(dlat, dlon)


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def write_grid(grid: Grid | list[Grid], path: Path) -> Path:
    """The grid (or grids: give each its own ``base``) as OpenStreetMap XML, one way per street segment
    so each keeps its own class."""
    grids = grid if isinstance(grid, list) else [grid]
    with path.open("w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="tests/osrm.py (synthetic)">\n')
        for g in grids:
            for i, lat in enumerate(g.lats):
                for j, lon in enumerate(g.lons):
                    out.write(f'<node id="{g.node(i, j)}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        k = 0
        for g in grids:
            for a, b, _m, kind in g.edges():
                k += 1
                out.write(
                    f'<way id="{k}" version="1"><nd ref="{a}"/><nd ref="{b}"/><tag k="highway" v="{kind}"/></way>\n'
                )
        out.write("</osm>\n")
    return path


def build(osm: Path, profile: str = "car", timeout: float = 120) -> Path:
    """The MLD pipeline over ``osm``: the ``.osrm`` base path osrm-routed serves."""
    folder = bin_dir()
    assert folder is not None
    base = osm.with_suffix("").with_suffix(".osrm") if osm.name.endswith(".osm") else osm.with_suffix(".osrm")
    quiet = {"capture_output": True, "check": True, "timeout": timeout}
    subprocess.run([folder / "osrm-extract", "-p", profiles_dir() / f"{profile}.lua", osm], **quiet)
    subprocess.run([folder / "osrm-partition", base], **quiet)
    subprocess.run([folder / "osrm-customize", base], **quiet)
    return base


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OsrmServer:
    """``osrm-routed -a MLD`` over ``base`` on 127.0.0.1, started and stopped by the test."""

    def __init__(self, base: Path, *, table_size: int = 100) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                bin_dir() / "osrm-routed",
                "-a",
                "MLD",
                "-i",
                "127.0.0.1",
                "-p",
                str(self.port),
                "--max-table-size",
                str(table_size),
                base,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/nearest/v1/driving/0,0", timeout=1).read()
                break
            except urllib.error.HTTPError:
                break  # it answers (an error about the coordinate is still an answer)
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("osrm-routed did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def reference_minutes(grid: Grid, origin: tuple[float, float], to: tuple[float, float]) -> float:
    """Brute force: the fastest trip between the grid nodes nearest ``origin`` and ``to`` (Dijkstra at the
    car profile's speeds, no turn costs), in minutes; inf when the grid does not connect them."""
    graph: dict[int, list[tuple[int, float]]] = {}
    for a, b, metres, kind in grid.edges():
        seconds = metres / (SPEED_KMH[kind] / 3.6)
        graph.setdefault(a, []).append((b, seconds))
        graph.setdefault(b, []).append((a, seconds))
    start, goal = grid.nearest_node(*origin), grid.nearest_node(*to)
    best = {start: 0.0}
    heap = [(0.0, start)]
    while heap:
        t, node = heapq.heappop(heap)
        if node == goal:
            return t / 60
        if t > best.get(node, math.inf):
            continue
        for nxt, cost in graph.get(node, ()):
            if t + cost < best.get(nxt, math.inf):
                best[nxt] = t + cost
                heapq.heappush(heap, (t + cost, nxt))
    return math.inf


# -- fixtures shared by the drive-time tests (imported by their modules) ---------------------------------

#: Where the gazetteer puts "Tampa, FL".
TAMPA = (27.94752, -82.45843)
#: The river: a line of longitude 0.8 miles east of the centre (on the Hillsborough River's side of town in
#: spirit only: the grid is synthetic); its one bridge is the grid's northern edge, 6 miles up.
RIVER = -82.445


@pytest.fixture(scope="module")
def grid() -> Grid:
    return Grid(TAMPA, half=6.0, spacing=0.25, river_lon=RIVER)


@pytest.fixture(scope="module")
def server(grid, tmp_path_factory):
    """osrm-routed over the grid, for the module's tests."""
    if bin_dir() is None:
        pytest.skip("OSRM's binaries are not installed (make osrm)")
    folder = tmp_path_factory.mktemp("osrm")
    running = OsrmServer(build(write_grid(grid, folder / "tampa-grid.osm")))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def cut(tmp_path_factory) -> Path:
    """The shipped facilities within 20 miles of Tampa, as a facilities file."""
    from directory.core.geo import great_circle
    from directory.core.schema import read_facilities

    frame = read_facilities(None)
    lat = frame["latitude"].astype(float).to_numpy()
    lon = frame["longitude"].astype(float).to_numpy()
    near = great_circle(TAMPA[0], TAMPA[1], lat, lon) <= 20
    path = tmp_path_factory.mktemp("cut") / "tampa.csv"
    frame[near].to_csv(path, index=False)
    return path

"""County lines and names for the offline map, one small file a state (``static/counties/FL.json``).

The map fetches a state's file only once it is zoomed in to county level over that state (the states in
view, from the state outlines it already has), so a search's payload and the first load never carry
them. The outlines are the Census Bureau's 2017 cartographic boundaries at 1:10m (public domain, via
the ``us-atlas`` package; ``data/boundaries/``), coordinates rounded to 0.001° (about 100 m), each
county with a point inside it to write its name at.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import polylabel

from ..core import paths

#: Where the app serves the files (``static/counties/``); ``{s}`` is a state's USPS code.
COUNTIES_URL = "/app/static/counties/{s}.json"
#: The map draws county lines and names from this zoom in (its 512-pixel zoom: a 100-mile view or closer).
COUNTY_ZOOM = 7.0


def _ring(coords: list) -> list[list[float]]:
    """A ring rounded to 3 decimals, repeated points dropped."""
    out: list[list[float]] = []
    for lon, lat in coords:
        point = [round(lon, 3), round(lat, 3)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def _label_point(geometry) -> tuple[float, float]:
    """A point well inside the county's largest part (its pole of inaccessibility, to 0.01°)."""
    part = max(geometry.geoms, key=lambda g: g.area) if isinstance(geometry, MultiPolygon) else geometry
    if not isinstance(part, Polygon) or part.is_empty:
        point = geometry.representative_point()
    else:
        point = polylabel(part, tolerance=0.01)
    return round(point.x, 3), round(point.y, 3)


@lru_cache(maxsize=2)
def county_outlines(folder: Path | None = None) -> dict[str, dict]:
    """Each state's counties (by USPS code) as a GeoJSON feature collection: ``n`` the county's name as
    the Census gives it ("Hillsborough"), ``x``/``y`` where its name is written; in file order."""
    path = Path(folder or paths.BOUNDARIES_DIR) / "us_counties_2017_10m.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    by_state: dict[str, list[dict]] = defaultdict(list)
    for feature in data["features"]:
        props, geom = feature["properties"], feature["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        rounded = [[_ring(ring) for ring in polygon] for polygon in polygons]
        x, y = _label_point(shape(geom))
        by_state[props["state"]].append(
            {
                "type": "Feature",
                "properties": {"n": props["name"], "x": x, "y": y},
                "geometry": {"type": "MultiPolygon", "coordinates": rounded},
            }
        )
    return {state: {"type": "FeatureCollection", "features": feats} for state, feats in sorted(by_state.items())}


def county_files(folder: Path | None = None) -> dict[str, str]:
    """The served files' names and text (``FL.json``: …); a test checks ``static/counties/`` holds exactly
    these. Regenerate with ``python -m directory.view.counties static/counties``."""
    return {
        f"{state}.json": json.dumps(collection, separators=(",", ":"), sort_keys=True) + "\n"
        for state, collection in county_outlines(folder).items()
    }


def write_files(target: Path) -> int:
    """Writes :func:`county_files` into ``target`` (made if missing); returns how many."""
    target.mkdir(parents=True, exist_ok=True)
    files = county_files()
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8")
    return len(files)


if __name__ == "__main__":  # pragma: no cover - a maintainer's regeneration step
    import sys

    print(write_files(Path(sys.argv[1] if len(sys.argv) > 1 else "static/counties")), "files")

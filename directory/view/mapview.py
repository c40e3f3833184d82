"""The results map: what the app's map component (``web/map.js``, a 2-D canvas) draws for a result —
points by treatment type (or areas with counts above :data:`MAP_POINTS_LIMIT`), the search circle and
the searched place, over the state outlines.

Works with no internet: the land is the state outlines, served by the app from
``static/state-outlines.json``, with county lines (:mod:`.counties`) and town names (:mod:`.places`)
zoomed in; ``DIRECTORY_MAP_TILES`` draws tiles instead (web tiles or a self-hosted PMTiles archive, always
credited: :mod:`.tiles`). Only what the map needs is sent to the
browser: name, place, type and rounded coordinates; a click sends back the point's index, and
:func:`selected_id` finds its facility.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

from ..core import paths
from ..core.geo import METRES_PER_MILE
from ..core.i18n import N_, _, ngettext, number
from ..core.taxonomy import Taxonomy
from ..search import SearchResult
from ..stores.base import Store
from .availability import summary
from .counties import COUNTIES_URL, COUNTY_ZOOM
from .places import map_towns
from .results import groups_of
from .text import plain
from .tiles import usable_tiles

#: Served by Streamlit static serving from ``static/`` next to ``app.py`` (the browser caches it).
OUTLINES_URL = "/app/static/state-outlines.json"
#: The map component's markup and style (``web/map.html``, ``map.css``) and code (below).
WEB = Path(__file__).parent.parent / "web"
MAP_HTML, MAP_CSS = ((WEB / name).read_text(encoding="utf-8") for name in ("map.html", "map.css"))
#: ``tiles.js`` (the tile sources) and ``names.js`` (outlines, counties, names) before ``map.js``: one module.
MAP_JS = "\n".join((WEB / name).read_text(encoding="utf-8") for name in ("tiles.js", "names.js", "map.js"))
#: 4 decimals is about 11 m: plenty for a map, and a smaller payload.
COORD_DECIMALS = 4
OUTLINE_TOLERANCE_DEG = 0.02
WATER = "#dde6ee"
LAND = "#faf9f5"
BORDER = "#969696"
#: The map's height in pixels, and what it is called for screen readers.
MAP_HEIGHT = 460
MAP_LABEL = N_("Map of the facilities found; the same facilities are in the list")
#: The words of the map's controls (the component sets them as labels and titles).
MAP_WORDS = {
    "zoom_in": N_("Zoom in"),
    "zoom_out": N_("Zoom out"),
    "fit": N_("Show all the results"),
    "wheel": N_("To zoom the map: hold Ctrl (⌘ on a Mac) and scroll, or use + and −"),
    # said to screen readers when a facility is selected ({name}: its name and place)
    "selected": N_("Selected: {name}"),
}
#: Above this many results the map draws areas with counts instead of single points: 22,000 dots
#: nationally overlap into a blot and took a software-rendered browser about 1.5 s per redraw.
MAP_POINTS_LIMIT = 2_500
#: The size of those areas, in degrees (about 35 miles north to south).
CLUSTER_DEGREES = 0.5


@dataclass(frozen=True)
class PointType:
    """A colour class of points: the first group (in :data:`TYPES` order) a facility is in."""

    group: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


#: Okabe–Ito colours (distinguishable with the common colour-vision deficiencies).
TYPES = (
    PointType("mat", (0, 114, 178)),
    PointType("detox", (213, 94, 0)),
    PointType("residential", (0, 158, 115)),
    PointType("inpatient", (204, 121, 167)),
    PointType("intensive-outpatient", (230, 159, 0)),
    PointType("outpatient", (86, 180, 233)),
    PointType("other", (110, 110, 110)),  # none of the above: "Other services"
)


def colour_order(first: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The order in which a point's colour is chosen: the treatment types the person selected
    first (a detox search is coloured by detox), then :data:`TYPES` order.

    >>> colour_order(("detox",))[:3]
    ('detox', 'mat', 'residential')
    """
    groups = tuple(t.group for t in TYPES[:-1])
    chosen = tuple(g for g in first if g in groups)
    return chosen + tuple(g for g in groups if g not in chosen)


def point_types(store: Store, frame: pd.DataFrame, first: tuple[str, ...] = ()) -> np.ndarray:
    """For each row of a result frame, the index into :data:`TYPES` of its colour class: the first
    type, in :func:`colour_order`, whose group the row's codes fall in."""
    taxonomy, order = store.taxonomy, colour_order(first)
    return np.array([_type_of(taxonomy, codes, order) for codes in frame["service_codes"].tolist()], dtype=np.int64)


_INDEX = {t.group: i for i, t in enumerate(TYPES)}


@lru_cache(maxsize=200_000)
def _type_of(taxonomy: object, codes: str, order: tuple[str, ...]) -> int:
    found = groups_of(taxonomy, codes, order)  # type: ignore[arg-type]
    return _INDEX[found[0]] if found else len(TYPES) - 1


def map_points(
    store: Store, frame: pd.DataFrame, points: tuple[np.ndarray, np.ndarray] | None = None, first: tuple[str, ...] = ()
) -> pd.DataFrame:
    """The columns the map needs: ``id``, ``n`` (name), ``c`` (city, state, and how many sites share the
    spot), ``lon``, ``lat``, ``t`` (type). ``points`` are the rows' latitudes and longitudes when the
    caller has them as floats; ``first`` the treatment types to colour by first."""
    if points is None:
        points = (
            pd.to_numeric(frame["latitude"]).to_numpy(dtype=float),
            pd.to_numeric(frame["longitude"]).to_numpy(dtype=float),
        )
    lon, lat = np.round(points[1], COORD_DECIMALS), np.round(points[0], COORD_DECIMALS)
    places = [plain(f"{c}, {s}") for c, s in zip(frame["city"].tolist(), frame["state"].tolist(), strict=True)]
    if "address_withheld" in frame:  # its point is its ZIP's, not its door's: the tooltip says so
        withheld_note = _("address withheld at the provider's request (ZIP area shown)")
        places = [
            f"{p} · {withheld_note}" if withheld == "1" else p
            for p, withheld in zip(places, frame["address_withheld"].tolist(), strict=True)
        ]
    if "geocode_precision" in frame:  # placed at its ZIP's or town's centre (no source gives coordinates)
        approximate = {"zip": _("ZIP centre, not the door"), "city": _("town centre, not the door")}
        places = [
            f"{p} · {approximate[how]}" if how in approximate and withheld != "1" else p
            for p, how, withheld in zip(
                places,
                frame["geocode_precision"].tolist(),
                frame.get("address_withheld", pd.Series("", index=frame.index)).tolist(),
                strict=True,
            )
        ]
    reports = store.availability(frame["facility_id"].tolist()) if len(frame) <= MAP_POINTS_LIMIT else {}
    if reports:  # the provider's word, with its age
        places = [
            f"{p} · {summary(reports[i], store.taxonomy)}" if i in reports else p
            for p, i in zip(places, frame["facility_id"].tolist(), strict=True)
        ]
    if 0 < len(frame) <= MAP_POINTS_LIMIT:  # above it the map draws areas, whose tooltips say how many
        # Sites at one spot (a hospital campus, one building) draw as one dot: the tooltip says how many.
        _points, where, counts = np.unique(
            np.stack([lat, lon], axis=1), axis=0, return_inverse=True, return_counts=True
        )
        shared = counts[where.ravel()]
        at_spot = _("{n} facilities at this spot (see the list)")
        places = [
            p if k == 1 else f"{p} · {at_spot.format(n=number(int(k)))}" for p, k in zip(places, shared, strict=True)
        ]
    return pd.DataFrame(
        {
            "id": np.array(frame["facility_id"].tolist(), dtype=object),
            "n": np.array([plain(n) for n in frame["name"].tolist()], dtype=object),
            "c": np.array(places, dtype=object),
            "lon": lon,
            "lat": lat,
            "t": point_types(store, frame, first),
        }
    )


#: The second line of every area's tooltip (sent once, not once per area).
AREA_HINT = "type a place or add a filter to see each one"


def areas(points: pd.DataFrame, degrees: float = CLUSTER_DEGREES) -> dict[str, list]:
    """The points grouped into ``degrees`` cells, the largest first, as the columns the map is sent:
    ``x``, ``y`` the mean point of a cell's facilities, ``n`` how many, ``r`` a radius in metres growing
    with the square root of the count, and ``c`` the one line every area's tooltip shares.

    >>> a = areas(pd.DataFrame({"lat": [27.95, 27.96, 40.7], "lon": [-82.46, -82.45, -74.0]}))
    >>> list(zip(a["n"], a["r"]))
    [('2 facilities', 3536), ('1 facility', 2500)]
    """
    out: dict[str, list] = {"x": [], "y": [], "r": [], "n": [], "c": AREA_HINT}  # type: ignore[dict-item]
    if not len(points):
        return out
    lat, lon = points["lat"].to_numpy(dtype=float), points["lon"].to_numpy(dtype=float)
    cells = np.stack([np.floor(lat / degrees), np.floor(lon / degrees)], axis=1)
    _cells, group, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    mean_lat = np.bincount(group, weights=lat) / counts
    mean_lon = np.bincount(group, weights=lon) / counts
    order = np.argsort(-counts, kind="stable")
    out["x"] = [round(float(v), 3) for v in mean_lon[order]]
    out["y"] = [round(float(v), 3) for v in mean_lat[order]]
    out["r"] = [int(round(2500 * float(np.sqrt(k)))) for k in counts[order]]
    out["n"] = [ngettext("{n} facility", "{n} facilities", int(k)).format(n=number(int(k))) for k in counts[order]]
    return out


def map_note(points: pd.DataFrame) -> str:
    """Said under a map that shows areas instead of facilities ('' otherwise)."""
    if len(points) <= MAP_POINTS_LIMIT:
        return ""
    return _(
        "The map groups these {n} facilities by area (circles sized by how many); type a place or add a filter "
        "to see each facility — the map shows single facilities up to {limit}."
    ).format(n=number(len(points)), limit=number(MAP_POINTS_LIMIT))


def legend(points: pd.DataFrame, facets: dict[str, int], first: tuple[str, ...] = ()) -> list[tuple[PointType, int]]:
    """Each colour class in :func:`colour_order`, with its count: ``facets`` (the result's treatment-type
    counts), the number the filter shows — how many results offer it, whatever colour they got; for
    "Other services", how many points have that colour. Classes with none are omitted."""
    others = int((points["t"].to_numpy(dtype=np.int64) == len(TYPES) - 1).sum())
    counts = [(TYPES[_INDEX[g]], int(facets.get(g, 0))) for g in colour_order(first)] + [(TYPES[-1], others)]
    return [(t, n) for t, n in counts if n]


def type_label(taxonomy: Taxonomy, t: PointType) -> str:
    """A colour class's name: its treatment type's label in the vocabulary, or "Other services"."""
    return _("Other services") if t.group == "other" else taxonomy.group(t.group).label


def legend_html(entries: list[tuple[PointType, int]], taxonomy: Taxonomy) -> str:
    """The legend as a small HTML list (fixed labels only; no facility text), with how colour is chosen."""
    items = "".join(
        f'<span style="display:inline-block;margin-right:14px;white-space:nowrap">'
        f'<span style="display:inline-block;width:11px;height:11px;border-radius:50%;'
        f'background:{t.hex};margin-right:5px;vertical-align:middle"></span>'
        f"{html.escape(type_label(taxonomy, t))} ({number(count)})</span>"
        for t, count in entries
    )
    how = _(
        "Counts are results offering each type, as in the filters. A facility offering several types is "
        "coloured by the first of them in this order; \u201c{other}\u201d offer none of these."
    ).format(other=_("Other services"))
    return (
        f'<div style="font-size:0.85rem;line-height:1.8">{items}</div>'
        f'<div style="font-size:0.78rem;color:#555">{html.escape(how)}</div>'
    )


@lru_cache(maxsize=4)
def state_outlines(tolerance: float = OUTLINE_TOLERANCE_DEG, folder: Path | None = None) -> dict:
    """State outlines (Census 1:10m) simplified for drawing, coordinates snapped to 0.005 degrees (about 500 m)."""
    path = Path(folder or paths.BOUNDARIES_DIR) / "us_states_2017_10m.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        geom = shapely.set_precision(shape(feature["geometry"]).simplify(tolerance, preserve_topology=True), 0.005)
        if geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"n": feature["properties"]["name"], "s": feature["properties"]["state"]},
                "geometry": _rounded(mapping(geom), 3),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def outlines_json(tolerance: float = OUTLINE_TOLERANCE_DEG) -> str:
    """:func:`state_outlines` as the bytes of ``static/state-outlines.json`` (a test checks the file matches).
    The map fetches it once and the browser keeps it, so the outlines (147 KB) are never part of a
    search's payload."""
    return json.dumps(state_outlines(tolerance), separators=(",", ":"), sort_keys=True) + "\n"


def _rounded(value, decimals: int):
    """GeoJSON coordinates rounded (snapped floats print as -87.21500000000001 otherwise)."""
    if isinstance(value, float):
        return round(value, decimals)
    if isinstance(value, (list, tuple)):
        return [_rounded(v, decimals) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v, decimals) for k, v in value.items()}
    return value


def fit_view(
    lats: np.ndarray,
    lons: np.ndarray,
    *,
    width: int = 560,
    height: int = 520,
    padding: int = 40,
    max_zoom: float = 13.0,
) -> dict[str, float]:
    """Centre and zoom (Web Mercator) that fit the points in ``width`` × ``height`` pixels; many points fit
    their 1st–99th percentiles. ``bounds`` (south, north, west, east) are what was fitted: the map fits
    them again to its real size (map.js, ``fit``), with the same padding and maximum zoom.

    >>> v = fit_view(np.array([27.9, 28.1]), np.array([-82.6, -82.4]))
    >>> round(v["latitude"], 2), round(v["longitude"], 2), 9 < v["zoom"] < 12
    (28.0, -82.5, True)
    """
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    ok = np.isfinite(lats) & np.isfinite(lons)
    lats, lons = lats[ok], lons[ok]
    if not len(lats):
        return {"latitude": 39.5, "longitude": -98.35, "zoom": 3.0, "bounds": None}
    if len(lats) > 200:
        lo_lat, hi_lat = np.percentile(lats, [1, 99])
        lo_lon, hi_lon = np.percentile(lons, [1, 99])
    else:
        lo_lat, hi_lat, lo_lon, hi_lon = lats.min(), lats.max(), lons.min(), lons.max()

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    y0, y1 = merc(lo_lat), merc(hi_lat)
    span_x = max((hi_lon - lo_lon) / 360.0, 1e-9)
    span_y = max((y1 - y0) / (2 * math.pi), 1e-9)
    zoom = min(
        math.log2((width - 2 * padding) / (512 * span_x)), math.log2((height - 2 * padding) / (512 * span_y)), max_zoom
    )
    mid_y = (y0 + y1) / 2
    return {
        "latitude": float(math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)),
        "longitude": float(lo_lon + hi_lon) / 2,
        "zoom": round(max(zoom, 1.0), 2),
        "bounds": [round(float(v), 5) for v in (lo_lat, hi_lat, lo_lon, hi_lon)],
    }


def map_credit(tiles: dict[str, str] | None) -> str:
    """The credit the map shows in its corner: the tiles' attribution when it draws tiles, then the place
    names' (GeoNames, CC BY 4.0) and, offline, the outlines' (Census)."""
    names = _("Place names: GeoNames (CC BY 4.0)")
    if tiles:
        return f"{tiles['attribution']} \u00b7 {names}"
    outlines = _("Outlines: US Census Bureau")
    return f"{names} \u00b7 {outlines}"


@dataclass(frozen=True)
class MapData:
    """What the map component draws for one result; the same whatever is selected (the selection is
    added by :meth:`payload`). ``ids`` are the facility ids in the order of the points sent."""

    view: dict[str, float]
    points: dict[str, list] | None
    clusters: dict[str, list] | None
    circle: dict[str, float] | None
    place: dict[str, object] | None
    tiles: dict[str, str] | None
    ids: tuple[str, ...]
    #: The towns in and around the view, largest first (:func:`~directory.view.places.map_towns`): the map
    #: names those that fit.
    towns: dict[str, list] | None = None
    #: Said under the map (:func:`map_note`), and its legend (:func:`legend`): not sent to the component.
    note: str = ""
    legend: tuple[tuple[PointType, int], ...] = ()

    def payload(self, selected: str | None = None, *, label: str | None = None, height: int = MAP_HEIGHT) -> dict:
        """The component's data: JSON-ready, with the index of the ``selected`` facility's point (or -1), and
        the words of its controls in the current language."""
        index = self.ids.index(selected) if self.points is not None and selected in self.ids else -1
        return {
            "view": self.view,
            "points": self.points,
            "clusters": self.clusters,
            "circle": self.circle,
            "place": self.place,
            "towns": self.towns,
            "tiles": self.tiles,
            "credit": map_credit(self.tiles),
            "selected": index,
            "label": label if label is not None else _(MAP_LABEL),
            "words": {key: _(text) for key, text in MAP_WORDS.items()},
            "height": height,
            "outlines": OUTLINES_URL,
            # County lines and names when zoomed in, offline only (tiles draw their own).
            "counties": None if self.tiles else {"url": COUNTIES_URL, "zoom": COUNTY_ZOOM},
            "types": [list(t.rgb) for t in TYPES],
            "water": WATER,
            "land": LAND,
            "border": BORDER,
        }

    def payload_bytes(self) -> int:
        """How many bytes of JSON the map sends to the browser."""
        return len(json.dumps(self.payload(), separators=(",", ":")).encode("utf-8"))


def build_map(store: Store, result: SearchResult) -> MapData:
    """The map for a result, its view fitted to the results and the search circle; its legend counts are
    the result's treatment-type counts (as the filter shows them), its colours chosen by the types
    searched first."""
    points = map_points(store, result.frame, result.coordinates(), result.query.services)
    area, center = result.area, result.center
    circle = None
    if area is not None and center is not None:
        # A circle in metres at its centre's Mercator scale: within 0.5 % of the geodesic search circle at
        # 25 miles, 1.5 % at 100.
        circle = {
            "x": round(center.longitude, 5),
            "y": round(center.latitude, 5),
            "r": round(result.query.radius_miles * METRES_PER_MILE),
        }
    place = None
    if center is not None:
        place = {
            "x": round(center.longitude, 5),
            "y": round(center.latitude, 5),
            "n": plain(center.label),
            "c": _("the place you searched"),
        }
    clusters = dots = None
    if len(points) > MAP_POINTS_LIMIT:
        clusters = areas(points)
    else:
        dots = {
            "x": points["lon"].tolist(),
            "y": points["lat"].tolist(),
            "t": points["t"].astype(int).tolist(),
            "n": points["n"].tolist(),
            "c": points["c"].tolist(),
        }
    lats = points["lat"].to_numpy(dtype=float)
    lons = points["lon"].to_numpy(dtype=float)
    if area is not None:
        minx, miny, maxx, maxy = area.bounds
        lats = np.concatenate([lats, [miny, maxy]])
        lons = np.concatenate([lons, [minx, maxx]])
    elif center is not None:
        lats = np.concatenate([lats, [center.latitude]])
        lons = np.concatenate([lons, [center.longitude]])
    view = fit_view(lats, lons)
    return MapData(
        view=view,
        towns=map_towns(view["bounds"]),
        points=dots,
        clusters=clusters,
        circle=circle,
        place=place,
        tiles=usable_tiles(),
        ids=tuple(points["id"].tolist()) if dots is not None else (),
        note=map_note(points),
        legend=tuple(legend(points, result.facets.get("service", {}), result.query.services)),
    )


def selected_id(index: object, data: MapData) -> str | None:
    """The facility id of the point the map says was clicked (its index among the points), or None."""
    if isinstance(index, bool) or not isinstance(index, int):
        return None
    return data.ids[index] if 0 <= index < len(data.ids) else None

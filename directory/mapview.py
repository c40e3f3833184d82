"""The results map as a pydeck :class:`~pydeck.Deck`: points by treatment type, the search
circle and the searched place (the state outlines are in the base style).

Works with no internet: by default the base map is a blank local style (served by the
app from ``static/``), whose land is the state outlines; set ``DIRECTORY_MAP_TILES`` to a style
URL (or ``carto``) to draw web tiles instead. Only what the map needs is sent to the browser:
name, place and rounded coordinates (a selection's index finds the id, :func:`layer_ids`).
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize
import shapely
from shapely.geometry import mapping, shape

from . import paths
from .geo import METRES_PER_MILE
from .search import SearchResult
from .store import Store
from .view.results import groups_of

#: Served by Streamlit static serving from ``static/`` next to ``app.py``.
BLANK_STYLE_URL = "/app/static/blank-style.json"
#: Environment variable: a map style URL, or ``carto`` for pydeck's Carto light tiles.
TILES_ENV = "DIRECTORY_MAP_TILES"
#: 4 decimals is about 11 m: plenty for a map, and a smaller payload.
COORD_DECIMALS = 4
OUTLINE_TOLERANCE_DEG = 0.02
WATER = "#dde6ee"
#: Above this many results the map draws areas with counts instead of single points: 22,000 dots
#: nationally overlap into a blot and took a software-rendered browser about 1.5 s per redraw.
MAP_POINTS_LIMIT = 2_500
#: The size of those areas, in degrees (about 35 miles north to south).
CLUSTER_DEGREES = 0.5


@dataclass(frozen=True)
class PointType:
    """A colour class of points: the first group (in :data:`TYPES` order) a facility is in."""

    group: str
    label: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#%02x%02x%02x" % self.rgb

    @property
    def layer_id(self) -> str:
        return f"facilities-{self.group}"


#: Okabe–Ito colours (distinguishable with the common colour-vision deficiencies).
TYPES = (
    PointType("mat", "Medication for addiction (MAT)", (0, 114, 178)),
    PointType("detox", "Detox", (213, 94, 0)),
    PointType("residential", "Residential", (0, 158, 115)),
    PointType("inpatient", "Hospital inpatient", (204, 121, 167)),
    PointType("intensive-outpatient", "Intensive outpatient", (230, 159, 0)),
    PointType("outpatient", "Outpatient", (86, 180, 233)),
    PointType("other", "Other services", (110, 110, 110)),
)
LAYER_IDS = frozenset(t.layer_id for t in TYPES)


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


def map_points(store: Store, frame: pd.DataFrame, points: tuple[np.ndarray, np.ndarray] | None = None,
               first: tuple[str, ...] = ()) -> pd.DataFrame:
    """The columns the map needs: ``id``, ``n`` (name), ``c`` (city, state, and how many sites share the
    spot), ``lon``, ``lat``, ``t`` (type). ``points`` are the rows' latitudes and longitudes when the
    caller has them as floats; ``first`` the treatment types to colour by first."""
    if points is None:
        points = (pd.to_numeric(frame["latitude"]).to_numpy(dtype=float),
                  pd.to_numeric(frame["longitude"]).to_numpy(dtype=float))
    lon, lat = np.round(points[1], COORD_DECIMALS), np.round(points[0], COORD_DECIMALS)
    places = [f"{c}, {s}" for c, s in zip(frame["city"].tolist(), frame["state"].tolist())]
    if 0 < len(frame) <= MAP_POINTS_LIMIT:  # above it the map draws areas, whose tooltips say how many
        # Sites at one spot (a hospital campus, one building) draw as one dot: the tooltip says how many.
        _, where, counts = np.unique(np.stack([lat, lon], axis=1), axis=0, return_inverse=True, return_counts=True)
        shared = counts[where.ravel()]
        places = [p if k == 1 else f"{p} · {k} facilities at this spot (see the list)" for p, k in zip(places, shared)]
    return pd.DataFrame({
        "id": np.array(frame["facility_id"].tolist(), dtype=object),
        "n": np.array(frame["name"].tolist(), dtype=object),
        "c": np.array(places, dtype=object),
        "lon": lon,
        "lat": lat,
        "t": point_types(store, frame, first),
    })


def _records(points: pd.DataFrame) -> list[dict]:
    """What each point sends: ``n`` name, ``c`` place, ``p`` [lon, lat]. Built from column lists
    (pandas' to_dict took 60 ms for the national map); a position pair is 12 bytes shorter than
    ``"lon":…,"lat":…``."""
    return [{"n": n, "c": c, "p": [x, y]}
            for n, c, x, y in zip(points["n"].tolist(), points["c"].tolist(), points["lon"].tolist(),
                                  points["lat"].tolist())]


def cluster_records(points: pd.DataFrame, degrees: float = CLUSTER_DEGREES) -> list[dict]:
    """The points grouped into ``degrees`` cells: one record per cell at the mean point of its
    facilities, ``n`` how many, ``r`` a radius in metres growing with the square root of the count.

    >>> pts = pd.DataFrame({"lat": [27.95, 27.96, 40.7], "lon": [-82.46, -82.45, -74.0]})
    >>> [(c["n"], c["r"]) for c in cluster_records(pts)]
    [('2 facilities', 3536), ('1 facility', 2500)]
    """
    if not len(points):
        return []
    lat, lon = points["lat"].to_numpy(dtype=float), points["lon"].to_numpy(dtype=float)
    cells = np.stack([np.floor(lat / degrees), np.floor(lon / degrees)], axis=1)
    _, group, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    mean_lat = np.bincount(group, weights=lat) / counts
    mean_lon = np.bincount(group, weights=lon) / counts
    order = np.argsort(-counts, kind="stable")
    return [{"n": f"{int(counts[i]):,} {'facility' if counts[i] == 1 else 'facilities'}",
             "c": "type a place or add a filter to see each one",
             "p": [round(float(mean_lon[i]), 3), round(float(mean_lat[i]), 3)],
             "r": int(round(2500 * float(np.sqrt(counts[i]))))} for i in order]


def map_note(points: pd.DataFrame) -> str:
    """Said under a map that shows areas instead of facilities ('' otherwise)."""
    if len(points) <= MAP_POINTS_LIMIT:
        return ""
    return (f"The map groups these {len(points):,} facilities by area (circles sized by how many); type a place "
            f"or add a filter to see each facility — the map shows single facilities up to {MAP_POINTS_LIMIT:,}.")


def legend(points: pd.DataFrame, facets: dict[str, int] | None = None,
           first: tuple[str, ...] = ()) -> list[tuple[PointType, int]]:
    """Each colour class in :func:`colour_order`, with its count: with ``facets`` (the result's
    treatment-type counts) the same number the filter shows — how many results offer it, whatever
    colour they got; without, how many points have the colour. Classes with none are omitted."""
    counts = np.bincount(points["t"].to_numpy(dtype=np.int64), minlength=len(TYPES)) if len(points) else [0] * len(TYPES)
    order = [_INDEX[g] for g in colour_order(first)] + [len(TYPES) - 1]
    out = []
    for i in order:
        t = TYPES[i]
        n = int(facets.get(t.group, 0)) if facets is not None and t.group != "other" else int(counts[i])
        if n:
            out.append((t, n))
    return out


def legend_html(entries: list[tuple[PointType, int]]) -> str:
    """The legend as a small HTML list (fixed labels only; no facility text), with how colour is chosen."""
    items = "".join(
        f'<span style="display:inline-block;margin-right:14px;white-space:nowrap">'
        f'<span style="display:inline-block;width:11px;height:11px;border-radius:50%;'
        f'background:{t.hex};margin-right:5px;vertical-align:middle"></span>'
        f"{html.escape(t.label)} ({count:,})</span>" for t, count in entries)
    how = ("Counts are results offering each type, as in the filters. A facility offering several types is "
           "coloured by the first of them in this order; \u201cOther services\u201d offer none of these.")
    return (f'<div style="font-size:0.85rem;line-height:1.8">{items}</div>'
            f'<div style="font-size:0.78rem;color:#555">{html.escape(how)}</div>')


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
        features.append({"type": "Feature", "properties": {"n": feature["properties"]["name"]},
                         "geometry": _rounded(mapping(geom), 3)})
    return {"type": "FeatureCollection", "features": features}


def blank_style(tolerance: float = OUTLINE_TOLERANCE_DEG) -> dict:
    """The base map the app serves from ``static/blank-style.json``: water, and the state outlines as an
    inline GeoJSON source. The base map draws them once and keeps them while the results change, so
    they are never part of the per-search payload (they were 147 KB of a 152 KB Tampa map)."""
    return {
        "version": 8, "name": "blank, with US state outlines (Census 2017, 1:10m, simplified)",
        "sources": {"states": {"type": "geojson", "data": state_outlines(tolerance)}},
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": WATER}},
            {"id": "land", "type": "fill", "source": "states", "paint": {"fill-color": "#faf9f5"}},
            {"id": "borders", "type": "line", "source": "states", "paint": {"line-color": "#969696", "line-width": 1}},
        ],
    }


def blank_style_json() -> str:
    """:func:`blank_style` as the bytes of ``static/blank-style.json`` (a test checks the file matches)."""
    return json.dumps(blank_style(), separators=(",", ":"), sort_keys=True) + "\n"


def _rounded(value, decimals: int):
    """GeoJSON coordinates rounded (snapped floats print as -87.21500000000001 otherwise)."""
    if isinstance(value, float):
        return round(value, decimals)
    if isinstance(value, (list, tuple)):
        return [_rounded(v, decimals) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v, decimals) for k, v in value.items()}
    return value


def fit_view(lats: np.ndarray, lons: np.ndarray, *, width: int = 560, height: int = 520,
             padding: int = 40, max_zoom: float = 13.0) -> dict[str, float]:
    """Centre and zoom (Web Mercator) that fit the points; many points fit their 1st–99th percentiles.

    >>> v = fit_view(np.array([27.9, 28.1]), np.array([-82.6, -82.4]))
    >>> round(v["latitude"], 2), round(v["longitude"], 2), 9 < v["zoom"] < 12
    (28.0, -82.5, True)
    """
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    ok = np.isfinite(lats) & np.isfinite(lons)
    lats, lons = lats[ok], lons[ok]
    if not len(lats):
        return {"latitude": 39.5, "longitude": -98.35, "zoom": 3.0}
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
    zoom = min(math.log2((width - 2 * padding) / (512 * span_x)),
               math.log2((height - 2 * padding) / (512 * span_y)), max_zoom)
    mid_y = (y0 + y1) / 2
    return {"latitude": float(math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)),
            "longitude": float(lo_lon + hi_lon) / 2, "zoom": round(max(zoom, 1.0), 2)}


def map_style() -> str:
    """The base map style: the blank local style unless ``DIRECTORY_MAP_TILES`` says otherwise."""
    setting = os.environ.get(TILES_ENV, "").strip()
    if not setting:
        return BLANK_STYLE_URL
    if setting.lower() == "carto":
        return pdk.map_styles.CARTO_LIGHT
    return setting


#: Pan, zoom and pinch as usual, but no zoom on a double click: while deck.gl listens for double clicks it
#: holds every single click ~300 ms to see whether a second follows, so a click on a facility's point
#: opened its detail 300 ms late (the zoom buttons, the wheel and pinching still zoom).
MAP_VIEW = pdk.View(type="MapView", controller={"doubleClickZoom": False})


def build_deck(store: Store, result: SearchResult, *, style: str | None = None,
               points: pd.DataFrame | None = None) -> pdk.Deck:
    """The map for a result, its view fitted to the results and search circle. It does not depend on
    which facility is selected, so a selection does not make the browser redraw it."""
    points = map_points(store, result.frame, result.coordinates(), result.query.services) if points is None else points
    # The state outlines are in the base style (blank_style), not a layer: see there.
    layers: list[pdk.Layer] = []
    area = result.area
    if area is not None and result.center is not None:
        # The search circle as a circle in metres at its centre's scale (within 0.5 % of the geodesic
        # circle at 25 miles, 1.5 % at 100): a ScatterplotLayer like the points, so the browser compiles
        # no other shader for a search (a PolygonLayer's first draw cost about 500 ms on a software renderer).
        layers.append(pdk.Layer(
            "ScatterplotLayer", [{"p": [round(result.center.longitude, 5), round(result.center.latitude, 5)],
                                  "r": round(result.query.radius_miles * METRES_PER_MILE)}],
            id="radius", get_position="p", get_radius="r", get_fill_color=[0, 114, 178, 18],
            get_line_color=[0, 114, 178, 160], line_width_min_pixels=2, stroked=True, filled=True, pickable=False))
    if len(points) > MAP_POINTS_LIMIT:
        layers.append(pdk.Layer(
            "ScatterplotLayer", cluster_records(points), id="clusters", get_position="p", get_radius="r",
            radius_min_pixels=3, radius_max_pixels=28, get_fill_color=[0, 114, 178, 150],
            get_line_color=[255, 255, 255], stroked=True, line_width_min_pixels=1, pickable=True, auto_highlight=True))
    else:
        kinds = points["t"].to_numpy() if len(points) else np.zeros(0, dtype=np.int64)
        for i, kind in enumerate(TYPES):
            layers.append(pdk.Layer(
                "ScatterplotLayer", _records(points[kinds == i]), id=kind.layer_id, get_position="p",
                get_fill_color=list(kind.rgb) + [215], get_line_color=[255, 255, 255], stroked=True,
                line_width_min_pixels=1, get_radius=250, radius_min_pixels=4, radius_max_pixels=12,
                pickable=True, auto_highlight=True))
    center = result.center
    if center is not None:
        layers.append(pdk.Layer(
            "ScatterplotLayer", [{"n": center.label, "c": "the place you searched",
                                  "p": [round(center.longitude, 5), round(center.latitude, 5)]}],
            id="searched", get_position="p", get_fill_color=[20, 20, 20], get_line_color=[255, 255, 255],
            stroked=True, line_width_min_pixels=2, get_radius=1, radius_min_pixels=7, pickable=True))
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
    return CompactDeck(
        layers=layers, initial_view_state=pdk.ViewState(**view, pitch=0, bearing=0),
        map_style=style or map_style(), tooltip={"text": "{n}\n{c}"}, views=[MAP_VIEW],
    )


def logo_css() -> str:
    """CSS for the map: with the blank local style no map vendor's service is used (no tiles, no fonts,
    no sprites), so mapbox-gl's logo — a link off the app — is hidden; with web tiles
    (``DIRECTORY_MAP_TILES``) the vendor's attribution stays."""
    if map_style() != BLANK_STYLE_URL:
        return ""
    return ".mapboxgl-ctrl-logo, .maplibregl-ctrl-logo { display: none !important; }"


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation (pydeck indents by 2, which more than doubled the payload)."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def payload_bytes(deck: pdk.Deck) -> int:
    """How many bytes of JSON the map sends to the browser."""
    return len(deck.to_json().encode("utf-8"))


def layer_ids(points: pd.DataFrame) -> dict[str, list[str]]:
    """For each facility layer, the facility ids in the order of its points. The points sent to
    the browser carry no id (20 bytes each); a selection's index finds it here."""
    kinds = points["t"].to_numpy() if len(points) else np.zeros(0, dtype=np.int64)
    ids = points["id"].to_numpy(dtype=object) if len(points) else np.zeros(0, dtype=object)
    return {kind.layer_id: ids[kinds == i].tolist() for i, kind in enumerate(TYPES)}


def selected_id(selection: object, ids: dict[str, list[str]]) -> str | None:
    """The facility id a ``st.pydeck_chart`` selection points at (any facility layer), or None."""
    try:
        indices = selection["selection"]["indices"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    for layer_id, chosen in (indices or {}).items():
        if layer_id in LAYER_IDS and chosen:
            layer = ids.get(layer_id, [])
            if 0 <= int(chosen[0]) < len(layer):
                return layer[int(chosen[0])]
    return None

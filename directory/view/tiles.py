"""What the map draws under its points: nothing but the offline outlines by default, or tiles a deployer
configures — web tiles (an XYZ URL, or Carto's), or one PMTiles archive of raster tiles the deployer
hosts themselves (on their own web server, or in the app's ``static/`` folder, which answers the range
requests a PMTiles reader makes).

Every tiled mode needs its attribution: the setting refuses a tile source without one, in one line. No
tile server is ever a default (the OpenStreetMap Foundation's own servers included): with no setting
the map asks nothing of the network.

    DIRECTORY_MAP_TILES=carto
    DIRECTORY_MAP_TILES=https://tiles.example.org/{z}/{x}/{y}.png
    DIRECTORY_MAP_TILES=pmtiles:/app/static/region.pmtiles          (the app's own static folder)
    DIRECTORY_MAP_TILES=pmtiles:https://maps.example.org/region.pmtiles
    DIRECTORY_MAP_TILES_ATTRIBUTION="© OpenStreetMap contributors"   (required but for carto)
"""

from __future__ import annotations

import os

from ..core.errors import DirectoryError

#: Environment variables: the tile source, and the credit its licence requires.
TILES_ENV = "DIRECTORY_MAP_TILES"
ATTRIBUTION_ENV = "DIRECTORY_MAP_TILES_ATTRIBUTION"
CARTO_TILES = "https://basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png"
CARTO_ATTRIBUTION = "\u00a9 OpenStreetMap contributors \u00a9 CARTO"
#: npm ``pmtiles`` 4.5.0 (BSD-3, with fflate 0.8.2, MIT), vendored in ``static/vendor/`` with its licences;
#: the map loads it only in the PMTiles mode.
PMTILES_SCRIPT = "/app/static/vendor/pmtiles-4.5.0.js"
#: Where the app serves its own static folder from.
APP_STATIC = "/app/static/"
MAX_ATTRIBUTION = 200


def _attribution() -> str:
    credit = " ".join(os.environ.get(ATTRIBUTION_ENV, "").split())
    if not credit:
        raise DirectoryError(
            f"{TILES_ENV} needs {ATTRIBUTION_ENV}: the credit its tiles' licence requires "
            "(e.g. '\u00a9 OpenStreetMap contributors'), shown on the map"
        )
    if len(credit) > MAX_ATTRIBUTION:
        raise DirectoryError(f"{ATTRIBUTION_ENV} is {len(credit)} characters; at most {MAX_ATTRIBUTION}")
    return credit


def _web_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url.split("/")) > 3 and bool(url.split("/")[2])


def map_tiles() -> dict[str, str] | None:
    """The tiles the map draws, from ``DIRECTORY_MAP_TILES`` (None by default: the map then needs no
    network): ``{"url", "attribution"}`` for web tiles, ``{"pmtiles", "script", "attribution"}`` for a
    PMTiles archive. A setting it cannot use, or a tile source without its attribution, raises
    :class:`DirectoryError` with one line."""
    setting = os.environ.get(TILES_ENV, "").strip()
    if not setting:
        return None
    if setting.lower() == "carto":
        return {"url": CARTO_TILES, "attribution": CARTO_ATTRIBUTION}
    if setting.lower().startswith("pmtiles:"):
        archive = setting[len("pmtiles:") :].strip()
        if not (_web_url(archive) or archive.startswith(APP_STATIC)) or not archive.lower().endswith(".pmtiles"):
            raise DirectoryError(
                f"{TILES_ENV}=pmtiles: takes the archive's URL (https://…/name.pmtiles) or its path in the "
                f"app's static folder ({APP_STATIC}name.pmtiles), not {archive[:80]!r}"
            )
        return {"pmtiles": archive, "script": PMTILES_SCRIPT, "attribution": _attribution()}
    if not _web_url(setting) or not all(k in setting for k in ("{z}", "{x}", "{y}")):
        raise DirectoryError(
            f"{TILES_ENV} must be 'carto', a tile URL with {{z}}, {{x}} and {{y}}, or pmtiles:<archive>, "
            f"not {setting[:80]!r}"
        )
    return {"url": setting, "attribution": _attribution()}


def tiles_problem() -> str | None:
    """Why the tile setting is refused (one line), or None when it is usable or unset."""
    try:
        map_tiles()
    except DirectoryError as exc:
        return str(exc)
    return None


def usable_tiles() -> dict[str, str] | None:
    """:func:`map_tiles`, or None when the setting is refused: the map then draws its offline outlines
    (the app says why in one line, :func:`tiles_problem`)."""
    try:
        return map_tiles()
    except DirectoryError:
        return None

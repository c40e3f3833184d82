// Tiles under the map, when the app is configured with them (directory/view/tiles.py): web tiles from an
// XYZ URL, or raster tiles from one PMTiles archive the deployer hosts (read with the vendored npm
// `pmtiles`, loaded only in that mode). Both hand out 256-pixel tiles: tile(z, x, y) says whether that
// tile is done (come back, or failed: a failed one counts) and its image, and asks for it once.
// Prepended to map.js (mapview.MAP_JS), so its names are the module's own.

const TILE_TYPES = {2: "image/png", 3: "image/jpeg", 4: "image/webp", 5: "image/avif"};
let pmtilesScript = null;

// The vendored reader, loaded once per page (a classic script that defines window.pmtiles).
function loadPmtiles(src) {
  if (window.pmtiles) return Promise.resolve(window.pmtiles);
  if (!pmtilesScript) {
    pmtilesScript = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => resolve(window.pmtiles);
      script.onerror = () => reject(new Error("the PMTiles reader did not load"));
      document.head.appendChild(script);
    });
  }
  return pmtilesScript;
}

class TileSource {
  // tiles: {url, attribution} or {pmtiles, script, attribution}; redraw: called when a tile comes back.
  constructor(tiles, redraw) {
    this.key = JSON.stringify(tiles);
    this.tiles = tiles;
    this.redraw = redraw;
    this.cache = new Map();
    this.minZoom = 0;
    this.maxZoom = 19;
    this.ready = !tiles.pmtiles;
    if (tiles.pmtiles) {
      this.archive = loadPmtiles(tiles.script).then(lib => {
        const archive = new lib.PMTiles(tiles.pmtiles);
        return archive.getHeader().then(header => {
          this.minZoom = header.minZoom;
          this.maxZoom = header.maxZoom;
          this.type = TILE_TYPES[header.tileType] || "";
          this.ready = true;
          this.redraw();
          return archive;
        });
      });
      this.archive.catch(() => { this.failed = true; this.redraw(); });
    }
  }

  // The zoom of the tiles to draw for the map's zoom (256-pixel tiles: one more than its 512-pixel zoom),
  // within the archive's zooms; null until an archive's header is in.
  zoomFor(mapZoom) {
    if (this.failed || !this.ready) return null;
    return Math.max(this.minZoom, Math.min(this.maxZoom, Math.round(mapZoom + 1)));
  }

  tile(z, x, y) {
    const key = z + "/" + x + "/" + y;
    let entry = this.cache.get(key);
    if (entry) return entry;
    entry = {done: false, image: null};
    this.cache.set(key, entry);
    const finish = image => { entry.done = true; entry.image = image; this.redraw(); };
    if (this.tiles.pmtiles) {
      this.archive
        .then(archive => archive.getZxy(z, x, y))
        .then(found => found && found.data ? createImageBitmap(new Blob([found.data], {type: this.type})) : null)
        .then(finish, () => finish(null));
    } else {
      const img = new Image();  // no CORS asked: the canvas is never read back, so any tile server will do
      img.onload = () => finish(img.naturalWidth ? img : null);
      img.onerror = () => finish(null);
      img.src = this.tiles.url.replace("{z}", z).replace("{x}", x).replace("{y}", y);
    }
    return entry;
  }
}

// The results map: a Streamlit component (st.components.v2) drawing on one 2-D canvas.
//
// Why not deck.gl (st.pydeck_chart): its code is 3 MB that every first visit parses before the map
// shows (300-470 ms of a first load here), and on a browser without a GPU each click on a point
// read the WebGL canvas back twice (150-250 ms) before the selection left the page. This file is
// about 15 KB; finding the point under the pointer is arithmetic.
//
// Everything drawn from the data is drawn on the canvas or set as textContent: facility text is never
// parsed as HTML. The only requests are the state outlines and, zoomed in, the counties of the states in
// view (same origin, cached by the browser) or, if the app is configured with tiles, those tiles.
//
// data: {view: {latitude, longitude, zoom}, height, label, outlines: url,
//        tiles: {url, attribution} | {pmtiles, script, attribution} | null (tiles.js),
//        types: [[r, g, b], ...], points: {x: [], y: [], t: [], n: [], c: []},
//        clusters: {x: [], y: [], r: [], n: [], c: "the same line for every area"} | null, circle: {x, y, r} | null,
//        place: {x, y, n, c} | null, towns: {x: [], y: [], n: [], p: []} | null (largest first),
//        counties: {url: ".../{s}.json", zoom} | null (county lines and names from that zoom in, offline only),
//        selected: index | -1, water, land, border}
// It sends one trigger, "pick": the index of the point clicked.

const TILE = 512;
const MIN_ZOOM = 1, MAX_ZOOM = 18;

function mercY(lat) {
  const clamped = Math.max(Math.min(lat, 85), -85) * Math.PI / 180;
  return Math.log(Math.tan(Math.PI / 4 + clamped / 2));
}
// World pixels (at zoom 0, 512-pixel tiles) of a longitude and latitude.
function worldX(lon) { return (lon + 180) / 360 * TILE; }
function worldY(lat) { return (1 - mercY(lat) / Math.PI) / 2 * TILE; }
function lonOf(wx) { return wx / TILE * 360 - 180; }
function latOf(wy) { return Math.atan(Math.sinh(Math.PI * (1 - 2 * wy / TILE))) * 180 / Math.PI; }

class FacilityMap {
  constructor(root) {
    this.wrap = root.querySelector(".map");
    this.canvas = root.querySelector("canvas");
    this.tip = root.querySelector(".tip");
    this.note = root.querySelector(".wheel-note");
    this.credit = root.querySelector(".credit");
    this.live = root.querySelector(".live");
    this.ctx = this.canvas.getContext("2d");
    this.pointers = new Map();
    this.rings = null;
    this.states = [];
    this.counties = new Map();  // a state's code: its counties once loaded (null while loading)
    this.frame = 0;
    this.width = 0;
    root.querySelector(".zoom-in").addEventListener("click", () => this.zoomAt(1, this.width / 2, this.height / 2));
    root.querySelector(".zoom-out").addEventListener("click", () => this.zoomAt(-1, this.width / 2, this.height / 2));
    root.querySelector(".fit").addEventListener("click", () => { this.moved_by_hand = false; this.fit(); this.draw(); });
    const c = this.canvas;
    c.addEventListener("pointerdown", e => this.down(e));
    c.addEventListener("pointermove", e => this.move(e));
    c.addEventListener("pointerup", e => this.up(e));
    c.addEventListener("pointercancel", e => this.up(e, true));
    c.addEventListener("pointerleave", e => { if (e.pointerType === "mouse") this.hideTip(); });
    // The wheel scrolls the page, as everywhere else on it: a person scrolling down to the list is not
    // caught by the map. Ctrl (or ⌘) with the wheel zooms it, as does a trackpad's pinch (which the
    // browser sends as a wheel with Ctrl held); a plain wheel says so for a moment.
    c.addEventListener("wheel", e => {
      if (!e.ctrlKey && !e.metaKey) { this.hideTip(); this.hint(); return; }
      e.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoomAt(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.002), e.clientX - r.left, e.clientY - r.top);
    }, {passive: false});
    // Stops watching once Streamlit has taken the map off the page (a search with no result).
    const watch = new ResizeObserver(() => this.wrap.isConnected ? this.resize() : watch.disconnect());
    watch.observe(this.wrap);
  }

  update(data) {
    const old = this.data;
    this.data = data;
    this.height = data.height;
    this.wrap.style.height = data.height + "px";
    this.canvas.setAttribute("aria-label", data.label || "Map");
    // The controls' words, in the page's language (text only: set as attributes and textContent).
    const words = data.words || {};
    for (const [selector, key] of [[".zoom-in", "zoom_in"], [".zoom-out", "zoom_out"], [".fit", "fit"]]) {
      const button = this.wrap.querySelector(selector);
      if (words[key]) { button.setAttribute("aria-label", words[key]); button.setAttribute("title", words[key]); }
    }
    if (words.wheel) this.note.textContent = words.wheel;
    // A new search (another view) fits its results; a new selection keeps where the person panned to.
    if (!old || JSON.stringify(old.view) !== JSON.stringify(data.view)) this.moved_by_hand = false;
    // The selected facility said in words when it changes (a live region; text only, never markup).
    const chosen = data.clusters || !data.points ? -1 : data.selected;
    const said = chosen >= 0 ? data.points.n[chosen] + " — " + data.points.c[chosen] : "";
    if (said !== this.said) {
      this.said = said;
      this.live.textContent = said ? (words.selected || "Selected: {name}").replace("{name}", () => said) : "";
    }
    this.credit.textContent = data.credit || "";  // the tiles' attribution, the names' and the outlines'
    this.credit.hidden = !data.credit;
    if (data.tiles && (!this.tileSource || this.tileSource.key !== JSON.stringify(data.tiles))) {
      this.tileSource = new TileSource(data.tiles, () => this.draw());
    }
    this.prepare();
    loadOutlines(data.outlines).then(outlines => {
      this.rings = outlines && outlines.rings;
      this.states = outlines ? outlines.states : [];
      this.draw();
    });
    this.resize(true);  // drawn now, not at the next frame: the first view of a page is not kept waiting
  }

  // Points in world pixels, and the radius each is drawn at.
  prepare() {
    const d = this.data;
    const p = d.clusters || d.points;
    const n = p.x.length;
    this.wx = new Float64Array(n);
    this.wy = new Float64Array(n);
    for (let i = 0; i < n; i++) { this.wx[i] = worldX(p.x[i]); this.wy[i] = worldY(p.y[i]); }
    // Draw order: by type, in TYPES order from the last, so MAT's points are drawn on top.
    this.order = Array.from({length: n}, (_, i) => i);
    if (!d.clusters) this.order.sort((a, b) => (d.points.t[b] - d.points.t[a]) || (a - b));
  }

  // The results' bounds fitted to this canvas (as mapview.fit_view does for a given size: 40 pixels of
  // padding, zoom 1 to 13), so a phone's narrow map shows them all too.
  fit() {
    const v = this.data.view;
    this.zoom = v.zoom;
    this.cx = worldX(v.longitude);
    this.cy = worldY(v.latitude);
    if (v.bounds && this.width) {
      const [south, north, west, east] = v.bounds, pad = 40;
      const spanX = Math.max((east - west) / 360, 1e-9);
      const spanY = Math.max((mercY(north) - mercY(south)) / (2 * Math.PI), 1e-9);
      const zoom = Math.min(Math.log2((this.width - 2 * pad) / (TILE * spanX)),
                            Math.log2((this.height - 2 * pad) / (TILE * spanY)), 13);
      this.zoom = Math.max(zoom, 1);
      this.cx = worldX((west + east) / 2);
      this.cy = (worldY(south) + worldY(north)) / 2;
    }
  }

  resize(now = false) {
    const w = Math.round(this.wrap.clientWidth);
    if (!w) return;
    const ratio = window.devicePixelRatio || 1;
    this.width = w;
    this.canvas.width = Math.round(w * ratio);
    this.canvas.height = Math.round(this.height * ratio);
    this.canvas.style.width = w + "px";
    this.canvas.style.height = this.height + "px";
    this.ratio = ratio;
    if (!this.moved_by_hand) this.fit();  // a new search, or a new size the person has not panned in
    if (!now) return this.draw();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.paint();
  }

  scale() { return Math.pow(2, this.zoom); }
  // Screen position of world pixels.
  sx(wx) { return (wx - this.cx) * this.scale() + this.width / 2; }
  sy(wy) { return (wy - this.cy) * this.scale() + this.height / 2; }

  metresPerPixel(lat) {
    return 40075016.686 * Math.cos(lat * Math.PI / 180) / (TILE * this.scale());
  }

  radius(i) {
    const d = this.data;
    if (d.clusters) {
      const px = d.clusters.r[i] / this.metresPerPixel(d.clusters.y[i]);
      return Math.max(3, Math.min(28, px));
    }
    return Math.max(4, Math.min(12, 250 / this.metresPerPixel(d.points.y[i])));
  }

  // The searched place, towns and counties named where they fit (names.js).
  paintNames() { drawNames(this); }

  draw() {
    if (this.frame || !this.width || !this.data) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.paint(); });
  }

  paint() {
    const d = this.data, g = this.ctx;
    g.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    this.shown = [];  // the counties named, if any (paintCounties)
    g.fillStyle = d.water;
    g.fillRect(0, 0, this.width, this.height);
    let background = true;
    // Tiles when configured (the outlines instead if the tiles cannot be read at all).
    if (d.tiles && !this.tileSource.failed) background = this.paintTiles();
    else if (this.rings) {
      g.beginPath();
      this.trace(this.rings);
      g.fillStyle = d.land;
      g.fill("evenodd");
      this.paintCounties();
      g.beginPath();
      this.trace(this.rings);
      g.strokeStyle = d.border;
      g.lineWidth = 1;
      g.stroke();
    }
    if (d.circle) {
      const r = d.circle.r / this.metresPerPixel(d.circle.y);
      g.beginPath();
      g.arc(this.sx(worldX(d.circle.x)), this.sy(worldY(d.circle.y)), r, 0, 2 * Math.PI);
      g.fillStyle = "rgba(0, 114, 178, 0.07)";
      g.fill();
      g.strokeStyle = "rgba(0, 114, 178, 0.63)";
      g.lineWidth = 2;
      g.stroke();
    }
    this.paintNames();
    const selected = d.clusters ? -1 : d.selected;
    for (const i of this.order) {
      if (i === selected) continue;
      const x = this.sx(this.wx[i]), y = this.sy(this.wy[i]);
      const r = this.radius(i);
      if (x < -r || y < -r || x > this.width + r || y > this.height + r) continue;
      g.beginPath();
      g.arc(x, y, r, 0, 2 * Math.PI);
      // Colours stay as the legend gives them when a facility is selected (faded, MAT's blue read as
      // Outpatient's); the selected one is marked by its size and a dark ring instead.
      const rgb = d.clusters ? [0, 114, 178] : d.types[d.points.t[i]];
      g.fillStyle = `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${d.clusters ? 0.59 : 0.84})`;
      g.fill();
      g.strokeStyle = "#fff";
      g.lineWidth = 1;
      g.stroke();
      if (i === this.hover) {
        g.strokeStyle = "#222";
        g.lineWidth = 2;
        g.stroke();
      }
    }
    if (d.place) this.dot(worldX(d.place.x), worldY(d.place.y), 7, "#141414", 2);
    if (selected >= 0 && selected < this.wx.length) {
      const rgb = d.types[d.points.t[selected]];
      const r = this.radius(selected) + 3;
      this.dot(this.wx[selected], this.wy[selected], r, `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`, 3, "#141414");
    }
    // For tests and the benchmark: what has been drawn ("points", then "all" once the outlines are in,
    // or every tile in view has come back).
    this.canvas.dataset.drawn = background && (d.tiles || this.rings) ? "all" : "points";
    this.canvas.dataset.view = JSON.stringify({latitude: latOf(this.cy), longitude: lonOf(this.cx), zoom: this.zoom});
    this.canvas.dataset.selected = String(selected);
  }

  // Adds rings (world pixels) to the current path.
  trace(rings) {
    const g = this.ctx, k = this.scale(), w2 = this.width / 2, h2 = this.height / 2;
    for (const ring of rings) {
      for (let i = 0; i < ring.length; i += 2) {
        const x = (ring[i] - this.cx) * k + w2, y = (ring[i + 1] - this.cy) * k + h2;
        if (i) g.lineTo(x, y); else g.moveTo(x, y);
      }
      g.closePath();
    }
  }

  // County lines, zoomed in (names.js).
  paintCounties() { drawCounties(this); }

  dot(wx, wy, r, fill, width, stroke = "#fff") {
    const g = this.ctx;
    g.beginPath();
    g.arc(this.sx(wx), this.sy(wy), r, 0, 2 * Math.PI);
    g.fillStyle = fill;
    g.fill();
    g.strokeStyle = stroke;
    g.lineWidth = width;
    g.stroke();
  }

  // Draws the tiles in view that have come back (tiles.js); whether all of them have (a failed one counts).
  paintTiles() {
    const src = this.tileSource, z = src.zoomFor(this.zoom);
    if (z === null) return false;
    let done = true;
    const g = this.ctx, n = Math.pow(2, z);
    const size = TILE * this.scale() / n;  // a tile of zoom z on screen (about 256 pixels)
    const left = this.cx * this.scale() - this.width / 2, top = this.cy * this.scale() - this.height / 2;
    for (let ty = Math.floor(top / size); ty * size < top + this.height; ty++) {
      if (ty < 0 || ty >= n) continue;
      for (let tx = Math.floor(left / size); tx * size < left + this.width; tx++) {
        const t = src.tile(z, ((tx % n) + n) % n, ty);
        if (!t.done) done = false;
        else if (t.image) g.drawImage(t.image, tx * size - left, ty * size - top, size + 0.5, size + 0.5);
      }
    }
    return done;
  }

  // "Ctrl + scroll to zoom", shown for a moment after a plain wheel over the map.
  hint() {
    this.note.hidden = false;
    clearTimeout(this.noteTimer);
    this.noteTimer = setTimeout(() => { this.note.hidden = true; }, 1500);
  }

  // The point under (x, y) on the canvas: the nearest within its radius and 4 pixels, or -1.
  pick(x, y) {
    let best = -1, bestD = Infinity;
    for (let i = 0; i < this.wx.length; i++) {
      const dx = this.sx(this.wx[i]) - x, dy = this.sy(this.wy[i]) - y;
      const d2 = dx * dx + dy * dy, r = this.radius(i) + 4;
      if (d2 <= r * r && d2 < bestD) { best = i; bestD = d2; }
    }
    return best;
  }

  at(e) {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  down(e) {
    this.canvas.setPointerCapture(e.pointerId);
    const [x, y] = this.at(e);
    this.pointers.set(e.pointerId, {x, y, x0: x, y0: y});
    if (this.pointers.size === 1) this.moved = false;
    this.hideTip();
  }

  move(e) {
    const [x, y] = this.at(e);
    const p = this.pointers.get(e.pointerId);
    if (!p) {
      if (e.pointerType === "mouse") this.showTip(x, y);
      return;
    }
    if (this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      const before = Math.hypot(a.x - b.x, a.y - b.y);
      p.x = x; p.y = y;
      const after = Math.hypot(a.x - b.x, a.y - b.y);
      if (before > 0 && after > 0) this.zoomAt(Math.log2(after / before), (a.x + b.x) / 2, (a.y + b.y) / 2);
      this.moved = true;
      return;
    }
    if (Math.hypot(x - p.x0, y - p.y0) > 4) this.moved = true;
    if (this.moved) {
      this.moved_by_hand = true;
      this.cx -= (x - p.x) / this.scale();
      this.cy -= (y - p.y) / this.scale();
      this.canvas.style.cursor = "grabbing";
      this.draw();
    }
    p.x = x; p.y = y;
  }

  up(e, cancelled = false) {
    const [x, y] = this.at(e);
    const was = this.pointers.size;
    this.pointers.delete(e.pointerId);
    this.canvas.style.cursor = "";
    if (cancelled || this.moved || was !== 1) return;
    const i = this.pick(x, y);
    if (i < 0) return;
    if (this.data.clusters) {
      this.zoomAt(2, x, y);  // an area: zoom in on it
    } else {
      this.data.selected = i;
      this.draw();
      this.send("pick", i);
    }
  }

  zoomAt(delta, x, y) {
    const zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, this.zoom + delta));
    this.moved_by_hand = true;
    // Keep the world point under (x, y) where it is.
    const wx = this.cx + (x - this.width / 2) / this.scale(), wy = this.cy + (y - this.height / 2) / this.scale();
    this.zoom = zoom;
    this.cx = wx - (x - this.width / 2) / this.scale();
    this.cy = wy - (y - this.height / 2) / this.scale();
    this.hideTip();
    this.draw();
  }

  showTip(x, y) {
    const i = this.pick(x, y);
    let lines = null;
    const d = this.data;
    if (i >= 0) {
      const p = d.clusters || d.points;
      lines = [p.n[i], typeof p.c === "string" ? p.c : p.c[i]];  // areas share one second line
    } else if (d.place) {
      const dx = this.sx(worldX(d.place.x)) - x, dy = this.sy(worldY(d.place.y)) - y;
      if (dx * dx + dy * dy <= 100) lines = [d.place.n, d.place.c];
    }
    if (i !== this.hover) { this.hover = i; this.draw(); }
    this.canvas.style.cursor = i >= 0 ? "pointer" : "";
    if (!lines) return this.hideTip();
    this.tip.textContent = lines.join("\n");
    this.tip.hidden = false;
    const left = Math.min(x + 12, this.width - this.tip.offsetWidth - 4);
    const top = y + 12 + this.tip.offsetHeight > this.height ? y - 12 - this.tip.offsetHeight : y + 12;
    this.tip.style.left = Math.max(4, left) + "px";
    this.tip.style.top = Math.max(4, top) + "px";
  }

  hideTip() {
    this.tip.hidden = true;
    if (this.hover !== undefined && this.hover !== -1) { this.hover = -1; this.draw(); }
  }
}

export default function ({data, parentElement, setTriggerValue}) {
  let map = parentElement.__facilityMap;
  if (!map) {
    map = new FacilityMap(parentElement);
    parentElement.__facilityMap = map;
  }
  map.send = setTriggerValue;  // sends the "pick" trigger
  map.update(data);
}

// Names and lines that orient a person on the offline map: the state outlines and each state's counties
// (fetched once, projected to world pixels once), county lines zoomed in, and the searched place, towns
// and counties named where they fit. Prepended to map.js (mapview.MAP_JS), with tiles.js; functions of
// the map (m: a FacilityMap).

// Each ring of a GeoJSON's (multi)polygons as world-pixel pairs, projected once; calls each(feature, box,
// end) with the feature's box in world pixels [left, top, right, bottom] and the end of its rings.
function project(geo, each) {
  const rings = [];
  for (const f of geo.features || []) {
    const g = f.geometry || {};
    const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    for (const poly of polys) for (const ring of poly) {
      const flat = new Float64Array(ring.length * 2);
      ring.forEach(([lon, lat], i) => {
        const x = worldX(lon), y = worldY(lat);
        flat[2 * i] = x; flat[2 * i + 1] = y;
        if (x < box[0]) box[0] = x; if (y < box[1]) box[1] = y;
        if (x > box[2]) box[2] = x; if (y > box[3]) box[3] = y;
      });
      rings.push(flat);
    }
    if (each) each(f, box, rings.length);
  }
  return rings;
}

const outlinesCache = new Map();

function cached(url, parse) {
  if (!url) return Promise.resolve(null);
  if (!outlinesCache.has(url)) {
    const load = fetch(url).then(r => r.ok ? r.json() : null).then(geo => geo && parse(geo)).catch(() => null);
    // A failed load is forgotten, so a later draw asks again (none asks at once: no loop on a lasting failure).
    outlinesCache.set(url, load.then(got => { if (!got) outlinesCache.delete(url); return got; }));
  }
  return outlinesCache.get(url);
}

// The state outlines: their rings, and each state's code and box (to know whose counties are in view).
function loadOutlines(url) {
  return cached(url, geo => {
    const states = [];
    const rings = project(geo, (f, box) => { if (f.properties && f.properties.s) states.push({s: f.properties.s, box}); });
    return {rings, states};
  });
}

// A state's counties: their rings, and each county's name with the point to write it at, its box and
// which of the rings are its own (from, to).
function loadCounties(url) {
  return cached(url, geo => {
    const names = [];
    let from = 0;
    const rings = project(geo, (f, box, to) => {
      const p = f.properties;
      names.push({n: p.n, wx: worldX(p.x), wy: worldY(p.y), box, from, to});
      from = to;
    });
    return {rings, names};
  });
}

// Whether (x, y) is inside rings[from..to) (even-odd: holes and islands count right).
function within(rings, from, to, x, y) {
  let inside = false;
  for (let r = from; r < to; r++) {
    const ring = rings[r];
    for (let i = 0, j = ring.length - 2; i < ring.length; j = i, i += 2) {
      const xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

// County lines, zoomed in to county level over the states in view (each state's file fetched once, the
// first time it is needed); the counties whose name point is in view are kept for paintNames.
function drawCounties(m) {
  const d = m.data;
  if (!d.counties || m.zoom < d.counties.zoom) return;
  const k = m.scale();
  const view = [m.cx - m.width / 2 / k, m.cy - m.height / 2 / k,
                m.cx + m.width / 2 / k, m.cy + m.height / 2 / k];
  const g = m.ctx;
  g.beginPath();
  for (const {s, box} of m.states) {
    if (box[2] < view[0] || box[0] > view[2] || box[3] < view[1] || box[1] > view[3]) continue;
    if (!m.counties.has(s)) {
      m.counties.set(s, null);
      loadCounties(d.counties.url.replace("{s}", s)).then(c => {
        if (!c) return m.counties.delete(s);  // asked again at the next draw (a pan, a zoom, a new search)
        m.counties.set(s, c);
        m.draw();
      });
    }
    const c = m.counties.get(s);
    if (!c) continue;
    m.trace(c.rings);
    for (const name of c.names) {
      if (name.wx > view[0] && name.wx < view[2] && name.wy > view[1] && name.wy < view[3]) m.shown.push(name);
      else {
        // Its name point is out of view but the county may not be (a close view inside a large county):
        // named at the middle of what the view shows of its box, if that point is in the county.
        const b = name.box, left = Math.max(b[0], view[0]), right = Math.min(b[2], view[2]);
        const top = Math.max(b[1], view[1]), bottom = Math.min(b[3], view[3]);
        if (left >= right || top >= bottom) continue;
        const x = (left + right) / 2, y = (top + bottom) / 2;
        if (within(c.rings, name.from, name.to, x, y)) m.shown.push({n: name.n, wx: x, wy: y});
      }
    }
  }
  g.strokeStyle = "#b4b9c0";
  g.lineWidth = 0.8;
  g.setLineDash([4, 3]);
  g.stroke();
  g.setLineDash([]);
}

// The searched place and the towns named where they fit: the place first, then towns largest first
// (only the big ones zoomed out), never two labels overlapping; drawn before the points, so no label
// ever hides a facility. What was named, with its box, is written to data-labels (tests read it).
function drawNames(m) {
  const d = m.data, g = m.ctx, placed = [], named = [];
  const dots = [];  // the points on screen: a label goes where fewest of them would cover it
  for (const i of m.order) {
    const x = m.sx(m.wx[i]), y = m.sy(m.wy[i]), r = m.radius(i);
    if (x > -r && y > -r && x < m.width + r && y < m.height + r) dots.push([x - r, y - r, x + r, y + r]);
  }
  const hit = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
  const label = (name, lon, lat, bold) => {
    const x = m.sx(worldX(lon)), y = m.sy(worldY(lat));
    g.font = (bold ? "bold " : "") + "12px sans-serif";
    const w = g.measureText(name).width;
    const gap = bold ? 10 : 5;  // clear of the searched place's larger dot
    const spots = [[x + gap, y - 7], [x - gap - w, y - 7], [x - w / 2, y - 14 - gap], [x - w / 2, y + gap]]
      .map(([bx, by]) => [bx, by, [bx - 2, by - 1, bx + w + 2, by + 15]])
      .map(([bx, by, box]) => [bx, by, box, dots.reduce((n, b) => n + hit(b, box), 0)])
      .sort((a, b) => a[3] - b[3]);
    for (const [bx, by, box] of spots) {
      if (box[0] < 2 || box[1] < 2 || box[2] > m.width - 40 || box[3] > m.height - 16) continue;
      if (placed.some(b => hit(b, box))) continue;
      placed.push(box);
      named.push({n: name, box: box.map(Math.round)});
      g.lineWidth = 3;
      g.lineJoin = "round";  // a smooth halo (a mitred one spikes at sharp letters)
      g.strokeStyle = "rgba(255, 255, 255, 0.9)";
      g.fillStyle = bold ? "#141414" : "#3a3a3a";
      g.textBaseline = "top";
      g.strokeText(name, bx, by);
      g.fillText(name, bx, by);
      if (!bold) { g.beginPath(); g.arc(x, y, 2, 0, 2 * Math.PI); g.fill(); }
      return true;
    }
    return false;
  };
  if (d.place) label(d.place.n, d.place.x, d.place.y, true);
  // Towns: cities of 100,000 or more when zoomed out over a state or more; closer in, the largest that
  // fit. The six largest first, then the counties' names (so the counties are named too), then more towns.
  const t = d.towns, z = m.zoom, tried = new Set();
  const least = z < 6.5 ? 100000 : 0, most = z < 6.5 ? 10 : 12;
  const towns = upTo => {
    for (let i = 0; t && i < t.n.length && named.length < upTo; i++) {
      if (t.p[i] < least) break;
      if (tried.has(i) || (d.place && d.place.n.startsWith(t.n[i] + ","))) continue;  // the searched place
      tried.add(i);
      label(t.n[i], t.x[i], t.y[i], false);
    }
  };
  towns(Math.min(most, 7));
  // County names in capitals and grey, on a point inside the county (or just above or below it), where
  // they fit.
  const counties = [];
  g.font = "10px sans-serif";
  for (const c of m.shown) {
    const x = m.sx(c.wx), y = m.sy(c.wy), name = c.n.toUpperCase(), w = g.measureText(name).width;
    for (const dy of [0, -16, 16]) {
      const box = [x - w / 2 - 2, y + dy - 7, x + w / 2 + 2, y + dy + 7];
      if (box[0] < 2 || box[1] < 2 || box[2] > m.width - 40 || box[3] > m.height - 16) continue;
      if (placed.some(b => hit(b, box))) continue;
      placed.push(box);
      counties.push({n: c.n, box: box.map(Math.round)});
      g.lineWidth = 3;
      g.lineJoin = "round";  // a smooth halo (a mitred one spikes at sharp letters)
      g.strokeStyle = "rgba(255, 255, 255, 0.85)";
      g.fillStyle = "#6b7079";
      g.textBaseline = "middle";
      g.textAlign = "center";
      g.strokeText(name, x, y + dy);
      g.fillText(name, x, y + dy);
      g.textAlign = "start";
      break;
    }
  }
  towns(most);
  m.canvas.dataset.labels = JSON.stringify(named);
  m.canvas.dataset.counties = JSON.stringify(counties);
}

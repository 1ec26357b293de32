// The city map: an SVG drawn from coordinates alone (no tiles: nothing is fetched from outside).
// A local equirectangular projection around the middle of what is shown is exact enough for a
// city. Layers, bottom to top: grid, zones, routes, outlets, points (delivery, pick), couriers.
import { s } from './dom.js';

const METRES_PER_DEGREE_LAT = 110_574;
const METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320;
const WIDTH = 640; // viewBox units across; the SVG scales to its box

/** Bounds {south, north, west, east} around points, widened by `padKm` on every side. */
export function boundsAround(points, padKm = 1) {
  const lats = points.map(p => p.lat);
  const lons = points.map(p => p.lon);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const dLat = padKm * 1000 / METRES_PER_DEGREE_LAT;
  const dLon = padKm * 1000 / (METRES_PER_DEGREE_LON_AT_EQUATOR * Math.cos(midLat * Math.PI / 180));
  return {
    south: Math.min(...lats) - dLat,
    north: Math.max(...lats) + dLat,
    west: Math.min(...lons) - dLon,
    east: Math.max(...lons) + dLon,
  };
}

/** The outlets of /api/restaurants, flattened, each with its restaurant. */
export function outletsOf(restaurants) {
  return restaurants.flatMap(r => r.outlets.map(o => ({ ...o, restaurant: r })));
}

/** Bounds that show every outlet and its delivery zone. */
export function boundsForOutlets(outlets, extraPoints = []) {
  const pts = [...outlets.map(o => ({ lat: o.lat, lon: o.lon })), ...extraPoints];
  if (pts.length === 0) return boundsAround([{ lat: 0, lon: 0 }], 5);
  const pad = Math.max(1, ...outlets.map(o => o.zoneRadiusKm ?? 0));
  const b = boundsAround(pts, pad);
  for (const o of outlets) {
    for (const p of o.zonePolygon ?? []) {
      b.south = Math.min(b.south, p.lat); b.north = Math.max(b.north, p.lat);
      b.west = Math.min(b.west, p.lon); b.east = Math.max(b.east, p.lon);
    }
  }
  return b;
}

export class CityMap {
  /**
   * @param {Element} host where the SVG goes
   * @param {{bounds, title: string, description?: string}} options
   */
  constructor(host, { bounds, title, description = '' }) {
    this.bounds = bounds;
    this.lat0 = (bounds.north + bounds.south) / 2;
    this.lon0 = (bounds.east + bounds.west) / 2;
    this.mx = METRES_PER_DEGREE_LON_AT_EQUATOR * Math.cos(this.lat0 * Math.PI / 180);
    this.my = METRES_PER_DEGREE_LAT;
    const widthM = (bounds.east - bounds.west) * this.mx;
    const heightM = (bounds.north - bounds.south) * this.my;
    this.scale = WIDTH / widthM; // units per metre
    this.width = WIDTH;
    this.height = Math.round(heightM * this.scale);

    const id = `map-${Math.random().toString(36).slice(2, 8)}`;
    this.svg = s('svg', {
      class: 'city-map',
      viewBox: `0 0 ${this.width} ${this.height}`,
      role: 'img',
      'aria-labelledby': `${id}-title ${id}-desc`,
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('title', { id: `${id}-title`, text: title }),
    s('desc', { id: `${id}-desc`, text: description }));
    this.layers = {};
    for (const name of ['grid', 'zones', 'routes', 'outlets', 'points', 'couriers']) {
      this.layers[name] = s('g', { class: `layer-${name}` });
      this.svg.append(this.layers[name]);
    }
    // Markers and labels keep their size on screen whatever the map's size (a phone, a wall).
    this.k = 1;
    this.drawGrid();
    host.replaceChildren(this.svg);
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.rescale()).observe(this.svg);
  }

  /** Map units per screen pixel, from the SVG's current size. */
  rescale() {
    const m = this.svg.getScreenCTM();
    if (!m || !m.a) return;
    const k = 1 / m.a;
    if (Math.abs(k - this.k) / this.k < 0.01) return;
    this.k = k;
    for (const g of this.svg.querySelectorAll('.marker')) this.place(g);
  }

  place(g) {
    g.setAttribute('transform', `translate(${g.__x.toFixed(1)} ${g.__y.toFixed(1)}) scale(${this.k.toFixed(3)})`);
  }

  /** Labels go right of a marker, or left of it in the map's right third, so they stay on the map. */
  labelSide(x) {
    return x > this.width * 0.62 ? { x: -11, 'text-anchor': 'end' } : { x: 11 };
  }

  /**
   * A keyed marker that follows a position: removed (and null returned) when `pos` is null, else
   * moved there if it exists. Returns the marker found, if any, and the position in map units.
   */
  track(layer, selector, pos) {
    const existing = this.layers[layer].querySelector(selector);
    if (!pos) {
      existing?.remove();
      return null;
    }
    const { x, y } = this.project(pos.lat, pos.lon);
    if (existing) {
      existing.__x = x;
      existing.__y = y;
      this.place(existing);
    }
    return { existing, x, y };
  }

  /** A group drawn in screen pixels around (0, 0), placed at map position (x, y). */
  marker(layer, x, y, attrs, ...children) {
    const g = s('g', { ...attrs, class: `marker ${attrs.class ?? ''}`.trim() }, ...children);
    g.__x = x;
    g.__y = y;
    this.place(g);
    this.layers[layer].append(g);
    return g;
  }

  project(lat, lon) {
    return {
      x: (lon - this.bounds.west) * this.mx * this.scale,
      y: (this.bounds.north - lat) * this.my * this.scale,
    };
  }

  unproject(x, y) {
    return {
      lat: this.bounds.north - y / (this.my * this.scale),
      lon: this.bounds.west + x / (this.mx * this.scale),
    };
  }

  /** Map units for a distance in metres. */
  metres(m) {
    return m * this.scale;
  }

  setDescription(text) {
    this.svg.querySelector('desc').textContent = text;
  }

  drawGrid() {
    const g = this.layers.grid;
    g.replaceChildren();
    // A line every kilometre, and a 1 km scale bar: enough to judge distances.
    const step = this.metres(1000);
    for (let x = step; x < this.width; x += step) g.append(s('line', { class: 'grid-line', x1: x, y1: 0, x2: x, y2: this.height }));
    for (let y = step; y < this.height; y += step) g.append(s('line', { class: 'grid-line', x1: 0, y1: y, x2: this.width, y2: y }));
    const x0 = 12;
    const y0 = this.height - 14;
    g.append(s('line', { class: 'scale-bar', x1: x0, y1: y0, x2: x0 + step, y2: y0 }));
    this.marker('grid', x0, y0, {}, s('text', { class: 'scale-label', x: 0, y: -7, text: '1 km' }));
    this.marker('grid', this.width - 8, 8, {}, s('text', { class: 'grid-label', x: 0, y: 12, 'text-anchor': 'end', text: 'N ↑' }));
  }

  clear(layer) {
    this.layers[layer].replaceChildren();
  }

  /** An outlet: a square marker, its name, and its delivery zone (circle or polygon). */
  addOutlet(outlet, { label = outlet.name, zone = true } = {}) {
    const { x, y } = this.project(outlet.lat, outlet.lon);
    if (zone && outlet.zonePolygon?.length) {
      const pts = outlet.zonePolygon.map(p => this.project(p.lat, p.lon)).map(p => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
      this.layers.zones.append(s('polygon', { class: 'zone', points: pts }));
    } else if (zone && outlet.zoneRadiusKm) {
      this.layers.zones.append(s('circle', { class: 'zone', cx: x, cy: y, r: this.metres(outlet.zoneRadiusKm * 1000) }));
    }
    return this.marker('outlets', x, y, { class: 'outlet', 'data-outlet': outlet.id },
      s('title', { text: `${label} (outlet)` }),
      s('rect', { x: -7, y: -7, width: 14, height: 14, rx: 2 }),
      s('text', { class: 'label', ...this.labelSide(x), y: 5, text: label }));
  }

  /** A named point (delivery address, pick): a round marker with a label. Replaces the point of that name. */
  setPoint(name, pos, { label } = {}) {
    this.layers.points.querySelector(`[data-point="${name}"]`)?.remove();
    if (!pos) return null;
    const { x, y } = this.project(pos.lat, pos.lon);
    return this.marker('points', x, y, { class: 'point', 'data-point': name },
      s('title', { text: label ?? name }),
      s('circle', { cx: 0, cy: 0, r: 7 }),
      label ? s('text', { class: 'label', ...this.labelSide(x), y: 5, text: label }) : null);
  }

  /**
   * A courier: an arrow-head marker, distinct in shape from outlets and points. Null pos removes it.
   * An existing marker moves (it is not drawn again); `state` becomes its data-state, for styling;
   * `title` is what a pointer or a screen reader gets, the label what is drawn (none with `label: ''`).
   */
  setCourier(id, pos, { label = 'Courier', title = label, state } = {}) {
    const at = this.track('couriers', `[data-courier="${CSS.escape(id)}"]`, pos);
    if (!at) return null;
    const { existing, x, y } = at;
    if (existing) {
      setSvgText(existing.querySelector('title'), title);
      const text = existing.querySelector('text');
      if (text) {
        setSvgText(text, label);
        for (const [k, v] of Object.entries(this.labelSide(x))) text.setAttribute(k, v);
        if (!('text-anchor' in this.labelSide(x))) text.removeAttribute('text-anchor');
      }
      if (state) existing.dataset.state = state;
      return existing;
    }
    return this.marker('couriers', x, y, { class: 'courier', 'data-courier': id, 'data-state': state },
      s('title', { text: title }),
      s('path', { d: 'M 0 -10 L 8 7 L 0 3 L -8 7 Z' }),
      label ? s('text', { class: 'label', ...this.labelSide(x), y: 5, text: label }) : null);
  }

  /** An order's delivery point: a small diamond; `state` (waiting, offered, assigned, pickedup) styles it. */
  setOrder(id, pos, { title, state } = {}) {
    const at = this.track('points', `[data-order="${CSS.escape(id)}"]`, pos);
    if (!at) return null;
    const { existing, x, y } = at;
    if (existing) {
      existing.dataset.state = state ?? '';
      setSvgText(existing.querySelector('title'), title ?? id);
      return existing;
    }
    return this.marker('points', x, y, { class: 'order', 'data-order': id, 'data-state': state },
      s('title', { text: title ?? id }),
      s('path', { d: 'M 0 -6 L 6 0 L 0 6 L -6 0 Z' }));
  }

  /** Outlet health on its marker: data-health for styling, and the status in words beside the name when it is not open. */
  setOutletHealth(id, status, name) {
    const g = this.layers.outlets.querySelector(`[data-outlet="${CSS.escape(id)}"]`);
    if (!g || g.dataset.health === status) return;
    g.dataset.health = status;
    const words = status === 'open' ? name : `${name} (${status})`;
    setSvgText(g.querySelector('text'), words);
    setSvgText(g.querySelector('title'), `${name} (outlet, ${status})`);
  }

  /** Remove the markers of a layer whose `attr` is not among `keep`. */
  retain(layer, attr, keep) {
    for (const g of [...this.layers[layer].querySelectorAll(`[${attr}]`)]) if (!keep.has(g.getAttribute(attr))) g.remove();
  }

  /** A dashed line through positions (a planned route). */
  setRoute(id, positions, { kind } = {}) {
    const existing = this.layers.routes.querySelector(`[data-route="${CSS.escape(id)}"]`);
    if (!positions?.length) {
      existing?.remove();
      return;
    }
    const pts = positions.map(p => this.project(p.lat, p.lon)).map(p => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    if (existing) {
      existing.setAttribute('points', pts);
      if (kind) existing.dataset.kind = kind;
      return;
    }
    this.layers.routes.append(s('polyline', { class: 'route', 'data-route': id, 'data-kind': kind, points: pts }));
  }

  /**
   * Let the user pick a position: a click or tap, or the arrow keys when the map has focus
   * (100 m a press, 500 m with Shift; Enter or Space picks the centre at first).
   */
  pickable(onPick, { start } = {}) {
    this.svg.classList.add('pickable');
    this.svg.setAttribute('tabindex', '0');
    this.svg.setAttribute('role', 'application');
    this.svg.setAttribute('aria-roledescription', 'map');
    let current = start ?? null;
    const pick = pos => {
      current = pos;
      onPick({ lat: round(pos.lat), lon: round(pos.lon) });
    };
    this.svg.addEventListener('click', e => {
      const pt = this.svg.createSVGPoint();
      pt.x = e.clientX;
      pt.y = e.clientY;
      const m = this.svg.getScreenCTM();
      if (!m) return;
      const p = pt.matrixTransform(m.inverse());
      pick(this.unproject(p.x, p.y));
    });
    this.svg.addEventListener('keydown', e => {
      const step = (e.shiftKey ? 500 : 100);
      const base = current ?? this.unproject(this.width / 2, this.height / 2);
      const dLat = step / this.my;
      const dLon = step / this.mx;
      const moves = {
        ArrowUp: [dLat, 0], ArrowDown: [-dLat, 0], ArrowLeft: [0, -dLon], ArrowRight: [0, dLon], Enter: [0, 0], ' ': [0, 0],
      };
      const move = moves[e.key];
      if (!move) return;
      e.preventDefault();
      pick({ lat: base.lat + move[0], lon: base.lon + move[1] });
    });
    return { setCurrent: pos => { current = pos; } };
  }
}

const round = v => Math.round(v * 1e5) / 1e5;

function setSvgText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

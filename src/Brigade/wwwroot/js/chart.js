// Small line charts in SVG, drawn from numbers alone (no library). Each chart is a figure: a
// caption that says the latest values in words, the SVG (an image with that description), and a
// legend that tells the lines apart by dash pattern as well as colour.
import { h, s } from './dom.js';

const W = 480;
const H = 180;
const PAD = { left: 40, right: 10, top: 10, bottom: 22 };
const DASHES = ['', '6 3', '2 3', '10 3 2 3', '1 2', '8 4 1 4 1 4', '4 4', '12 3'];

/** A "nice" top for the y axis: 1, 2, 2.5 or 5 × a power of ten, at least `max`. */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * @param {{ id: string, title: string, summary: string, xLabels: [string, string],
 *   series: { name: string, values: (number|null)[] }[], yMax?: number, yFormat?: (v: number) => string }} spec
 */
export function lineChart({ id, title, summary, xLabels, series, yMax, yFormat = v => String(v) }) {
  const n = Math.max(2, ...series.map(x => x.values.length));
  const top = niceMax(yMax ?? Math.max(0, ...series.flatMap(x => x.values.filter(v => typeof v === 'number'))));
  const x = i => PAD.left + (i / (n - 1)) * (W - PAD.left - PAD.right);
  const y = v => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const grid = [0, top / 2, top].map(v => [
    s('line', { class: 'chart-grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
    s('text', { class: 'chart-axis', x: PAD.left - 4, y: y(v) + 4, 'text-anchor': 'end', text: yFormat(v) }),
  ]);
  const lines = series.map((line, k) => {
    const pts = line.values.map((v, i) => (typeof v === 'number' ? `${x(i).toFixed(1)},${y(Math.min(v, top)).toFixed(1)}` : null)).filter(Boolean);
    return s('polyline', { class: `chart-line c${k % 8}`, 'stroke-dasharray': DASHES[k % 8] || null, points: pts.join(' '), 'data-series': line.name });
  });
  const descId = `${id}-desc`;
  return h('figure', { class: 'chart', 'data-chart': id },
    h('figcaption', {}, h('strong', { text: title }), h('span', { id: descId, class: 'small chart-summary', text: ` ${summary}` })),
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, 'aria-describedby': descId },
      grid,
      s('text', { class: 'chart-axis', x: PAD.left, y: H - 6, text: xLabels[0] }),
      s('text', { class: 'chart-axis', x: W - PAD.right, y: H - 6, 'text-anchor': 'end', text: xLabels[1] }),
      lines),
    series.length > 1 ? h('ul', { class: 'chart-legend small' }, series.map((line, k) => h('li', {},
      s('svg', { viewBox: '0 0 24 8', width: 24, height: 8, 'aria-hidden': 'true' },
        s('line', { class: `chart-line c${k % 8}`, x1: 0, x2: 24, y1: 4, y2: 4, 'stroke-dasharray': DASHES[k % 8] || null })),
      ` ${line.name}`))) : null);
}

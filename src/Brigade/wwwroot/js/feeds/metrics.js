// Operations metrics: whatever numbers the server publishes, by name.
// Expected shape: { name: number | { …nested } } (flattened to dotted names).
import { h, replace } from '../dom.js';

const flatten = (data, prefix = '') => Object.entries(data ?? {}).flatMap(([k, v]) =>
  v && typeof v === 'object' && !Array.isArray(v) ? flatten(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]);

export default {
  id: 'metrics',
  title: 'Metrics',
  description: 'Throughput, latency and queue figures.',
  url: '/api/ops/metrics',
  stream: { url: '/api/ops/metrics/stream', events: ['metrics'] },
  render(body, data) {
    const rows = flatten(data).filter(([, v]) => typeof v !== 'object');
    replace(body, h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [
      h('dt', { text: k }),
      h('dd', { class: 'mono', text: typeof v === 'number' ? v.toLocaleString() : String(v) }),
    ])));
  },
};

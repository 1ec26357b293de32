// The dispatcher's latest routing decisions: which courier takes which orders, and why.
// Expected shape: [{ at, orderIds|orderId, courierId, outletId?, reason?, costSeconds? }] (or { decisions: [...] }).
import { h, replace } from '../dom.js';
import { table, listOf } from './feed.js';
import { clock } from '../format.js';

export default {
  id: 'routing',
  title: 'Routing decisions',
  description: 'The matcher’s latest assignments, newest first.',
  url: '/api/dispatch/decisions',
  stream: { url: '/api/dispatch/decisions/stream', events: ['decisions'] },
  render(body, data) {
    const decisions = listOf(data, 'decisions').slice(0, 50);
    if (decisions.length === 0) return replace(body, h('p', { class: 'muted' }, 'No decisions yet.'));
    replace(body, table('Routing decisions', ['When', 'Orders', 'Courier', 'Why'], decisions.map(d => [
      d.at ? clock(d.at) : '',
      [].concat(d.orderIds ?? d.orderId ?? []).join(', '),
      d.courierId ?? 'none',
      d.reason ?? (typeof d.costSeconds === 'number' ? `cost ${Math.round(d.costSeconds)} s` : ''),
    ])));
  },
};

// The router's latest decisions: which outlet took each order (or took it over), and why, with
// every outlet it weighed. GET /api/dispatch/decisions, then its SSE stream, newest first.
// Decisions never change, so each row is drawn once and kept (an opened detail stays open).
import { h, replace, keyed } from '../dom.js';
import { listOf } from './feed.js';
import { clock, shortId } from '../format.js';

const LIMIT = 20;

const outletName = (ctx, id) => ctx.outlets?.get(id)?.name ?? id;

function candidate(c, ctx) {
  const name = outletName(ctx, c.outletId);
  if (!c.eligible) return h('li', {}, `${name}: not eligible (${c.why ?? 'no reason given'})`);
  const parts = [];
  if (typeof c.distanceKm === 'number') parts.push(`${c.distanceKm.toFixed(1)} km away`);
  if (c.readyAt) parts.push(`ready ${clock(c.readyAt)}`);
  if (c.promisedAt) parts.push(`at the door ${clock(c.promisedAt)}`);
  return h('li', {}, `${name}: ${parts.join(', ') || 'eligible'}`);
}

function row(d, ctx) {
  const moved = d.kind === 'rerouted';
  return h('li', { class: 'decision', 'data-kind': d.kind },
    h('p', {},
      h('time', { datetime: d.at, class: 'muted', text: clock(d.at) }), ' ',
      h('a', { href: `/track.html?id=${encodeURIComponent(d.orderId)}`, 'aria-label': `Order ${d.orderId}` }, `Order ${shortId(d.orderId)}`),
      moved ? ` moved from ${outletName(ctx, d.fromOutletId)} to ` : ' to ',
      h('strong', { text: outletName(ctx, d.outletId) }),
      moved ? h('span', { class: 'badge warn', text: 'rerouted' }) : null),
    h('p', { class: 'small', text: d.reason }),
    d.candidates?.length ? h('details', {},
      h('summary', {}, d.candidates.length === 1 ? 'One outlet weighed' : `${d.candidates.length} outlets weighed`),
      h('ul', { class: 'small' }, d.candidates.map(c => candidate(c, ctx)))) : null);
}

export default {
  id: 'routing',
  title: 'Routing decisions',
  description: 'Which outlet the router chose for each order, and why; newest first.',
  url: `/api/dispatch/decisions?limit=${LIMIT}`,
  stream: { url: `/api/dispatch/decisions/stream?limit=${LIMIT}`, events: ['decisions'] },
  render(body, data, ctx) {
    const decisions = listOf(data, 'decisions');
    if (decisions.length === 0) {
      body.__list = null;
      return replace(body, h('p', { class: 'muted' }, 'No decisions yet: they appear as orders are placed.'));
    }
    if (!body.__list) body.__list = replace(body, h('ol', { class: 'plain stack decisions' })).firstElementChild;
    keyed(body.__list, decisions, d => `${d.orderId}@${d.at}@${d.kind}`, d => row(d, ctx), () => {});
  },
};

// The dispatcher's live picture (GET /api/dispatch, then its SSE stream, once a second): every
// outlet's health, the couriers on shift (where they are and what they are doing), and the orders
// waiting for a courier or out with one. Drawn on the page's city map and listed in tables.
import { h, replace } from '../dom.js';
import { table } from './feed.js';
import { shortId, shortClock, minutes } from '../format.js';

export const PHASES = {
  idle: 'Idle',
  offered: 'Offered a job',
  tooutlet: 'Riding to the outlet',
  atoutlet: 'At the outlet',
  tocustomer: 'Riding to the customer',
};

export const JOB_STATES = {
  waiting: 'Waiting for a courier',
  offered: 'Offered to a courier',
  assigned: 'Courier on the way',
  pickedup: 'Out for delivery',
};

const HEALTH_BADGE = { open: 'ok', paused: 'warn', silent: 'bad', closed: '' };
const MAX_ROWS = 25;

/** A .NET TimeSpan as JSON ("00:04:12.5", "1.02:00:00") in seconds, or null. */
const spanSeconds = text => {
  const m = /^(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text ?? '');
  return m ? Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]) : null;
};

const outletName = (ctx, id) => ctx.outlets?.get(id)?.name ?? id;

function drawMap(map, data, ctx) {
  for (const o of data.outlets ?? []) map.setOutletHealth(o.outletId, o.health?.status ?? 'open', outletName(ctx, o.outletId));
  const couriers = new Map((data.couriers ?? []).map(c => [c.id, c]));
  for (const c of couriers.values())
    map.setCourier(c.id, c, { label: '', title: `${c.name}: ${(PHASES[c.phase] ?? c.phase).toLowerCase()}`, state: c.phase });
  map.retain('couriers', 'data-courier', new Set(couriers.keys()));

  const orders = data.orders ?? [];
  const routes = new Set();
  for (const o of orders) {
    map.setOrder(o.orderId, o, { state: o.state, title: `Order ${shortId(o.orderId)} from ${outletName(ctx, o.outletId)}: ${(JOB_STATES[o.state] ?? o.state).toLowerCase()}` });
    const courier = o.courierId ? couriers.get(o.courierId) : null;
    const outlet = ctx.outlets?.get(o.outletId);
    if (!courier || !outlet) continue;
    // The courier's next leg: to the outlet, or, once the order is picked up, to the door.
    const to = o.state === 'pickedup' ? o : outlet;
    map.setRoute(`job-${o.orderId}`, [courier, to], { kind: o.state === 'pickedup' ? 'to-customer' : 'to-outlet' });
    routes.add(`job-${o.orderId}`);
  }
  map.retain('points', 'data-order', new Set(orders.map(o => o.orderId)));
  map.retain('routes', 'data-route', routes);
}

const count = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function summary(data) {
  const couriers = data.couriers ?? [];
  const orders = data.orders ?? [];
  const riding = couriers.filter(c => c.orders?.length > 0).length;
  const waiting = orders.filter(o => o.state === 'waiting' || o.state === 'offered').length;
  const out = orders.length - waiting;
  const notOpen = (data.outlets ?? []).filter(o => o.health?.status !== 'open').length;
  return `${count(couriers.length, 'courier')} on shift, ${riding} with orders. ${count(waiting, 'order')} waiting for a courier, ${out} with one. ` +
    (notOpen ? `${count(notOpen, 'outlet')} not taking orders.` : 'Every outlet takes orders.');
}

export default {
  id: 'fleet',
  title: 'Outlets, couriers and orders',
  description: 'Live: outlet health, every courier on shift, and orders waiting for or out with a courier.',
  url: '/api/dispatch',
  stream: { url: '/api/dispatch/stream', events: ['dispatch'] },
  render(body, data, ctx) {
    if (ctx.map) drawMap(ctx.map, data, ctx);
    const couriers = [...(data.couriers ?? [])].sort((a, b) => (b.orders?.length ?? 0) - (a.orders?.length ?? 0) || a.name.localeCompare(b.name));
    const orders = data.orders ?? [];
    replace(body,
      h('p', { class: 'fleet-summary', text: summary(data) }),
      h('h3', { text: 'Outlets' }),
      table('Outlets and their health', ['Outlet', 'Health', 'Open orders', 'Nearest courier'], (data.outlets ?? []).map(o => [
        h('a', { href: `/kitchen.html?outlet=${encodeURIComponent(o.outletId)}` }, outletName(ctx, o.outletId)),
        h('span', { class: `badge ${HEALTH_BADGE[o.health?.status] ?? ''}`, 'data-health': o.health?.status, text: o.health?.status ?? '' }),
        String(o.openOrders ?? ''),
        spanSeconds(o.courierEta) !== null ? minutes(spanSeconds(o.courierEta)) : 'none near',
      ])),
      h('h3', { text: 'Couriers' }),
      couriers.length === 0 ? h('p', { class: 'muted' }, 'No couriers on shift.')
        : table('Couriers on shift', ['Courier', 'Doing', 'Orders', 'Delivered', 'Busy'], couriers.slice(0, MAX_ROWS).map(c => [
          c.name,
          PHASES[c.phase] ?? c.phase,
          (c.orders ?? []).map(shortId).join(', '),
          String(c.delivered ?? 0),
          `${Math.round(c.utilisationPercent ?? 0)} %`,
        ])),
      couriers.length > MAX_ROWS ? h('p', { class: 'small muted', text: `… and ${couriers.length - MAX_ROWS} more.` }) : null,
      h('h3', { text: 'Orders with delivery' }),
      orders.length === 0 ? h('p', { class: 'muted' }, 'No orders waiting for or out with a courier.')
        : table('Orders waiting for or out with a courier', ['Order', 'From', 'State', 'Courier', 'Ready'], orders.slice(0, MAX_ROWS).map(o => [
          h('a', { href: `/track.html?id=${encodeURIComponent(o.orderId)}`, 'aria-label': `Order ${o.orderId}` }, shortId(o.orderId)),
          outletName(ctx, o.outletId),
          JOB_STATES[o.state] ?? o.state,
          o.courierId ? (data.couriers ?? []).find(c => c.id === o.courierId)?.name ?? o.courierId : '',
          o.ready ? 'ready' : `about ${shortClock(o.readyAt)}`,
        ])),
      orders.length > MAX_ROWS ? h('p', { class: 'small muted', text: `… and ${orders.length - MAX_ROWS} more.` }) : null);
  },
};

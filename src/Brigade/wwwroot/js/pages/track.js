// Tracking: one order, live over Server-Sent Events (no polling): status timeline, estimate,
// handoff code, and the outlet, delivery point and courier on the city map.
import { api } from '../api.js';
import { h, $, replace, params, setText } from '../dom.js';
import { initNav, showProblem } from '../ui.js';
import { followAgain, loadAgain, showState, unreachable } from '../live.js';
import { money, clock, minutes, statusLabel, shortId, ALL_STATUSES, TERMINAL } from '../format.js';
import { CityMap, boundsAround } from '../city-map.js';

initNav();

const problem = $('#problem');
const id = params().get('id');

const PICKUP_STEPS = ['placed', 'accepted', 'preparing', 'ready', 'collected'];
const DELIVERY_STEPS = ['placed', 'accepted', 'preparing', 'ready', 'courierAssigned', 'pickedUp', 'delivered'];
const STOPS = ['cancelled', 'rejected', 'failed'];

let order = null;
let restaurants = null;
let menuNames = new Map();
let map = null;
let mapKey = '';
let courier = null; // { lat, lon, etaSeconds }
let stream = null;
let clearOutage = null;
let outage = null; // the error of the last plain request for the order, while the server cannot be reached

if (!id) {
  askForId();
} else {
  document.title = `Order ${shortId(id)} · Brigade`;
  setText($('#heading'), `Order …${shortId(id)}`);
  start();
}

function askForId() {
  const input = h('input', { id: 'order-id', type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const form = h('form', { class: 'card stack', action: '/track.html', method: 'get' },
    h('div', { class: 'field' }, h('label', { for: 'order-id' }, 'Order id'), input),
    h('button', { type: 'submit', class: 'primary' }, 'Follow this order'));
  input.name = 'id';
  $('main .split').replaceWith(form);
}

function start() {
  stream = followAgain(`/api/orders/${encodeURIComponent(id)}/stream`, {
    events: ALL_STATUSES,
    onMessage: (_, message) => onMessage(message),
    onState: (state, info) => {
      showState($('#live'), state, { closed: 'Finished: no more updates' }, { ...info, outage });
      if (state === 'live') {
        clearOutage?.();
        clearOutage = null;
      }
    },
    // The stream was refused: ask the API why (a 404 names the missing order).
    onRefused: async () => {
      outage = null;
      try {
        const current = await api(`/api/orders/${encodeURIComponent(id)}`);
        if (!order || current.version > order.version) onMessage({ order: current, courier: null });
        return !TERMINAL.has(current.status); // refused in passing (a gateway, a restart)
      } catch (e) {
        const clear = showProblem(problem, e, { focus: false });
        // The network or the server is down, not the order gone: keep what we know and try again.
        if (unreachable(e)) {
          outage = e;
          clearOutage = clear;
          return true;
        }
        setText($('#status-now'), e.status === 404 ? 'Unknown order' : 'Not available');
        return false;
      }
    },
  });
}

async function onMessage(message) {
  const previous = order;
  order = message.order;
  // Messages about the courier carry its position and ETA as `courier`.
  const d = message.courier;
  if (d && typeof d.lat === 'number' && typeof d.lon === 'number') courier = { lat: d.lat, lon: d.lon, etaSeconds: d.etaSeconds };
  if (TERMINAL.has(order.status)) {
    stream?.close();
    if (['delivered', 'collected'].includes(order.status)) courier = null;
  }
  render(previous);
  await ensureCatalog();
  renderCatalogued();
}

/** What names the outlet and the menu items. */
function renderCatalogued() {
  renderEstimate();
  renderItems();
  renderWhere();
}

let catalogLoading = null;

/**
 * Outlets (for the map) and menu names, fetched once. Resolves after the first try: while the
 * server cannot be reached, the order shows without them and they come (and are drawn) once it answers.
 */
function ensureCatalog() {
  catalogLoading ??= new Promise(firstTry => {
    let waited = false;
    loadAgain(loadCatalog, {
      onWait: () => {
        waited = true;
        firstTry();
      },
    })
      .catch(() => {}) // an answer that is no outage: ids will do
      .then(() => {
        firstTry();
        if (waited) renderCatalogued();
      });
  });
  return catalogLoading;
}

async function loadCatalog() {
  const unlessUnreachable = fallback => e => {
    if (unreachable(e)) throw e;
    return fallback;
  };
  restaurants ??= await api('/api/restaurants').catch(unlessUnreachable([]));
  const menu = await api(`/api/restaurants/${encodeURIComponent(order.restaurantId)}/menu`).catch(unlessUnreachable(null));
  if (menu) menuNames = new Map(menu.items.map(i => [i.id, i]));
}

function render(previous) {
  const status = order.status;
  if (previous?.status !== status) setText($('#status-now'), statusLabel(status));
  renderEstimate();
  setText($('#reason'), order.reason ? `Reason: ${order.reason}` : '');
  renderTimeline();

  const cancel = $('#cancel');
  cancel.hidden = !['placed', 'accepted'].includes(status);
  if (!cancel.onclick) cancel.onclick = cancelOrder;

  const handoff = $('#handoff-section');
  handoff.hidden = !order.handoffCode || TERMINAL.has(status);
  setText($('#handoff'), order.handoffCode ?? '');
}

function renderEstimate() {
  const o = order;
  const parts = [];
  if (['placed', 'accepted', 'preparing'].includes(o.status) && o.estimatedReadyAt) {
    const placed = Date.parse(o.timeline.placedAt);
    const ready = Date.parse(o.estimatedReadyAt);
    parts.push(`Estimated ready at ${clock(o.estimatedReadyAt)} (${minutes((ready - placed) / 1000)} after ordering).`);
    if (o.initialEstimatedReadyAt && Math.abs(Date.parse(o.initialEstimatedReadyAt) - ready) >= 60_000)
      parts.push(`First estimate: ${clock(o.initialEstimatedReadyAt)}.`);
  }
  if (!o.pickup && o.estimatedDeliveryAt && !TERMINAL.has(o.status)) parts.push(`Estimated delivery at ${clock(o.estimatedDeliveryAt)}.`);
  if (o.pickup && o.status === 'ready') parts.push(`Ready for you to collect${outletName() ? ` at ${outletName()}` : ''}.`);
  setText($('#estimate'), parts.join(' '));
}

function renderTimeline() {
  const o = order;
  const stop = STOPS.find(s => o.status === s);
  let steps = o.pickup ? PICKUP_STEPS : DELIVERY_STEPS;
  if (stop) steps = [...steps.filter(s => o.timeline[`${s}At`]), stop];
  const currentIndex = steps.indexOf(o.status);
  replace($('#timeline'), steps.map((step, i) => {
    const at = o.timeline[`${step}At`];
    const state = step === stop ? 'stopped'
      : i === currentIndex ? 'current'
      : at || i < currentIndex ? 'done'
      : 'todo';
    const mark = { done: '✓', current: '●', todo: '○', stopped: '✕' }[state];
    const said = { done: 'done', current: 'now', todo: 'to come', stopped: 'stopped' }[state];
    return h('li', { 'data-state': state, 'data-step': step },
      h('span', { class: 'mark', 'aria-hidden': 'true', text: mark }),
      h('span', {}, statusLabel(step), h('span', { class: 'visually-hidden', text: `: ${said}` })),
      at ? h('time', { datetime: at, text: clock(at) }) : h('span'));
  }));
}

function renderItems() {
  replace($('#items'), order.items.map(line => {
    const item = menuNames.get(line.menuItemId);
    return h('li', {}, `${line.quantity} × ${item?.name ?? line.menuItemId}`,
      item ? h('span', { class: 'muted', text: ` ${money(item.priceCents * line.quantity)}` }) : null);
  }));
  setText($('#order-total'), `Total ${money(order.totalCents)}`);
}

function outletOf() {
  const r = restaurants?.find(x => x.id === order.restaurantId);
  return r?.outlets.find(o => o.id === order.outletId) ?? null;
}

function outletName() {
  return outletOf()?.name ?? null;
}

function renderWhere() {
  const outlet = outletOf();
  const where = [];
  if (outlet) where.push(order.pickup ? `Pick it up at ${outlet.name}.` : `Made at ${outlet.name}.`);
  if (order.deliverTo) where.push(`Delivered to ${order.deliverTo.lat.toFixed(5)}, ${order.deliverTo.lon.toFixed(5)}.`);
  setText($('#where'), where.join(' '));

  const points = [outlet, order.deliverTo, courier].filter(Boolean).map(p => ({ lat: p.lat, lon: p.lon }));
  if (points.length === 0) return;
  const key = `${outlet?.id ?? ''}|${order.deliverTo ? `${order.deliverTo.lat},${order.deliverTo.lon}` : ''}`;
  const b = map?.bounds;
  const courierOff = courier && b && !(courier.lat > b.south && courier.lat < b.north && courier.lon > b.west && courier.lon < b.east);
  if (key !== mapKey || courierOff) {
    mapKey = key;
    map = new CityMap($('#map'), {
      bounds: boundsAround(points, 1),
      title: 'Map of this order',
      description: where.join(' '),
    });
    if (outlet) map.addOutlet(outlet, { zone: false });
    if (order.deliverTo) map.setPoint('deliver', order.deliverTo, { label: 'You' });
  }
  map.setCourier('courier', courier, { label: 'Courier' });
  $('[data-legend="delivery"]').hidden = !order.deliverTo;
  $('[data-legend="courier"]').hidden = !courier;
  const eta = courier?.etaSeconds;
  setText($('#courier'), courier
    ? `The courier is on the map${typeof eta === 'number' ? `, ${minutes(eta)} away` : ''}.`
    : '');
}

async function cancelOrder() {
  const button = $('#cancel');
  button.disabled = true;
  try {
    await api(`/api/orders/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
    // The stream brings the new status.
  } catch (e) {
    showProblem(problem, e);
  } finally {
    button.disabled = false;
  }
}

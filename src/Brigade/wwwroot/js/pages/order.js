// Customer: choose a restaurant and items, pickup or delivery, place the order, go to tracking.
import { api, newKey } from '../api.js';
import { h, $, replace, params } from '../dom.js';
import { initNav, showProblem, showNotice, firstLoad } from '../ui.js';
import { money, clock, shortId, statusLabel } from '../format.js';
import { currentToken } from '../auth.js';
import { CityMap, boundsForOutlets } from '../city-map.js';

initNav();

const problem = $('#problem');
const form = $('#order-form');
const restaurantSelect = $('#restaurant');
const outletSelect = $('#outlet');
const menuList = $('#menu');
const basket = $('#basket');
const total = $('#total');
const placeButton = $('#place');
const delivery = $('#delivery');
const latInput = $('#lat');
const lonInput = $('#lon');

let restaurants = [];
let restaurant = null;
let menu = [];
const quantities = new Map();
let map = null;
let picker = null;
let lastAttempt = null; // { body, key }: a retry of the same order reuses its key, so it cannot be placed twice
let clearProblem = () => {};

const fulfilment = () => form.elements.fulfilment.value;

function renderOutlets() {
  const any = h('option', { value: '' }, fulfilment() === 'pickup' ? 'Any outlet (the one ready first)' : 'Any outlet (the one that can deliver first)');
  replace(outletSelect, any, restaurant.outlets.map(o => h('option', { value: o.id }, `${o.name}${o.open ? '' : ' (closed)'}`)));
  const wanted = params().get('outlet');
  if (wanted && restaurant.outlets.some(o => o.id === wanted)) outletSelect.value = wanted;
}

function renderMap() {
  const host = $('#map');
  map = new CityMap(host, {
    bounds: boundsForOutlets(restaurant.outlets),
    title: `Map of ${restaurant.name}'s outlets and delivery areas`,
    description: 'Click or tap to choose where to deliver. With the map focused, the arrow keys move the point.',
  });
  for (const o of restaurant.outlets) map.addOutlet(o);
  picker = map.pickable(pos => {
    latInput.value = pos.lat;
    lonInput.value = pos.lon;
    showPoint();
  });
  showPoint();
}

function deliveryPoint() {
  const lat = Number.parseFloat(latInput.value);
  const lon = Number.parseFloat(lonInput.value);
  return Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : null;
}

function showPoint() {
  const pos = deliveryPoint();
  map?.setPoint('deliver', pos, { label: 'Deliver here' });
  if (pos) picker?.setCurrent(pos);
}

function renderMenu() {
  $('#menu-loading')?.remove();
  replace(menuList, menu.map(item => {
    const qtyId = `qty-${item.id}`;
    const input = h('input', { id: qtyId, type: 'number', min: 0, max: 99, step: 1, inputmode: 'numeric', value: quantities.get(item.id) ?? 0, 'data-item': item.id });
    input.addEventListener('input', () => setQuantity(item.id, input.value, false));
    return h('li', { class: 'menu-item' },
      h('div', {},
        h('div', { class: 'name', id: `name-${item.id}`, text: item.name }),
        item.description ? h('div', { class: 'muted small', text: item.description }) : null,
        h('div', { class: 'small' }, `${money(item.priceCents)} · ready in about ${Math.max(1, Math.round(item.prepMinutes))} min`)),
      h('div', { class: 'qty' },
        h('button', { type: 'button', class: 'small', 'aria-label': `One less ${item.name}`, onclick: () => step(item.id, -1) }, '−'),
        h('label', { for: qtyId, class: 'visually-hidden' }, `Quantity of ${item.name}`),
        input,
        h('button', { type: 'button', class: 'small', 'aria-label': `One more ${item.name}`, onclick: () => step(item.id, 1) }, '+')));
  }));
  renderBasket();
}

function step(itemId, delta) {
  setQuantity(itemId, (quantities.get(itemId) ?? 0) + delta, true);
}

function setQuantity(itemId, value, updateInput) {
  const n = Math.max(0, Math.min(99, Math.floor(Number(value) || 0)));
  quantities.set(itemId, n);
  if (updateInput) $(`#qty-${CSS.escape(itemId)}`).value = n;
  renderBasket();
}

function lines() {
  return menu.filter(i => (quantities.get(i.id) ?? 0) > 0).map(i => ({ item: i, quantity: quantities.get(i.id) }));
}

function renderBasket() {
  const chosen = lines();
  replace(basket, chosen.map(l => h('li', {}, `${l.quantity} × ${l.item.name} `, h('span', { class: 'muted', text: money(l.quantity * l.item.priceCents) }))));
  const cents = chosen.reduce((sum, l) => sum + l.quantity * l.item.priceCents, 0);
  total.textContent = chosen.length ? `Total ${money(cents)}` : 'Nothing chosen yet';
}

async function selectRestaurant(id) {
  restaurant = restaurants.find(r => r.id === id) ?? restaurants[0];
  restaurantSelect.value = restaurant.id;
  const url = new URL(location.href);
  url.searchParams.set('restaurant', restaurant.id);
  history.replaceState(null, '', url);
  quantities.clear();
  renderOutlets();
  renderMap();
  replace(menuList, h('li', { id: 'menu-loading', class: 'muted' }, 'Loading the menu…'));
  const chosen = restaurant;
  try {
    // While the server cannot be reached, the page says so and tries again, until the user moves on.
    const answer = await firstLoad(problem, async () => (restaurant === chosen ? api(`/api/restaurants/${encodeURIComponent(chosen.id)}/menu`) : null));
    if (restaurant !== chosen || answer.restaurantId !== restaurant.id) return; // the user has moved on
    menu = answer.items;
    renderMenu();
  } catch (e) {
    showProblem(problem, e);
  }
}

function onFulfilmentChange() {
  delivery.hidden = fulfilment() !== 'delivery';
  if (!restaurant) return;
  const selected = outletSelect.value;
  renderOutlets();
  outletSelect.value = selected;
}

async function place(event) {
  event.preventDefault();
  clearProblem();
  const chosen = lines();
  if (chosen.length === 0) {
    showNotice(problem, 'error', h('p', { text: 'Choose at least one item from the menu.' }));
    problem.tabIndex = -1;
    problem.focus();
    return;
  }
  const body = {
    restaurantId: restaurant.id,
    items: chosen.map(l => ({ menuItemId: l.item.id, quantity: l.quantity })),
  };
  if (outletSelect.value) body.outletId = outletSelect.value;
  if (fulfilment() === 'delivery') {
    const pos = deliveryPoint();
    if (!pos) {
      showNotice(problem, 'error', h('p', { text: 'Say where to deliver: type the latitude and longitude, or click the map.' }));
      latInput.focus();
      return;
    }
    body.deliverTo = pos;
  }
  const json = JSON.stringify(body);
  const key = lastAttempt?.body === json ? lastAttempt.key : newKey();
  lastAttempt = { body: json, key };

  placeButton.disabled = true;
  placeButton.textContent = 'Placing…';
  try {
    const order = await api('/api/orders', { method: 'POST', body, headers: { 'Idempotency-Key': key } });
    location.assign(`/track.html?id=${encodeURIComponent(order.id)}`);
  } catch (e) {
    placeButton.textContent = 'Place order';
    // A busy kitchen says when to come back: keep the button off until then.
    placeButton.disabled = e.retryAfter != null;
    clearProblem = showProblem(problem, e, { onRetryReady: () => { placeButton.disabled = false; } });
  }
}

/** The caller's latest orders, each linked to its tracking page (only for someone who has a token already). */
async function showRecent() {
  if (!currentToken()) return;
  try {
    const orders = await api('/api/orders?limit=10');
    if (orders.length === 0) return;
    replace($('#recent-list'), orders.map(o => h('li', {},
      h('a', { href: `/track.html?id=${encodeURIComponent(o.id)}` }, `Order ${shortId(o.id)}`),
      ` · ${statusLabel(o.status)} · ${clock(o.timeline?.placedAt)}`)));
    $('#recent').hidden = false;
  } catch {
    // The list is a convenience: ordering works without it.
  }
}

form.addEventListener('submit', place);
restaurantSelect.addEventListener('change', () => selectRestaurant(restaurantSelect.value));
for (const radio of form.elements.fulfilment) radio.addEventListener('change', onFulfilmentChange);
latInput.addEventListener('input', showPoint);
lonInput.addEventListener('input', showPoint);

try {
  // While the server cannot be reached, the page says so and tries again by itself.
  restaurants = await firstLoad(problem, () => api('/api/restaurants'));
  replace(restaurantSelect, restaurants.map(r => h('option', { value: r.id }, r.name)));
  if (params().get('delivery') === '1') form.elements.fulfilment.value = 'delivery';
  onFulfilmentChange();
  await selectRestaurant(params().get('restaurant'));
  await showRecent();
} catch (e) {
  showProblem(problem, e);
}

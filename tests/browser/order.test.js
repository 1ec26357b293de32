import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.js';
import { launchBrowser, screenshot, unexpectedProblems, accessibilityFindings, gatewayDown } from './support/browser.js';

let server;
let browser;

before(async () => {
  server = await startServer({ timeScale: 30 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a customer orders a latte for pickup and follows it live to ready, then collected', async () => {
  const page = await browser.newPage();
  const apiCalls = [];
  page.on('request', r => {
    if (new URL(r.url()).pathname.startsWith('/api/')) apiCalls.push({ method: r.method(), path: new URL(r.url()).pathname, headers: r.headers() });
  });

  await page.goto(`${server.url}/order.html?restaurant=corner-coffee`);
  await page.getByRole('button', { name: 'One more Latte' }).click();
  assert.equal(await page.getByLabel('Quantity of Latte').inputValue(), '1');
  assert.ok(await page.getByLabel('Pick it up').isChecked());
  await page.getByLabel(/^Outlet/).selectOption('coffee-central');
  assert.match(await page.locator('#total').textContent(), /3\.90/);
  assert.deepEqual(await accessibilityFindings(page), []);
  await screenshot(page, 'order-latte');

  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/track\.html\?id=/);
  const id = new URL(page.url()).searchParams.get('id');
  assert.match(id, /^[0-9A-Z]{26}$/);

  const placed = apiCalls.find(c => c.method === 'POST' && c.path === '/api/orders');
  assert.match(placed.headers['idempotency-key'], /^[0-9a-f-]{36}$/);

  // The stream brings the order to ready: the status line (a live region) and the timeline say so.
  await page.locator('#status-now', { hasText: 'Ready' }).waitFor({ timeout: 30_000 });
  const ready = page.locator('#timeline li[data-step="ready"]');
  assert.equal(await ready.getAttribute('data-state'), 'current');
  assert.match(await ready.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  for (const step of ['placed', 'accepted', 'preparing'])
    assert.equal(await page.locator(`#timeline li[data-step="${step}"]`).getAttribute('data-state'), 'done');
  assert.equal(await page.locator('#status-now').getAttribute('aria-live'), 'polite');
  await page.locator('#estimate', { hasText: 'Ready for you to collect at Corner Coffee Mitte.' }).waitFor();
  await page.locator('#items', { hasText: '1 × Latte' }).waitFor();
  await page.locator('#map svg .outlet').waitFor();
  await screenshot(page, 'track-ready');

  // Staff hand it over (through the API); the page hears it without a reload.
  const collected = await server.api(`/api/orders/${id}/collect`, { method: 'POST' });
  assert.equal(collected.status, 200);
  await page.locator('#status-now', { hasText: 'Collected' }).waitFor();
  assert.equal(await page.locator('#timeline li[data-step="collected"]').getAttribute('data-state'), 'current');
  await page.locator('#live[data-state="closed"]').waitFor();
  await screenshot(page, 'track-collected');

  // Live by push, never by polling: one stream, no GETs of the order.
  assert.equal(apiCalls.filter(c => c.path === `/api/orders/${id}/stream`).length, 1);
  assert.equal(apiCalls.filter(c => c.path === `/api/orders/${id}`).length, 0);
  assert.deepEqual(unexpectedProblems(page), []);
});

test('the order page lists the customer\'s recent orders, each linked to its tracking page', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/order.html?restaurant=corner-coffee`);
  assert.ok(await page.locator('#recent').isHidden()); // no token yet, so nothing to list
  await page.getByRole('button', { name: 'One more Espresso' }).click();
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/track\.html\?id=/);
  const id = new URL(page.url()).searchParams.get('id');

  await page.goto(`${server.url}/order.html?restaurant=corner-coffee`);
  const link = page.locator('#recent-list a');
  await link.first().waitFor();
  assert.equal(await link.count(), 1);
  assert.equal(await link.getAttribute('href'), `/track.html?id=${id}`);
  assert.match(await page.locator('#recent-list li').textContent(), new RegExp(`Order ${id.slice(-6)} · `));
  assert.deepEqual(await accessibilityFindings(page), []);
  await screenshot(page, 'order-recent');

  await link.click();
  await page.waitForURL(`**/track.html?id=${id}`);
  assert.deepEqual(unexpectedProblems(page), []);
});

test('a delivery point is picked on the map and the tracking page shows it with the handoff code', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/order.html?restaurant=corner-coffee`);
  await page.getByRole('button', { name: 'One more Espresso' }).click();
  await page.getByLabel('Deliver it').check();
  const map = page.locator('#map svg');
  await map.waitFor();
  const box = await map.boundingBox();
  await map.click({ position: { x: box.width * 0.55, y: box.height * 0.45 } });
  const lat = Number(await page.getByLabel('Latitude').inputValue());
  const lon = Number(await page.getByLabel('Longitude').inputValue());
  assert.ok(lat > 52.4 && lat < 52.7, `latitude ${lat}`);
  assert.ok(lon > 13.2 && lon < 13.6, `longitude ${lon}`);
  assert.equal(await page.locator('#map [data-point="deliver"]').count(), 1);

  // The keyboard moves the point too: 100 m north a press.
  await map.focus();
  await page.keyboard.press('ArrowUp');
  assert.ok(Number(await page.getByLabel('Latitude').inputValue()) > lat);
  await screenshot(page, 'order-delivery');

  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/track\.html\?id=/);
  await page.locator('#handoff', { hasText: /^\d{4}$/ }).waitFor();
  assert.ok(await page.locator('#handoff-section').isVisible());
  await page.locator('#map [data-point="deliver"]').waitFor();
  assert.equal(await page.locator('#timeline li').count(), 7); // placed … delivered
  await screenshot(page, 'track-delivery');
  assert.deepEqual(unexpectedProblems(page), []);
});

test('an order no kitchen could ever cook in time shows the problem, with no wait to sit out', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/order.html?restaurant=pizza-parlor&outlet=pizza-south`);
  await page.getByLabel('Quantity of Pepperoni').fill('99');
  await page.getByRole('button', { name: 'Place order' }).click();

  const problem = page.getByRole('alert');
  await problem.getByText(/\(422\)/).waitFor();
  assert.match(await problem.textContent(), /even in an idle kitchen, beyond the 45m00s promise/);
  assert.doesNotMatch(await problem.textContent(), /try again in/);
  assert.ok(await page.getByRole('button', { name: 'Place order' }).isEnabled());
  assert.deepEqual(page.problems.filter(p => !/status of 422/.test(p)), []);
  await page.close();
});

test('a refused order shows the problem, with the wait from Retry-After', async () => {
  // Fill pizza-north's promise with single pizzas until it turns one away. Twenty more, which the
  // idle kitchen would cook within its promise, then have to wait.
  // The API's own rate limit answers 429 too (another type): then the same order is sent again shortly.
  let refused = false;
  for (let i = 0, tries = 0; i < 200 && tries < 400 && !refused; tries++) {
    const placed = await server.api('/api/orders', {
      method: 'POST', headers: { 'Idempotency-Key': `fill-${i}` },
      body: { restaurantId: 'pizza-parlor', outletId: 'pizza-north', items: [{ menuItemId: 'pepperoni', quantity: 1 }] },
    });
    if (placed.status === 429 && placed.body?.type !== 'urn:brigade:problem:outlet-full') await new Promise(r => setTimeout(r, 500));
    else if (placed.status === 429) refused = true;
    else i++;
  }
  assert.ok(refused, 'pizza-north never filled up');
  const page = await browser.newPage();
  await page.goto(`${server.url}/order.html?restaurant=pizza-parlor&outlet=pizza-north`);
  const qty = page.getByLabel('Quantity of Pepperoni');
  await qty.fill('20');
  await page.getByRole('button', { name: 'Place order' }).click();

  const problem = page.getByRole('alert');
  await problem.getByText('Too many requests (429)').waitFor();
  assert.match(await problem.textContent(), /beyond the 45m00s promise/);
  assert.match(await problem.textContent(), /You can try again in \d+ s/);
  assert.ok(await page.getByRole('button', { name: 'Place order' }).isDisabled());
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'problem');
  await screenshot(page, 'order-refused');
  // The browser logs the 429 itself; the page threw nothing.
  assert.deepEqual(page.problems.filter(p => !/status of 429/.test(p)), []);
});

test('a courier position in a stream message puts the courier on the tracking map', async () => {
  // A stand-in for the order stream, in the shape it sends: the courier's position and ETA as `courier`.
  const page = await browser.newPage();
  const id = '01TESTCOURIER0000000000000';
  const order = {
    id, status: 'pickedUp', restaurantId: 'pizza-parlor', outletId: 'pizza-north',
    items: [{ menuItemId: 'margherita', quantity: 1 }], deliverTo: { lat: 52.53, lon: 13.42 }, pickup: false, totalCents: 950,
    estimatedReadyAt: null, initialEstimatedReadyAt: null, estimatedDeliveryAt: '2030-01-01T12:30:00Z', courierId: 'c-7',
    handoffCode: '4242', reason: null, version: 7,
    timeline: { placedAt: '2030-01-01T12:00:00Z', acceptedAt: '2030-01-01T12:00:00Z', preparingAt: '2030-01-01T12:01:00Z', readyAt: '2030-01-01T12:12:00Z', courierAssignedAt: '2030-01-01T12:05:00Z', pickedUpAt: '2030-01-01T12:14:00Z' },
  };
  const message = (version, change, detail) => `id: ${version}\nevent: pickedUp\ndata: ${JSON.stringify({ change, version, at: '2030-01-01T12:15:00Z', order: { ...order, version }, courier: detail })}\n\n`;
  await page.route(`**/api/orders/${id}/stream`, route => route.fulfill({
    status: 200,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
    body: `retry: 600000\n\n${message(7, 'snapshot', null)}${message(null, 'CourierMoved', { lat: 52.535, lon: 13.415, etaSeconds: 240 })}`,
  }));
  await page.goto(`${server.url}/track.html?id=${id}`);
  await page.locator('#map [data-courier="courier"]').waitFor();
  assert.match(await page.locator('#courier').textContent(), /about 4 minutes away/);
  assert.equal(await page.locator('#status-now').textContent(), 'Picked up');
  assert.equal(await page.locator('#timeline li[data-step="courierAssigned"]').getAttribute('data-state'), 'done');
  assert.equal(await page.locator('#handoff').textContent(), '4242');
  await screenshot(page, 'track-courier');
  assert.deepEqual(unexpectedProblems(page), []);
});

test('the tracking page reconnects by itself after the connection drops and a gateway refuses it for a while', async () => {
  const placed = await server.api('/api/orders', {
    method: 'POST',
    headers: { 'Idempotency-Key': `drop-${Date.now()}` },
    body: { restaurantId: 'corner-coffee', outletId: 'coffee-central', items: [{ menuItemId: 'latte', quantity: 1 }] },
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const id = placed.body.id;
  let order = placed.body;
  while (order.status !== 'ready') {
    await new Promise(r => setTimeout(r, 200));
    order = (await server.api(`/api/orders/${id}`)).body;
  }

  const page = await browser.newPage();
  await page.addInitScript(t => localStorage.setItem('brigade.token', t), server.adminToken);
  // The first stream sends the order as it is, then the connection drops; while the network is
  // down, the gateway in front answers 502 to everything (which an EventSource never retries).
  let down = true;
  let streams = 0;
  await page.route(`**/api/orders/${id}**`, route => {
    const path = new URL(route.request().url()).pathname;
    if (!down) return route.continue();
    if (path.endsWith('/stream') && ++streams === 1) {
      return route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
        body: `retry: 100\n\nid: ${order.version}\nevent: ready\ndata: ${JSON.stringify({ change: 'snapshot', version: order.version, at: order.timeline.readyAt, order })}\n\n`,
      });
    }
    return route.fulfill({ status: 502, contentType: 'text/plain', body: 'Bad gateway' });
  });
  await page.goto(`${server.url}/track.html?id=${id}`);
  await page.locator('#status-now', { hasText: 'Ready' }).waitFor();
  await page.locator('#live[data-state="failed"], #live[data-state="reconnecting"]').waitFor();
  await page.getByRole('alert').getByText('Bad Gateway (502)').waitFor();
  // The page still knows the order: an unreachable server is not an unknown order.
  assert.equal(await page.locator('#status-now').textContent(), 'Ready');

  // The network is back: the page follows the order again, without a reload.
  down = false;
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 30_000 });
  assert.equal((await server.api(`/api/orders/${id}/collect`, { method: 'POST' })).status, 200);
  await page.locator('#status-now', { hasText: 'Collected' }).waitFor();
  assert.equal(await page.locator('#problem').textContent(), '', 'the outage notice is gone');
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});


test('the tracking page waits for a server it cannot reach as it opens, says so, and shows the order once it answers', async () => {
  const placed = await server.api('/api/orders', {
    method: 'POST',
    headers: { 'Idempotency-Key': `first-load-${Date.now()}` },
    body: { restaurantId: 'corner-coffee', outletId: 'coffee-central', items: [{ menuItemId: 'latte', quantity: 1 }] },
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const page = await browser.newPage();
  await page.addInitScript(t => localStorage.setItem('brigade.token', t), server.adminToken);
  let down = () => true;
  await gatewayDown(page, path => down(path));
  await page.goto(`${server.url}/track.html?id=${placed.body.id}`);
  await page.locator('#live', { hasText: /^Cannot reach the server \(Bad Gateway\): trying again in \d+ s…$/ }).waitFor();
  await page.getByRole('alert').getByText('Bad Gateway (502)').waitFor();
  await page.evaluate(() => { window.notReloaded = true; });

  // The order answers again, the catalog not yet: the page follows the order, its items by id for now.
  down = path => path.startsWith('/api/restaurants');
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 30_000 });
  await page.locator('#items', { hasText: /^1 × latte$/ }).waitFor();
  assert.equal(await page.locator('#problem').textContent(), '', 'the outage notice is gone');

  // The catalog answers: the items are named and the outlet is on the map.
  down = () => false;
  await page.locator('#items', { hasText: /1 × Latte/ }).waitFor({ timeout: 30_000 });
  await page.locator('#map svg .outlet').waitFor();
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});

test('the order page waits for a server it cannot reach as it opens, says so, and shows the menu once it answers', async () => {
  const page = await browser.newPage();
  let down = true;
  await gatewayDown(page, () => down);
  await page.goto(`${server.url}/order.html?restaurant=corner-coffee`);
  await page.getByRole('alert').getByText(/^Cannot reach the server \(Bad Gateway\): trying again in \d+ s…$/).waitFor();
  down = false;
  await page.getByRole('button', { name: 'One more Latte' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByLabel('Restaurant').inputValue(), 'corner-coffee');
  assert.equal(await page.locator('#problem').textContent(), '', 'the outage notice is gone');
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});

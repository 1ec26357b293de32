import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.js';
import { launchBrowser, screenshot, unexpectedProblems } from './support/browser.js';

// The built-in demo catalog's simulated couriers deliver; the clock runs 60 times real time, so a
// delivery that takes about twenty minutes in the kitchen's time takes about twenty seconds.
let server;
let browser;

before(async () => {
  server = await startServer({ timeScale: 60 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a customer orders an espresso for delivery and follows it live to ready, the courier on the map, then delivered', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/order.html?restaurant=corner-coffee`);
  await page.getByRole('button', { name: 'One more Espresso' }).click();
  await page.getByLabel('Deliver it').check();
  // A point near Corner Coffee Mitte, well inside its 3 km zone: typed, as a keyboard user would.
  await page.getByLabel('Latitude').fill('52.5350');
  await page.getByLabel('Longitude').fill('13.4120');
  await page.getByLabel('Latitude').press('Tab');
  await page.locator('#map [data-point="deliver"]').waitFor();
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/track\.html\?id=/);
  const id = new URL(page.url()).searchParams.get('id');

  // Ready: the timeline says when (the courier may already be assigned by then, which the status line shows instead).
  await page.locator('#timeline li[data-step="ready"] time').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('#timeline li[data-step="ready"]').getAttribute('data-state'), /^(current|done)$/);
  await screenshot(page, 'track-delivery-ready');

  // On its way: the courier's position comes with the stream and is drawn on the map.
  await page.locator('#map [data-courier="courier"]').waitFor({ timeout: 60_000 });
  await page.locator('#courier', { hasText: 'The courier is on the map' }).waitFor();
  await screenshot(page, 'track-delivery-courier');

  await page.locator('#status-now', { hasText: 'Delivered' }).waitFor({ timeout: 90_000 });
  assert.equal(await page.locator('#timeline li[data-step="delivered"]').getAttribute('data-state'), 'current');
  for (const step of ['placed', 'accepted', 'preparing', 'ready', 'courierAssigned', 'pickedUp'])
    assert.equal(await page.locator(`#timeline li[data-step="${step}"]`).getAttribute('data-state'), 'done', step);
  await page.locator('#live[data-state="closed"]').waitFor();
  assert.ok(await page.locator('#handoff-section').isHidden(), 'the handoff code is no longer needed');
  assert.equal(await page.locator('#map [data-courier="courier"]').count(), 0);
  await screenshot(page, 'track-delivered');

  // The server agrees, and a simulated courier took it.
  const order = await server.api(`/api/orders/${id}`);
  assert.equal(order.body.status, 'delivered');
  assert.match(order.body.courierId, /^sim-/);
  assert.deepEqual(unexpectedProblems(page), []);
});

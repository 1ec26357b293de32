import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.js';
import { launchBrowser, screenshot, unexpectedProblems, accessibilityFindings, PHONE } from './support/browser.js';

let server;
let browser;
let orderId;

before(async () => {
  server = await startServer({ timeScale: 60 });
  browser = await launchBrowser({ token: server.adminToken });
  const placed = await server.api('/api/orders', {
    method: 'POST',
    headers: { 'Idempotency-Key': 'pages-test-order' },
    body: { restaurantId: 'pizza-parlor', outletId: 'pizza-north', items: [{ menuItemId: 'margherita', quantity: 1 }], deliverTo: { lat: 52.53, lon: 13.42 } },
  });
  orderId = placed.body.id;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const PAGES = [
  ['home', '/', '#restaurants > li'],
  ['order', '/order.html?restaurant=pizza-parlor&delivery=1', '#menu .menu-item'],
  ['track', () => `/track.html?id=${orderId}`, '#timeline li'],
  ['kitchen', '/kitchen.html?outlet=pizza-north', '.station'],
  ['dispatch', '/dispatch.html', '.feed[data-feed="fleet"] table'],
  ['operations', '/operations.html', '.feed[data-feed="figures"] figure'],
  ['signin', '/signin.html', '#token'],
];

for (const [name, path, ready] of PAGES) {
  test(`${name} fits a phone (390 px) and is accessible`, async () => {
    const page = await browser.newPage(PHONE);
    await page.goto(server.url + (typeof path === 'function' ? path() : path));
    await page.locator(ready).first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${name} is ${overflow} px wider than the phone`);
    assert.deepEqual(await accessibilityFindings(page), []);

    // Keyboard: the skip link comes first and lands on the main content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

    await screenshot(page, `phone-${name}`);
    // Operations reads GET /api/alerts, which this server may not publish yet (404, shown as such).
    assert.deepEqual(unexpectedProblems(page, { allow404: name === 'operations' }), []);
  });
}

test('a signed-in token goes with every request: a header on fetch, access_token on streams', async () => {
  const plain = await launchBrowser();
  const page = await plain.newPage();
  await page.goto(`${server.url}/signin.html`);
  assert.match(await page.locator('#state').textContent(), /Not signed in/);
  // A staff token for pizza-north, from `brigade token`.
  const token = server.token('staff', 'kim', 'pizza-north');
  await page.getByLabel('Token').fill(`Bearer ${token}`);
  await page.getByRole('button', { name: 'Save token' }).click();
  await page.locator('#state', { hasText: 'Signed in as kim (staff at pizza-north)' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('brigade.token')), token);
  assert.match(await page.locator('[data-signin]').textContent(), /Signed in \(kim\)/);

  const seen = [];
  page.on('request', r => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/')) seen.push({ path: url.pathname, auth: r.headers().authorization, query: url.searchParams.get('access_token') });
  });
  await page.goto(`${server.url}/kitchen.html?outlet=pizza-north`);
  await page.locator('#live[data-state="live"]').waitFor();
  const stream = seen.find(s => s.path.endsWith('/kitchen/stream'));
  assert.equal(stream.query, token);
  const fetched = seen.find(s => s.path === '/api/restaurants');
  assert.equal(fetched.auth, `Bearer ${token}`);

  await page.goto(`${server.url}/signin.html`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#state', { hasText: 'Not signed in' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('brigade.token')), null);
  assert.deepEqual(unexpectedProblems(page), []);
  await plain.close();
});

test('following an unknown order says it does not exist', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/track.html?id=01NOSUCHORDER0000000000000`);
  await page.getByRole('alert').getByText("There is no order '01NOSUCHORDER0000000000000'.").waitFor();
  assert.equal(await page.locator('#live').getAttribute('data-state'), 'failed');
});

test('the kitchen clock learns the rate from the views and ignores a view repeated with a keep-alive', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/kitchen.html?outlet=pizza-north`);
  const result = await page.evaluate(async () => {
    const { KitchenClock } = await import('/js/clock.js');
    const clock = new KitchenClock();
    const wait = ms => new Promise(r => setTimeout(r, ms));
    const t0 = Date.parse('2030-01-01T12:00:00Z');
    const started = performance.now();
    clock.observe(new Date(t0).toISOString());
    await wait(1100);
    // 60 times real time: as many kitchen ms have passed as 60 × the real ms.
    const kitchenNow = t0 + (performance.now() - started) * 60;
    clock.observe(new Date(kitchenNow).toISOString());
    const learned = clock.scale;
    await wait(300);
    clock.observe(new Date(kitchenNow).toISOString()); // the same view again
    return { learned, after: clock.scale, ahead: clock.now() - kitchenNow };
  });
  assert.ok(Math.abs(result.learned - 60) < 3, `learned ${result.learned}`);
  assert.equal(result.after, result.learned);
  assert.ok(result.ahead > 300 * 60 * 0.8, `the clock runs on at the learned rate (${result.ahead} ms ahead)`);
});

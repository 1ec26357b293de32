import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.js';
import { launchBrowser, screenshot, unexpectedProblems, accessibilityFindings, gatewayDown } from './support/browser.js';

// Demo mode: synthetic customers keep the kitchens and the simulated couriers busy.
let server;
let browser;

before(async () => {
  server = await startServer({ timeScale: 60, demo: true, demoRate: 240 });
  browser = await launchBrowser({ token: server.adminToken });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Each open tab keeps its streams: close them, or the browser's six connections to the server run out.
afterEach(async () => {
  for (const page of browser.context.pages()) await page.close();
});

test('the dispatcher map shows outlets with their health, couriers moving, orders and the router’s decisions, live', async () => {
  await server.api('/api/outlets/pizza-south/pause', { method: 'POST', body: { reason: 'oven repair' } });
  const page = await browser.newPage();
  await page.goto(`${server.url}/dispatch.html`);
  const fleet = page.locator('.feed[data-feed="fleet"]');
  await fleet.locator('.feed-state', { hasText: 'Live' }).waitFor();
  assert.equal(await page.locator('#map svg .outlet').count(), 4);
  await page.locator('#map svg .outlet[data-health="paused"][data-outlet="pizza-south"]').waitFor();
  assert.match(await page.locator('#map svg .outlet[data-outlet="pizza-south"] text').textContent(), /\(paused\)$/);
  await fleet.locator('[data-health="paused"]', { hasText: 'paused' }).waitFor();
  assert.equal(await page.locator('#map svg .courier').count(), 12);

  // Orders appear, and some courier takes one: it is drawn with its next leg.
  await page.locator('#map svg .order').first().waitFor({ timeout: 30_000 });
  await page.locator('#map svg .courier:not([data-state="idle"]):not([data-state="offered"])').first().waitFor({ timeout: 60_000 });
  await page.locator('#map svg .route[data-kind]').first().waitFor({ timeout: 30_000 });

  // Couriers move: a riding courier's marker is somewhere else a few seconds later.
  const riding = page.locator('#map svg .courier[data-state="tooutlet"], #map svg .courier[data-state="tocustomer"]').first();
  await riding.waitFor({ timeout: 60_000 });
  const courierId = await riding.getAttribute('data-courier');
  const marker = page.locator(`#map svg .courier[data-courier="${courierId}"]`);
  const before = await marker.getAttribute('transform');
  await page.waitForFunction(([sel, t]) => document.querySelector(sel)?.getAttribute('transform') !== t,
    [`#map svg .courier[data-courier="${courierId}"]`, before], { timeout: 15_000 });

  const routing = page.locator('.feed[data-feed="routing"]');
  await routing.locator('li.decision').first().waitFor({ timeout: 30_000 });
  // The newest decision comes first, so a locator for the first would move to one arriving now: hold the element.
  const details = await routing.locator('li.decision details').first().elementHandle();
  await (await details.$('summary')).focus();
  await page.keyboard.press('Enter');
  assert.equal(await details.getAttribute('open'), '');
  assert.ok((await details.$$('li')).length >= 1);

  assert.deepEqual(await accessibilityFindings(page), []);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'dispatch-live');
  assert.deepEqual(unexpectedProblems(page), []);
});

test('operations charts orders per minute, station waits and courier utilisation, live, and lists the alerts', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/operations.html`);
  const figures = page.locator('.feed[data-feed="figures"]');
  await figures.locator('.feed-state', { hasText: 'Live' }).waitFor();
  for (const chart of ['orders-per-minute', 'station-waits', 'courier-utilisation'])
    await figures.locator(`figure[data-chart="${chart}"] svg[role="img"]`).waitFor();
  // One line per station of every outlet in the demo catalog (seven), each in the legend.
  assert.equal(await figures.locator('figure[data-chart="station-waits"] polyline').count(), 7);
  assert.equal(await figures.locator('figure[data-chart="station-waits"] .chart-legend li').count(), 7);
  // The figures move: demo orders are placed and the summary says so in words.
  await figures.locator('figure[data-chart="orders-per-minute"] .chart-summary', { hasText: /In the last 10 minutes: [1-9]\d* placed/ }).waitFor({ timeout: 30_000 });
  await figures.locator('figure[data-chart="courier-utilisation"] .chart-summary', { hasText: /of 12 couriers have orders/ }).waitFor();
  const described = await figures.locator('figure[data-chart="courier-utilisation"] > svg').getAttribute('aria-describedby');
  assert.ok(await page.locator(`#${described}`).count() === 1);

  const alerts = page.locator('.feed[data-feed="alerts"][data-state="loaded"]');
  await alerts.waitFor();
  await alerts.getByText(/No alerts|firing now/).first().waitFor();
  await page.locator('.feed[data-feed="health"]').getByText('Ready', { exact: true }).waitFor();
  await page.locator('.feed[data-feed="kitchens"]').getByRole('link', { name: 'Pizza Parlor Prenzlauer Berg' }).waitFor();
  assert.deepEqual(await accessibilityFindings(page), []);
  await screenshot(page, 'operations-live');
  assert.deepEqual(unexpectedProblems(page, { allow404: true }), []);
});

test('the alerts list shows the most recently resolved alerts first, not the oldest of the page', async () => {
  // A stand-in for GET /api/alerts in its shape: a page of 80 resolved alerts, newest last.
  const page = await browser.newPage();
  const at = i => new Date(Date.UTC(2030, 0, 1, 8, i)).toISOString();
  const recent = Array.from({ length: 80 }, (_, i) => ({
    alertId: `a${i}`, rule: `rule-${i}`, kind: 'orderWait', subject: 'pizza-north', state: 'resolved', message: 'waited',
    value: 1, threshold: 1, firedAt: at(i), resolvedAt: at(i + 1),
  }));
  await page.route('**/api/alerts', route => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ active: [], recent, nextBefore: null }) }));
  await page.goto(`${server.url}/operations.html`);
  const list = page.locator('.feed[data-feed="alerts"][data-state="loaded"] li');
  await list.first().waitFor();
  assert.equal(await list.count(), 50);
  assert.match(await list.first().textContent(), /rule-79 /);
  assert.match(await list.last().textContent(), /rule-30 /);
  assert.deepEqual(unexpectedProblems(page, { allow404: true }), []);
});

test('the dispatcher map follows the fleet again by itself after its stream is refused for a while', async () => {
  const page = await browser.newPage();
  // The page loads the dispatch view; its stream sends one update, then the connection drops, and
  // while the network is down the gateway in front answers 502 (which an EventSource never retries).
  const snapshot = (await server.api('/api/dispatch')).body;
  let down = true;
  let loads = 0;
  let streams = 0;
  await page.route(url => /^\/api\/dispatch(\/stream)?$/.test(url.pathname), route => {
    const stream = new URL(route.request().url()).pathname.endsWith('/stream');
    if (!down || (!stream && ++loads === 1)) return route.continue();
    if (stream && ++streams === 1) {
      return route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
        body: `retry: 100\n\nevent: dispatch\ndata: ${JSON.stringify(snapshot)}\n\n`,
      });
    }
    return route.fulfill({ status: 502, contentType: 'text/plain', body: 'Bad gateway' });
  });
  await page.goto(`${server.url}/dispatch.html`);
  const fleet = page.locator('.feed[data-feed="fleet"]');
  await fleet.locator('.feed-state', { hasText: /Cannot reach the server \(Bad Gateway\): trying again in \d+ s/ }).waitFor();
  await page.evaluate(() => { window.notReloaded = true; });
  // What the page knew stays on the map.
  assert.equal(await page.locator('#map svg .courier').count(), 12);

  down = false;
  await fleet.locator('.feed-state', { hasText: 'Live' }).waitFor({ timeout: 30_000 });
  assert.equal(await fleet.getAttribute('data-state'), 'live');
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});


test('the operations feeds wait for a server they cannot reach as the page opens, say so, and go live once it answers', async () => {
  const page = await browser.newPage();
  let down = true;
  await gatewayDown(page, () => down);
  await page.goto(`${server.url}/operations.html`);
  const waiting = /^Cannot reach the server \(Bad Gateway\): trying again in \d+ s…$/;
  // A feed that follows a stream, and one that is fetched again every few seconds.
  const figures = page.locator('.feed[data-feed="figures"]');
  const kitchens = page.locator('.feed[data-feed="kitchens"]');
  await figures.locator('.feed-state', { hasText: waiting }).waitFor();
  await kitchens.locator('.feed-state', { hasText: waiting }).waitFor();
  assert.equal(await figures.getAttribute('data-state'), 'waiting');
  await page.evaluate(() => { window.notReloaded = true; });

  down = false;
  await figures.locator('.feed-state', { hasText: 'Live' }).waitFor({ timeout: 30_000 });
  await figures.locator('figure[data-chart="orders-per-minute"] svg[role="img"]').waitFor();
  await kitchens.getByRole('link', { name: 'Pizza Parlor Prenzlauer Berg' }).waitFor({ timeout: 30_000 });
  await page.locator('.feed[data-feed="alerts"][data-state="loaded"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  assert.deepEqual(unexpectedProblems(page, { allow404: true }).filter(p => !/status of 502/.test(p)), []);
});

test('a feed fetched on a timer keeps what it shows when the server drops out, says so, and carries on once it answers', async () => {
  const page = await browser.newPage();
  let down = false;
  await gatewayDown(page, () => down);
  await page.goto(`${server.url}/operations.html`);
  const kitchens = page.locator('.feed[data-feed="kitchens"]');
  await kitchens.getByRole('link', { name: 'Pizza Parlor Prenzlauer Berg' }).waitFor({ timeout: 30_000 });
  await kitchens.locator('.feed-state', { hasText: /^Updated at / }).waitFor();

  down = true;
  await kitchens.locator('.feed-state', { hasText: /^Cannot reach the server \(Bad Gateway\): trying again in 10 s…$/ }).waitFor({ timeout: 30_000 });
  assert.equal(await kitchens.getAttribute('data-state'), 'waiting');
  assert.ok(await kitchens.getByRole('link', { name: 'Pizza Parlor Prenzlauer Berg' }).isVisible(), 'what it showed stays');

  down = false;
  await kitchens.locator('.feed-state', { hasText: /^Updated at / }).waitFor({ timeout: 30_000 });
  assert.equal(await kitchens.getAttribute('data-state'), 'loaded');
  assert.deepEqual(unexpectedProblems(page, { allow404: true }).filter(p => !/status of 502/.test(p)), []);
});

test('the dispatcher map waits for a server it cannot reach as the page opens, says so, and goes live once it answers', async () => {
  const page = await browser.newPage();
  let down = true;
  await gatewayDown(page, () => down);
  await page.goto(`${server.url}/dispatch.html`);
  await page.getByRole('alert').getByText(/^Cannot reach the server \(Bad Gateway\): trying again in \d+ s…$/).waitFor();
  down = false;
  await page.locator('.feed[data-feed="fleet"] .feed-state', { hasText: 'Live' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#map svg .outlet').count(), 4);
  assert.equal(await page.locator('#problem').textContent(), '', 'the outage notice is gone');
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});

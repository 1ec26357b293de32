import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, fixture } from './support/server.js';
import { launchBrowser, screenshot, unexpectedProblems, accessibilityFindings, gatewayDown } from './support/browser.js';

let server;
let browser;

before(async () => {
  // A kitchen whose pizza station is worked by staff on the display; leases of an hour of kitchen time.
  server = await startServer({ timeScale: 60, catalog: fixture('staff-kitchen.json') });
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

async function placePizza() {
  const r = await server.api('/api/orders', {
    method: 'POST',
    headers: { 'Idempotency-Key': `kitchen-${Date.now()}-${Math.random()}` },
    body: { restaurantId: 'staff-pizza', items: [{ menuItemId: 'pizza', quantity: 1 }] },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

test('a chef starts and bumps tasks on the kitchen display until the order is ready', async () => {
  const id = await placePizza();
  const page = await browser.newPage();
  const posts = [];
  page.on('request', r => { if (r.method() === 'POST') posts.push({ path: new URL(r.url()).pathname, body: r.postData() }); });
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);

  await page.locator('#heading', { hasText: 'Staff Kitchen' }).waitFor();
  await page.locator('#live[data-state="live"]').waitFor();
  const station = page.getByRole('region', { name: /^Pizza/ });
  const ticket = station.getByRole('article', { name: `Order …${id.slice(-6)}` });
  await ticket.waitFor();
  // Age against the station's target, in words as well as colour.
  assert.equal(await ticket.getAttribute('data-age'), 'fresh');
  assert.equal(await ticket.locator('.age-label').textContent(), 'on time');
  // Tasks are named after the menu (its names arrive with a second request).
  await station.locator('.task .label', { hasText: 'Pizza 1 · top' }).waitFor();
  assert.deepEqual(await station.locator('.task .label').allTextContents(), ['Pizza 1 · top', 'Pizza 1 · bake']);
  assert.ok(await station.getByRole('button', { name: 'Start next task at Pizza' }).isDisabled(), 'no chef chosen yet');

  await station.getByLabel('Chef at Pizza').selectOption('ana');
  await station.getByRole('button', { name: 'Start next task at Pizza' }).click();
  const top = station.locator('.task', { hasText: 'Pizza 1 · top' });
  await top.locator('.phase', { hasText: 'Ana working' }).waitFor();
  assert.equal(await page.locator('#chefs tr', { hasText: 'Ana' }).locator('.state').textContent(), 'busy (task 1)');
  await screenshot(page, 'kitchen-working');

  // Bump with the token the start gave this screen.
  const lease = JSON.parse(await page.evaluate(() => localStorage.getItem('brigade.kitchen.staff-kitchen.leases')));
  const [[taskId, held]] = lease;
  await top.getByRole('button', { name: 'Bump Pizza 1 · top' }).click();
  await top.waitFor({ state: 'detached' });
  const bump = posts.find(p => p.path.endsWith(`/tasks/${taskId}/bump`));
  assert.deepEqual(JSON.parse(bump.body), { token: held.token });
  await page.locator('#said', { hasText: 'Bumped Pizza 1 · top.' }).waitFor();

  // The bake: start it by its own button, bump it, and the oven finishes it unattended.
  const bake = station.locator('.task', { hasText: 'Pizza 1 · bake' });
  await bake.getByRole('button', { name: 'Start Pizza 1 · bake' }).click();
  await bake.locator('.phase', { hasText: 'Ana working at oven' }).waitFor();
  await bake.getByRole('button', { name: 'Bump Pizza 1 · bake' }).click();
  await ticket.waitFor({ state: 'detached', timeout: 30_000 });
  assert.equal((await server.api(`/api/orders/${id}`)).body.status, 'ready');
  assert.equal(await page.locator('#chefs tr', { hasText: 'Ana' }).locator('.done').textContent(), '2');
  assert.equal(await page.evaluate(() => localStorage.getItem('brigade.kitchen.staff-kitchen.leases')), '[]');

  assert.deepEqual(await accessibilityFindings(page), []);
  await screenshot(page, 'kitchen-bumped');
  assert.deepEqual(unexpectedProblems(page), []);
});

test('the display shows chefs, equipment and stock, and staff report a broken unit', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);
  await page.locator('#chefs tr').first().waitFor();
  assert.deepEqual(await page.locator('#chefs th[scope="row"]').allTextContents(), ['Ana', 'Bo', 'Cy']);
  const unit = page.locator('#equipment li', { hasText: 'Unit 2' });
  assert.match(await unit.textContent(), /0 of 1 in use/);
  await unit.getByRole('button', { name: 'Report broken: oven unit 2' }).click();
  await unit.getByText('broken', { exact: true }).waitFor();
  await unit.getByRole('button', { name: 'Report fixed: oven unit 2' }).click();
  await unit.getByText('0 of 1 in use').waitFor();
  assert.ok(await page.getByText('This kitchen keeps no prepped stock.').isVisible());
  assert.deepEqual(unexpectedProblems(page), []);
});

test('a refused start is shown to the chef', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);
  await page.locator('#live[data-state="live"]').waitFor();
  const station = page.getByRole('region', { name: /^Pizza/ });
  await station.getByLabel('Chef at Pizza').selectOption('bo');
  // Nothing is waiting: the API says so, and the page shows its words.
  await station.getByRole('button', { name: 'Start next task at Pizza' }).click();
  await page.getByRole('alert').getByText('nothing startable for bo').waitFor();
  assert.deepEqual(page.problems.filter(p => !/status of 404/.test(p)), []);
});

test('without an outlet the kitchen page offers the outlets', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/kitchen.html`);
  await page.getByRole('link', { name: 'Staff Kitchen' }).click();
  await page.waitForURL(/outlet=staff-kitchen/);
  await page.locator('#live[data-state="live"]').waitFor();
  assert.deepEqual(unexpectedProblems(page), []);
});

test('a double click on start or bump sends the action once and shows no refusal', async () => {
  const id = await placePizza();
  const page = await browser.newPage();
  const posts = [];
  page.on('request', r => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);
  await page.locator('#live[data-state="live"]').waitFor();
  const station = page.getByRole('region', { name: /^Pizza/ });
  const ticket = station.getByRole('article', { name: `Order …${id.slice(-6)}` });
  const top = ticket.locator('.task', { hasText: 'Pizza 1 · top' });
  await top.waitFor();
  await station.getByLabel('Chef at Pizza').selectOption('ana');

  // Two clicks as a hurried hand makes them, a moment apart, on whatever is under the pointer.
  const doubleClick = async locator => {
    const box = await locator.boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForTimeout(120);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  };
  await doubleClick(station.getByRole('button', { name: 'Start next task at Pizza' }));
  await top.locator('.phase', { hasText: 'Ana working' }).waitFor();
  await doubleClick(top.getByRole('button', { name: 'Bump Pizza 1 · top' }));
  await top.waitFor({ state: 'detached' });
  await page.locator('#said', { hasText: 'Bumped Pizza 1 · top.' }).waitFor();
  await page.waitForTimeout(500); // a second answer, had there been one, would be in by now

  assert.equal(posts.filter(p => p.endsWith('/chefs/ana/next')).length, 1);
  assert.equal(posts.filter(p => p.endsWith('/bump')).length, 1);
  assert.equal(await page.locator('#problem').textContent(), '');
  assert.deepEqual(unexpectedProblems(page), []);
});

/** Two clicks as a hurried hand makes them, a moment apart, on whatever is under the pointer. */
async function doubleClick(page, locator) {
  const box = await locator.boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForTimeout(120);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

test('a double click on a chef\'s sick or back sends it once and shows no refusal', async () => {
  const page = await browser.newPage();
  const posts = [];
  page.on('request', r => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);
  await page.locator('#live[data-state="live"]').waitFor();
  const bo = page.locator('#chefs tr', { hasText: 'Bo' });

  // The first click's answer comes back before the view showing Bo sick: the second click is not sent.
  await doubleClick(page, bo.getByRole('button', { name: 'Sick: Bo' }));
  await bo.locator('.state', { hasText: 'sick' }).waitFor();
  await doubleClick(page, bo.getByRole('button', { name: 'Back: Bo' }));
  await bo.locator('.state:not(:text("sick"))').waitFor();
  await page.waitForTimeout(500); // a second answer, had there been one, would be in by now

  assert.deepEqual(posts.filter(p => p.includes('/chefs/bo/')), ['/api/outlets/staff-kitchen/kitchen/chefs/bo/sick', '/api/outlets/staff-kitchen/kitchen/chefs/bo/back']);
  assert.equal(await page.locator('#problem').textContent(), '');
  assert.deepEqual(unexpectedProblems(page), []);
});

test('the second click of a double click is no new action when the view has changed the button under it', async () => {
  const page = await browser.newPage();
  const posts = [];
  page.on('request', r => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);
  await page.locator('#live[data-state="live"]').waitFor();
  const unit = page.locator('#equipment li', { hasText: 'Unit 1' });
  await unit.getByRole('button', { name: 'Report broken: oven unit 1' }).click();
  // The view arrives before the second click: the button under the pointer now reads "Report fixed",
  // and the browser counts the press as the second of a double click.
  const fixed = unit.getByRole('button', { name: 'Report fixed: oven unit 1' });
  await fixed.waitFor();
  const box = await fixed.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down({ clickCount: 2 });
  await page.mouse.up({ clickCount: 2 });
  await page.waitForTimeout(500);

  assert.deepEqual(posts.filter(p => p.includes('/equipment/')), ['/api/outlets/staff-kitchen/kitchen/equipment/oven/units/0/broken']);
  assert.match(await unit.textContent(), /broken/);
  await unit.getByRole('button', { name: 'Report fixed: oven unit 1' }).click();
  await unit.getByText('0 of 1 in use').waitFor();
  assert.deepEqual(unexpectedProblems(page), []);
});

test('the display reconnects by itself after its stream drops and a gateway refuses it for a while', async () => {
  const view = (await server.api('/api/outlets/staff-kitchen/kitchen')).body;
  const page = await browser.newPage();
  // The first stream sends the kitchen as it is, then the connection drops; while the network is
  // down, the gateway in front answers 502 to everything (which an EventSource never retries).
  let down = true;
  let streams = 0;
  await page.route('**/api/outlets/staff-kitchen/kitchen**', route => {
    if (!down) return route.continue();
    if (new URL(route.request().url()).pathname.endsWith('/stream') && ++streams === 1) {
      return route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
        body: `retry: 100\n\nid: ${view.version}\nevent: kitchen\ndata: ${JSON.stringify(view)}\n\n`,
      });
    }
    return route.fulfill({ status: 502, contentType: 'text/plain', body: 'Bad gateway' });
  });
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);
  await page.locator('#heading', { hasText: 'Staff Kitchen' }).waitFor();
  await page.getByRole('alert').getByText('Bad Gateway (502)').waitFor();
  await page.locator('#live[data-state="failed"], #live[data-state="reconnecting"]').waitFor();
  await page.evaluate(() => { window.notReloaded = true; });
  // The display still shows the kitchen it knows.
  assert.deepEqual(await page.locator('#chefs th[scope="row"]').allTextContents(), ['Ana', 'Bo', 'Cy']);

  // An order comes in while the display cannot hear of it; then the network is back, and the
  // display follows the kitchen again, without a reload.
  const id = await placePizza();
  down = false;
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 30_000 });
  await page.getByRole('region', { name: /^Pizza/ }).getByRole('article', { name: `Order …${id.slice(-6)}` }).waitFor();
  assert.equal(await page.locator('#problem').textContent(), '', 'the outage notice is gone');
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});


test('the display waits for a server it cannot reach as it opens, says so, and follows the kitchen once it answers', async () => {
  const id = await placePizza();
  const page = await browser.newPage();
  let down = true;
  await gatewayDown(page, () => down);
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);
  const live = page.locator('#live');
  await live.filter({ hasText: /^Cannot reach the server \(Bad Gateway\): trying again in 2 s…$/ }).waitFor();
  // The pause grows while the server stays out of reach.
  await live.filter({ hasText: /^Cannot reach the server \(Bad Gateway\): trying again in 4 s…$/ }).waitFor();
  await page.evaluate(() => { window.notReloaded = true; });

  down = false;
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 30_000 });
  await page.locator('#heading', { hasText: 'Staff Kitchen' }).waitFor();
  // The tasks are named after the menu, though the gateway refused its first request too.
  const ticket = page.getByRole('region', { name: /^Pizza/ }).getByRole('article', { name: `Order …${id.slice(-6)}` });
  await ticket.locator('.task .label', { hasText: /^Pizza 1 · top$/ }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#problem').textContent(), '', 'the outage notice is gone');
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});

test('without an outlet the kitchen page waits for a server it cannot reach, then offers the outlets', async () => {
  const page = await browser.newPage();
  let down = true;
  await gatewayDown(page, () => down);
  await page.goto(`${server.url}/kitchen.html`);
  await page.getByRole('alert').getByText(/^Cannot reach the server \(Bad Gateway\): trying again in \d+ s…$/).waitFor();
  down = false;
  await page.getByRole('link', { name: 'Staff Kitchen' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#problem').textContent(), '', 'the outage notice is gone');
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});

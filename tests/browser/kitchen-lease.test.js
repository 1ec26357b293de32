import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, fixture } from './support/server.js';
import { launchBrowser, unexpectedProblems } from './support/browser.js';

let server;
let browser;
let dir;

before(async () => {
  // The staff kitchen with a lease of 54 kitchen seconds on a clock 60 times real time: the
  // display has 0.9 real seconds to renew each lease (it beats every 0.3 s). A display that took
  // the lease for kitchen seconds, or guessed its real length from a clock that does not know the
  // rate yet, beats every 18 s and loses the task at once; a tighter lease would test how busy the
  // machine running the test is.
  const catalog = JSON.parse(readFileSync(fixture('staff-kitchen.json'), 'utf8'));
  catalog.restaurants[0].outlets[0].leaseSeconds = 54;
  dir = mkdtempSync(join(tmpdir(), 'brigade-lease-'));
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify(catalog));
  server = await startServer({ timeScale: 60, catalog: join(dir, 'catalog.json') });
  browser = await launchBrowser({ token: server.adminToken });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a task started on the display keeps its lease when the lease is shorter than a real second', async () => {
  const placed = await server.api('/api/orders', {
    method: 'POST',
    headers: { 'Idempotency-Key': `lease-${Date.now()}` },
    body: { restaurantId: 'staff-pizza', items: [{ menuItemId: 'pizza', quantity: 1 }] },
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const page = await browser.newPage();
  await page.goto(`${server.url}/kitchen.html?outlet=staff-kitchen`);
  await page.locator('#live[data-state="live"]').waitFor();
  const station = page.getByRole('region', { name: /^Pizza/ });
  await station.locator('.task .label', { hasText: 'Pizza 1 · top' }).waitFor();
  await station.getByLabel('Chef at Pizza').selectOption('ana');
  await station.getByRole('button', { name: 'Start next task at Pizza' }).click();
  const top = station.locator('.task', { hasText: 'Pizza 1 · top' });
  await top.locator('.phase', { hasText: 'Ana working' }).waitFor();

  // Three real seconds are more than three leases: only heartbeats in time keep the task with Ana.
  await page.waitForTimeout(3000);
  const view = (await server.api('/api/outlets/staff-kitchen/kitchen')).body;
  const task = view.stations.find(s => s.id === 'pizza').tickets.flatMap(t => t.tasks).find(t => t.name === 'top');
  assert.equal(task.phase, 'working', 'the lease ran out between heartbeats');
  assert.equal(task.attempts, 0);
  assert.equal(task.chefId, 'ana');

  await top.getByRole('button', { name: 'Bump Pizza 1 · top' }).click();
  await page.locator('#said', { hasText: 'Bumped Pizza 1 · top.' }).or(page.locator('#problem:not(:empty)')).first().waitFor();
  assert.equal(await page.locator('#problem').textContent(), '', 'the bump was refused');
  await page.locator('#said', { hasText: 'Bumped Pizza 1 · top.' }).waitFor();
  assert.deepEqual(unexpectedProblems(page), []);
});

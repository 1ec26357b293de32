import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.js';
import { launchBrowser, screenshot, unexpectedProblems, accessibilityFindings, gatewayDown } from './support/browser.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the home page names Brigade and lists the restaurants with links', async () => {
  const page = await browser.newPage();
  await page.goto(server.url);
  assert.equal(await page.title(), 'Brigade');
  assert.equal((await page.locator('h1').textContent()).trim(), 'Brigade');

  const cards = page.locator('#restaurants > li');
  await cards.first().waitFor();
  assert.deepEqual(await page.locator('#restaurants h3').allTextContents(), ['Pizza Parlor', 'Corner Coffee', 'Burger Bar']);
  const order = page.getByRole('link', { name: 'Order from Corner Coffee' });
  assert.equal(await order.getAttribute('href'), '/order.html?restaurant=corner-coffee');
  assert.equal(await page.getByRole('link', { name: 'Kitchen display of Pizza Parlor Kreuzberg' }).getAttribute('href'), '/kitchen.html?outlet=pizza-south');

  // Every outlet is on the city map, drawn from its coordinates.
  assert.equal(await page.locator('#map svg .outlet').count(), 4);
  assert.equal(await page.locator('header nav a[aria-current="page"]').textContent(), 'Home');
  assert.deepEqual(await accessibilityFindings(page), []);
  await screenshot(page, 'home-desktop');
  assert.deepEqual(unexpectedProblems(page), []);
});

test('the dashboard is served with a strict content security policy and the API still answers 404 as problem+json', async () => {
  const home = await fetch(`${server.url}/`);
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-security-policy'), /default-src 'self'/);
  const missing = await fetch(`${server.url}/api/nothing-here`);
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get('content-type'), /application\/problem\+json/);
});

test('the home page waits for a server it cannot reach as it opens, says so, and lists the restaurants once it answers', async () => {
  const page = await browser.newPage();
  let down = true;
  await gatewayDown(page, path => down && path === '/api/restaurants');
  await page.goto(server.url);
  await page.getByRole('alert').getByText(/^Cannot reach the server \(Bad Gateway\): trying again in \d+ s…$/).waitFor();
  assert.equal(await page.locator('#restaurants-loading').textContent(), 'Loading restaurants…');
  down = false;
  await page.locator('#restaurants > li').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#map svg .outlet').count(), 4);
  assert.equal(await page.locator('#problem').textContent(), '', 'the outage notice is gone');
  assert.deepEqual(page.problems.filter(p => !/status of 502/.test(p)), []);
});

test('the home page says what a refusal that is no outage means, and does not try again', async () => {
  const page = await browser.newPage();
  await page.route('**/api/restaurants', route => route.fulfill({ status: 403, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Forbidden', detail: 'Not for you.' }) }));
  await page.goto(server.url);
  await page.getByRole('alert').getByText('Forbidden (403)').waitFor();
  assert.doesNotMatch(await page.locator('#problem').textContent(), /trying again/);
});

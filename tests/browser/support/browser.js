// Debian's Chromium, headless, driven by playwright-core (which never downloads a browser),
// with a fresh profile for each test file. Screenshots go to artifacts/screenshots/.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './server.js';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = join(repoRoot, 'artifacts/screenshots');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

/** With `token`, every tab starts signed in with it (stored once per tab, so a test may sign out). */
export async function launchBrowser({ token } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'brigade-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: DESKTOP,
  });
  context.setDefaultTimeout(15_000);
  if (token) {
    await context.addInitScript(t => {
      if (!sessionStorage.getItem('brigade.test.signed-in')) {
        localStorage.setItem('brigade.token', t);
        sessionStorage.setItem('brigade.test.signed-in', '1');
      }
    }, token);
  }
  for (const p of context.pages()) await p.close();
  return {
    context,
    /** A new tab that records console errors and uncaught exceptions in page.problems. */
    async newPage(viewport = DESKTOP) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      page.problems = [];
      page.on('console', m => {
        if (m.type() === 'error') page.problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', e => page.problems.push(`uncaught: ${e.message}`));
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/**
 * The page's problems, less the browser's own log line for a 404 the page expected (feeds the
 * server does not publish yet answer 404, and the page says so).
 */
export function unexpectedProblems(page, { allow404 = false } = {}) {
  return page.problems.filter(p => !(allow404 && /Failed to load resource: the server responded with a status of 404/.test(p)));
}

/** Every form control has an accessible name; every button has a name; one h1; a main landmark. */
export async function accessibilityFindings(page) {
  return page.evaluate(() => {
    const findings = [];
    const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const named = el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!named) findings.push(`unlabelled ${el.tagName.toLowerCase()}#${el.id}`);
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (!visible(el)) continue;
      const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
      if (!name) findings.push(`nameless ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
    }
    for (const el of document.querySelectorAll('[onclick], div[tabindex], span[tabindex]')) findings.push(`clickable non-button ${el.outerHTML.slice(0, 80)}`);
    if (document.querySelectorAll('h1').length !== 1) findings.push(`${document.querySelectorAll('h1').length} h1 elements`);
    if (!document.querySelector('main')) findings.push('no main landmark');
    if (!document.querySelector('nav[aria-label]')) findings.push('no labelled navigation');
    if (!document.documentElement.lang) findings.push('no lang on html');
    return findings;
  });
}

/**
 * While `down(path)` is true for an API request's path, the gateway in front of the server answers it
 * 502 (the server cannot be reached); otherwise the request goes through.
 */
export async function gatewayDown(page, down) {
  await page.route(url => url.pathname.startsWith('/api/'), route => down(new URL(route.request().url()).pathname)
    ? route.fulfill({ status: 502, contentType: 'text/plain', body: 'Bad gateway' })
    : route.continue());
}
